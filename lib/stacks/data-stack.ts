/**
 * The stateful stack: keys, buckets, tables and the event bus. Termination protection is on
 * and every resource is RETAINed, so deleting the stack never deletes identity evidence.
 */
import { Aws, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { NagSuppressions } from 'cdk-nag';
import { ENV } from '../../lambdas/adapters/aws/environment.ts';
import type { KycConfig } from '../config.ts';
import { VerificationEventBus } from '../constructs/event-bus.ts';
import { EvidenceAccess } from '../constructs/evidence-access.ts';
import { EvidenceBuckets } from '../constructs/evidence-buckets.ts';
import { FaceCollection } from '../constructs/face-collection.ts';
import { KycKeys } from '../constructs/keys.ts';
import { TableBackups } from '../constructs/table-backups.ts';
import { KycTables } from '../constructs/tables.ts';

/** Everything stateful the app stack's functions, API and workflow use. */
export interface KycDataResources {
  readonly keys: {
    /** Symmetric CMK for S3 evidence (intake and vault). */
    readonly documents: kms.IKey;
    /** Symmetric CMK for envelope encryption of personal data only (`purpose=personal-data`). */
    readonly data: kms.IKey;
    /** Symmetric CMK for DynamoDB tables, log groups, queues, secrets and the audit archive. */
    readonly service: kms.IKey;
    /** HMAC_256 key for keyed hashes of document numbers. */
    readonly documentNumberHmac: kms.IKey;
    /** ECC_NIST_P256 key that signs audit digests. */
    readonly auditSigning: kms.IKey;
    /** Symmetric CMK of the alarm topic (CloudWatch alarms may use it). */
    readonly alarms: kms.IKey;
  };
  readonly buckets: {
    readonly intake: s3.IBucket;
    readonly vault: s3.IBucket;
    readonly auditArchive: s3.IBucket;
    readonly accessLogs: s3.IBucket;
    /** Watermarked views and export packages; lifecycle deletes them after a day. */
    readonly renditions: s3.IBucket;
  };
  readonly tables: {
    readonly verifications: dynamodb.ITable;
    readonly rateLimits: dynamodb.ITable;
    readonly auditEvents: dynamodb.ITable;
    readonly idempotency: dynamodb.ITable;
  };
  /** Bus for verification status-change events. */
  readonly bus: events.IEventBus;
  /** Rekognition face collection for duplicate-identity search. */
  readonly faceCollection: { readonly collectionId: string; readonly collectionArn: string };
  /** Allow-lists of the roles that may read the vault, the audit archive and personal data. */
  readonly access: EvidenceAccess;
}

export interface KycDataStackProps extends StackProps {
  /** Resolved configuration (required). */
  readonly config: KycConfig;
}

/**
 * Keys, the four buckets (vault and audit archive readable only by the roles on `access`), the four tables, the verification event bus and the face collection.
 *
 * @example
 * ```ts
 * const data = new KycDataStack(app, 'kyc-data', { config, env: { region: config.region } });
 * new KycAppStack(app, 'kyc-app', { config, data: data.resources });
 * ```
 */
export class KycDataStack extends Stack {
  /** The resources, as the app stack receives them. */
  public readonly resources: KycDataResources;
  public readonly keys: KycKeys;
  public readonly buckets: EvidenceBuckets;
  public readonly tables: KycTables;
  /** Daily and yearly table backups in a compliance-locked backup vault. */
  public readonly backups: TableBackups;
  public readonly eventBus: VerificationEventBus;
  public readonly faceCollection: FaceCollection;
  public readonly access: EvidenceAccess;

  constructor(scope: Construct, id: string, props: KycDataStackProps) {
    super(scope, id, {
      terminationProtection: true,
      description: 'serverless-kyc stateful resources: KMS keys, evidence buckets, tables, event bus, face collection',
      ...props,
    });
    const { config } = props;

    const breakGlassRoleArn =
      config.breakGlassRoleArn ?? `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${config.prefix}-break-glass`;
    this.keys = new KycKeys(this, 'Keys', {
      prefix: config.prefix,
      keyPolicyEditors: [
        `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/cdk-*-cfn-exec-role-${Aws.ACCOUNT_ID}-${Aws.REGION}`,
        breakGlassRoleArn,
      ],
    });
    this.buckets = new EvidenceBuckets(this, 'Buckets', {
      documentsKey: this.keys.documents,
      auditKey: this.keys.service,
      retention: config.retention,
      allowedOrigins: config.allowedOrigins,
    });
    this.tables = new KycTables(this, 'Tables', { encryptionKey: this.keys.service });
    this.backups = new TableBackups(this, 'Backups', {
      config,
      encryptionKey: this.keys.service,
      tables: [this.tables.verifications, this.tables.rateLimits, this.tables.auditEvents, this.tables.idempotency],
    });
    this.eventBus = new VerificationEventBus(this, 'Events', {
      eventBusName: `${config.prefix}-verification-events`,
    });
    this.faceCollection = new FaceCollection(this, 'Faces', { collectionId: `${config.prefix}-faces` });
    this.access = new EvidenceAccess(this, 'Access', {
      prefix: config.prefix,
      breakGlassRoleArn,
      vault: this.buckets.vault,
      auditArchive: this.buckets.auditArchive,
      documentsKey: this.keys.documents,
      personalDataKey: this.keys.data,
    });

    this.resources = {
      keys: this.keys,
      buckets: this.buckets,
      tables: this.tables,
      bus: this.eventBus.bus,
      faceCollection: this.faceCollection,
      access: this.access,
    };

    NagSuppressions.addResourceSuppressions(this.buckets.accessLogs, [
      {
        id: 'AwsSolutions-S1',
        reason:
          'This is the server access log target of every other bucket; logging it into itself would log its own log deliveries in a loop.',
      },
    ]);
  }
}

/**
 * Environment variables naming every data resource (tables, buckets, key ARNs, bus, face collection), keyed by
 * the names in `lambdas/adapters/aws/environment.ts`. Naming a resource grants nothing:
 * combine with the specific grants each function needs.
 *
 * @example
 * ```ts
 * new KycFunction(this, 'Api', { shared, entry: handlerEntry('api'), environment: dataResourceEnvironment(data) });
 * ```
 */
export function dataResourceEnvironment(data: KycDataResources): Record<string, string> {
  return {
    [ENV.verificationsTable]: data.tables.verifications.tableName,
    [ENV.rateLimitsTable]: data.tables.rateLimits.tableName,
    [ENV.auditTable]: data.tables.auditEvents.tableName,
    [ENV.idempotencyTable]: data.tables.idempotency.tableName,
    [ENV.intakeBucket]: data.buckets.intake.bucketName,
    [ENV.vaultBucket]: data.buckets.vault.bucketName,
    [ENV.auditArchiveBucket]: data.buckets.auditArchive.bucketName,
    [ENV.renditionsBucket]: data.buckets.renditions.bucketName,
    [ENV.documentsKeyArn]: data.keys.documents.keyArn,
    [ENV.dataKeyArn]: data.keys.data.keyArn,
    [ENV.hmacKeyArn]: data.keys.documentNumberHmac.keyArn,
    [ENV.auditSigningKeyArn]: data.keys.auditSigning.keyArn,
    [ENV.eventBusName]: data.bus.eventBusName,
    [ENV.faceCollectionId]: data.faceCollection.collectionId,
  };
}
