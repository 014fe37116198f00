import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { streamMappingSettings } from '../../local/runtime/events/event-source-mappings.ts';
import { synthKyc } from './synth.ts';

type Policy = { Properties: { Roles?: unknown[]; PolicyDocument: { Statement: Statement[] } } };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

describe('AuditArchive and TableBackups', () => {
  const { appTemplate, dataTemplate } = synthKyc();
  const policies = appTemplate.findResources('AWS::IAM::Policy') as Record<string, Policy>;
  const statementsOf = (prefix: string): Statement[] =>
    Object.entries(policies)
      .filter(([id]) => id.startsWith(prefix))
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement);

  it('streams the audit table with new and old images', () => {
    // Assess
    dataTemplate.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: Match.arrayWith([Match.objectLike({ AttributeName: 'subject' })]),
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
  });

  it('feeds the stream to the archiver, bisecting failed batches and keeping their positions in a queue', () => {
    // Assess
    appTemplate.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: Match.stringLikeRegexp('^AuditArchiveArchiver') },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it('runs the archiver mapping locally with its batch size, batching window, retries, bisection and record age', () => {
    // Prepare
    const mappings = Object.values(appTemplate.findResources('AWS::Lambda::EventSourceMapping')) as {
      Properties: Record<string, unknown>;
    }[];
    const archiver = mappings.find((mapping) => JSON.stringify(mapping.Properties.FunctionName).includes('Archiver'));
    const properties = { ...archiver!.Properties, DestinationConfig: { OnFailure: { Destination: 'arn:queue' } } };

    // Act
    const settings = streamMappingSettings(properties, 1);
    const scaled = streamMappingSettings(properties, 0.001);

    // Assess
    expect(settings).toEqual({
      batchSize: 500,
      batchingWindowMs: 30_000,
      errors: {
        maxRetryAttempts: 20,
        bisectOnError: true,
        maxRecordAgeMs: 86_400_000,
        backoffBaseMs: 1000,
        backoffMaxMs: 30_000,
      },
      onFailureDestination: 'arn:queue',
    });
    expect(scaled.batchingWindowMs).toBeCloseTo(30);
    expect(scaled.errors.maxRecordAgeMs).toBe(86_400_000);
    expect(streamMappingSettings({}, 1)).toMatchObject({
      batchSize: 100,
      batchingWindowMs: 0,
      errors: { maxRetryAttempts: -1, bisectOnError: false, maxRecordAgeMs: -1 },
      onFailureDestination: undefined,
    });
  });

  it('lets no function of the app update or delete an audit event', () => {
    // Prepare
    const forbidden = ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:*'];
    // Act
    const offending = Object.values(policies)
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
      .filter((statement) => statement.Effect === 'Allow' && JSON.stringify(statement.Resource).includes('AuditEvents'))
      .flatMap(actionsOf)
      .filter((action) => forbidden.includes(action));
    // Assess
    expect(offending).toEqual([]);
  });

  it('gives the archiver the stream and PutObject under audit/events/ and audit/tamper/ only, and no table write', () => {
    // Act
    const statements = statementsOf('AuditArchiveArchiver');
    const actions = statements.flatMap(actionsOf);
    const puts = statements.filter((statement) => actionsOf(statement).includes('s3:PutObject'));
    // Assess
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetRecords', 'dynamodb:GetShardIterator']));
    expect(actions.filter((action) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(action))).toEqual([]);
    expect(actions.filter((action) => /^s3:(Delete|PutObjectRetention|BypassGovernance)/.test(action))).toEqual([]);
    expect(JSON.stringify(puts.map((statement) => statement.Resource))).toContain('/audit/events/*');
    expect(JSON.stringify(puts.map((statement) => statement.Resource))).toContain('/audit/tamper/*');
    expect(JSON.stringify(puts.map((statement) => statement.Resource))).not.toContain('/audit/digests/*');
  });

  it('lets the archiver decrypt the stream only through DynamoDB (no unconditioned kms:Decrypt)', () => {
    // Act
    const decrypts = statementsOf('AuditArchiveArchiver').filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('kms:Decrypt')),
    );
    // Assess: the table's key through DynamoDB (stream records), the queue key through SQS, the archive key through S3
    expect(decrypts.length).toBeGreaterThan(0);
    for (const statement of decrypts) {
      expect(statement.Condition).toMatchObject({ StringEquals: { 'kms:ViaService': expect.any(String) } });
    }
    const services = decrypts.map(
      (statement) =>
        String((statement.Condition as { StringEquals: Record<string, string> }).StringEquals['kms:ViaService']).split(
          '.',
        )[0],
    );
    expect(services).toContain('dynamodb');
  });

  it('lets the digester read the archive, write digests and sign with the audit signing key only', () => {
    // Act
    const statements = statementsOf('AuditArchiveDigester');
    const sign = statements.filter((statement) => actionsOf(statement).includes('kms:Sign'));
    const puts = statements.filter((statement) => actionsOf(statement).includes('s3:PutObject'));
    // Assess
    expect(sign).toHaveLength(1);
    expect(JSON.stringify(sign[0]?.Resource)).toMatch(/AuditSigning/);
    expect(JSON.stringify(puts.map((statement) => statement.Resource))).toContain('/audit/digests/*');
    expect(JSON.stringify(puts.map((statement) => statement.Resource))).not.toContain('/audit/events/*');
    expect(statements.flatMap(actionsOf).filter((action) => action.startsWith('dynamodb:'))).toEqual([]);
  });

  it('runs the digester on the configured period (hourly by default)', () => {
    // Assess
    appTemplate.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)' });
    const custom = synthKyc({ retention: { auditDigestMinutes: 15 } });
    custom.appTemplate.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)' });
  });

  it('backs the four tables up daily (35 days) and yearly (5 years) into a KMS-encrypted, compliance-locked vault', () => {
    // Assess
    dataTemplate.hasResourceProperties('AWS::Backup::BackupVault', {
      EncryptionKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KeysService'), 'Arn'] },
      LockConfiguration: { MinRetentionDays: 35, MaxRetentionDays: 1827, ChangeableForDays: 3 },
    });
    dataTemplate.hasResource('AWS::Backup::BackupVault', { DeletionPolicy: 'Retain' });
    dataTemplate.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanRule: Match.arrayWith([
          Match.objectLike({ RuleName: 'Daily', Lifecycle: { DeleteAfterDays: 35 } }),
          Match.objectLike({ RuleName: 'Yearly', Lifecycle: { DeleteAfterDays: 1827 } }),
        ]),
      },
    });
    const selection = dataTemplate.findResources('AWS::Backup::BackupSelection');
    const resources = JSON.stringify(Object.values(selection)[0]);
    for (const table of ['Verifications', 'RateLimits', 'AuditEvents', 'Idempotency']) {
      expect(resources).toContain(`Tables${table}`);
    }
  });
});
