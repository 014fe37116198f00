import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { synthKyc } from './synth.ts';

describe('KycKeys', () => {
  const { dataTemplate } = synthKyc();

  it.each([
    ['documents', 'alias/kyc/documents'],
    ['data', 'alias/kyc/data'],
    ['service', 'alias/kyc/service'],
  ])('the %s key is symmetric, rotates and is retained', (_name, alias) => {
    // Prepare
    const aliases = dataTemplate.findResources('AWS::KMS::Alias', { Properties: { AliasName: alias } });
    const keyId = (Object.values(aliases)[0]?.Properties as { TargetKeyId: { 'Fn::GetAtt': [string] } }).TargetKeyId[
      'Fn::GetAtt'
    ][0];

    // Act
    const key = dataTemplate.toJSON().Resources[keyId];

    // Assess
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.KeySpec ?? 'SYMMETRIC_DEFAULT').toBe('SYMMETRIC_DEFAULT');
    expect(key.DeletionPolicy).toBe('Retain');
    expect(key.UpdateReplacePolicy).toBe('Retain');
    expect(key.Properties.PendingWindowInDays).toBe(30);
  });

  it('has an HMAC_256 key for keyed hashes of document numbers', () => {
    // Assess
    dataTemplate.hasResource('AWS::KMS::Key', {
      Properties: { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' },
      DeletionPolicy: 'Retain',
    });
  });

  it('has an ECC_NIST_P256 signing key for audit digests', () => {
    // Assess
    dataTemplate.hasResource('AWS::KMS::Key', {
      Properties: { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' },
      DeletionPolicy: 'Retain',
    });
  });

  it('lets CloudWatch Logs use the service key only for log groups of this account and region', () => {
    // Assess
    dataTemplate.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('DynamoDB tables, log groups'),
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchLogsOfThisAccountAndRegion',
            Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': {
                  'Fn::Join': ['', Match.arrayWith(['arn:aws:logs:eu-west-1:', ':log-group:*'])],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  it('denies deletion and disabling of every key to every principal', () => {
    // Prepare
    const keys = Object.values(dataTemplate.findResources('AWS::KMS::Key'));

    // Act
    const guarded = keys.filter((key) =>
      (key.Properties as { KeyPolicy: { Statement: Record<string, unknown>[] } }).KeyPolicy.Statement.some(
        (statement) =>
          statement.Effect === 'Deny' &&
          JSON.stringify(statement.Principal) === JSON.stringify({ AWS: '*' }) &&
          JSON.stringify(statement.Action) === JSON.stringify(['kms:DisableKey', 'kms:ScheduleKeyDeletion']),
      ),
    );

    // Assess
    expect(keys).toHaveLength(6);
    expect(guarded).toHaveLength(6);
  });

  it('grants no service principal on the documents key', () => {
    // Prepare
    const keys = dataTemplate.findResources('AWS::KMS::Key', {
      Properties: { Description: Match.stringLikeRegexp('identity evidence') },
    });

    // Act
    const statements = Object.values(keys).flatMap(
      (key) => (key.Properties as { KeyPolicy: { Statement: { Principal: unknown }[] } }).KeyPolicy.Statement,
    );

    // Assess
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.every((statement) => !JSON.stringify(statement.Principal).includes('Service'))).toBe(true);
  });
});
