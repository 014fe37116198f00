import { describe, expect, it } from 'vitest';
import { bareNodeStartMs, nodeRun } from '../../../bench/support/node-process.ts';

describe('timed Node processes', () => {
  it("reports a script's wall time and the CPU time it used", () => {
    const busy = nodeRun('const end = performance.now() + 150; while (performance.now() < end);', {});
    expect(busy.cpuMs).toBeGreaterThanOrEqual(120);
    expect(busy.wallMs).toBeGreaterThanOrEqual(busy.cpuMs - 50);
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
