/**
 * The tamper-evident audit archive (PRODUCT §5): the audit table's stream feeds the archiver,
 * which writes gzip JSON-lines files under `audit/events/` of the audit archive bucket (Object
 * Lock COMPLIANCE); a scheduled digester writes signed digests under `audit/digests/` (KMS
 * ECC key, ECDSA_SHA_256), each naming the previous one. `npx kyc audit verify` checks it all.
 *
 * Grants, each the narrowest the code needs:
 * - archiver: read the audit table's stream (the event source mapping), PutObject under
 *   `audit/events/` and `audit/tamper/` (a MODIFY or REMOVE the stream shows) and the archive key
 *   through S3 only. No table write at all.
 * - digester: list `audit/`, read `audit/events/` and `audit/digests/`, PutObject under
 *   `audit/digests/`, the archive key through S3 only, and `kms:Sign` on the signing key.
 * Neither may delete or overwrite anything (the bucket's Object Lock refuses it anyway).
 *
 * @example
 * ```ts
 * new AuditArchive(this, 'AuditArchive', { config, data, shared: this.functionShared });
 * ```
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/adapters/aws/environment.ts';
import {
  ARCHIVE_DIGESTS_PREFIX,
  ARCHIVE_EVENTS_PREFIX,
  ARCHIVE_TAMPER_PREFIX,
} from '../../lambdas/domain/audit-archive.ts';
import type { KycConfig } from '../config.ts';
import type { KycDataResources } from '../stacks/data-stack.ts';
import { KycFunction, handlerEntry, type KycFunctionShared } from './kyc-function.ts';

export interface AuditArchiveProps {
  readonly config: KycConfig;
  readonly data: KycDataResources;
  readonly shared: KycFunctionShared;
  /** Where the stream's failed batches (their shard positions) go (the shared failure queue). */
  readonly failureQueue?: sqs.IQueue;
}

export class AuditArchive extends Construct {
  public readonly archiver: KycFunction;
  public readonly digester: KycFunction;
  public readonly schedule: events.Rule;
  private readonly bucket: s3.IBucket;
  private readonly bucketKey: kms.IKey;

  constructor(scope: Construct, id: string, props: AuditArchiveProps) {
    super(scope, id);
    const { data, shared, config } = props;
    const bucket = data.buckets.auditArchive;
    this.bucket = bucket;
    // The archive bucket's own key (whatever key the data stack gives it).
    this.bucketKey = bucket.encryptionKey ?? data.keys.service;
    const table = data.tables.auditEvents;
    const failureQueue = props.failureQueue ?? shared.failureQueue;
    if (!table.tableStreamArn) throw new Error('AuditArchive: the audit table needs a stream (NEW_IMAGE)');

    this.archiver = new KycFunction(this, 'Archiver', {
      shared,
      entry: handlerEntry('events/audit-archiver'),
      memorySize: 256,
      timeout: Duration.seconds(60),
      description: 'serverless-kyc audit archiver: audit table stream -> locked archive bucket',
      environment: { [ENV.auditArchiveBucket]: bucket.bucketName },
    });
    // The event source grants the stream reads on whatever table it is given, and for a table
    // with a key it adds an unconditioned kms:Decrypt on that key. It gets the table imported
    // without its key instead, and the Decrypt the stream reads need is granted below, only
    // through DynamoDB.
    const streamOnly = dynamodb.Table.fromTableAttributes(this, 'AuditStream', {
      tableArn: table.tableArn,
      tableStreamArn: table.tableStreamArn,
    });
    this.archiver.fn.addEventSource(
      new sources.DynamoEventSource(streamOnly, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 500,
        maxBatchingWindow: Duration.seconds(30),
        bisectBatchOnError: true,
        retryAttempts: 20,
        maxRecordAge: Duration.days(1),
        // Imported by ARN: the destination grants sqs:SendMessage only; the queue key is granted
        // below through SQS only (no unconditioned kms:GenerateDataKey*/ReEncrypt*).
        onFailure: new sources.SqsDlq(sqs.Queue.fromQueueArn(this, 'StreamFailureQueue', failureQueue.queueArn)),
      }),
    );
    if (table.encryptionKey) {
      // DynamoDB Streams records are encrypted with the table's key, and DynamoDB decrypts them
      // on the reader's behalf: the AWS KMS developer guide ("How Amazon DynamoDB uses AWS KMS")
      // says its statements about tables, kms:ViaService dynamodb.<region>.amazonaws.com
      // included, apply to streams too. So the reader's Decrypt holds only through DynamoDB.
      this.archiver.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [table.encryptionKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
    if (failureQueue.encryptionMasterKey) {
      this.archiver.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [failureQueue.encryptionMasterKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `sqs.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
    this.allowPut(this.archiver.role, `${ARCHIVE_EVENTS_PREFIX}*`);
    // A MODIFY or REMOVE on the audit table is kept as evidence (`buildTamperRecord`).
    this.archiver.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${ARCHIVE_TAMPER_PREFIX}*`)],
      }),
    );

    this.digester = new KycFunction(this, 'Digester', {
      shared,
      entry: handlerEntry('scheduled/audit-digest'),
      memorySize: 512,
      timeout: Duration.minutes(5),
      description: 'serverless-kyc audit digester: signed, chained digests of the audit archive',
      environment: {
        [ENV.auditArchiveBucket]: bucket.bucketName,
        [ENV.auditSigningKeyArn]: data.keys.auditSigning.keyArn,
      },
    });
    const digestRole = this.digester.role;
    digestRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${ARCHIVE_EVENTS_PREFIX}*`, `${ARCHIVE_DIGESTS_PREFIX}*`] } },
      }),
    );
    digestRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [
          bucket.arnForObjects(`${ARCHIVE_EVENTS_PREFIX}*`),
          bucket.arnForObjects(`${ARCHIVE_DIGESTS_PREFIX}*`),
        ],
      }),
    );
    this.allowPut(digestRole, `${ARCHIVE_DIGESTS_PREFIX}*`, ['kms:Decrypt']);
    // The archive's bucket policy refuses reads to every role not on its allow-list.
    data.access.allowAuditArchiveRead(digestRole);
    digestRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kms:Sign'], resources: [data.keys.auditSigning.keyArn] }),
    );
    this.schedule = new events.Rule(this, 'DigestSchedule', {
      description: 'Signed audit-archive digest',
      schedule: events.Schedule.rate(Duration.minutes(config.retention.auditDigestMinutes)),
      targets: [new targets.LambdaFunction(this.digester.fn, { retryAttempts: 4 })],
    });

    NagSuppressions.addResourceSuppressions(
      this.archiver.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'dynamodb:ListStreams (added by the stream event source) supports no resource-level permissions; ' +
            'the stream reads themselves are limited to the audit table stream ARN.',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
    for (const role of [this.archiver.role, digestRole]) {
      NagSuppressions.addResourceSuppressions(
        role,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'Object grants are limited to key prefixes of the audit archive (audit/events/, audit/tamper/ or ' +
              'audit/digests/); keys are per batch, per tamper record and per digest, so the prefix wildcard is the ' +
              'narrowest possible resource.',
            appliesTo: [{ regex: '/^Resource::.*\\/audit\\/(events|tamper|digests)\\/\\*$/g' }],
          },
        ],
        true,
      );
    }
  }

  /** PutObject under `pattern` and the bucket key's data keys, only through S3. */
  private allowPut(role: iam.IRole, pattern: string, extraKms: string[] = []): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects(pattern)] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', ...extraKms],
        resources: [this.bucketKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }
}
