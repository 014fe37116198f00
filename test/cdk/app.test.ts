import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/adapters/aws/environment.ts';
import { ConfigError, configFromContext } from '../../lib/config.ts';
import { buildKycApp } from '../../lib/kyc-app.ts';
import { dataResourceEnvironment } from '../../lib/stacks/data-stack.ts';
import { createTestApp, synthKyc } from './synth.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('buildKycApp', () => {
  it('creates a data stack and an app stack in the configured region and account', () => {
    // Act
    const { dataStack, appStack } = synthKyc({
      region: 'eu-central-1',
      allowedRegions: ['eu-central-1'],
      account: '123456789012',
      prefix: 'acme-kyc',
    });

    // Assess
    expect([dataStack.stackName, appStack.stackName]).toEqual(['acme-kyc-data', 'acme-kyc-app']);
    for (const stack of [dataStack, appStack]) {
      expect(stack.region).toBe('eu-central-1');
      expect(stack.account).toBe('123456789012');
    }
    expect(dataStack.terminationProtection).toBe(true);
    expect(appStack.dependencies).toContain(dataStack);
  });

  it('keeps every stateful resource in the data stack and none in the app stack', () => {
    // Act
    const { appTemplate } = synthKyc();

    // Assess
    for (const type of [
      'AWS::S3::Bucket',
      'AWS::DynamoDB::Table',
      'AWS::KMS::Key',
      'AWS::Events::EventBus',
      'AWS::Rekognition::Collection',
    ]) {
      appTemplate.resourceCountIs(type, 0);
    }
  });

  it('creates the verification event bus with a replay archive', () => {
    // Act
    const { dataTemplate } = synthKyc();

    // Assess
    dataTemplate.hasResourceProperties('AWS::Events::EventBus', { Name: 'kyc-verification-events' });
    dataTemplate.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 365 });
  });
});

describe('FaceCollection', () => {
  it('keeps the face collection in the data stack, named after the prefix and retained', () => {
    // Act
    const { dataTemplate } = synthKyc({ prefix: 'acme' });

    // Assess
    dataTemplate.hasResource('AWS::Rekognition::Collection', {
      Properties: { CollectionId: 'acme-faces' },
      DeletionPolicy: 'Retain',
    });
  });
});

describe('dataResourceEnvironment', () => {
  it('names every data resource under the variable names the handlers read', () => {
    // Prepare
    const { dataStack } = synthKyc();

    // Act
    const environment = dataResourceEnvironment(dataStack.resources);

    // Assess
    const dataVariables = Object.values(ENV).filter(
      (name) => !['STATE_MACHINE_ARN', 'WEBHOOK_SECRET_ARN', 'KYC_CONFIG'].includes(name),
    );
    expect(Object.keys(environment).sort()).toEqual([...dataVariables].sort());
    expect(Object.values(environment).every((value) => typeof value === 'string' && value.length > 0)).toBe(true);
  });
});

describe('configuration validation at synth', () => {
  it.each([
    [
      'a region outside the allow-list',
      { region: 'us-east-1', allowedRegions: ['eu-west-1'] },
      /outside allowedRegions/,
    ],
    [
      'evidence retention under 5 years',
      { retention: { evidenceYears: 4 } },
      /retention.evidenceYears must be at least 5/,
    ],
    ['audit retention under 5 years', { retention: { auditYears: 1 } }, /retention.auditYears must be at least 5/],
  ])('fails on %s', (_label, kyc, message) => {
    // Prepare
    const app = createTestApp({ kyc: JSON.stringify(kyc) });

    // Act
    const build = () => buildKycApp(app, configFromContext(app.node));

    // Assess
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(message);
  });

  it('makes `cdk synth` (bin/app.ts) exit 1 with the ConfigError message and no stack trace', () => {
    // Prepare
    const outdir = mkdtempSync(join(tmpdir(), 'kyc-synth-'));
    const context = { kyc: JSON.stringify({ region: 'us-east-1', allowedRegions: ['eu-west-1'] }) };

    // Act
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
      cwd: ROOT,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
      encoding: 'utf8',
      timeout: 60_000,
    });
    rmSync(outdir, { recursive: true, force: true });

    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid serverless-kyc configuration');
    expect(result.stderr).toContain('region "us-east-1" is outside allowedRegions [eu-west-1]');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
