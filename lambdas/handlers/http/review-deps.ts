/**
 * Dependencies of the compliance and support routes that act on the verification workflow
 * (review decisions, review queue, support reset).
 */
import { configFromEnv, requireEnv } from '../../adapters/aws/environment.ts';
import { DynamoDbAuditLog } from '../../adapters/aws/dynamodb-audit-log.ts';
import { EventBridgeStatusEvents } from '../../adapters/aws/eventbridge-status-events.ts';
import { SfnReviewCompleter } from '../../adapters/aws/sfn-review-completer.ts';
import { DynamoDbWorkflowStore } from '../../adapters/aws/workflow-repository.ts';
import type { AuditLog } from '../../ports/audit-log.ts';
import { systemClock, type Clock } from '../../ports/clock.ts';
import type { StatusEvents } from '../../ports/status-events.ts';
import type { ReviewCompleter } from '../../ports/workflow.ts';
import type { WorkflowStore } from '../../ports/workflow-store.ts';

export interface ReviewRouteDeps {
  readonly store: WorkflowStore;
  readonly reviews: ReviewCompleter;
  readonly audit: Pick<AuditLog, 'append'>;
  readonly events: StatusEvents;
  readonly clock: Clock;
}

export function defaultReviewRouteDeps(env: NodeJS.ProcessEnv = process.env): ReviewRouteDeps {
  configFromEnv(env);
  return {
    store: new DynamoDbWorkflowStore({ tableName: requireEnv('verificationsTable', env) }),
    reviews: new SfnReviewCompleter(),
    audit: new DynamoDbAuditLog({ tableName: requireEnv('auditTable', env) }),
    events: new EventBridgeStatusEvents({ eventBusName: requireEnv('eventBusName', env) }),
    clock: systemClock,
  };
}
