import { createRequire } from 'node:module';
import { Aspects } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../lib/config.ts';
import { TRANSIENT_ERRORS, WORKFLOW_STEPS } from '../../lib/constructs/verification-workflow.ts';
import { buildKycApp } from '../../lib/kyc-app.ts';
import { stateMachinesFromTemplate, type CfnTemplate } from '../../local/stepfunctions/template.ts';
import { grantsOf } from './iam-grants.ts';
import { createTestApp, synthKyc } from './synth.ts';

const validateAsl = createRequire(import.meta.url)('asl-validator') as (definition: unknown) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};

type State = Record<string, unknown> & { Type: string };

function definitionOf(template: CfnTemplate) {
  const [machine] = stateMachinesFromTemplate(template);
  if (!machine) throw new Error('no state machine');
  return machine.definition;
}

/** Every state of the definition, including those inside Parallel branches. */
function allStates(states: Record<string, Record<string, unknown>>): Array<[string, State]> {
  const out: Array<[string, State]> = [];
  for (const [name, state] of Object.entries(states)) {
    out.push([name, state as State]);
    for (const branch of (state.Branches as Array<{ States: Record<string, Record<string, unknown>> }>) ?? []) {
      out.push(...allStates(branch.States));
    }
  }
  return out;
}

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

/** Statements of the workflow's own policies (logical ids under the `Workflow` construct). */
function statements(template: CfnTemplate): Statement[] {
  return Object.entries(template.Resources ?? {})
    .filter(([id, r]) => r.Type === 'AWS::IAM::Policy' && id.startsWith('Workflow'))
    .flatMap(([, r]) => (r.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('VerificationWorkflow: the synthesized state machine', () => {
  const { appTemplate, config } = synthKyc();
  const template = appTemplate.toJSON() as CfnTemplate;
  const definition = definitionOf(template);
  const states = allStates(definition.States);

  it('is a Standard state machine with X-Ray tracing and execution logs without payloads', () => {
    // Assess
    appTemplate.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      StateMachineName: `${config.prefix}-verification`,
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
  });

  it('logs to a KMS-encrypted, retained log group', () => {
    // Assess
    appTemplate.hasResource('AWS::Logs::LogGroup', {
      Properties: Match.objectLike({
        LogGroupName: `/aws/vendedlogs/states/${config.prefix}-verification`,
        KmsKeyId: Match.anyValue(),
      }),
      DeletionPolicy: 'Retain',
    });
  });

  it('passes asl-validator', () => {
    // Act
    const result = validateAsl(definition);

    // Assess
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('keeps the JSONPath query language', () => {
    // Assess
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    expect(states.every(([, s]) => (s.QueryLanguage ?? 'JSONPath') === 'JSONPath')).toBe(true);
  });

  it('runs the four checks in one Parallel state', () => {
    // Act
    const checks = definition.States.Checks as { Type: string; Branches: Array<{ StartAt: string }> };

    // Assess
    expect(checks.Type).toBe('Parallel');
    expect(checks.Branches.map((b) => b.StartAt)).toEqual(['FaceMatch', 'Liveness', 'DocumentData', 'Duplicates']);
  });

  it('every Task state retries transient errors with backoff and full jitter', () => {
    // Prepare
    const tasks = states.filter(([, s]) => s.Type === 'Task');

    // Assess
    expect(tasks.map(([name]) => name).sort()).toEqual(
      [
        'AwaitReview',
        'Decide',
        'DocumentData',
        'Duplicates',
        'EscalateReview',
        'FaceMatch',
        'FinalizeApprove',
        'FinalizeReject',
        'Liveness',
        'LoadAttempt',
        'Reopen',
      ].sort(),
    );
    for (const [name, task] of tasks) {
      const retry = (task.Retry as Array<Record<string, unknown>> | undefined)?.[0];
      expect(retry, name).toBeDefined();
      expect(retry?.ErrorEquals, name).toEqual(
        expect.arrayContaining(['Lambda.ServiceException', 'Lambda.TooManyRequestsException', 'ThrottlingException']),
      );
      expect(retry?.JitterStrategy, name).toBe('FULL');
      expect(Number(retry?.BackoffRate), name).toBeGreaterThan(1);
      expect(retry?.MaxDelaySeconds, name).toBeDefined();
    }
  });

  it('every Task state catches everything into manual review (or a recorded check error)', () => {
    // Assess
    for (const [name, task] of states.filter(([, s]) => s.Type === 'Task')) {
      const catchers = (task.Catch as Array<{ ErrorEquals: string[]; Next: string }>) ?? [];
      const all = catchers.find((c) => c.ErrorEquals.includes('States.ALL'));
      expect(all, name).toBeDefined();
      const expected = ['AwaitReview', 'EscalateReview'].includes(name)
        ? 'ReviewUnavailable'
        : ['FaceMatch', 'Liveness', 'DocumentData', 'Duplicates'].includes(name)
          ? `${name}Failed`
          : 'CountFailure';
      expect(all?.Next, name).toBe(expected);
    }
    expect((definition.States.Checks as { Catch: Array<{ Next: string }> }).Catch[0]?.Next).toBe('CountFailure');
  });

  it('counts every caught failure and ends in the terminal Exceptions state after three', () => {
    // Assess
    expect(definition.StartAt).toBe('Start');
    expect(definition.States.Start).toMatchObject({ Type: 'Pass', Result: { count: 0 }, ResultPath: '$.failures' });
    expect(definition.States.CountFailure).toMatchObject({
      Type: 'Pass',
      Parameters: { 'count.$': 'States.MathAdd($.failures.count, 1)' },
      ResultPath: '$.failures',
      Next: 'FailureBudget',
    });
    expect(definition.States.FailureBudget).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.failures.count', NumericGreaterThanEquals: 3, Next: 'Exceptions' }],
      Default: 'AwaitReview',
    });
    expect(definition.States.Exceptions).toMatchObject({ Type: 'Fail', Error: 'WorkflowExceptions' });
  });

  it('ends a load of a stale attempt in the terminal StaleAttempt state, before any review', () => {
    // Prepare
    const load = definition.States.LoadAttempt as State;
    const catchers = load.Catch as Array<{ ErrorEquals: string[]; Next: string }>;

    // Assess
    expect(catchers[0]).toMatchObject({ ErrorEquals: ['StaleAttemptError'], Next: 'StaleAttempt' });
    expect(definition.States.StaleAttempt).toMatchObject({ Type: 'Fail', Error: 'StaleAttemptError' });
  });

  it('has no cycle that neither counts failures nor waits a whole SLA (no unbounded loop)', () => {
    // Prepare: the top-level graph (Parallel branches end inside their state).
    const top = definition.States as Record<string, State>;
    const successors = (state: State): string[] => [
      ...(typeof state.Next === 'string' ? [state.Next] : []),
      ...(typeof state.Default === 'string' ? [state.Default] : []),
      ...((state.Choices as Array<{ Next: string }> | undefined) ?? []).map((c) => c.Next),
      ...((state.Catch as Array<{ Next: string }> | undefined) ?? []).map((c) => c.Next),
    ];
    const cycles: string[][] = [];
    const walk = (name: string, path: string[]) => {
      const at = path.indexOf(name);
      if (at >= 0) {
        cycles.push(path.slice(at));
        return;
      }
      for (const next of successors(top[name] as State)) walk(next, [...path, name]);
    };

    // Act
    walk(definition.StartAt, []);

    // Assess
    expect(cycles.length).toBeGreaterThan(0);
    const slaSeconds = config.review.slaDays * 24 * 3600;
    for (const cycle of cycles) {
      const counted = cycle.includes('CountFailure');
      const waitsSla = cycle.every((name) => !['AwaitReview', 'FinalizeApprove', 'FinalizeReject'].includes(name))
        ? cycle.some((name) => (top[name] as State).TimeoutSeconds === slaSeconds)
        : false;
      expect(counted || waitsSla, cycle.join(' -> ')).toBe(true);
    }
  });

  it('waits for a reviewer with a task token, times out after the SLA and escalates in a loop', () => {
    // Prepare
    const awaitReview = definition.States.AwaitReview as State;
    const escalate = definition.States.EscalateReview as State;

    // Assess
    for (const task of [awaitReview, escalate]) {
      expect(task.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      expect(task.TimeoutSeconds).toBe(config.review.slaDays * 24 * 3600);
      expect(JSON.stringify(task.Parameters)).toContain('"taskToken.$":"$$.Task.Token"');
      const timeout = (task.Catch as Array<{ ErrorEquals: string[]; Next: string }>)[0];
      expect(timeout).toMatchObject({ ErrorEquals: ['States.Timeout'], Next: 'EscalateReview' });
      expect(task.Retry).toEqual([
        expect.not.objectContaining({ ErrorEquals: expect.arrayContaining(['States.Timeout']) }),
      ]);
    }
  });

  it('waits out the cooldown until the timestamp the rejection step returns, then reopens', () => {
    // Assess
    expect(definition.States.CooldownWait).toMatchObject({
      Type: 'Wait',
      TimestampPath: '$.rejection.cooldownUntil',
      Next: 'Reopen',
    });
  });

  it('chooses on the decision outcome', () => {
    // Assess
    expect(definition.States.Outcome).toMatchObject({
      Type: 'Choice',
      Choices: [
        { Variable: '$.decision.outcome', StringEquals: 'approve', Next: 'FinalizeApprove' },
        { Variable: '$.decision.outcome', StringEquals: 'reject', Next: 'FinalizeReject' },
      ],
      Default: 'AwaitReview',
    });
  });

  it("uses the data stack's face collection instead of creating a second one", () => {
    // Assess
    appTemplate.resourceCountIs('AWS::Rekognition::Collection', 0);
    synthKyc().dataTemplate.hasResource('AWS::Rekognition::Collection', {
      Properties: { CollectionId: `${config.prefix}-faces` },
      DeletionPolicy: 'Retain',
    });
  });

  it('names each step function for the local runtime', () => {
    // Prepare
    const steps = Object.values(template.Resources ?? {})
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => (r.Properties?.Environment as { Variables: Record<string, string> }).Variables.KYC_WORKFLOW_TASK)
      .filter(Boolean);

    // Assess
    expect(steps.sort()).toEqual(Object.values(WORKFLOW_STEPS).sort());
  });

  describe('least privilege', () => {
    const all = statements(template);

    it('grants Resource "*" only for actions without resource-level permissions', () => {
      // Prepare
      const allowedOnStar = new Set([
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
        'rekognition:CompareFaces',
        'rekognition:DetectText',
        'rekognition:GetFaceLivenessSessionResults',
        'logs:CreateLogDelivery',
        'logs:GetLogDelivery',
        'logs:UpdateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:DescribeResourcePolicies',
        'logs:DescribeLogGroups',
      ]);

      // Act
      const starActions = all.filter((s) => s.Resource === '*').flatMap(actionsOf);

      // Assess
      expect(starActions.filter((a) => !allowedOnStar.has(a))).toEqual([]);
    });

    it('scopes face-collection actions to the collection ARN', () => {
      // Act
      const collection = all.filter((s) =>
        actionsOf(s).some((a) =>
          ['rekognition:SearchFacesByImage', 'rekognition:IndexFaces', 'rekognition:DeleteFaces'].includes(a),
        ),
      );

      // Assess: liveness (search), duplicates (index, search), approval (index), rejection (delete)
      expect(collection.map(actionsOf).sort()).toEqual(
        [
          ['rekognition:DeleteFaces'],
          ['rekognition:IndexFaces'],
          ['rekognition:IndexFaces', 'rekognition:SearchFacesByImage'],
          ['rekognition:SearchFacesByImage'],
        ].sort(),
      );
      const collectionArn = synthKyc().dataStack.faceCollection.collectionArn;
      for (const s of collection) {
        expect(s.Resource).not.toBe('*');
        expect(JSON.stringify(s.Resource)).toMatch(/collection|FaceCollection|Faces/i);
      }
      expect(collectionArn).toBeDefined();
    });

    it('lets only the document-data step decrypt personal data, under its encryption context', () => {
      // Act
      const personal = all.filter((s) => JSON.stringify(s.Condition ?? {}).includes('kms:EncryptionContext:purpose'));
      const mac = all.filter((s) => actionsOf(s).includes('kms:GenerateMac'));

      // Assess
      expect(personal).toHaveLength(1);
      expect(personal[0]?.Condition).toEqual({ StringEquals: { 'kms:EncryptionContext:purpose': 'personal-data' } });
      expect(mac).toHaveLength(1);
    });

    it('conditions every KMS grant (through a service or under an encryption context), except GenerateMac on the HMAC key', () => {
      // Act
      const unconditioned = all.filter(
        (s) =>
          actionsOf(s).some((action) => action.startsWith('kms:')) &&
          s.Condition === undefined &&
          JSON.stringify(s.Action) !== JSON.stringify('kms:GenerateMac'),
      );

      // Assess
      expect(unconditioned).toEqual([]);
    });

    it('never lets a workflow function put over, update or delete audit events', () => {
      // Act
      const auditWrites = all.filter(
        (s) =>
          JSON.stringify(s.Resource).includes('AuditEvents') &&
          actionsOf(s).some((a) =>
            /dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem|PartiQLUpdate|PartiQLDelete|\*)/.test(a),
          ),
      );

      // Assess
      expect(auditWrites).toEqual([]);
    });

    it('keeps liveness images short-lived: read from intake liveness/, copied to the vault only by the workflow', () => {
      // Act
      const liveness = grantsOf(appTemplate, 'WorkflowStepsLiveness').filter((g) => g.startsWith('s3:'));
      const vaultLivenessWriters = Object.entries(template.Resources ?? {})
        .filter(([, r]) => r.Type === 'AWS::IAM::Policy')
        .filter(([, r]) =>
          (r.Properties?.PolicyDocument as { Statement: Statement[] }).Statement.some(
            (s) => actionsOf(s).includes('s3:PutObject') && /Vault.*liveness\/\*/.test(JSON.stringify(s.Resource)),
          ),
        )
        .map(([id]) => id);
      const intake = synthKyc().dataTemplate.findResources('AWS::S3::Bucket', {
        Properties: { NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } },
      });
      const rules = Object.values(intake).flatMap(
        (bucket) => (bucket.Properties.LifecycleConfiguration as { Rules: Array<Record<string, unknown>> }).Rules,
      );

      // Assess
      expect(liveness).toEqual(
        [
          's3:DeleteObject @ intake/liveness/*',
          's3:GetObject @ intake/liveness/*',
          's3:GetObjectVersion @ intake/liveness/*',
          's3:GetObject @ vault/evidence/*',
          's3:GetObject @ vault/liveness/*',
          's3:GetObjectVersion @ vault/evidence/*',
          's3:GetObjectVersion @ vault/liveness/*',
          's3:PutObject @ vault/liveness/*',
        ].sort(),
      );
      expect(vaultLivenessWriters).toHaveLength(1);
      expect(vaultLivenessWriters[0]).toMatch(/^WorkflowStepsLiveness/);
      // The intake lifecycle rule has no prefix filter: liveness/ images expire with every upload.
      expect(rules).toEqual([
        expect.objectContaining({ Status: 'Enabled', ExpirationInDays: config.retention.intakeLeftoverDays }),
      ]);
      expect(rules[0]).not.toHaveProperty('Prefix');
      expect(rules[0]).not.toHaveProperty('Filter');
    });

    it('retries on the errors the handlers and Lambda raise', () => {
      // Assess
      expect(TRANSIENT_ERRORS).toEqual(expect.arrayContaining(['Lambda.ServiceException', 'WorkflowConflictError']));
    });
  });
});

describe('VerificationWorkflow: configuration', () => {
  it('uses review.slaDays as the task-token timeout', () => {
    // Prepare
    const { appTemplate } = synthKyc({ review: { slaDays: 3 } });

    // Act
    const definition = definitionOf(appTemplate.toJSON() as CfnTemplate);

    // Assess
    expect((definition.States.AwaitReview as State).TimeoutSeconds).toBe(3 * 24 * 3600);
  });

  it('adds no webhook deliverer when webhooks are off', () => {
    // Act
    const resources = Object.keys((synthKyc().appTemplate.toJSON() as CfnTemplate).Resources ?? {});

    // Assess
    expect(resources.filter((id) => /^WorkflowWebhook/.test(id))).toEqual([]);
  });

  it('delivers signed webhooks with retries and a DLQ when enabled, the secret only by reference', () => {
    // Prepare
    const { appTemplate } = synthKyc({ features: { webhooks: true }, webhookUrl: 'https://hooks.example.com/kyc' });

    // Assess
    appTemplate.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['serverless-kyc'], 'detail-type': ['Verification Status Changed'] },
      Targets: [
        Match.objectLike({
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: { Arn: Match.anyValue() },
        }),
      ],
    });
    appTemplate.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: Match.anyValue() });
    appTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ WEBHOOK_SECRET_ARN: { Ref: Match.anyValue() } }) },
    });
  });

  it('has no unsuppressed cdk-nag findings with webhooks on', () => {
    // Prepare
    const app = createTestApp();
    const { appStack } = buildKycApp(
      app,
      resolveConfig({ features: { webhooks: true }, webhookUrl: 'https://hooks.example.com/kyc' }),
    );
    Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));

    // Act
    app.synth();
    const annotations = Annotations.fromStack(appStack);
    const found = [
      ...annotations.findError('*', Match.stringLikeRegexp('^AwsSolutions-')),
      ...annotations.findWarning('*', Match.stringLikeRegexp('^AwsSolutions-')),
    ].map((entry) => `${entry.id}: ${String(entry.entry.data).split('\n')[0]}`);

    // Assess
    expect(found).toEqual([]);
  });
});
