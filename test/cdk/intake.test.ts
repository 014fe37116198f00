import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../lib/config.ts';
import { IntakeProcessing } from '../../lib/constructs/intake-processing.ts';
import { buildKycApp } from '../../lib/kyc-app.ts';
import { grantsOf } from './iam-grants.ts';
import { createTestApp, synthKyc } from './synth.ts';

const TABLE_KMS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'].map(
  (action) => `${action} @ serviceKey [kms:ViaService=dynamodb]`,
);

const ON_UPLOAD_GRANTS = [
  'dynamodb:GetItem @ rateLimits',
  'dynamodb:GetItem @ verifications',
  'dynamodb:PartiQLInsert @ auditEvents',
  'dynamodb:PutItem @ rateLimits',
  'dynamodb:PutItem @ verifications',
  'dynamodb:Query @ auditEvents',
  'dynamodb:Query @ verifications',
  'dynamodb:UpdateItem @ verifications',
  'kms:Decrypt @ documentsKey [kms:ViaService=s3]',
  'kms:GenerateDataKey @ documentsKey [kms:ViaService=s3]',
  'rekognition:DetectFaces @ *',
  's3:DeleteObject @ intake/intake/*',
  's3:DeleteObjectVersion @ intake/intake/*',
  's3:GetObject @ intake/intake/*',
  's3:GetObjectVersion @ intake/intake/*',
  's3:ListBucket @ intake [s3:prefix=["intake/*"]]',
  's3:PutObject @ vault/evidence/*',
  'states:StartExecution @ workflow',
  ...TABLE_KMS,
];

describe('IntakeProcessing', () => {
  const { appTemplate, dataTemplate } = synthKyc();

  it('routes Object Created events under intake/ of the intake bucket to on-upload with retries and a DLQ', () => {
    // Assess
    appTemplate.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [{ 'Fn::ImportValue': Match.stringLikeRegexp('BucketsIntakeBucket') }] },
          object: { key: [{ prefix: 'intake/' }] },
        },
      },
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('IntakeOnUploadFunction'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('IntakeUndeliveredUploadsQueue'), 'Arn'] } },
        },
      ],
    });
  });

  it('encrypts the DLQ with the service key and lets EventBridge rules of this account use that key', () => {
    // Assess
    appTemplate.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::ImportValue': Match.stringLikeRegexp('KeysService') },
    });
    dataTemplate.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowEventBridgeDeadLetterQueues',
            Principal: { Service: 'events.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
        ]),
      },
    });
  });

  it('sizes the function for image analysis', () => {
    // Assess
    appTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('on-upload'),
      MemorySize: 1536,
      Timeout: 60,
      Environment: {
        Variables: Match.objectLike({
          INTAKE_BUCKET: Match.anyValue(),
          VAULT_BUCKET: Match.anyValue(),
          VERIFICATIONS_TABLE: Match.anyValue(),
          AUDIT_TABLE: Match.anyValue(),
          RATE_LIMITS_TABLE: Match.anyValue(),
          DOCUMENTS_KEY_ARN: Match.anyValue(),
        }),
      },
    });
  });

  it('grants on-upload exactly what it calls, without action wildcards', () => {
    // Act
    const grants = grantsOf(appTemplate, 'IntakeOnUpload');

    // Assess
    expect(grants).toEqual([...ON_UPLOAD_GRANTS].sort());
    expect(grants.filter((grant) => grant.split(' @ ')[0]?.includes('*'))).toEqual([]);
  });

  it('tells on-upload the verification workflow and forbids setting another', () => {
    // Prepare
    const { appStack } = synthKyc();

    // Assess
    appTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('on-upload'),
      Environment: {
        Variables: Match.objectLike({ STATE_MACHINE_ARN: { Ref: Match.stringLikeRegexp('WorkflowStateMachine') } }),
      },
    });
    expect(() => appStack.intake.useStateMachine(appStack.workflow.stateMachine)).toThrow(/already set/);
  });

  it('applies a configured reserved concurrency', () => {
    // Prepare
    const app = createTestApp();
    const config = resolveConfig({ prefix: 'rc' });
    const { dataStack, appStack } = buildKycApp(app, config);

    // Act
    new IntakeProcessing(appStack, 'Capped', {
      config,
      data: dataStack.resources,
      shared: appStack.functionShared,
      reservedConcurrency: 7,
    });

    // Assess
    Template.fromStack(appStack).hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('on-upload'),
      ReservedConcurrentExecutions: 7,
    });
  });
});
