/**
 * Decision metrics (PRODUCT §6, §7 `GET /v1/metrics`): maintained counters, never a table scan.
 * Pure code: what each event adds to which counter, and how counters become the metrics.
 *
 * Every decision adds to the counters of its UTC day in the same DynamoDB transaction as the
 * conditional write that makes the decision (the attempt leaving `processing`/`manual_review`, or
 * `awaiting_upload` at the quality gate), so a retried step can never count a decision twice and
 * a failed one never counts it at all. Review queues keep one item of open and overdue counts,
 * changed in the same transaction as the review task itself:
 *
 *   review opened    (task created)                 open_<queue> +1
 *   SLA ran out      (first escalation)             overdue_<queue> +1, day: sla_breaches +1
 *   SLA ran out again                                day: sla_breaches +1
 *   review decided   (conditional decision write)   open_<queue> -1 (and overdue_<queue> -1 if escalated)
 *   attempt decided  (conditional attempt write)    day: decided/approved/rejected, reason_<code>,
 *                                                    resub_*, ttd_<mode>_<bucket>
 *
 * Times to decision go into a log-scale histogram (4 buckets per doubling of milliseconds), so
 * medians and 90th percentiles over any range of days come from summed buckets, within ±9 %.
 *
 * @example
 * ```ts
 * const update = decisionCounters({ outcome: 'approved', mode: 'automatic', reasons: [], resubmission: false,
 *   decidedAt: '2026-11-30T10:00:05Z', submittedAt: '2026-11-30T10:00:00Z' });
 * // update.key = { pk: 'METRICS#2026-11', sk: 'DAY#2026-11-30' }; update.add.approved_auto = 1
 * ```
 */
import type { ReasonCode } from './reason-codes.ts';

/** Largest range of days one metrics request may cover (a year; leap years included). */
export const MAX_METRICS_DAYS = 366;
/** Days covered when the request gives no `from` (the last 30 days up to `to`). */
export const DEFAULT_METRICS_DAYS = 30;
/** Histogram buckets per doubling of the time to decision (relative error at most 2^(1/8) - 1). */
export const BUCKETS_PER_DOUBLING = 4;
/** Highest histogram bucket: 2^36 ms (about 2.2 years) and above land here. */
export const MAX_BUCKET = 1 + BUCKETS_PER_DOUBLING * 36;
/** The review queues the workflow routes to (`reviewRouting`), always listed even when empty. */
export const KNOWN_QUEUES = ['standard', 'advanced', 'duplicates', 'exceptions'] as const;

/** A DynamoDB item key. */
export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

/** Numbers to add (ADD) to attributes of one counter item, created on first use. */
export interface CounterUpdate {
  readonly key: ItemKey;
  readonly entity: string;
  readonly add: Readonly<Record<string, number>>;
}

/** One decision on an attempt, as the counters see it (no personal data, no ids). */
export interface DecisionFact {
  readonly outcome: 'approved' | 'rejected';
  /** `manual`: a reviewer decided; `automatic`: the workflow or the quality gate did. */
  readonly mode: 'automatic' | 'manual';
  /** Reason codes of a rejection (empty for an approval). */
  readonly reasons: readonly ReasonCode[];
  readonly decidedAt: string;
  /** When the attempt was complete (last upload accepted); absent: no time to decision is counted. */
  readonly submittedAt?: string;
  /** The attempt followed a rejected attempt of the same verification. */
  readonly resubmission: boolean;
}

/** Key of the counter item of a UTC day (`YYYY-MM-DD`); a month's days share a partition. */
export function metricsDayKey(day: string): ItemKey {
  return { pk: `METRICS#${day.slice(0, 7)}`, sk: `DAY#${day}` };
}

/** Key of the review-queue counter item. */
export const QUEUE_COUNTERS_KEY: ItemKey = { pk: 'METRICS#QUEUES', sk: 'QUEUES' };

/** A queue name as a counter attribute suffix; anything unexpected is counted as `other`. */
export function queueCounterName(queue: string): string {
  return /^[a-z0-9_]{1,32}$/.test(queue) ? queue : 'other';
}

/** Histogram bucket of a duration in milliseconds (0 for under 1 ms). */
export function durationBucket(milliseconds: number): number {
  if (!(milliseconds >= 1)) return 0;
  const bucket = 1 + Math.floor(BUCKETS_PER_DOUBLING * Math.log2(milliseconds));
  return Math.min(MAX_BUCKET, bucket);
}

/** The value a bucket stands for: its geometric middle, in milliseconds. */
export function bucketValue(bucket: number): number {
  if (bucket <= 0) return 0.5;
  return 2 ** ((bucket - 0.5) / BUCKETS_PER_DOUBLING);
}

const MODE_SUFFIX = { automatic: 'auto', manual: 'manual' } as const;

/** What a decision adds to its day's counters. */
export function decisionCounters(fact: DecisionFact): CounterUpdate {
  const mode = MODE_SUFFIX[fact.mode];
  const add: Record<string, number> = { [`decided_${mode}`]: 1, [`${fact.outcome}_${mode}`]: 1 };
  if (fact.outcome === 'rejected') {
    for (const code of new Set(fact.reasons)) add[`reason_${code}`] = 1;
  }
  if (fact.resubmission) {
    add.resub_decided = 1;
    if (fact.outcome === 'approved') add.resub_approved = 1;
  }
  if (fact.submittedAt) {
    const elapsed = Date.parse(fact.decidedAt) - Date.parse(fact.submittedAt);
    if (Number.isFinite(elapsed)) add[`ttd_${mode}_${durationBucket(Math.max(0, elapsed))}`] = 1;
  }
  return { key: metricsDayKey(fact.decidedAt.slice(0, 10)), entity: 'metrics_day', add };
}

/** A review task entered its queue. */
export function reviewOpenedCounters(queue: string): CounterUpdate {
  return { key: QUEUE_COUNTERS_KEY, entity: 'metrics_queues', add: { [`open_${queueCounterName(queue)}`]: 1 } };
}

/** A review task was decided (leaves its queue, and the overdue count when it had escalated). */
export function reviewClosedCounters(queue: string, escalated: boolean): CounterUpdate {
  const name = queueCounterName(queue);
  return {
    key: QUEUE_COUNTERS_KEY,
    entity: 'metrics_queues',
    add: { [`open_${name}`]: -1, ...(escalated ? { [`overdue_${name}`]: -1 } : {}) },
  };
}

/** A review ran past its SLA at `at`; `first`: the task had not escalated before. */
export function slaBreachCounters(queue: string, at: string, first: boolean): CounterUpdate[] {
  const name = queueCounterName(queue);
  const day: CounterUpdate = {
    key: metricsDayKey(at.slice(0, 10)),
    entity: 'metrics_day',
    add: { sla_breaches: 1, [`sla_breaches_${name}`]: 1 },
  };
  return first ? [day, { key: QUEUE_COUNTERS_KEY, entity: 'metrics_queues', add: { [`overdue_${name}`]: 1 } }] : [day];
}

/** Counters of one day as stored (attribute name -> count). */
export interface DayCounters {
  readonly day: string;
  readonly counts: Readonly<Record<string, number>>;
}

/** A validated metrics range: whole UTC days, both ends included. */
export interface MetricsRange {
  readonly from: string;
  readonly to: string;
  readonly days: readonly string[];
}

/** A `from`/`to` value that is not a date, an inverted range or one longer than allowed. */
export class MetricsRangeError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'MetricsRangeError';
  }
}

const DAY_MS = 86_400_000;

function parseDay(value: string, name: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const time = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : Number.NaN;
  if (!match || Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== value) {
    throw new MetricsRangeError(`${name} must be a calendar date YYYY-MM-DD (UTC)`);
  }
  return time;
}

/**
 * The days a request covers: `to` defaults to today (UTC), `from` to 30 days up to `to`;
 * at most `MAX_METRICS_DAYS` days, `from` not after `to`.
 *
 * @example
 * ```ts
 * metricsRange({ from: '2026-11-01', to: '2026-11-30' }, new Date()).days.length; // 30
 * ```
 */
export function metricsRange(query: { from?: string; to?: string }, now: Date): MetricsRange {
  const to =
    query.to === undefined
      ? Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
      : parseDay(query.to, 'to');
  const from = query.from === undefined ? to - (DEFAULT_METRICS_DAYS - 1) * DAY_MS : parseDay(query.from, 'from');
  if (from > to) throw new MetricsRangeError('from must not be after to');
  const count = Math.round((to - from) / DAY_MS) + 1;
  if (count > MAX_METRICS_DAYS) throw new MetricsRangeError(`a range covers at most ${MAX_METRICS_DAYS} days`);
  const days = Array.from({ length: count }, (_, i) => new Date(from + i * DAY_MS).toISOString().slice(0, 10));
  return { from: days[0] as string, to: days[count - 1] as string, days };
}

/** Median and 90th percentile of a histogram, by nearest rank. */
export interface DurationSummary {
  readonly count: number;
  /** `null` when nothing was decided. */
  readonly medianSeconds: number | null;
  readonly p90Seconds: number | null;
}

/** The value at quantile `q` (0..1) of a histogram (bucket -> count), by nearest rank; ms. */
export function histogramQuantile(histogram: ReadonlyMap<number, number>, q: number): number | null {
  const buckets = [...histogram.entries()].filter(([, count]) => count > 0).sort(([a], [b]) => a - b);
  const total = buckets.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [bucket, count] of buckets) {
    seen += count;
    if (seen >= rank) return bucketValue(bucket);
  }
  return bucketValue(buckets.at(-1)![0]);
}

function summariseDurations(histogram: ReadonlyMap<number, number>): DurationSummary {
  const count = [...histogram.values()].reduce((sum, value) => sum + value, 0);
  const seconds = (ms: number | null): number | null => (ms === null ? null : Math.round(ms) / 1000);
  return {
    count,
    medianSeconds: seconds(histogramQuantile(histogram, 0.5)),
    p90Seconds: seconds(histogramQuantile(histogram, 0.9)),
  };
}

const ratio = (part: number, whole: number): number | null =>
  whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null;

/** The `GET /v1/metrics` answer. */
export interface MetricsReport {
  readonly from: string;
  readonly to: string;
  /** Open review tasks per queue now, and how many of them ran past their SLA. */
  readonly queues: ReadonlyArray<{ readonly queue: string; readonly open: number; readonly overdue: number }>;
  /** Reviews whose SLA ran out within the range, in total and per queue. */
  readonly slaBreaches: { readonly total: number; readonly byQueue: Readonly<Record<string, number>> };
  readonly decisions: {
    readonly total: number;
    readonly approved: number;
    readonly rejected: number;
    readonly automatic: number;
    readonly manual: number;
  };
  /** approved / decided; `null` when nothing was decided. */
  readonly approvalRate: number | null;
  readonly timeToDecision: { readonly automatic: DurationSummary; readonly manual: DurationSummary };
  /** Per reason code: rejected decisions giving it, and that count / all decisions. */
  readonly rejectionsByReason: ReadonlyArray<{
    readonly code: string;
    readonly count: number;
    readonly rate: number | null;
  }>;
  /** Attempts decided after a rejection of the same verification, and how many of them passed. */
  readonly resubmissions: { readonly decided: number; readonly approved: number; readonly successRate: number | null };
  /** One entry per day of the range, for charts. */
  readonly days: ReadonlyArray<{
    readonly date: string;
    readonly approved: number;
    readonly rejected: number;
    readonly slaBreaches: number;
  }>;
}

/**
 * Turns stored counters into the metrics of a range.
 *
 * @example
 * ```ts
 * const report = summariseMetrics(range, [{ day: '2026-11-30', counts: { decided_auto: 2, approved_auto: 1 } }], {});
 * report.approvalRate; // 0.5
 * ```
 */
export function summariseMetrics(
  range: MetricsRange,
  stored: readonly DayCounters[],
  queueCounts: Readonly<Record<string, number>>,
): MetricsReport {
  const byDay = new Map(stored.map((entry) => [entry.day, entry.counts]));
  const totals = new Map<string, number>();
  const days = range.days.map((date) => {
    const counts = byDay.get(date) ?? {};
    for (const [name, value] of Object.entries(counts)) {
      if (typeof value === 'number') totals.set(name, (totals.get(name) ?? 0) + value);
    }
    const n = (name: string): number => (typeof counts[name] === 'number' ? counts[name] : 0);
    return {
      date,
      approved: n('approved_auto') + n('approved_manual'),
      rejected: n('rejected_auto') + n('rejected_manual'),
      slaBreaches: n('sla_breaches'),
    };
  });
  const total = (name: string): number => totals.get(name) ?? 0;
  const histogram = (mode: 'auto' | 'manual'): Map<number, number> => {
    const prefix = `ttd_${mode}_`;
    const buckets = new Map<number, number>();
    for (const [name, value] of totals) {
      if (name.startsWith(prefix)) buckets.set(Number(name.slice(prefix.length)), value);
    }
    return buckets;
  };
  const decided = total('decided_auto') + total('decided_manual');
  const approved = total('approved_auto') + total('approved_manual');
  const breachesByQueue: Record<string, number> = {};
  const reasons: Array<{ code: string; count: number; rate: number | null }> = [];
  for (const [name, value] of totals) {
    if (name.startsWith('sla_breaches_')) breachesByQueue[name.slice('sla_breaches_'.length)] = value;
    if (name.startsWith('reason_') && value > 0) {
      reasons.push({ code: name.slice('reason_'.length), count: value, rate: ratio(value, decided) });
    }
  }
  reasons.sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
  const queueNames = new Set<string>(KNOWN_QUEUES);
  for (const name of Object.keys(queueCounts)) {
    if (name.startsWith('open_') || name.startsWith('overdue_')) queueNames.add(name.replace(/^(open|overdue)_/, ''));
  }
  const count = (name: string): number => Math.max(0, queueCounts[name] ?? 0);
  return {
    from: range.from,
    to: range.to,
    queues: [...queueNames].map((queue) => ({
      queue,
      open: count(`open_${queue}`),
      overdue: count(`overdue_${queue}`),
    })),
    slaBreaches: { total: total('sla_breaches'), byQueue: breachesByQueue },
    decisions: {
      total: decided,
      approved,
      rejected: total('rejected_auto') + total('rejected_manual'),
      automatic: total('decided_auto'),
      manual: total('decided_manual'),
    },
    approvalRate: ratio(approved, decided),
    timeToDecision: {
      automatic: summariseDurations(histogram('auto')),
      manual: summariseDurations(histogram('manual')),
    },
    rejectionsByReason: reasons,
    resubmissions: {
      decided: total('resub_decided'),
      approved: total('resub_approved'),
      successRate: ratio(total('resub_approved'), total('resub_decided')),
    },
    days,
  };
}
