/**
 * `GET /v1/metrics?from=YYYY-MM-DD&to=YYYY-MM-DD` (compliance roles, admin): queue depth and
 * overdue reviews per queue (now), SLA breaches, approval rate, median and 90th-percentile time
 * to decision (automatic and manual apart), rejection rate by reason code, resubmission success
 * rate and a per-day series, over whole UTC days (both ends included; `to` defaults to today,
 * `from` to 30 days up to `to`, at most 366 days). Computed from maintained counters
 * (`domain/decision-metrics.ts`) by key and Query, never by scanning. Counts and codes only: no
 * personal data, so no audit event.
 */
import { configFromEnv, requireEnv } from '../../adapters/aws/environment.ts';
import { DecisionMetricsRepository } from '../../adapters/aws/decision-metrics-repository.ts';
import { MetricsRangeError, metricsRange, summariseMetrics } from '../../domain/decision-metrics.ts';
import { systemClock, type Clock } from '../../ports/clock.ts';
import type { DecisionMetricsReader } from '../../ports/decision-metrics.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { BadRequestError } from './middleware/http-errors.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { jsonResponse } from './middleware/types.ts';
import { routeFor } from './routes.ts';

export interface GetMetricsDeps {
  readonly metrics: DecisionMetricsReader;
  readonly clock: Clock;
}

export function defaultGetMetricsDeps(env: NodeJS.ProcessEnv = process.env): GetMetricsDeps {
  configFromEnv(env);
  return {
    metrics: new DecisionMetricsRepository({ tableName: requireEnv('verificationsTable', env) }),
    clock: systemClock,
  };
}

const QUERY_PARAMETERS = new Set(['from', 'to']);

export function createGetMetricsHandler(source: DepsSource<GetMetricsDeps> = () => defaultGetMetricsDeps()) {
  const getDeps = resolveDeps(source);
  return httpHandler(routeFor('GET', '/v1/metrics'), async (event) => {
    const { metrics, clock } = getDeps();
    const query = event.queryStringParameters ?? {};
    const unknown = Object.keys(query).filter((name) => !QUERY_PARAMETERS.has(name));
    if (unknown.length > 0) throw new BadRequestError('VALIDATION_ERROR', `unknown query parameter: ${unknown[0]}`);
    let range;
    try {
      range = metricsRange(
        {
          ...(query.from !== undefined ? { from: query.from } : {}),
          ...(query.to !== undefined ? { to: query.to } : {}),
        },
        clock.now(),
      );
    } catch (error) {
      if (error instanceof MetricsRangeError) throw new BadRequestError('INVALID_RANGE', error.message);
      throw error;
    }
    const [days, queues] = await Promise.all([metrics.readDays(range.days), metrics.readQueueCounts()]);
    return jsonResponse(200, { ...summariseMetrics(range, days, queues), generatedAt: clock.now().toISOString() });
  });
}

export const handler = createGetMetricsHandler();
