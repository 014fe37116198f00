/**
 * Benchmark of the embedded runtime: time to ready (cold synth vs cached templates) and the
 * resident memory of everything it runs (this Node process plus DynamoDB Local's JVM), after
 * the first API call. Run: `npx tsx bench/local-runtime.ts [--cold]`. Prints one JSON line.
 */
import '../local/polyfills.ts';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRuntime } from '../local/runtime/runtime.ts';

/** RSS in MB of a process and its descendants, from /proc (Linux). */
function treeRssMb(rootPid: number): number {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,rss='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number, number]);
  const pids = new Set([rootPid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of rows) {
      if (pids.has(ppid) && !pids.has(pid)) {
        pids.add(pid);
        grew = true;
      }
    }
  }
  return Math.round(rows.filter(([pid]) => pids.has(pid)).reduce((sum, [, , rss]) => sum + rss, 0) / 1024);
}

const cold = process.argv.includes('--cold');
const dataDir = mkdtempSync(join(tmpdir(), 'kyc-bench-'));
if (!cold) process.env.KYC_SYNTH_CACHE_DIR ??= join(tmpdir(), 'kyc-e2e-synth-cache');
else process.env.KYC_SYNTH_CACHE_DIR = join(dataDir, 'synth-cache');
const runtime = await startRuntime({ port: 0, dataDir });
const token = (await (await fetch(`${runtime.apiUrl}/_local/token?user=bench&role=user`)).json()) as { token: string };
const health = await fetch(`${runtime.apiUrl}/v1/verifications/none`, {
  headers: { authorization: `Bearer ${token.token}` },
});
const result = {
  cold,
  /** Milliseconds from this process's start (Node and tsx loading included) to the first API answer. */
  processReadyMs: Math.round(performance.now()),
  timingsMs: runtime.timings,
  firstCallStatus: health.status,
  rssMb: treeRssMb(process.pid),
  loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
};
await runtime.stop();
rmSync(dataDir, { recursive: true, force: true });
console.log(JSON.stringify(result));
