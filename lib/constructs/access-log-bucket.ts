/**
 * Target bucket for S3 server access logs of every other serverless-kyc bucket.
 */
import { Duration } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SECURE_BUCKET_DEFAULTS, tagDataClass } from './bucket-security.ts';

export interface AccessLogBucketProps {
  /** Days access-log objects are kept before lifecycle deletes them (required; use the audit window). */
  readonly retentionDays: number;
}

/**
 * The access-log bucket. Server access log delivery writes with SSE-S3 only: the S3 API
 * reference (`LoggingEnabled.TargetBucket`) says the target "can't use SSE-KMS or DSSE-KMS
 * default encryption, can't have S3 Object Lock enabled". So this one bucket is SSE-S3
 * (AES-256) and unlocked; access logs hold request metadata, never object content. CDK writes
 * the `logging.s3.amazonaws.com` bucket-policy grant for every source bucket
 * (`@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy`).
 *
 * Locked buckets (vault, audit archive) may SEND access logs here; only receiving is excluded.
 *
 * @example
 * ```ts
 * const logs = new AccessLogBucket(this, 'AccessLogs', { retentionDays: retentionDays(5) });
 * new s3.Bucket(this, 'Other', { serverAccessLogsBucket: logs.bucket, serverAccessLogsPrefix: 'other/' });
 * ```
 */
export class AccessLogBucket extends Construct {
  /** The bucket that receives server access logs. */
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AccessLogBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...SECURE_BUCKET_DEFAULTS,
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: Duration.days(props.retentionDays),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    tagDataClass(this.bucket, 'access-logs');
  }
}
