import { describe, expect, it } from 'vitest';
import { LocalResources, localBucketName, deterministicUuid } from '../../../local/runtime/template/local-resources.ts';
import { localFunctions, sharedEnvironment } from '../../../local/runtime/template/local-functions.ts';

const stacks = [
  {
    stackName: 'kyc-data',
    template: {
      Resources: {
        Table1: { Type: 'AWS::DynamoDB::Table', Properties: {} },
        Named: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'explicit-name' } },
        Bucket1: { Type: 'AWS::S3::Bucket', Properties: {} },
        Key1: { Type: 'AWS::KMS::Key', Properties: {} },
      },
      Outputs: {
        TableExport: { Value: { Ref: 'Table1' }, Export: { Name: 'kyc-data:TableRef' } },
        KeyExport: { Value: { 'Fn::GetAtt': ['Key1', 'Arn'] }, Export: { Name: 'kyc-data:KeyArn' } },
      },
    },
  },
  {
    stackName: 'kyc-app',
    template: {
      Resources: {
        Fn1: {
          Type: 'AWS::Lambda::Function',
          Metadata: { 'kyc:entry': 'lambdas/handlers/events/on-upload.ts', 'kyc:handler': 'handler' },
          Properties: {
            Timeout: 60,
            Environment: {
              Variables: {
                TABLE: { 'Fn::ImportValue': 'kyc-data:TableRef' },
                KEY: { 'Fn::ImportValue': 'kyc-data:KeyArn' },
                SELF: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':x:', { Ref: 'AWS::Region' }]] },
                POWERTOOLS_SERVICE_NAME: 'one',
              },
            },
          },
        },
        Provider: { Type: 'AWS::Lambda::Function', Properties: {} },
        Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { StateMachineName: 'kyc-verification' } },
      },
    },
  },
];

describe('LocalResources: deterministic local names and intrinsics across stacks', () => {
  const resources = new LocalResources(stacks, 'eu-west-1');

  it.each([
    ['a table without a name', 'kyc-data', { Ref: 'Table1' }, 'kyc-data-Table1'],
    ['a named table', 'kyc-data', { Ref: 'Named' }, 'explicit-name'],
    ['a bucket', 'kyc-data', { Ref: 'Bucket1' }, localBucketName('kyc-data', 'Bucket1')],
    [
      'a key ARN',
      'kyc-data',
      { 'Fn::GetAtt': ['Key1', 'Arn'] },
      `arn:aws:kms:eu-west-1:000000000000:key/${deterministicUuid('kyc-data', 'Key1')}`,
    ],
    ['an import', 'kyc-app', { 'Fn::ImportValue': 'kyc-data:TableRef' }, 'kyc-data-Table1'],
    [
      'a state machine',
      'kyc-app',
      { Ref: 'Machine' },
      'arn:aws:states:eu-west-1:000000000000:stateMachine:kyc-verification',
    ],
    ['Fn::Sub', 'kyc-app', { 'Fn::Sub': '${AWS::AccountId}/${Machine.Name}' }, '000000000000/kyc-verification'],
    ['Fn::Select + Fn::Split', 'kyc-app', { 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] }, 'b'],
  ])('resolves %s', (_label, stackName, value, expected) => {
    // Act / Assess
    expect(resources.resolve(stackName, value)).toBe(expected);
  });

  it('gives valid S3 bucket names', () => {
    // Act
    const name = localBucketName('kyc-data', 'BucketsIntakeBucketWithAVeryLongLogicalIdThatGoesOnAndOn1234ABCD');

    // Assess
    expect(name).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
  });

  it('refuses an unknown reference', () => {
    // Act / Assess
    expect(() => resources.resolve('kyc-app', { Ref: 'Nope' })).toThrow(/unknown resource Nope/);
  });

  it('lists runnable functions with their resolved environment, skipping CDK providers', () => {
    // Act
    const { runnable, skipped } = localFunctions(resources);

    // Assess
    expect(skipped).toEqual(['kyc-app/Provider']);
    expect(runnable).toHaveLength(1);
    expect(runnable[0]).toMatchObject({
      logicalId: 'Fn1',
      entry: 'lambdas/handlers/events/on-upload.ts',
      timeoutMs: 60_000,
      environment: { TABLE: 'kyc-data-Table1', SELF: 'arn:aws:x:eu-west-1' },
    });
    expect(sharedEnvironment(runnable)).not.toHaveProperty('POWERTOOLS_SERVICE_NAME');
  });
});
