import { fileURLToPath } from 'node:url';
import { Aspects, type Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../lib/config.ts';
import { KycFunction } from '../../lib/constructs/kyc-function.ts';
import { buildKycApp } from '../../lib/kyc-app.ts';
import { KycChecks } from '../../lib/rules/kyc-checks.ts';
import { createTestApp } from './synth.ts';

const fixture = fileURLToPath(new URL('./fixtures/noop-handler.ts', import.meta.url));
const consoleFixture = fileURLToPath(new URL('./fixtures/console/', import.meta.url));

function findings(stack: Stack, level: 'error' | 'warning'): string[] {
  const annotations = Annotations.fromStack(stack);
  const found =
    level === 'error'
      ? annotations.findError('*', Match.stringLikeRegexp('^(AwsSolutions|Kyc)-'))
      : annotations.findWarning('*', Match.stringLikeRegexp('^(AwsSolutions|Kyc)-'));
  return found.map((entry) => `${entry.id}: ${String(entry.entry.data).split('\n')[0]}`);
}

describe('cdk-nag: AwsSolutions and KycChecks on the whole app', () => {
  // Prepare: every stack with the optional parts on (console hosting, WAF with its us-east-1
  // stack, the alarm e-mail), plus one KycFunction so function-level rules have something to check.
  const app = createTestApp();
  const { dataStack, appStack, wafStack } = buildKycApp(
    app,
    resolveConfig({
      account: '123456789012',
      allowedOrigins: ['https://app.example.com'],
      features: { webhooks: false },
      operations: { alarmEmail: 'kyc-ops@example.com' },
      consoleHosting: { enabled: true, cognitoDomainPrefix: 'nag-probe-console' },
      apiWaf: { enabled: true },
    }),
    { consoleSourceDir: consoleFixture },
  );
  new KycFunction(appStack, 'NagProbe', { shared: appStack.functionShared, entry: fixture });
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  Aspects.of(app).add(new KycChecks({ verbose: true }));

  it.each([
    ['data', dataStack],
    ['app', appStack],
    ['waf', wafStack!],
  ])(
    '%s stack has no unsuppressed errors',
    (_name, stack) => {
      // Act
      const errors = findings(stack, 'error');

      // Assess
      expect(errors).toEqual([]);
    },
    180_000,
  ); // the first call synthesizes the whole app with both rule packs

  it.each([
    ['data', dataStack],
    ['app', appStack],
    ['waf', wafStack!],
  ])(
    '%s stack has no unsuppressed warnings',
    (_name, stack) => {
      // Act
      const warnings = findings(stack, 'warning');

      // Assess
      expect(warnings).toEqual([]);
    },
    180_000,
  );
});
