/**
 * The four buckets of serverless-kyc, wired together: every bucket sends server access logs
 * to the access-log bucket.
 */
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { retentionDays, type RetentionConfig } from '../config.ts';
import { AccessLogBucket } from './access-log-bucket.ts';
import { IntakeBucket } from './intake-bucket.ts';
import { LockedBucket } from './locked-bucket.ts';
import { RenditionsBucket } from './renditions-bucket.ts';

export interface EvidenceBucketsProps {
  /** Key for identity evidence: intake and vault (required). */
  readonly documentsKey: kms.IKey;
  /** Key for the audit archive (required; the data key). */
  readonly auditKey: kms.IKey;
  /** Retention settings from `KycConfig.retention` (required). */
  readonly retention: RetentionConfig;
  /** Browser origins allowed to POST uploads to the intake bucket (none). */
  readonly allowedOrigins?: readonly string[];
}

/**
 * Intake (browser uploads, short-lived), vault (evidence under Object Lock COMPLIANCE for
 * `retention.evidenceYears`), audit archive (audit events under COMPLIANCE for
 * `retention.auditYears`) and the access-log bucket (SSE-S3, see `AccessLogBucket`).
 *
 * @example
 * ```ts
 * const buckets = new EvidenceBuckets(this, 'Buckets', {
 *   documentsKey: keys.documents, auditKey: keys.data, retention: config.retention,
 * });
 * buckets.vault.grantPut(copyFunction); // also grants kms:GenerateDataKey on the documents key
 * ```
 */
export class EvidenceBuckets extends Construct {
  /** Browser uploads land here (SSE-KMS, EventBridge notifications, short lifecycle). */
  public readonly intake: s3.Bucket;
  /** Accepted identity evidence under Object Lock COMPLIANCE. */
  public readonly vault: s3.Bucket;
  /** Exported audit events under Object Lock COMPLIANCE. */
  public readonly auditArchive: s3.Bucket;
  /** Watermarked views and export packages (SSE-KMS, no Object Lock, deleted after 1 day). */
  public readonly renditions: s3.Bucket;
  /** Server access logs of the buckets above (SSE-S3). */
  public readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: EvidenceBucketsProps) {
    super(scope, id);
    const { retention } = props;
    // Access logs describe who touched evidence: keep them as long as the audit trail.
    this.accessLogs = new AccessLogBucket(this, 'AccessLogs', {
      retentionDays: retentionDays(retention.auditYears),
    }).bucket;
    this.intake = new IntakeBucket(this, 'Intake', {
      encryptionKey: props.documentsKey,
      accessLogsBucket: this.accessLogs,
      allowedOrigins: props.allowedOrigins,
      leftoverDays: retention.intakeLeftoverDays,
    }).bucket;
    this.vault = new LockedBucket(this, 'Vault', {
      encryptionKey: props.documentsKey,
      accessLogsBucket: this.accessLogs,
      retentionYears: retention.evidenceYears,
      dataClass: 'evidence',
    }).bucket;
    this.auditArchive = new LockedBucket(this, 'AuditArchive', {
      encryptionKey: props.auditKey,
      accessLogsBucket: this.accessLogs,
      accessLogsPrefix: 'audit-archive/',
      retentionYears: retention.auditYears,
      dataClass: 'audit',
    }).bucket;
    this.renditions = new RenditionsBucket(this, 'Renditions', {
      encryptionKey: props.documentsKey,
      accessLogsBucket: this.accessLogs,
    }).bucket;
  }
}
