/**
 * Fresh Node processes, timed: what the bundle benchmark's cold imports and every run's machine
 * speed probe are measured with. No CDK or esbuild here, so the summary (`bench/run.ts`) can
 * import it before any phase without loading aws-cdk-lib early (see `node-builtins.ts`).
 */
import { spawnSync } from 'node:child_process';
import { percentile } from './stats.ts';

/**
 * One fresh `node` process running `script` (ESM): its wall time and the CPU time it used
 * (user + system, all threads, from `process.cpuUsage()` at its end), in ms; throws when it fails.
 * CPU time hardly moves with the machine's load; wall time does.
 */
export function nodeRun(script: string, env: Readonly<Record<string, string>>): { wallMs: number; cpuMs: number } {
  const started = performance.now();
  const run = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', `${script}\nconst u = process.cpuUsage(); process.stdout.write(JSON.stringify(u));`],
    { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, encoding: 'utf8' },
  );
  const wallMs = performance.now() - started;
  if (run.status !== 0) throw new Error(`node exited ${run.status}: ${run.stderr.slice(-1500)}`);
  const usage = JSON.parse(run.stdout.slice(run.stdout.lastIndexOf('{'))) as { user: number; system: number };
  return { wallMs, cpuMs: (usage.user + usage.system) / 1000 };
}

/**
 * Median wall time of `runs` fresh `node` processes that do nothing, in ms: how fast this machine
 * is at this moment (its speed drifts by up to half from hour to hour; every wall-clock figure of
 * a run moves with it).
 *
 * @example
 * ```ts
 * const speed = bareNodeStartMs(5); // 43-90 ms in the bundle runs of 2026-12-02 on the 2-core machine
 * ```
 */
export function bareNodeStartMs(runs: number): number {
  const times = Array.from({ length: Math.max(1, runs) }, () => nodeRun('', {}).wallMs);
  return Math.round(percentile(times, 0.5));
}
