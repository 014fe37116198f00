import { describe, expect, it } from 'vitest';
import {
  bucketValue,
  decisionCounters,
  durationBucket,
  histogramQuantile,
  MAX_METRICS_DAYS,
  metricsRange,
  reviewClosedCounters,
  reviewOpenedCounters,
  slaBreachCounters,
  summariseMetrics,
  type DayCounters,
  type DecisionFact,
} from '../../../lambdas/domain/decision-metrics.ts';
import { mergeCounters } from '../../../lambdas/adapters/aws/counter-transaction.ts';

const NOW = new Date('2026-11-30T15:00:00Z');

/** Sums counter updates per day, the way DynamoDB's ADD does. */
function store(facts: readonly DecisionFact[]): DayCounters[] {
  return mergeCounters(facts.map(decisionCounters)).map((update) => ({
    day: update.key.sk.slice('DAY#'.length),
    counts: update.add,
  }));
}

function fact(overrides: Partial<DecisionFact> & Pick<DecisionFact, 'outcome'>): DecisionFact {
  return { mode: 'automatic', reasons: [], resubmission: false, decidedAt: '2026-11-30T10:00:00.000Z', ...overrides };
}

describe('durationBucket and bucketValue', () => {
  it.each([1, 7, 999, 60_000, 3_600_000, 5 * 86_400_000, 400 * 86_400_000])(
    'stands for %d ms within 9 %% (2^(1/8) - 1)',
    (ms) => {
      // Act
      const value = bucketValue(durationBucket(ms));

      // Assess
      expect(Math.abs(value - ms) / ms).toBeLessThanOrEqual(2 ** (1 / 8) - 1 + 1e-9);
    },
  );

  it.each([[-5], [0], [0.4], [Number.NaN]])('puts %d ms in bucket 0', (ms) => {
    // Act / Assess
    expect(durationBucket(ms)).toBe(0);
  });
});

describe('histogramQuantile', () => {
  it('takes the nearest rank: median and 90th percentile of 1..10 seconds', () => {
    // Prepare
    const histogram = new Map<number, number>();
    for (let s = 1; s <= 10; s += 1) {
      const bucket = durationBucket(s * 1000);
      histogram.set(bucket, (histogram.get(bucket) ?? 0) + 1);
    }

    // Act
    const median = histogramQuantile(histogram, 0.5)!;
    const p90 = histogramQuantile(histogram, 0.9)!;

    // Assess: 5 s and 9 s, within a bucket's width
    expect(median / 5000).toBeGreaterThan(0.91);
    expect(median / 5000).toBeLessThan(1.1);
    expect(p90 / 9000).toBeGreaterThan(0.91);
    expect(p90 / 9000).toBeLessThan(1.1);
  });

  it('is null for an empty histogram', () => {
    // Act / Assess
    expect(histogramQuantile(new Map(), 0.5)).toBeNull();
  });
});

describe('decisionCounters', () => {
  it('counts a manual rejection on its UTC day with each reason once and its time to decision', () => {
    // Act
    const update = decisionCounters(
      fact({
        outcome: 'rejected',
        mode: 'manual',
        reasons: ['FACE_NOT_MATCH', 'FACE_NOT_MATCH', 'DOCUMENT_EXPIRED'],
        submittedAt: '2026-11-29T23:59:00.000Z',
        decidedAt: '2026-11-30T00:01:00.000Z',
        resubmission: true,
      }),
    );

    // Assess
    expect(update.key).toEqual({ pk: 'METRICS#2026-11', sk: 'DAY#2026-11-30' });
    expect(update.add).toEqual({
      decided_manual: 1,
      rejected_manual: 1,
      reason_FACE_NOT_MATCH: 1,
      reason_DOCUMENT_EXPIRED: 1,
      resub_decided: 1,
      [`ttd_manual_${durationBucket(120_000)}`]: 1,
    });
  });

  it('counts no time to decision without a submission time (quality-gate rejection)', () => {
    // Act
    const update = decisionCounters(fact({ outcome: 'rejected', reasons: ['PHOTO_TOO_BLURRY'] }));

    // Assess
    expect(Object.keys(update.add).filter((name) => name.startsWith('ttd_'))).toEqual([]);
  });
});

describe('review queue counters', () => {
  it('opens, escalates twice and closes a review: open and overdue back to zero, two breaches', () => {
    // Prepare
    const updates = [
      reviewOpenedCounters('standard'),
      ...slaBreachCounters('standard', '2026-11-28T09:00:00.000Z', true),
      ...slaBreachCounters('standard', '2026-11-29T09:00:00.000Z', false),
      reviewClosedCounters('standard', true),
    ];

    // Act
    const merged = mergeCounters(updates);
    const queues = merged.find((update) => update.key.pk === 'METRICS#QUEUES')!.add;
    const report = summariseMetrics(
      metricsRange({ from: '2026-11-28', to: '2026-11-30' }, NOW),
      merged
        .filter((update) => update.key.pk.startsWith('METRICS#2026'))
        .map((update) => ({ day: update.key.sk.slice(4), counts: update.add })),
      queues,
    );

    // Assess
    expect(queues).toEqual({ open_standard: 0, overdue_standard: 0 });
    expect(report.slaBreaches).toEqual({ total: 2, byQueue: { standard: 2 } });
    expect(report.days.map((day) => day.slaBreaches)).toEqual([1, 1, 0]);
  });

  it('counts a queue name outside the expected alphabet as "other"', () => {
    // Act / Assess
    expect(reviewOpenedCounters('Weird Queue!').add).toEqual({ open_other: 1 });
  });
});

describe('summariseMetrics', () => {
  it('computes rates, per-mode times to decision and reasons over the range only', () => {
    // Prepare: 4 automatic (3 approved), 2 manual (1 approved), one outside the range
    const facts = [
      fact({ outcome: 'approved', submittedAt: '2026-11-30T09:59:58.000Z' }),
      fact({ outcome: 'approved', submittedAt: '2026-11-30T09:59:56.000Z' }),
      fact({ outcome: 'approved', submittedAt: '2026-11-30T09:59:50.000Z', resubmission: true }),
      fact({ outcome: 'rejected', reasons: ['PHOTO_TOO_BLURRY'], decidedAt: '2026-11-29T08:00:00.000Z' }),
      fact({
        outcome: 'approved',
        mode: 'manual',
        submittedAt: '2026-11-28T10:00:00.000Z',
        decidedAt: '2026-11-29T10:00:00.000Z',
      }),
      fact({
        outcome: 'rejected',
        mode: 'manual',
        reasons: ['FACE_NOT_MATCH', 'DUPLICATE_IDENTITY'],
        submittedAt: '2026-11-27T10:00:00.000Z',
        decidedAt: '2026-11-30T10:00:00.000Z',
        resubmission: true,
      }),
      fact({ outcome: 'rejected', reasons: ['FACE_NOT_MATCH'], decidedAt: '2026-10-01T00:00:00.000Z' }),
    ];

    // Act
    const report = summariseMetrics(metricsRange({ from: '2026-11-29', to: '2026-11-30' }, NOW), store(facts), {
      open_standard: 2,
      overdue_standard: 1,
      open_duplicates: 1,
    });

    // Assess
    expect(report.decisions).toEqual({ total: 6, approved: 4, rejected: 2, automatic: 4, manual: 2 });
    expect(report.approvalRate).toBeCloseTo(4 / 6, 4);
    expect(report.rejectionsByReason).toEqual([
      { code: 'DUPLICATE_IDENTITY', count: 1, rate: 0.1667 },
      { code: 'FACE_NOT_MATCH', count: 1, rate: 0.1667 },
      { code: 'PHOTO_TOO_BLURRY', count: 1, rate: 0.1667 },
    ]);
    expect(report.resubmissions).toEqual({ decided: 2, approved: 1, successRate: 0.5 });
    expect(report.timeToDecision.automatic.count).toBe(3);
    expect(report.timeToDecision.automatic.medianSeconds! / 4).toBeGreaterThan(0.91);
    expect(report.timeToDecision.automatic.medianSeconds! / 4).toBeLessThan(1.1);
    expect(report.timeToDecision.automatic.p90Seconds! / 10).toBeGreaterThan(0.91);
    expect(report.timeToDecision.manual.count).toBe(2);
    expect(report.timeToDecision.manual.medianSeconds! / 86_400).toBeGreaterThan(0.91);
    expect(report.timeToDecision.manual.p90Seconds! / (3 * 86_400)).toBeLessThan(1.1);
    expect(report.queues).toEqual([
      { queue: 'standard', open: 2, overdue: 1 },
      { queue: 'advanced', open: 0, overdue: 0 },
      { queue: 'duplicates', open: 1, overdue: 0 },
      { queue: 'exceptions', open: 0, overdue: 0 },
    ]);
    expect(report.days).toEqual([
      { date: '2026-11-29', approved: 1, rejected: 1, slaBreaches: 0 },
      { date: '2026-11-30', approved: 3, rejected: 1, slaBreaches: 0 },
    ]);
  });

  it('gives null rates and times when nothing was decided', () => {
    // Act
    const report = summariseMetrics(metricsRange({}, NOW), [], {});

    // Assess
    expect(report).toMatchObject({
      approvalRate: null,
      resubmissions: { decided: 0, approved: 0, successRate: null },
      timeToDecision: { automatic: { count: 0, medianSeconds: null, p90Seconds: null } },
    });
    expect(report.days).toHaveLength(30);
    expect(report.to).toBe('2026-11-30');
  });
});

describe('metricsRange', () => {
  it.each([
    [{ from: '2026-11-31' }, 'calendar date'],
    [{ from: '2026-2-01' }, 'calendar date'],
    [{ to: 'yesterday' }, 'calendar date'],
    [{ from: '2026-11-30T00:00:00Z' }, 'calendar date'],
    [{ from: '2026-11-30', to: '2026-11-01' }, 'not be after'],
    [{ from: '2024-01-01', to: '2026-01-01' }, `at most ${MAX_METRICS_DAYS} days`],
  ])('refuses %j', (query, message) => {
    // Act / Assess
    expect(() => metricsRange(query, NOW)).toThrow(expect.objectContaining({ name: 'MetricsRangeError' }));
    expect(() => metricsRange(query, NOW)).toThrow(message);
  });

  it('covers a leap year of 366 days across a month boundary', () => {
    // Act
    const range = metricsRange({ from: '2028-01-01', to: '2028-12-31' }, NOW);

    // Assess
    expect(range.days).toHaveLength(366);
    expect(range.days).toContain('2028-02-29');
  });
});
