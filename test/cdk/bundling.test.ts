import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../lib/config.ts';
import { KycFunction } from '../../lib/constructs/kyc-function.ts';
import { buildKycApp } from '../../lib/kyc-app.ts';
import { testContext } from './synth.ts';

const fixture = fileURLToPath(new URL('./fixtures/sdk-handler.ts', import.meta.url));

describe('KycFunction bundling (local esbuild, no Docker)', () => {
  // Prepare: bundle only the app stack, which holds nothing but this one function.
  const outdir = mkdtempSync(join(tmpdir(), 'kyc-bundle-'));
  const context = testContext();
  delete context['aws:cdk:bundling-stacks'];
  const app = new App({ context, outdir });
  const { appStack } = buildKycApp(app, resolveConfig());
  new KycFunction(appStack, 'BundleProbe', { shared: appStack.functionShared, entry: fixture });
  app.synth();
  const assetDir = readdirSync(outdir)
    .filter((name) => name.startsWith('asset.'))
    .map((name) => join(outdir, name))
    .find((dir) => existsSync(join(dir, 'index.mjs')));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('emits one minified ESM file with a source map and no package files', () => {
    // Assess
    expect(assetDir).toBeDefined();
    expect(readdirSync(assetDir!).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    expect(readFileSync(join(assetDir!, 'index.mjs'), 'utf8')).toMatch(
      /^import \{ createRequire \} from 'node:module'; const require = createRequire\(import\.meta\.url\);/,
    );
  });

  it('bundles the AWS SDK v3 and Powertools so the handler runs with no node_modules', async () => {
    // Act
    const module = (await import(pathToFileURL(join(assetDir!, 'index.mjs')).href)) as {
      handler: () => Promise<{ region: string; sdk: string }>;
    };
    const result = await module.handler();

    // Assess
    expect(result).toEqual({ region: 'eu-west-1', sdk: 'function' });
  });
});
