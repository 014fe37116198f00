import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { goalChecks, LEAN_BUDGET } from '../../../bench/support/goals.ts';

const lean = (sizeKb: number, coldImportMs: number | null) => ({
  class: 'lean',
  sizeBytes: sizeKb * 1024,
  coldImportMs,
});

describe('goal checks of the bench summary', () => {
  it('judges each figure against its goal, at the limit included', () => {
    const checks = goalChecks({
      qualityGate: { ratioToDecode: 1 },
      e2e: { p50Ms: 3_001 },
      cost: { approvedBasicUsd: 0.0097 },
      bundles: [lean(300, 50), lean(120, 12), { class: 'image', sizeBytes: 900 * 1024, coldImportMs: 300 }],
    });
    expect(checks.map(({ met }) => met)).toEqual([true, false, true, true, true]);
    expect(checks[1]).toEqual({ goal: 'upload to decision p50 <= 3 s', measured: '3.00 s', met: false });
    expect(checks[3]?.measured).toBe('2 of 2 lean functions');
  });

  it('counts a lean function over either budget, or whose import failed, as missing the goal', () => {
    const checks = goalChecks({ bundles: [lean(301, 10), lean(100, 51), lean(100, null), lean(100, 20)] });
    expect(checks[3]).toMatchObject({ measured: '3 of 4 lean functions', met: false });
    expect(checks[4]).toMatchObject({ measured: '1 of 4 lean functions', met: false });
    expect(LEAN_BUDGET).toEqual({ sizeBytes: 300 * 1024, coldImportMs: 50 });
  });

  it('names the floors of the same run beside the bundle goals: size alone, then size and import time', () => {
    const checks = goalChecks({
      bundles: [lean(320, 90)],
      bundleBudget: {
        floors: [
          { name: 'logger only', sizeBytes: 37 * 1024, coldImportMs: 30 },
          { name: 'one DynamoDB read', sizeBytes: 222 * 1024, coldImportMs: 85 },
        ],
      },
    });
    expect(checks[3]).toMatchObject({ met: false, floor: 'logger only 37 KB; one DynamoDB read 222 KB' });
    expect(checks[4]).toMatchObject({ met: false, floor: 'logger only 37 KB +30 ms; one DynamoDB read 222 KB +85 ms' });
    expect(goalChecks({ bundles: [lean(320, 90)] })[3]).not.toHaveProperty('floor');
  });

  it('says "not measured" for a phase that has not run, and judges nothing there', () => {
    for (const check of goalChecks({})) expect(check).toEqual({ goal: check.goal, measured: 'not measured' });
  });

  it("judges the committed summary's own figures", () => {
    const summary = JSON.parse(readFileSync(new URL('../../../bench/results.json', import.meta.url), 'utf8')) as Record<
      string,
      unknown
    >;
    const checks = goalChecks(summary);
    expect(checks).toHaveLength(5);
    for (const check of checks) expect(check.met).toBeTypeOf('boolean');
  });
});
