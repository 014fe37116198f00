import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { TABLE_KEYS } from '../../lambdas/domain/tables.ts';
import { KycTables } from '../../lib/constructs/tables.ts';
import { createTestStack, synthKyc } from './synth.ts';

type TableResource = { Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };

describe('KycTables', () => {
  const { dataTemplate } = synthKyc();
  const tables = dataTemplate.findResources('AWS::DynamoDB::Table') as Record<string, TableResource>;
  const byName = (name: string): TableResource => {
    const id = Object.keys(tables).find((logicalId) => logicalId.startsWith(`Tables${name}`));
    if (!id) throw new Error(`table ${name} not found`);
    return tables[id]!;
  };

  it('has the four tables as AWS::DynamoDB::Table', () => {
    // Assess
    dataTemplate.resourceCountIs('AWS::DynamoDB::Table', 4);
    dataTemplate.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
  });

  it.each(['Verifications', 'RateLimits', 'AuditEvents', 'Idempotency'])(
    '%s is on-demand, PITR, CMK-encrypted, deletion-protected and retained',
    (name) => {
      // Act
      const table = byName(name);

      // Assess
      expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.Properties.SSESpecification).toEqual({
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^KeysService/), 'Arn'] },
      });
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
    },
  );

  it('keys verifications by pk/sk with the byStatus, byReviewer, byUser and byQueue indexes', () => {
    // Act
    const table = byName('Verifications');
    const v = TABLE_KEYS.verifications;

    // Assess
    expect(table.Properties.KeySchema).toEqual([
      { AttributeName: v.partitionKey, KeyType: 'HASH' },
      { AttributeName: v.sortKey, KeyType: 'RANGE' },
    ]);
    expect(table.Properties.GlobalSecondaryIndexes).toEqual(
      Object.entries(v.indexes).map(([IndexName, keys]) => ({
        IndexName,
        KeySchema: [
          { AttributeName: keys.partitionKey, KeyType: 'HASH' },
          { AttributeName: keys.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    );
  });

  it.each([
    ['RateLimits', TABLE_KEYS.rateLimits.partitionKey, TABLE_KEYS.rateLimits.ttlAttribute],
    ['Idempotency', TABLE_KEYS.idempotency.partitionKey, TABLE_KEYS.idempotency.ttlAttribute],
  ])('%s is keyed by %s with TTL attribute %s', (name, partitionKey, ttl) => {
    // Act
    const table = byName(name);

    // Assess
    expect(table.Properties.KeySchema).toEqual([{ AttributeName: partitionKey, KeyType: 'HASH' }]);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: ttl, Enabled: true });
  });

  it('keys audit events by subject and a numeric sequence', () => {
    // Act
    const table = byName('AuditEvents');

    // Assess
    expect(table.Properties.KeySchema).toEqual([
      { AttributeName: 'subject', KeyType: 'HASH' },
      { AttributeName: 'sequence', KeyType: 'RANGE' },
    ]);
    expect(table.Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining([{ AttributeName: 'sequence', AttributeType: 'N' }]),
    );
  });

  it('grants audit writers INSERT and read but never put, update or delete', () => {
    // Prepare
    const stack = createTestStack();
    const tables = new KycTables(stack, 'Tables', { encryptionKey: new kms.Key(stack, 'Key') });
    const role = new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    // Act
    tables.grantAppendAudit(role);
    const actions = JSON.stringify(
      stack.resolve((role.node.findChild('DefaultPolicy').node.defaultChild as iam.CfnPolicy).policyDocument),
    );

    // Assess
    expect(actions).toContain('dynamodb:PartiQLInsert');
    expect(actions).toContain('dynamodb:Query');
    expect(actions).not.toMatch(
      /dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem|PartiQLUpdate|PartiQLDelete|\*)/,
    );
    expect(actions).toContain('kms:ViaService');
  });
});
