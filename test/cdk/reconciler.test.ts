/**
 * The reconciler in the synthesized app: its EventBridge Scheduler schedule follows the
 * configuration, and its role holds exactly the grants the handler uses.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { grantsOf } from './iam-grants.ts';
import { synthKyc } from './synth.ts';

// One (cached) synthesis for both scheduled jobs.
let template: Template;
beforeAll(() => {
  template = synthKyc({ reconciler: { everyMinutes: 5 } }).appTemplate;
}, 300_000);

// The reconciler runs every reconciler.everyMinutes (5 here); the deletion job every retention.purgeEveryHours (24).
describe.each([
  { job: 'Reconciler', rate: 'rate(5 minutes)', maxAge: 300, description: 'reconciler' },
  { job: 'RecordsPurge', rate: 'rate(1 day)', maxAge: 3600, description: 'deletion job' },
])('$job schedule', ({ job, rate, maxAge, description }) => {
  it('runs at the configured rate, one run at a time, with retries and a dead-letter queue', () => {
    // Assess
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: rate,
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^${job}Function`), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: maxAge },
        DeadLetterConfig: { Arn: Match.anyValue() },
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 1,
      Description: Match.stringLikeRegexp(description),
    });
  });
});

describe('Reconciler', () => {
  it('lets the scheduler invoke only the reconciler', () => {
    // Prepare
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.Roles).includes('ReconcilerScheduleRole'),
    );

    // Assess
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
    const invoke = statements.filter((s) => s.Action === 'lambda:InvokeFunction');
    expect(invoke.length).toBeGreaterThan(0);
    for (const statement of invoke) expect(JSON.stringify(statement.Resource)).toMatch(/ReconcilerFunction/);
  });

  it('holds only the grants the reconciler uses (least privilege)', () => {
    // Act
    const grants = grantsOf(template, 'ReconcilerFunction');

    // Assess
    const machine = /kyc-verification"\]\]\}$/;
    expect(grants.filter((g) => !g.startsWith('states:'))).toEqual([
      'dynamodb:GetItem @ verifications',
      'dynamodb:PartiQLInsert @ auditEvents',
      'dynamodb:PutItem @ verifications',
      'dynamodb:Query @ auditEvents',
      'dynamodb:Query @ verifications',
      'dynamodb:Query @ verifications/index/*',
      'dynamodb:UpdateItem @ verifications',
      'events:PutEvents @ bus [events:source=serverless-kyc, events:detail-type=["Verification Status Changed"]]',
      'kms:Decrypt @ documentsKey [kms:ViaService=s3]',
      'kms:Decrypt @ serviceKey [kms:ViaService=dynamodb]',
      'kms:DescribeKey @ serviceKey [kms:ViaService=dynamodb]',
      'kms:Encrypt @ serviceKey [kms:ViaService=dynamodb]',
      'kms:GenerateDataKey @ documentsKey [kms:ViaService=s3]',
      'kms:GenerateDataKey @ serviceKey [kms:ViaService=dynamodb]',
      's3:GetObject @ intake/intake/*',
      's3:ListBucket @ intake [s3:prefix=["intake/*"]]',
      's3:PutObject @ intake/intake/*',
    ]);
    const states = grants.filter((g) => g.startsWith('states:'));
    expect(states.map((g) => g.split(' @ ')[0])).toEqual([
      'states:DescribeExecution',
      'states:SendTaskHeartbeat',
      'states:StartExecution',
    ]);
    expect(states[0]).toMatch(/:execution:kyc-verification:\*"\]\]\}$/);
    expect(states[1]).toMatch(machine);
    expect(states[2]).toMatch(machine);
    expect(grants.join('\n')).not.toMatch(/DeleteItem|DeleteObject|SendTaskSuccess|StopExecution/);
  });
});

// The deletion job: version deletes only, never a plain delete, a retention change or a read of evidence.
describe('RecordsPurge', () => {
  it('holds only the grants the job uses: version deletes, lock reads, record deletes (least privilege)', () => {
    // Act
    const grants = grantsOf(template, 'RecordsPurgeFunction');

    // Assess
    expect(grants).toEqual([
      'dynamodb:DeleteItem @ verifications',
      'dynamodb:GetItem @ verifications',
      'dynamodb:PartiQLInsert @ auditEvents',
      'dynamodb:PutItem @ verifications',
      'dynamodb:Query @ auditEvents',
      'dynamodb:Query @ verifications',
      'dynamodb:Query @ verifications/index/*',
      'dynamodb:UpdateItem @ verifications',
      'kms:Decrypt @ serviceKey [kms:ViaService=dynamodb]',
      'kms:DescribeKey @ serviceKey [kms:ViaService=dynamodb]',
      'kms:Encrypt @ serviceKey [kms:ViaService=dynamodb]',
      'kms:GenerateDataKey @ serviceKey [kms:ViaService=dynamodb]',
      'rekognition:DeleteFaces @ faceCollection',
      's3:DeleteObject @ intake/intake/*',
      's3:DeleteObject @ intake/liveness/*',
      's3:DeleteObjectVersion @ vault/evidence/*',
      's3:DeleteObjectVersion @ vault/liveness/*',
      's3:GetObjectLegalHold @ vault/evidence/*',
      's3:GetObjectLegalHold @ vault/liveness/*',
      's3:GetObjectRetention @ vault/evidence/*',
      's3:GetObjectRetention @ vault/liveness/*',
      's3:ListBucket @ intake [s3:prefix=["intake/*","liveness/*"]]',
      's3:ListBucketVersions @ vault [s3:prefix=["evidence/*","liveness/*"]]',
    ]);
    expect(
      grants.some((grant) =>
        /s3:DeleteObject @ vault|PutObjectRetention|BypassGovernance|s3:GetObject @ vault/.test(grant),
      ),
    ).toBe(false);
  });

  it('lets the scheduler invoke only the deletion job', () => {
    // Prepare
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.Roles).includes('RecordsPurgeScheduleRole'),
    );

    // Assess
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
    const invoke = statements.filter((s) => s.Action === 'lambda:InvokeFunction');
    expect(invoke.length).toBeGreaterThan(0);
    for (const statement of invoke) expect(JSON.stringify(statement.Resource)).toMatch(/RecordsPurgeFunction/);
  });
});
