/**
 * Dependencies of the compliance and support routes that act on the verification workflow
 * (review decisions, review queue, support reset).
 */
import type { KycConfig } from '../../../lib/config.ts';
import { configFromEnv, requireEnv } from '../../adapters/aws/environment.ts';
import { DynamoDbRouteQuotas } from '../../adapters/aws/route-quota-store.ts';
import { DynamoDbAuditLog } from '../../adapters/aws/dynamodb-audit-log.ts';
import { SfnReviewCompleter } from '../../adapters/aws/sfn-review-completer.ts';
import { DynamoDbWorkflowStore } from '../../adapters/aws/workflow-repository.ts';
import type { AuditLog } from '../../ports/audit-log.ts';
import { systemClock, type Clock } from '../../ports/clock.ts';
import type { RouteQuotas } from '../../ports/route-quota.ts';
import type { ReviewCompleter } from '../../ports/workflow.ts';
import type { WorkflowStore } from '../../ports/workflow-store.ts';

export interface ReviewRouteDeps {
  readonly store: WorkflowStore;
  readonly reviews: ReviewCompleter;
  readonly audit: Pick<AuditLog, 'append'>;
  readonly clock: Clock;
  /** Per-user quota of the case list (`config.routeQuotas.caseRead`); absent: not counted. */
  readonly routeQuotas?: RouteQuotas;
  /** The resolved configuration (the defaults when absent). */
  readonly config?: KycConfig;
}

/**
 * Builders of the AWS implementations from the function's environment, one per port: each
 * route builds only the ports it uses, so its bundle carries only those clients.
 *
 * @example
 * ```ts
 * export const handler = createListReviewsHandler(() => ({ ...reviewRouteSettings(), store: reviewStore() }));
 * ```
 */
export function reviewRouteSettings(env: NodeJS.ProcessEnv = process.env): Pick<ReviewRouteDeps, 'config' | 'clock'> {
  return { config: configFromEnv(env), clock: systemClock };
}

export function reviewStore(env: NodeJS.ProcessEnv = process.env): WorkflowStore {
  return new DynamoDbWorkflowStore({ tableName: requireEnv('verificationsTable', env) });
}

export function reviewCompleter(): ReviewCompleter {
  return new SfnReviewCompleter();
}

export function reviewAuditLog(env: NodeJS.ProcessEnv = process.env): ReviewRouteDeps['audit'] {
  return new DynamoDbAuditLog({ tableName: requireEnv('auditTable', env) });
}

export function reviewRouteQuotas(env: NodeJS.ProcessEnv = process.env): RouteQuotas {
  return new DynamoDbRouteQuotas({ tableName: requireEnv('rateLimitsTable', env) });
}
