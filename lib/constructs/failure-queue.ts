/**
 * Dead-letter queue for asynchronous Lambda invocations that failed after their retries.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface FailureQueueProps {
  /** Customer-managed key that encrypts messages (required; the service key). */
  readonly encryptionKey: kms.IKey;
  /** Days a failed event is kept for inspection and redrive (14, the SQS maximum). */
  readonly retentionDays?: number;
}

/**
 * An SQS queue (SSE-KMS with a customer-managed key, TLS only) that receives the event of every
 * asynchronous invocation that still failed after Lambda's retries, so no upload or audit event
 * is lost silently. Messages carry the original event (object keys and ids, no images).
 * An alarm goes off as soon as one message waits in the queue; subscribe an action
 * (`failures.alarm.addAlarmAction(...)`) to be told.
 *
 * @example
 * ```ts
 * const failures = new FailureQueue(this, 'AsyncFailures', { encryptionKey: data.keys.service });
 * ```
 */
export class FailureQueue extends Construct {
  /** The dead-letter queue. */
  public readonly queue: sqs.Queue;
  /** In alarm while at least one failed event waits in the queue. */
  public readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: FailureQueueProps) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      dataKeyReuse: Duration.hours(1),
      enforceSSL: true,
      retentionPeriod: Duration.days(props.retentionDays ?? 14),
    });
    this.alarm = this.queue
      .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM })
      .createAlarm(this, 'NotEmpty', {
        alarmDescription: `serverless-kyc: failed events are waiting in ${id}; inspect and redrive them`,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
  }
}
