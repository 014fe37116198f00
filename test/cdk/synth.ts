/**
 * Synthesizes serverless-kyc in-process for CDK tests, without esbuild bundling
 * (`aws:cdk:bundling-stacks: []`) and with the feature flags of `cdk.json`, so a test sees
 * the same template `cdk synth` produces. Results are cached per configuration.
 *
 * @example
 * ```ts
 * const { appTemplate } = synthKyc({ features: { webhooks: false } });
 * appTemplate.resourceCountIs('AWS::Lambda::Function', 3);
 * ```
 */
import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { resolveConfig, type KycConfig, type PartialConfig } from '../../lib/config.ts';
import { buildKycApp } from '../../lib/kyc-app.ts';
import type { KycAppStack } from '../../lib/stacks/app-stack.ts';
import type { KycDataStack } from '../../lib/stacks/data-stack.ts';

/** Context of `cdk.json` (feature flags) plus "bundle no stack". */
export function testContext(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...extra };
}

/** A fresh `App` with the test context, for construct tests that build their own stack. */
export function createTestApp(extra: Record<string, unknown> = {}): App {
  return new App({ context: testContext(extra) });
}

/** A fresh stack in a fresh test app, in the default region. */
export function createTestStack(id = 'Test'): Stack {
  return new Stack(createTestApp(), id, { env: { region: 'eu-west-1', account: '123456789012' } });
}

export interface KycSynth {
  readonly app: App;
  readonly config: KycConfig;
  readonly dataStack: KycDataStack;
  readonly appStack: KycAppStack;
  readonly dataTemplate: Template;
  readonly appTemplate: Template;
}

const cache = new Map<string, KycSynth>();

/** Builds and synthesizes both stacks for `partial` (merged onto the defaults); cached per config. */
export function synthKyc(partial: PartialConfig = {}): KycSynth {
  const key = JSON.stringify(partial);
  const cached = cache.get(key);
  if (cached) return cached;
  const config = resolveConfig(partial);
  const app = createTestApp();
  const { dataStack, appStack } = buildKycApp(app, config);
  const result: KycSynth = {
    app,
    config,
    dataStack,
    appStack,
    dataTemplate: Template.fromStack(dataStack),
    appTemplate: Template.fromStack(appStack),
  };
  cache.set(key, result);
  return result;
}
