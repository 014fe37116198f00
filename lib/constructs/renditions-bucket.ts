/**
 * The renditions bucket: watermarked copies of documents (views) and export packages, the only
 * copies of evidence that ever leave the vault. Deliberately outside Object Lock (the vault
 * bucket is locked as a whole, so a prefix there could not be deleted): lifecycle removes every
 * object after one day, S3's shortest lifecycle period.
 */
import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SECURE_BUCKET_DEFAULTS, denyForeignEncryption, tagDataClass } from './bucket-security.ts';

export interface RenditionsBucketProps {
  /** Customer-managed key for SSE-KMS (required; the documents key). */
  readonly encryptionKey: kms.IKey;
  /** Bucket that receives server access logs (required). */
  readonly accessLogsBucket: s3.IBucket;
}

/**
 * SSE-KMS with the documents key (writes asking for another encryption or key are refused),
 * unversioned (a deleted rendition is gone), TLS only, no public access, lifecycle expiry after
 * 1 day for `views/` and `exports/` alike.
 *
 * @example
 * ```ts
 * const renditions = new RenditionsBucket(this, 'Renditions', {
 *   encryptionKey: keys.documents, accessLogsBucket: logs.bucket,
 * });
 * ```
 */
export class RenditionsBucket extends Construct {
  /** Days after which S3 deletes a rendition or package (1: the shortest lifecycle S3 offers). */
  public static readonly EXPIRY_DAYS = 1;
  /** The renditions bucket. */
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: RenditionsBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...SECURE_BUCKET_DEFAULTS,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      versioned: false,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'renditions/',
      lifecycleRules: [
        {
          id: 'delete-renditions-after-one-day',
          expiration: Duration.days(RenditionsBucket.EXPIRY_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    tagDataClass(this.bucket, 'renditions');
    denyForeignEncryption(this.bucket, props.encryptionKey, { requireHeader: true });
  }
}
