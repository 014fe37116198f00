/**
 * Dead-letter queue for asynchronous Lambda invocations that failed after their retries.
 */
import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface FailureQueueProps {
  /** Customer-managed key that encrypts messages (required; the data key). */
  readonly encryptionKey: kms.IKey;
  /** Days a failed event is kept for inspection and redrive (14, the SQS maximum). */
  readonly retentionDays?: number;
}

/**
 * An SQS queue (SSE-KMS with a customer-managed key, TLS only) that receives the event of every
 * asynchronous invocation that still failed after Lambda's retries, so no upload or audit event
 * is lost silently. Messages carry the original event (object keys and ids, no images).
 *
 * @example
 * ```ts
 * const failures = new FailureQueue(this, 'AsyncFailures', { encryptionKey: data.keys.data });
 * ```
 */
export class FailureQueue extends Construct {
  /** The dead-letter queue. */
  public readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string, props: FailureQueueProps) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      dataKeyReuse: Duration.hours(1),
      enforceSSL: true,
      retentionPeriod: Duration.days(props.retentionDays ?? 14),
    });
  }
}
