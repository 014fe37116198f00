/**
 * A bucket under S3 Object Lock in COMPLIANCE mode: the vault for identity evidence and the
 * archive for audit events. Nobody, the root user included, can shorten or remove a
 * COMPLIANCE retention; it can only be extended.
 */
import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { MIN_RETENTION_YEARS, retentionDays } from '../config.ts';
import { SECURE_BUCKET_DEFAULTS, denyForeignEncryption, tagDataClass, type DataClass } from './bucket-security.ts';

export interface LockedBucketProps {
  /** Customer-managed key for SSE-KMS (required). */
  readonly encryptionKey: kms.IKey;
  /** Bucket that receives this bucket's server access logs (required). */
  readonly accessLogsBucket: s3.IBucket;
  /** Prefix of this bucket's access-log objects (the construct id in lower case followed by `/`). */
  readonly accessLogsPrefix?: string;
  /**
   * Default COMPLIANCE retention in years (required; at least 5: 31 CFR 1020.220, EU AMLD art. 40).
   * Converted to days with `retentionDays` (365.25 days a year, rounded up).
   */
  readonly retentionYears: number;
  /** Data class tag checked by `KycChecks` (required: `evidence` or `audit`). */
  readonly dataClass: Extract<DataClass, 'evidence' | 'audit'>;
  /**
   * Days after which objects move to S3 Glacier Instant Retrieval (90: past any review SLA;
   * still readable in milliseconds for a regulator, at a fraction of the storage price).
   * 0 keeps them in S3 Standard.
   */
  readonly archiveAfterDays?: number;
}

/**
 * Versioned, SSE-KMS with a Bucket Key, Object Lock COMPLIANCE default retention, TLS only,
 * BPA, RETAIN and no auto-delete; after 90 days objects move to Glacier Instant Retrieval
 * (out of daily operations, PRODUCT §5, still readable at once). The bucket policy refuses writes that ask for another
 * encryption or name another KMS key (a write that names none gets the bucket's key). Lifecycle removes noncurrent versions only after the
 * retention window (S3 lifecycle never deletes a version that is still locked), and cleans up
 * expired delete markers and incomplete multipart uploads.
 *
 * Uploads need `Content-MD5` or an `x-amz-checksum-*` header (S3 requires one when a default
 * retention applies): write with a server-side copy or an SDK PutObject, never a browser POST.
 *
 * @example
 * ```ts
 * const vault = new LockedBucket(this, 'Vault', {
 *   encryptionKey: keys.documents, accessLogsBucket: logs.bucket, retentionYears: 5, dataClass: 'evidence',
 * });
 * ```
 */
export class LockedBucket extends Construct {
  /** The locked bucket. */
  public readonly bucket: s3.Bucket;
  /** Default retention in days applied to every new object version. */
  public readonly retentionDays: number;

  constructor(scope: Construct, id: string, props: LockedBucketProps) {
    super(scope, id);
    if (!(props.retentionYears >= MIN_RETENTION_YEARS)) {
      throw new RangeError(
        `${id}: retentionYears must be at least ${MIN_RETENTION_YEARS} (31 CFR 1020.220, EU AMLD art. 40); got ${props.retentionYears}`,
      );
    }
    this.retentionDays = retentionDays(props.retentionYears);
    const archiveAfterDays = props.archiveAfterDays ?? 90;

    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...SECURE_BUCKET_DEFAULTS,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(this.retentionDays)),
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: props.accessLogsPrefix ?? `${id.toLowerCase()}/`,
      lifecycleRules: [
        {
          id: 'expire-noncurrent-after-retention',
          noncurrentVersionExpiration: Duration.days(this.retentionDays + 1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
          transitions:
            archiveAfterDays > 0
              ? [
                  {
                    storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                    transitionAfter: Duration.days(archiveAfterDays),
                  },
                ]
              : undefined,
        },
        { id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true },
      ],
    });
    tagDataClass(this.bucket, props.dataClass);
    denyForeignEncryption(this.bucket, props.encryptionKey, { requireHeader: false });
  }
}
