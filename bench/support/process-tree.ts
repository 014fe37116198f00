/**
 * A process and its descendants as Linux's `/proc` shows them: their resident memory and the
 * CPU time they have used. The local runtime is this Node process plus DynamoDB Local's JVM (a
 * child), so what a benchmark costs the machine is the sum over the tree. Linux only: elsewhere
 * (no `/proc`) every function returns `undefined`.
 *
 * @example
 * ```ts
 * const before = treeCpuMs(process.pid);
 * await work();
 * const used = (treeCpuMs(process.pid)?.totalMs ?? 0) - (before?.totalMs ?? 0);
 * ```
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** utime + stime, in clock ticks. */
  readonly ticks: number;
  /** cutime + cstime: of its children that have ended and been waited for, in clock ticks. */
  readonly endedChildrenTicks: number;
  /** Resident pages. */
  readonly rssPages: number;
}

/** `/proc/<pid>/stat`, parsed after the command name (which may hold spaces and parentheses). */
function procStat(pid: string): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone meanwhile, or not ours to read
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After the name: state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17) ... rss(24), numbered from 1 with pid and name.
  const field = (position: number): number => Number(fields[position - 3]);
  return {
    pid: Number(pid),
    ppid: field(4),
    ticks: field(14) + field(15),
    endedChildrenTicks: field(16) + field(17),
    rssPages: field(24),
  };
}

/** The process `rootPid` and every process below it, or undefined without `/proc`. */
function processTree(rootPid: number): ProcStat[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const all = entries.filter((name) => /^\d+$/.test(name)).flatMap((pid) => procStat(pid) ?? []);
  const inTree = new Set([rootPid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const stat of all) {
      if (inTree.has(stat.ppid) && !inTree.has(stat.pid)) {
        inTree.add(stat.pid);
        grew = true;
      }
    }
  }
  return all.filter((stat) => inTree.has(stat.pid));
}

let systemUnits: { ticksPerSecond: number; pageBytes: number } | undefined;

/** Clock ticks per second and the page size (`getconf`), read once. */
function units(): { ticksPerSecond: number; pageBytes: number } {
  systemUnits ??= {
    ticksPerSecond: Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100,
    pageBytes: Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096,
  };
  return systemUnits;
}

/**
 * CPU time (user + system, all threads) used so far by `rootPid` itself and by its descendants,
 * in ms: the running ones, and those that have ended (as the kernel adds them to their parent).
 */
export function treeCpuMs(rootPid: number): { selfMs: number; childrenMs: number; totalMs: number } | undefined {
  const tree = processTree(rootPid);
  if (!tree) return undefined;
  const msPerTick = 1000 / units().ticksPerSecond;
  const selfMs = (tree.find((stat) => stat.pid === rootPid)?.ticks ?? 0) * msPerTick;
  const childrenMs =
    tree.reduce((sum, stat) => sum + stat.endedChildrenTicks + (stat.pid === rootPid ? 0 : stat.ticks), 0) * msPerTick;
  return { selfMs, childrenMs, totalMs: selfMs + childrenMs };
}

/** Resident memory of `rootPid` and its descendants, in MB. */
export function treeRssMb(rootPid: number): number | undefined {
  const tree = processTree(rootPid);
  if (!tree) return undefined;
  return Math.round((tree.reduce((sum, stat) => sum + stat.rssPages, 0) * units().pageBytes) / (1024 * 1024));
}
