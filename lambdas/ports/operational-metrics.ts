/**
 * Port: operational metrics (counts and gauges) for the dashboard and alarms. Names and
 * dimensions come from `domain/operational-metrics.ts`; values never carry ids or personal data.
 *
 * @example
 * ```ts
 * deps.metrics?.count('Decision', { outcome: 'rejected' });
 * deps.metrics?.gauge('ReviewQueueDepth', 12);
 * ```
 */
import type { OperationalMetricName } from '../domain/operational-metrics.ts';

export interface OperationalMetrics {
  /** Adds `value` (1) to `name`, under the given dimensions (none: the installation only). */
  count(name: OperationalMetricName, dimensions?: Readonly<Record<string, string>>, value?: number): void;
  /** Records the current level of `name` (e.g. a queue depth). */
  gauge(name: OperationalMetricName, value: number): void;
}

/** Metrics that remember what was emitted, for tests and the local runtime's diagnostics. */
export class RecordingMetrics implements OperationalMetrics {
  public readonly recorded: { name: OperationalMetricName; dimensions: Record<string, string>; value: number }[] = [];

  public count(name: OperationalMetricName, dimensions: Readonly<Record<string, string>> = {}, value = 1): void {
    this.recorded.push({ name, dimensions: { ...dimensions }, value });
  }

  public gauge(name: OperationalMetricName, value: number): void {
    this.recorded.push({ name, dimensions: {}, value });
  }

  /** Sum of the values recorded for `name` with exactly these dimensions. */
  public total(name: OperationalMetricName, dimensions: Readonly<Record<string, string>> = {}): number {
    const wanted = JSON.stringify(Object.entries(dimensions).sort());
    return this.recorded
      .filter((entry) => entry.name === name && JSON.stringify(Object.entries(entry.dimensions).sort()) === wanted)
      .reduce((sum, entry) => sum + entry.value, 0);
  }
}
