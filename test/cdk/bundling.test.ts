import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../lib/config.ts';
import { FailureQueue } from '../../lib/constructs/failure-queue.ts';
import { KycFunction } from '../../lib/constructs/kyc-function.ts';
import { testContext } from './synth.ts';

const fixture = fileURLToPath(new URL('./fixtures/sdk-handler.ts', import.meta.url));

describe('KycFunction bundling (local esbuild, no Docker)', () => {
  // Prepare: a stack of its own holding only the probe function, so only it is bundled.
  const outdir = mkdtempSync(join(tmpdir(), 'kyc-bundle-'));
  const context = testContext({ 'aws:cdk:bundling-stacks': ['BundleProbe'] });
  const app = new App({ context, outdir });
  const stack = new Stack(app, 'BundleProbe', { env: { region: 'eu-west-1', account: '123456789012' } });
  const logKey = new kms.Key(stack, 'Key');
  const shared = {
    config: resolveConfig(),
    logKey,
    failureQueue: new FailureQueue(stack, 'Failures', { encryptionKey: logKey }).queue,
  };
  new KycFunction(stack, 'Probe', { shared, entry: fixture });
  app.synth();
  const assetDirs = readdirSync(outdir)
    .filter((name) => name.startsWith('asset.'))
    .map((name) => join(outdir, name))
    .filter((dir) => existsSync(join(dir, 'index.mjs')));
  const assetDir = assetDirs[0];
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('emits one minified ESM file with a source map and no package files', () => {
    // Assess
    expect(assetDirs).toHaveLength(1);
    expect(readdirSync(assetDir!).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    expect(readFileSync(join(assetDir!, 'index.mjs'), 'utf8')).toMatch(
      /^import \{ createRequire \} from 'node:module'; const require = createRequire\(import\.meta\.url\);/,
    );
  });

  it('bundles the AWS SDK v3 and Powertools so the handler runs with no node_modules, credentials from the environment', async () => {
    // Prepare: the variables Lambda sets for the function's role.
    const variables = {
      AWS_ACCESS_KEY_ID: 'ASIAPROBEKEY',
      AWS_SECRET_ACCESS_KEY: 'probe-secret',
      AWS_SESSION_TOKEN: 'probe-token',
    };
    const saved = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
    Object.assign(process.env, variables);

    try {
      // Act
      const module = (await import(pathToFileURL(join(assetDir!, 'index.mjs')).href)) as {
        handler: () => Promise<{ region: string; sdk: string; accessKeyId: string }>;
      };
      const result = await module.handler();

      // Assess
      expect(result).toEqual({ region: 'eu-west-1', sdk: 'function', accessKeyId: 'ASIAPROBEKEY' });
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('is rebuilt without what a Lambda never runs: the credential chain past the environment, unused SDK schemas', () => {
    // Prepare
    const bundle = readFileSync(join(assetDir!, 'index.mjs'), 'utf8');

    // Assess: no container or instance-metadata credential provider, no schema of an operation
    // the handler does not call; the errors the S3 client registers stay.
    expect(bundle.includes('AWS_CONTAINER_CREDENTIALS'), 'AWS_CONTAINER_CREDENTIALS').toBe(false);
    expect(bundle.includes('PutBucketLifecycleConfiguration'), 'PutBucketLifecycleConfiguration').toBe(false);
    expect(bundle.includes('NoSuchKey'), 'NoSuchKey').toBe(true);
  });
});
