import { describe, expect, it } from 'vitest';
import { bareNodeStartMs, nodeRun } from '../../../bench/support/node-process.ts';

describe('timed Node processes', () => {
  it("reports a script's wall time and the CPU time it used", () => {
    // Busy until the process has used 150 ms of CPU time (a wall-clock loop gets less on a loaded machine).
    const busy = nodeRun(
      'const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }; const end = cpu() + 150; while (cpu() < end);',
      {},
    );
    expect(busy.cpuMs).toBeGreaterThanOrEqual(150);
    expect(busy.wallMs).toBeGreaterThan(50);
  });

  it('fails with the exit code and the end of stderr when the script fails', () => {
    expect(() => nodeRun("console.error('broken on purpose'); process.exit(3);", {})).toThrow(
      /node exited 3: broken on purpose/,
    );
  });

  it('measures a bare Node start as the median of fresh processes, in whole milliseconds', () => {
    const ms = bareNodeStartMs(3);
    expect(Number.isInteger(ms)).toBe(true);
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThan(10_000);
  });
});
