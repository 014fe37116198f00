/**
 * Least-privilege IAM statements for the data resources, spelled out action by action (no
 * `dynamodb:*`, no `kms:GenerateDataKey*`), so a CDK assertion test can compare each function's
 * policy with exactly what its code calls. KMS use for table and bucket encryption is limited
 * to calls made through that service (`kms:ViaService`); reads of the vault and of personal
 * data also put the role on the data stack's allow-lists (`EvidenceAccess`), without which the
 * bucket and key policies refuse it whatever its IAM policy says.
 *
 * @example
 * ```ts
 * const grants = new DataGrants(data);
 * grants.verificationsRead(fn.role);
 * grants.auditAppend(fn.role);
 * ```
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NagSuppressions } from 'cdk-nag';
import { EVENT_SOURCE, STATUS_CHANGED } from '../../lambdas/adapters/aws/eventbridge-status-events.ts';
import type { KycDataResources } from '../stacks/data-stack.ts';
import { PERSONAL_DATA_CONTEXT } from './keys.ts';

/** KMS actions DynamoDB performs with the caller's credentials on a CMK-encrypted table. */
const TABLE_KMS_READ = ['kms:Decrypt', 'kms:DescribeKey'];
const TABLE_KMS_WRITE = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'];

/** Key prefixes of the renditions bucket: document views, export packages, subject-access copies, support thumbnails. */
export type RenditionPrefix = 'views' | 'exports' | 'subject-access' | 'support';

export class DataGrants {
  public constructor(private readonly data: KycDataResources) {}

  /** GetItem and Query on the verifications table (base table only, no index). */
  public verificationsRead(role: iam.IRole): void {
    this.allow(role, ['dynamodb:GetItem', 'dynamodb:Query'], [this.data.tables.verifications.tableArn]);
    this.tableKms(role, TABLE_KMS_READ);
  }

  /** Query on the verifications table only (base table, no index, no GetItem). */
  public verificationsQuery(role: iam.IRole): void {
    this.allow(role, ['dynamodb:Query'], [this.data.tables.verifications.tableArn]);
    this.tableKms(role, TABLE_KMS_READ);
  }

  /** Query on the verifications table's indexes (dashboards and review queues). */
  public verificationsQueryIndexes(role: iam.IRole): void {
    this.allow(role, ['dynamodb:Query'], [`${this.data.tables.verifications.tableArn}/index/*`]);
    this.tableKms(role, TABLE_KMS_READ);
    NagSuppressions.addResourceSuppressions(
      role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason: 'Query on the indexes of the one verifications table; index names are fixed by domain/tables.ts.',
          appliesTo: [{ regex: '/^Resource::.*Verifications.*\\/index\\/\\*$/g' }],
        },
      ],
      true,
    );
  }

  /**
   * PutEvents on the verification event bus, only with our source and our detail types
   * (`events:source`, `events:detail-type`), so a role cannot forge another system's events.
   */
  public busPublish(role: iam.IRole, detailTypes: readonly string[] = [STATUS_CHANGED]): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [this.data.bus.eventBusArn],
        conditions: {
          StringEquals: { 'events:source': EVENT_SOURCE },
          'ForAllValues:StringEquals': { 'events:detail-type': [...detailTypes] },
        },
      }),
    );
  }

  /** PutItem and UpdateItem on the verifications table. */
  public verificationsWrite(role: iam.IRole): void {
    this.allow(role, ['dynamodb:PutItem', 'dynamodb:UpdateItem'], [this.data.tables.verifications.tableArn]);
    this.tableKms(role, TABLE_KMS_WRITE);
  }

  /**
   * Append to the audit chain: Query (chain head) and PartiQL INSERT, which DynamoDB refuses
   * with `DuplicateItemException` when the key exists, so no holder of this grant can overwrite
   * an event. Never PutItem, UpdateItem, DeleteItem, BatchWriteItem or PartiQL UPDATE/DELETE.
   */
  public auditAppend(role: iam.IRole): void {
    this.allow(role, ['dynamodb:PartiQLInsert', 'dynamodb:Query'], [this.data.tables.auditEvents.tableArn]);
    this.tableKms(role, TABLE_KMS_WRITE);
  }

  /** Read the audit chain (Query only). */
  public auditRead(role: iam.IRole): void {
    this.allow(role, ['dynamodb:Query'], [this.data.tables.auditEvents.tableArn]);
    this.tableKms(role, TABLE_KMS_READ);
  }

  /**
   * UpdateItem on the rate-limit table, only on the per-user route-quota counters
   * (`dynamodb:LeadingKeys` `ROUTE#*`): the atomic conditional increment of
   * `DynamoDbRouteQuotas`; the attempt and creation limits (`USER#`, `CREATE#`) stay out of reach.
   */
  public rateLimitsRouteQuota(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [this.data.tables.rateLimits.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ROUTE#*'] } },
      }),
    );
    this.tableKms(role, TABLE_KMS_WRITE);
  }

  /** GetItem and PutItem on the rate-limit table (read-decide-conditional-write). */
  public rateLimitsReadWrite(role: iam.IRole): void {
    this.allow(role, ['dynamodb:GetItem', 'dynamodb:PutItem'], [this.data.tables.rateLimits.tableArn]);
    this.tableKms(role, TABLE_KMS_WRITE);
  }

  /**
   * Decrypt on the personal-data key, only under `purpose=personal-data`, and the role's place
   * on the key policy's allow-list (the only way any principal can decrypt personal data).
   */
  public personalDataOpen(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [this.data.keys.data.keyArn],
        conditions: { StringEquals: { [PERSONAL_DATA_CONTEXT.key]: PERSONAL_DATA_CONTEXT.value } },
      }),
    );
    this.data.access.allowPersonalDataDecrypt(role);
  }

  /**
   * Read evidence in the vault (GetObject, GetObjectVersion), Decrypt on the documents key
   * through S3 (Rekognition reads S3Object images with the caller's rights, through S3 too),
   * and the role's place on the vault's and the documents key's allow-lists.
   */
  public vaultRead(role: iam.IRole): void {
    this.allow(role, ['s3:GetObject', 's3:GetObjectVersion'], [this.data.buckets.vault.arnForObjects('evidence/*')]);
    this.allow(role, ['s3:GetObject', 's3:GetObjectVersion'], [this.data.buckets.vault.arnForObjects('liveness/*')]);
    this.s3Kms(role, ['kms:Decrypt']);
    suppressPrefixWildcard(role);
    this.data.access.allowVaultRead(role);
  }

  /** GenerateDataKey on the data key, only for envelope encryption of personal data. */
  public personalDataSeal(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey'],
        resources: [this.data.keys.data.keyArn],
        conditions: { StringEquals: { [PERSONAL_DATA_CONTEXT.key]: PERSONAL_DATA_CONTEXT.value } },
      }),
    );
  }

  /** Sign presigned POSTs for `intake/*`: PutObject there, with SSE-KMS under the documents key. */
  public intakePresign(role: iam.IRole): void {
    this.allow(role, ['s3:PutObject'], [this.data.buckets.intake.arnForObjects('intake/*')]);
    this.s3Kms(role, ['kms:GenerateDataKey']);
    suppressPrefixWildcard(role);
  }

  /** Head, read and delete uploads under `intake/` (versions included), and list for 404s. */
  public intakeProcess(role: iam.IRole): void {
    const intake = this.data.buckets.intake;
    this.allow(
      role,
      ['s3:GetObject', 's3:GetObjectVersion', 's3:DeleteObject', 's3:DeleteObjectVersion'],
      [intake.arnForObjects('intake/*')],
    );
    suppressPrefixWildcard(role);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [intake.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['intake/*'] } },
      }),
    );
    this.s3Kms(role, ['kms:Decrypt']);
  }

  /**
   * List uploads under `intake/` and copy one onto itself (S3 then sends a fresh upload event):
   * the reconciler's re-drive of an upload whose event was lost.
   */
  public intakeRedrive(role: iam.IRole): void {
    const intake = this.data.buckets.intake;
    this.allow(role, ['s3:GetObject', 's3:PutObject'], [intake.arnForObjects('intake/*')]);
    suppressPrefixWildcard(role);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [intake.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['intake/*'] } },
      }),
    );
    this.s3Kms(role, ['kms:Decrypt', 'kms:GenerateDataKey']);
    this.data.access.allowIntakeRead(role);
  }

  /**
   * Face Liveness session images under `liveness/` in the short-lived intake bucket (lifecycle
   * expiry), SSE-KMS with the documents key; the workflow copies them into the vault only for
   * attempts that go to a decision.
   */
  public livenessImagesWrite(role: iam.IRole): void {
    this.allow(role, ['s3:PutObject'], [this.data.buckets.intake.arnForObjects('liveness/*')]);
    this.s3Kms(role, ['kms:GenerateDataKey']);
    suppressPrefixWildcard(role);
  }

  /** Write evidence copies under `evidence/` in the vault, SSE-KMS with the documents key. */
  public vaultWrite(role: iam.IRole): void {
    this.allow(role, ['s3:PutObject'], [this.data.buckets.vault.arnForObjects('evidence/*')]);
    this.s3Kms(role, ['kms:GenerateDataKey']);
    suppressPrefixWildcard(role);
  }

  /**
   * Read evidence originals under `evidence/` in the vault (current and older versions) and
   * decrypt them through S3. Only the document-view and export functions and the workflow read the vault.
   */
  public vaultReadEvidence(role: iam.IRole): void {
    this.allow(role, ['s3:GetObject', 's3:GetObjectVersion'], [this.data.buckets.vault.arnForObjects('evidence/*')]);
    this.s3Kms(role, ['kms:Decrypt']);
    suppressPrefixWildcard(role);
    this.data.access.allowVaultRead(role);
  }

  /**
   * Object Lock of vault evidence: read and extend COMPLIANCE retention, set and lift legal holds
   * (account closure, legal hold). No delete and no `s3:BypassGovernanceRetention`.
   */
  public vaultLockEvidence(role: iam.IRole): void {
    this.allow(
      role,
      ['s3:GetObjectRetention', 's3:PutObjectRetention', 's3:GetObjectLegalHold', 's3:PutObjectLegalHold'],
      [this.data.buckets.vault.arnForObjects('evidence/*'), this.data.buckets.vault.arnForObjects('liveness/*')],
    );
    suppressPrefixWildcard(role);
  }

  /** Read the Object Lock state of vault evidence (retention and legal hold), never change it. */
  public vaultReadLocks(role: iam.IRole): void {
    this.allow(
      role,
      ['s3:GetObjectRetention', 's3:GetObjectLegalHold'],
      [this.data.buckets.vault.arnForObjects('evidence/*'), this.data.buckets.vault.arnForObjects('liveness/*')],
    );
    suppressPrefixWildcard(role);
  }

  /**
   * Delete vault evidence whose retention ended: `s3:DeleteObjectVersion` only (a permanent
   * delete of one version; S3 refuses it while COMPLIANCE retention or a legal hold is on) and
   * `s3:ListBucketVersions` under `evidence/` and `liveness/`. Never `s3:DeleteObject` (a delete
   * marker that keeps the bytes), never `s3:BypassGovernanceRetention`, never a read.
   */
  public vaultDeleteEvidence(role: iam.IRole): void {
    const vault = this.data.buckets.vault;
    this.allow(
      role,
      ['s3:DeleteObjectVersion'],
      [vault.arnForObjects('evidence/*'), vault.arnForObjects('liveness/*')],
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucketVersions'],
        resources: [vault.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['evidence/*', 'liveness/*'] } },
      }),
    );
    suppressPrefixWildcard(role);
  }

  /** DeleteItem on the verifications table (records whose retention ended, erased drafts). */
  public verificationsDelete(role: iam.IRole): void {
    this.allow(role, ['dynamodb:DeleteItem'], [this.data.tables.verifications.tableArn]);
    this.tableKms(role, TABLE_KMS_READ);
  }

  /** DeleteItem on the rate-limit table: a person's counters, on their erasure request. */
  public rateLimitsErase(role: iam.IRole): void {
    this.allow(role, ['dynamodb:DeleteItem'], [this.data.tables.rateLimits.tableArn]);
    this.tableKms(role, TABLE_KMS_READ);
  }

  /** List and delete unprocessed uploads (`intake/`) and liveness session images (`liveness/`) of the intake bucket. */
  public intakeEraseLeftovers(role: iam.IRole): void {
    const intake = this.data.buckets.intake;
    this.allow(role, ['s3:DeleteObject'], [intake.arnForObjects('intake/*'), intake.arnForObjects('liveness/*')]);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [intake.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['intake/*', 'liveness/*'] } },
      }),
    );
    suppressPrefixWildcard(role);
  }

  /**
   * DeleteFaces on the face collection: an erased attempt's indexed faces leave it with its
   * evidence (the erasure route and the deletion job). No search, no indexing, no listing.
   */
  public facesRemove(role: iam.IRole): void {
    this.allow(role, ['rekognition:DeleteFaces'], [this.data.faceCollection.collectionArn]);
  }

  /**
   * Write renditions under `prefix` (`views/` or `exports/`) of the renditions bucket, SSE-KMS
   * with the documents key.
   */
  public renditionsWrite(role: iam.IRole, prefix: RenditionPrefix): void {
    this.allow(role, ['s3:PutObject'], [this.data.buckets.renditions.arnForObjects(`${prefix}/*`)]);
    this.s3Kms(role, ['kms:GenerateDataKey']);
    suppressPrefixWildcard(role);
  }

  /**
   * Sign presigned GETs of renditions under `prefix`: S3 checks the signer's own rights when
   * the URL is used, so the signer needs GetObject there (and Decrypt through S3).
   */
  public renditionsPresign(role: iam.IRole, prefix: RenditionPrefix): void {
    this.allow(role, ['s3:GetObject'], [this.data.buckets.renditions.arnForObjects(`${prefix}/*`)]);
    this.s3Kms(role, ['kms:Decrypt']);
    suppressPrefixWildcard(role);
    // Renditions are under the documents key, whose policy admits named decrypters only.
    this.data.access.allowDocumentsKeyDecrypt(role);
  }

  /** GenerateMac on the HMAC key: the invisible watermark's MAC (embedding and tracing). */
  public watermarkMac(role: iam.IRole): void {
    this.allow(role, ['kms:GenerateMac'], [this.data.keys.documentNumberHmac.keyArn]);
  }

  private allow(role: iam.IRole, actions: string[], resources: string[]): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));
  }

  private tableKms(role: iam.IRole, actions: string[]): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions,
        resources: [this.data.keys.service.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(role).region}.amazonaws.com` } },
      }),
    );
  }

  private s3Kms(role: iam.IRole, actions: string[]): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions,
        resources: [this.data.keys.documents.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(role).region}.amazonaws.com` } },
      }),
    );
  }
}

/** Object grants end in a key-prefix wildcard (`intake/*`, `evidence/*`): the narrowest form for per-attempt keys. */
function suppressPrefixWildcard(role: iam.IRole): void {
  NagSuppressions.addResourceSuppressions(
    role,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Object grants are limited to one key prefix (intake/ or liveness/ of the intake bucket, evidence/ or liveness/ ' +
          'of the vault, views/, exports/, subject-access/ or support/ of the renditions bucket); keys ' +
          'are per verification and attempt, so the prefix wildcard is the narrowest possible resource.',
        appliesTo: [
          { regex: '/^Resource::.*\\/(intake|evidence|liveness|views|exports|subject-access|support)\\/\\*$/g' },
        ],
      },
    ],
    true,
  );
}
