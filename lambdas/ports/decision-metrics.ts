/**
 * Where the decision and review-queue counters are read from (`domain/decision-metrics.ts`);
 * in AWS the verifications table, read by key and Query only.
 */
import type { DayCounters } from '../domain/decision-metrics.ts';

export interface DecisionMetricsReader {
  /** Counters of the given UTC days (`YYYY-MM-DD`); days without any decision are left out. */
  readDays(days: readonly string[]): Promise<DayCounters[]>;
  /** `open_<queue>` and `overdue_<queue>` counts as they stand now. */
  readQueueCounts(): Promise<Record<string, number>>;
}
