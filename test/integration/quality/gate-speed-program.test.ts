import { describe, expect, it } from 'vitest';
import { measureGateSpeed } from '../../../bench/quality.ts';

// `npm run bench -- quality` times the gate as Lambda runs it: its esbuild bundle in a plain
// Node process. Under a TypeScript loader every typed-array access pays a detachment check, and
// the gate read about a quarter slower; this keeps the harness honest, not the figures (those
// are the benchmark's).
describe('the gate speed program of the benchmark', () => {
  it('runs the bundled gate in a Node process without a loader and reports every figure', async () => {
    const speed = await measureGateSpeed({ runs: 1 });
    expect(speed.process.execArgv.filter((arg) => /--(import|loader|require|experimental-loader)/.test(arg))).toEqual(
      [],
    );
    expect(speed.runs).toBe(1);
    expect(speed.megapixels).toBe(12);
    expect(speed.p50Ms).toBeGreaterThan(0);
    expect(speed.decodeP50Ms).toBeGreaterThan(0);
    expect(speed.ratioToDecode).toBeCloseTo(speed.p50Ms / speed.decodeP50Ms, 1);
    expect(speed.stages.decodeMs).toBeGreaterThan(0);
    expect(speed.peakRssMb).toBeGreaterThan(0);
    expect(speed.how).toContain('plain Node process');
  }, 60_000);
});
