/**
 * Dependencies of the compliance and support routes that act on the verification workflow
 * (review decisions, review queue, support reset).
 */
import type { KycConfig } from '../../../lib/config.ts';
import { configFromEnv, requireEnv } from '../../adapters/aws/environment.ts';
import { DynamoDbRouteQuotas } from '../../adapters/aws/route-quota-store.ts';
import { DynamoDbAuditLog } from '../../adapters/aws/dynamodb-audit-log.ts';
import { EventBridgeStatusEvents } from '../../adapters/aws/eventbridge-status-events.ts';
import { SfnReviewCompleter } from '../../adapters/aws/sfn-review-completer.ts';
import { DynamoDbWorkflowStore } from '../../adapters/aws/workflow-repository.ts';
import type { AuditLog } from '../../ports/audit-log.ts';
import { systemClock, type Clock } from '../../ports/clock.ts';
import type { RouteQuotas } from '../../ports/route-quota.ts';
import type { StatusEvents } from '../../ports/status-events.ts';
import type { ReviewCompleter } from '../../ports/workflow.ts';
import type { WorkflowStore } from '../../ports/workflow-store.ts';

export interface ReviewRouteDeps {
  readonly store: WorkflowStore;
  readonly reviews: ReviewCompleter;
  readonly audit: Pick<AuditLog, 'append'>;
  readonly events: StatusEvents;
  readonly clock: Clock;
  /** Per-user quota of the case list (`config.routeQuotas.caseRead`); absent: not counted. */
  readonly routeQuotas?: RouteQuotas;
  /** The resolved configuration (the defaults when absent). */
  readonly config?: KycConfig;
}

export function defaultReviewRouteDeps(env: NodeJS.ProcessEnv = process.env): ReviewRouteDeps {
  const config = configFromEnv(env);
  return {
    config,
    routeQuotas: new DynamoDbRouteQuotas({ tableName: requireEnv('rateLimitsTable', env) }),
    store: new DynamoDbWorkflowStore({ tableName: requireEnv('verificationsTable', env) }),
    reviews: new SfnReviewCompleter(),
    audit: new DynamoDbAuditLog({ tableName: requireEnv('auditTable', env) }),
    events: new EventBridgeStatusEvents({ eventBusName: requireEnv('eventBusName', env) }),
    clock: systemClock,
  };
}
