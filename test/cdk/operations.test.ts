/**
 * Operations and edge infrastructure: the dashboard's widgets, every alarm with its action to the
 * KMS-encrypted alarm topic, the optional e-mail subscription; the console site (private bucket,
 * OAC, security headers with a CSP without inline code, generated config.json); the API behind
 * CloudFront + AWS WAF when enabled, nothing of it when not. Two synths: the defaults, and
 * everything on.
 */
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../lib/config.ts';
import { consoleCsp } from '../../lib/constructs/edge.ts';
import { buildKycApp } from '../../lib/kyc-app.ts';
import { KycWafStack, MANAGED_RULE_GROUPS } from '../../lib/stacks/waf-stack.ts';
import { createTestApp, synthKyc, testContext } from './synth.ts';

const consoleFixture = fileURLToPath(new URL('./fixtures/console/', import.meta.url));
const WEB_ACL = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/kyc-api/0f1e2d3c-aaaa-bbbb-cccc-111122223333';

const { appTemplate: defaults, dataTemplate } = synthKyc({});
const full = (() => {
  const app = createTestApp();
  const { appStack } = buildKycApp(
    app,
    resolveConfig({
      operations: { alarmEmail: 'kyc-ops@example.com', rejectionRatePercent: 40, rejectionRateMinDecisions: 25 },
      consoleHosting: { enabled: true, cognitoDomainPrefix: 'acme-kyc-console' },
      apiWaf: { enabled: true, webAclArn: WEB_ACL },
      features: { webhooks: true },
      webhookUrl: 'https://hooks.example.com/kyc',
    }),
    { consoleSourceDir: consoleFixture },
  );
  return Template.fromStack(appStack);
})();

type Resource = { Type: string; Properties: Record<string, unknown> };
const alarmsOf = (template: Template) => Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
const topicRef = (template: Template) => Object.keys(template.findResources('AWS::SNS::Topic'))[0]!;

describe('alarm topic', () => {
  it('is one KMS-encrypted topic whose key lets CloudWatch alarms of this account publish', () => {
    // Assess
    defaults.resourceCountIs('AWS::SNS::Topic', 1);
    const topic = Object.values(defaults.findResources('AWS::SNS::Topic'))[0] as Resource;
    expect(JSON.stringify(topic.Properties.KmsMasterKeyId)).toMatch(/KeysAlarms/);
    const keys = dataTemplate.findResources('AWS::KMS::Key', {
      Properties: { Description: Match.stringLikeRegexp('alarm notification topic') },
    });
    const [key] = Object.values(keys) as Resource[];
    expect(key!.Properties.EnableKeyRotation).toBe(true);
    const statements = (key!.Properties.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement;
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Sid: 'CloudWatchAlarmsPublish',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Condition: expect.objectContaining({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
        }),
      ]),
    );
    // No other principal may use it: the account administers it only.
    const uses = statements.filter(
      (s) => s.Effect === 'Allow' && JSON.stringify(s.Action).match(/Decrypt|GenerateDataKey|Encrypt|kms:\*/),
    );
    expect(uses.map((s) => s.Sid)).toEqual(['CloudWatchAlarmsPublish']);
  });

  it('has no subscription by default and an e-mail subscription when configured', () => {
    // Assess
    defaults.resourceCountIs('AWS::SNS::Subscription', 0);
    full.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'kyc-ops@example.com',
      TopicArn: { Ref: topicRef(full) },
    });
  });
});

describe('alarms', () => {
  it.each([
    ['defaults', defaults, ['AsyncFailures', 'UndeliveredUploads']],
    ['webhooks on', full, ['AsyncFailures', 'UndeliveredUploads', 'Webhooks']],
  ] as const)('every alarm notifies the topic on ALARM and OK (%s)', (_name, template, queues) => {
    // Act
    const alarms = alarmsOf(template);

    // Assess: workflow failures, SLA breaches, rejection rate, and one per dead-letter queue
    expect(alarms).toHaveLength(3 + queues.length);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicRef(template) }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topicRef(template) }]);
    }
    for (const queue of queues) {
      expect(alarms.some((alarm) => String(alarm.Properties.AlarmDescription).includes(queue))).toBe(true);
    }
  });

  it('fires on any failed, timed-out or aborted workflow execution', () => {
    // Assess
    const alarm = alarmsOf(defaults).find((a) => String(a.Properties.AlarmDescription).includes('workflow'))!;
    expect(alarm.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    const metrics = JSON.stringify(alarm.Properties.Metrics);
    for (const name of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) expect(metrics).toContain(name);
  });

  it('fires on dead letters (> 0 messages visible) in every dead-letter queue', () => {
    // Assess
    const dlqAlarms = alarmsOf(full).filter((a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(dlqAlarms).toHaveLength(3);
    for (const alarm of dlqAlarms) {
      expect(alarm.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    }
  });

  it('fires on an SLA breach from the escalation metric of this installation', () => {
    // Assess
    defaults.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'serverless-kyc',
      MetricName: 'ReviewSlaBreached',
      Dimensions: [{ Name: 'service', Value: 'kyc' }],
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 1,
    });
  });

  it('fires on a rejection-rate spike with the configured rate and volume', () => {
    // Act
    const alarm = alarmsOf(full).find((a) => String(a.Properties.AlarmDescription).includes('rejections'))!;

    // Assess
    expect(alarm.Properties).toMatchObject({ Threshold: 40, ComparisonOperator: 'GreaterThanThreshold' });
    const metrics = JSON.stringify(alarm.Properties.Metrics);
    expect(metrics).toContain('>= 25');
    expect(metrics).toContain('"Name":"outcome","Value":"rejected"');
    expect(metrics).toContain('"Name":"outcome","Value":"approved"');
  });
});

describe('dashboard', () => {
  const body = JSON.stringify(
    (Object.values(defaults.findResources('AWS::CloudWatch::Dashboard'))[0] as Resource).Properties.DashboardBody,
  );

  it.each([
    'Uploads by outcome',
    'Decisions by outcome',
    'Rejection reasons',
    'Review queue depth',
    'SLA breaches',
    'Workflow failures',
    'Dead-letter queue depth',
    'Function errors',
    'Function duration p90',
    'Rejection rate',
  ])('has the widget "%s"', (title) => {
    // Assess
    expect(body).toContain(title);
  });

  it.each([
    ['uploads', 'MetricName=\\\\\\"Upload\\\\\\"'],
    ['rejection reasons', 'MetricName=\\\\\\"RejectionReason\\\\\\"'],
    ['queue depth', 'ReviewQueueDepth'],
    ['manual review decisions', 'manual_review'],
  ])('reads the metric the code emits for %s', (_what, fragment) => {
    // Assess
    expect(body).toContain(fragment);
  });

  it('shows errors and durations of every function of the stack', () => {
    // Assess
    const functions = Object.keys(defaults.findResources('AWS::Lambda::Function'));
    for (const logicalId of functions) expect(body).toContain(logicalId);
  });
});

describe('console hosting and WAF', () => {
  it('deploys nothing at the edge by default', () => {
    // Assess
    defaults.resourceCountIs('AWS::CloudFront::Distribution', 0);
    defaults.resourceCountIs('Custom::CDKBucketDeployment', 0);
  });

  it('serves the console from a private, TLS-only bucket through origin access control', () => {
    // Assess
    full.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    const site = Object.entries(full.findResources('AWS::S3::Bucket')).find(([id]) => id.startsWith('EdgeSite'))!;
    expect(site[1].Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
    const policy = JSON.stringify(
      Object.values(full.findResources('AWS::S3::BucketPolicy')).find((p) =>
        JSON.stringify(p.Properties.Bucket).includes(site[0]),
      ),
    );
    expect(policy).toContain('"aws:SecureTransport":"false"');
    expect(policy).toContain('cloudfront.amazonaws.com');
    expect(policy).toContain('AWS:SourceArn');
    expect(policy).not.toMatch(/"Principal":"\*","Action":"s3:GetObject"/);
  });

  it('sends a CSP without inline scripts or styles and the security headers', () => {
    // Assess
    const headers = Object.values(full.findResources('AWS::CloudFront::ResponseHeadersPolicy')).map((p) =>
      JSON.stringify(p.Properties),
    );
    const consoleHeaders = headers.find((h) => h.includes('ContentSecurityPolicy'))!;
    expect(consoleHeaders).toContain("script-src 'self'");
    expect(consoleHeaders).toContain("style-src 'self'");
    expect(consoleHeaders).toContain("frame-ancestors 'none'");
    expect(consoleHeaders).not.toContain('unsafe-inline');
    expect(consoleHeaders).not.toContain('unsafe-eval');
    for (const header of ['StrictTransportSecurity', 'ContentTypeOptions', 'FrameOptions', 'ReferrerPolicy']) {
      expect(consoleHeaders).toContain(header);
    }
  });

  it('deploys the console with a generated config.json and a PKCE app client whose tokens the API accepts', () => {
    // Assess
    const deployment = JSON.stringify(full.findResources('Custom::CDKBucketDeployment'));
    expect(deployment).toContain('SourceMarkers');
    full.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'acme-kyc-console' });
    full.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      GenerateSecret: false,
    });
    const authorizer = Object.values(full.findResources('AWS::ApiGatewayV2::Authorizer'))[0] as Resource;
    expect((authorizer.Properties.JwtConfiguration as { Audience: unknown[] }).Audience).toHaveLength(2);
  });

  it('puts the API behind the distribution with the web ACL, uncached and with every viewer header', () => {
    // Assess
    full.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        WebACLId: WEB_ACL,
        CacheBehaviors: Match.arrayWith([
          Match.objectLike({
            PathPattern: '/v1/*',
            ViewerProtocolPolicy: 'https-only',
            AllowedMethods: Match.arrayWith(['POST', 'DELETE']),
            CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
            OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
          }),
        ]),
      }),
    });
  });

  it('creates the web ACL in us-east-1 with the managed rule groups and a per-IP rate rule', () => {
    // Prepare
    const app = new App({ context: testContext() });
    const config = resolveConfig({ apiWaf: { enabled: true, requestsPer5MinutesPerIp: 500 } });

    // Act
    const stack = new KycWafStack(app, 'kyc-waf', { env: { region: 'us-east-1' }, config });

    // Assess
    const template = Template.fromStack(stack);
    const acl = Object.values(template.findResources('AWS::WAFv2::WebACL'))[0] as Resource;
    expect(acl.Properties.Scope).toBe('CLOUDFRONT');
    const rules = acl.Properties.Rules as { Name: string; Statement: Record<string, { Limit?: number }> }[];
    expect(rules.map((rule) => rule.Name)).toEqual([...MANAGED_RULE_GROUPS, 'RatePerIp']);
    expect(rules.at(-1)!.Statement.RateBasedStatement).toMatchObject({ Limit: 500, AggregateKeyType: 'IP' });
    expect(stack.region).toBe('us-east-1');
  });

  it('builds the CSP from the sign-in and image origins only', () => {
    // Act
    const csp = consoleCsp({
      cognitoOrigin: 'https://acme.auth.eu-west-1.amazoncognito.com',
      imageOrigins: ['https://r.s3.eu-west-1.amazonaws.com'],
    });

    // Assess
    expect(csp).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https://r.s3.eu-west-1.amazonaws.com; " +
        "connect-src 'self' https://acme.auth.eu-west-1.amazoncognito.com; manifest-src 'self'; base-uri 'none'; " +
        "form-action 'none'; frame-ancestors 'none'; object-src 'none'",
    );
  });
});
