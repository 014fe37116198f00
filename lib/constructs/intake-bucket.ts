/**
 * The intake bucket: browsers upload here through presigned POSTs; the on-upload function
 * checks each object, copies accepted evidence to the vault and deletes the intake copy.
 */
import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SECURE_BUCKET_DEFAULTS, cfnBucketOf, denyForeignEncryption, tagDataClass } from './bucket-security.ts';

export interface IntakeBucketProps {
  /** Customer-managed key that encrypts uploads (required; the documents key). */
  readonly encryptionKey: kms.IKey;
  /** Bucket that receives server access logs (required). */
  readonly accessLogsBucket: s3.IBucket;
  /** Browser origins allowed to POST uploads (none: no CORS rule, so browsers cannot upload cross-origin). */
  readonly allowedOrigins?: readonly string[];
  /** Days an unprocessed object (current or noncurrent version) stays before lifecycle deletes it (1). */
  readonly leftoverDays?: number;
}

/**
 * SSE-KMS with the documents key and an S3 Bucket Key, versioned, EventBridge notifications on
 * (so several consumers can subscribe without taking over the bucket's only notification
 * configuration), and a bucket policy that refuses any PutObject that does not ask for SSE-KMS
 * or names another key. Presigned POSTs must therefore carry
 * `x-amz-server-side-encryption: aws:kms` and, when they name a key, the full key ARN
 * (`DOCUMENTS_KEY_ARN`).
 *
 * @example
 * ```ts
 * const intake = new IntakeBucket(this, 'Intake', {
 *   encryptionKey: keys.documents, accessLogsBucket: logs.bucket, allowedOrigins: ['https://app.example.com'],
 * });
 * ```
 */
export class IntakeBucket extends Construct {
  /** The intake bucket. */
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: IntakeBucketProps) {
    super(scope, id);
    const leftover = Duration.days(props.leftoverDays ?? 1);
    const origins = props.allowedOrigins ?? [];

    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...SECURE_BUCKET_DEFAULTS,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      versioned: true,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'intake/',
      cors:
        origins.length === 0
          ? undefined
          : [
              {
                allowedMethods: [s3.HttpMethods.POST],
                allowedOrigins: [...origins],
                allowedHeaders: ['*'],
                exposedHeaders: ['ETag'],
                maxAge: 600,
              },
            ],
      lifecycleRules: [
        {
          id: 'delete-unprocessed-uploads',
          abortIncompleteMultipartUploadAfter: Duration.days(1),
          expiration: leftover,
          noncurrentVersionExpiration: leftover,
        },
      ],
    });
    tagDataClass(this.bucket, 'intake');
    // Equivalent to `eventBridgeEnabled: true`, written on the bucket itself: the L2 property
    // deploys a custom-resource Lambda (Python) to call PutBucketNotificationConfiguration,
    // while CloudFormation supports EventBridgeConfiguration natively.
    cfnBucketOf(this.bucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };

    denyForeignEncryption(this.bucket, props.encryptionKey, { requireHeader: true });
  }
}
