/**
 * Operational metrics as CloudWatch Embedded Metric Format lines (Powertools Metrics): each
 * count or gauge is written at once as its own EMF record, so nothing waits for a flush that a
 * timeout could skip. Namespace `serverless-kyc`, dimension `service` = the installation prefix
 * (not the per-function Powertools service name), so the dashboard and alarms of one
 * installation read one metric per name and dimension set, whichever function emitted it.
 * `POWERTOOLS_METRICS_DISABLED=true` turns the output off (Powertools' own switch).
 *
 * @example
 * ```ts
 * const metrics = new PowertoolsOperationalMetrics({ installation: config.prefix });
 * metrics.count('Decision', { outcome: 'approved' });
 * ```
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, type OperationalMetricName } from '../../domain/operational-metrics.ts';
import type { OperationalMetrics } from '../../ports/operational-metrics.ts';

export interface PowertoolsOperationalMetricsOptions {
  /** Installation prefix (`KycConfig.prefix`), the `service` dimension of every metric. */
  readonly installation: string;
  /** The Powertools instance (one for the namespace and installation). */
  readonly metrics?: Metrics;
}

export class PowertoolsOperationalMetrics implements OperationalMetrics {
  private readonly metrics: Metrics;

  public constructor(options: PowertoolsOperationalMetricsOptions) {
    this.metrics = options.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: options.installation });
  }

  public count(name: OperationalMetricName, dimensions: Readonly<Record<string, string>> = {}, value = 1): void {
    this.emit(name, dimensions, value);
  }

  public gauge(name: OperationalMetricName, value: number): void {
    this.emit(name, {}, value);
  }

  private emit(name: OperationalMetricName, dimensions: Readonly<Record<string, string>>, value: number): void {
    const single = this.metrics.singleMetric();
    for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
    single.addMetric(name, MetricUnit.Count, value);
  }
}
