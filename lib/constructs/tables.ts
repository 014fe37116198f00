/**
 * DynamoDB tables of serverless-kyc, keyed exactly as `lambdas/domain/tables.ts` describes.
 *
 * Choice: `Table` (AWS::DynamoDB::Table), not `TableV2` (AWS::DynamoDB::GlobalTable). Identity
 * data stays in one region (data residency), so replicas are not wanted, and the local runtime
 * creates its tables from the synthesized template, whose `AWS::DynamoDB::Table` properties
 * map one-to-one onto the CreateTable API.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TABLE_KEYS } from '../../lambdas/domain/tables.ts';

export interface KycTablesProps {
  /** Customer-managed key that encrypts every table (required; the data key). */
  readonly encryptionKey: kms.IKey;
}

const string = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });

/**
 * Four on-demand tables with point-in-time recovery, customer-managed KMS encryption,
 * deletion protection and RETAIN:
 * - `verifications` (pk, sk) with GSIs `byStatus`, `byReviewer`, `byUser`, `byQueue` (projection ALL: the
 *   dashboards list whole items; personal data inside is field-encrypted anyway);
 * - `rateLimits` (pk), TTL `expiresAt`;
 * - `auditEvents` (subject, sequence NUMBER), append-only by IAM: writers get PartiQL INSERT
 *   (refused on an existing key) and Query through `grantAppendAudit`, never PutItem, UpdateItem or DeleteItem;
 * - `idempotency` (id), TTL `expiration` (Powertools idempotency layout).
 *
 * @example
 * ```ts
 * const tables = new KycTables(this, 'Tables', { encryptionKey: keys.service });
 * tables.verifications.grantReadWriteData(api.fn);
 * ```
 */
export class KycTables extends Construct {
  public readonly verifications: dynamodb.Table;
  public readonly rateLimits: dynamodb.Table;
  public readonly auditEvents: dynamodb.Table;
  public readonly idempotency: dynamodb.Table;
  private readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: KycTablesProps) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    const common = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    } as const;

    const v = TABLE_KEYS.verifications;
    this.verifications = new dynamodb.Table(this, 'Verifications', {
      ...common,
      partitionKey: string(v.partitionKey),
      sortKey: string(v.sortKey),
    });
    for (const [indexName, keys] of Object.entries(v.indexes)) {
      this.verifications.addGlobalSecondaryIndex({
        indexName,
        partitionKey: string(keys.partitionKey),
        sortKey: string(keys.sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    this.rateLimits = new dynamodb.Table(this, 'RateLimits', {
      ...common,
      partitionKey: string(TABLE_KEYS.rateLimits.partitionKey),
      timeToLiveAttribute: TABLE_KEYS.rateLimits.ttlAttribute,
    });

    this.auditEvents = new dynamodb.Table(this, 'AuditEvents', {
      ...common,
      partitionKey: string(TABLE_KEYS.auditEvents.partitionKey),
      sortKey: { name: TABLE_KEYS.auditEvents.sortKey, type: dynamodb.AttributeType.NUMBER },
      // Feeds the audit archiver (`AuditArchive`); old images make any change after the write visible.
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    });

    this.idempotency = new dynamodb.Table(this, 'Idempotency', {
      ...common,
      partitionKey: string(TABLE_KEYS.idempotency.partitionKey),
      timeToLiveAttribute: TABLE_KEYS.idempotency.ttlAttribute,
    });
  }

  /**
   * Lets `grantee` append to the audit table and read it (PartiQL INSERT, which fails on an
   * existing key, and Query; the table key only through DynamoDB), but never put over, update
   * or delete an event: the hash chain stays tamper-evident.
   */
  public grantAppendAudit(grantee: iam.IGrantable): iam.Grant {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
      resourceArns: [this.encryptionKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
    });
    return this.auditEvents.grant(grantee, 'dynamodb:PartiQLInsert', 'dynamodb:Query');
  }
}
