import { fileURLToPath } from 'node:url';
import { Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../lib/config.ts';
import {
  KycFunction,
  SDK_EVENT_STREAM_CODEC,
  SDK_MODULES_UNUSED_ON_LAMBDA,
  handlerEntry,
  logRetention,
} from '../../lib/constructs/kyc-function.ts';
import { buildKycApp } from '../../lib/kyc-app.ts';
import { createTestApp } from './synth.ts';

const fixture = fileURLToPath(new URL('./fixtures/noop-handler.ts', import.meta.url));

type Resource = { Properties: Record<string, unknown>; DeletionPolicy?: string };

/** Logical id of an L2 construct's CloudFormation resource. */
function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

/** The whole app (with whatever other constructs the app stack holds) plus two probe functions. */
function synthWithProbes() {
  const config = resolveConfig({ retention: { logDays: 400 } });
  const app = createTestApp();
  const { appStack } = buildKycApp(app, config);
  const plain = new KycFunction(appStack, 'PlainProbe', { shared: appStack.functionShared, entry: fixture });
  const tuned = new KycFunction(appStack, 'TunedProbe', {
    shared: appStack.functionShared,
    entry: fixture,
    handler: 'handler',
    memorySize: 1536,
    timeout: Duration.seconds(90),
    reservedConcurrency: 7,
    description: 'probe with options',
    environment: { EXTRA: 'yes' },
    logLevel: 'DEBUG',
    nodeModules: ['sharp'],
    s3Client: true,
  });
  return { config, appStack, plain, tuned, template: Template.fromStack(appStack) };
}

describe('KycFunction', () => {
  const { config, plain, tuned, template } = synthWithProbes();
  const fnProps = (probe: KycFunction): Record<string, unknown> => {
    const id = appLogicalId(probe);
    return (template.toJSON().Resources[id] as Resource).Properties;
  };
  const appLogicalId = (probe: KycFunction): string => logicalId(probe.fn);

  it('runs every function of the app stack on nodejs22.x or newer, arm64, traced, with an encrypted log group', () => {
    // Prepare
    const functions = Object.entries(template.findResources('AWS::Lambda::Function')) as [string, Resource][];
    const logGroups = template.findResources('AWS::Logs::LogGroup') as Record<string, Resource>;

    // Assess
    expect(functions.length).toBeGreaterThanOrEqual(2);
    for (const [id, fn] of functions) {
      const major = Number(/^nodejs(\d+)\.x$/.exec(String(fn.Properties.Runtime))?.[1]);
      expect(major, id).toBeGreaterThanOrEqual(22);
      expect(fn.Properties.Architectures, id).toEqual(['arm64']);
      expect(fn.Properties.TracingConfig, id).toEqual({ Mode: 'Active' });
      const logGroupRef = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      const logGroup = logGroups[logGroupRef];
      expect(logGroup?.Properties.KmsKeyId, id).toEqual({ 'Fn::ImportValue': expect.stringMatching(/KeysService/) });
    }
  });

  it('applies the defaults', () => {
    // Act
    const props = fnProps(plain);

    // Assess
    expect(props).toMatchObject({
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 30,
      Description: 'serverless-kyc PlainProbe',
    });
    expect(props.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('passes the options through', () => {
    // Act
    const props = fnProps(tuned);

    // Assess
    expect(props).toMatchObject({
      MemorySize: 1536,
      Timeout: 90,
      ReservedConcurrentExecutions: 7,
      Description: 'probe with options',
    });
  });

  it("records what each bundle leaves out: the SDK's event-stream codec only without the S3 client", () => {
    // Act
    const metadata = (probe: KycFunction): unknown =>
      (template.toJSON().Resources[appLogicalId(probe)] as { Metadata: Record<string, unknown> }).Metadata[
        'kyc:externalModules'
      ];

    // Assess
    expect(metadata(plain)).toEqual([...SDK_MODULES_UNUSED_ON_LAMBDA, SDK_EVENT_STREAM_CODEC]);
    expect(metadata(tuned)).toEqual([...SDK_MODULES_UNUSED_ON_LAMBDA]);
  });

  it('sets Powertools variables and the resolved configuration, and leaves source maps off at run time', () => {
    // Act
    const variables = (fnProps(tuned).Environment as { Variables: Record<string, string> }).Variables;

    // Assess
    expect(variables).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'kyc-tuned-probe',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      POWERTOOLS_METRICS_NAMESPACE: 'serverless-kyc',
      EXTRA: 'yes',
    });
    expect(JSON.parse(variables.KYC_CONFIG!)).toEqual(config);
    expect(variables).not.toHaveProperty('NODE_OPTIONS');
  });

  it('starts Node with --enable-source-maps when operations.sourceMapsAtRuntime asks for it', () => {
    // Prepare
    const stack = new Stack(createTestApp(), 'SourceMaps');
    const shared = {
      config: resolveConfig({ operations: { sourceMapsAtRuntime: true } }),
      logKey: new kms.Key(stack, 'LogKey'),
      failureQueue: new sqs.Queue(stack, 'Failures'),
    };

    // Act
    new KycFunction(stack, 'Probe', { shared, entry: fixture });

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps' }) },
    });
  });

  it('keeps the environment under the 4 KB Lambda limit with room to spare', () => {
    // Act
    const variables = (fnProps(plain).Environment as { Variables: Record<string, string> }).Variables;
    const size = Object.entries(variables).reduce((sum, [k, v]) => sum + k.length + v.length, 0);

    // Assess
    expect(size).toBeLessThan(3000);
  });

  it('keeps logs for the configured days, KMS-encrypted and retained', () => {
    // Act
    const logGroup = template.toJSON().Resources[logicalId(plain.logGroup)] as Resource;

    // Assess
    expect(logGroup.Properties.RetentionInDays).toBe(400);
    expect(logGroup.Properties.KmsKeyId).toBeDefined();
    expect(logGroup.DeletionPolicy).toBe('Retain');
  });

  it('sends failed asynchronous invocations to the KMS-encrypted, TLS-only failure queue', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: appLogicalId(plain) },
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AsyncFailures'), 'Arn'] } },
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::ImportValue': Match.stringLikeRegexp('KeysService') },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('raises an alarm as soon as one failed event waits in the failure queue', () => {
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AsyncFailures'), 'QueueName'] } },
      ],
    });
  });

  it('uses its own role without AWS managed policies', () => {
    // Act
    const role = template.toJSON().Resources[logicalId(plain.role)] as Resource;

    // Assess
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain('lambda.amazonaws.com');
  });

  it('keeps the X-Ray wildcard in its own policy so the default policy holds no Resource "*"', () => {
    // Prepare
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
    const roleRef = { Ref: logicalId(plain.role) };
    const ofPlain = policies.filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([roleRef]));

    // Act
    const statements = ofPlain.map(
      (p) => (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement,
    );

    // Assess
    expect(ofPlain).toHaveLength(2);
    const wildcard = statements.filter((list) => list.some((statement) => statement.Resource === '*'));
    expect(wildcard).toEqual([
      [{ Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' }],
    ]);
  });

  it('refuses an entry that does not exist', () => {
    // Prepare
    const app = createTestApp();
    const { appStack } = buildKycApp(app, resolveConfig());

    // Act
    const create = () =>
      new KycFunction(appStack, 'Missing', { shared: appStack.functionShared, entry: handlerEntry('no-such-handler') });

    // Assess
    expect(create).toThrow(/no-such-handler\.ts does not exist/);
  });
});

describe('logRetention', () => {
  it.each([
    [1, 1],
    [100, 120],
    [365, 365],
    [366, 400],
    [1827, 1827],
    [5000, 3653],
  ])('keeps %i days of logs as %i days', (days, expected) => {
    // Act
    const retention = logRetention(days);

    // Assess
    expect(retention).toBe(expected);
  });
});
