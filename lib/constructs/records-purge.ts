/**
 * The deletion job (`lambdas/handlers/scheduled/records-purge.ts`) and its EventBridge
 * Scheduler schedule (every `config.retention.purgeEveryHours`, 24 by default). Least
 * privilege: it queries the verifications table and its indexes (the retention work lists),
 * reads the vault's Object Lock state, deletes vault object versions (`s3:DeleteObjectVersion`
 * only, which S3 refuses while COMPLIANCE retention or a legal hold is on) and the records and
 * intake leftovers of what it erases, and appends audit events. It reads no evidence and no
 * personal data, and cannot change a retention or a hold. Failed scheduled invocations go to
 * the given dead-letter queue.
 *
 * @example
 * ```ts
 * new RecordsPurge(this, 'RecordsPurge', { config, data, shared, failureQueue });
 * ```
 */
import { Duration } from 'aws-cdk-lib';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { KycConfig } from '../config.ts';
import { dataResourceEnvironment, type KycDataResources } from '../stacks/data-stack.ts';
import { DataGrants } from './data-grants.ts';
import { handlerEntry, KycFunction, type KycFunctionShared } from './kyc-function.ts';
import { scheduleJob } from './scheduled-job.ts';

export interface RecordsPurgeProps {
  readonly config: KycConfig;
  readonly data: KycDataResources;
  readonly shared: KycFunctionShared;
  /** Where scheduled invocations that failed after the scheduler's retries go. */
  readonly failureQueue: sqs.IQueue;
}

export class RecordsPurge extends Construct {
  public readonly function: KycFunction;
  public readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: RecordsPurgeProps) {
    super(scope, id);
    const { config, data, shared } = props;
    const hours = config.retention.purgeEveryHours;
    this.function = new KycFunction(this, 'Function', {
      shared,
      entry: handlerEntry('scheduled/records-purge'),
      description: 'serverless-kyc deletion job: evidence and records whose retention ended, deferred erasures',
      environment: dataResourceEnvironment(data),
      timeout: Duration.minutes(15),
      memorySize: 512,
      // One run at a time: two runs would only race each other over the same work lists.
      reservedConcurrency: 1,
    });
    const role = this.function.role;
    const grants = new DataGrants(data);
    grants.verificationsRead(role);
    grants.verificationsQueryIndexes(role);
    grants.verificationsWrite(role);
    grants.verificationsDelete(role);
    grants.auditAppend(role);
    grants.vaultReadLocks(role);
    grants.vaultDeleteEvidence(role);
    grants.intakeEraseLeftovers(role);
    grants.facesRemove(role);

    this.schedule = scheduleJob(this, {
      job: this.function,
      name: 'deletion job',
      rate: Duration.hours(hours),
      every: `${hours} hours`,
      maxEventAge: Duration.hours(1),
      failureQueue: props.failureQueue,
    });
  }
}
