import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cpuPerVerification } from '../../../bench/e2e.ts';
import { treeCpuMs, treeRssMb } from '../../../bench/support/process-tree.ts';

/**
 * Keeps the CPU busy until this process has used `ms` more of CPU time (not of wall time: on a
 * loaded machine a wall-clock loop gets only part of a core).
 */
const BURN = (ms: number) =>
  `{ const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }; const end = cpu() + ${ms}; while (cpu() < end); }`;

/** A child Node process that burns `ms` of CPU, says so, then waits to be stopped. */
const BURN_THEN_WAIT = (ms: number) => `${BURN(ms)} console.log('burnt'); setInterval(() => {}, 1000);`;

describe.runIf(existsSync('/proc/self/stat'))('process tree (/proc)', () => {
  it("counts this process's own CPU time as it grows", () => {
    const before = treeCpuMs(process.pid)!;
    new Function(BURN(120))();
    const after = treeCpuMs(process.pid)!;
    expect(after.selfMs - before.selfMs).toBeGreaterThanOrEqual(80);
    expect(after.totalMs).toBe(after.selfMs + after.childrenMs);
  });

  it('counts a running child, then the same child once it has ended, without counting it twice', async () => {
    const before = treeCpuMs(process.pid)!;
    const child = spawn(process.execPath, ['-e', BURN_THEN_WAIT(300)], { stdio: ['ignore', 'pipe', 'ignore'] });
    await once(child.stdout, 'data');
    const running = treeCpuMs(process.pid)!;
    expect(running.childrenMs - before.childrenMs).toBeGreaterThanOrEqual(250);
    child.kill();
    await once(child, 'close');
    const ended = treeCpuMs(process.pid)!;
    // The ended child's time moved into this process's cutime/cstime: still counted, once.
    expect(ended.childrenMs - before.childrenMs).toBeGreaterThanOrEqual(running.childrenMs - before.childrenMs - 20);
    expect(ended.childrenMs - before.childrenMs).toBeLessThan(2_000);
  });

  it("adds a child's resident memory to this process's", async () => {
    const alone = treeRssMb(process.pid)!;
    const child = spawn(
      process.execPath,
      ['-e', `globalThis.kept = Buffer.alloc(64 * 1024 * 1024, 1); ${BURN_THEN_WAIT(0)}`],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    await once(child.stdout, 'data');
    const withChild = treeRssMb(process.pid)!;
    child.kill();
    await once(child, 'close');
    expect(withChild - alone).toBeGreaterThanOrEqual(64);
  });

  it('counts nothing for a process that does not exist', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    expect(treeCpuMs(Number(gone.stdout))).toEqual({ selfMs: 0, childrenMs: 0, totalMs: 0 });
  });
});

describe('CPU per verification', () => {
  it('divides the CPU of the timed part among the verifications and compares it with the cores', () => {
    const figures = cpuPerVerification(
      { selfMs: 1_000, childrenMs: 500 },
      { selfMs: 101_000, childrenMs: 20_500 },
      50,
      1, // one minute
      2,
    );
    expect(figures).toEqual({ nodeSeconds: 2, childSeconds: 0.4, totalSeconds: 2.4, busyShareOfCores: 1 });
  });
});
