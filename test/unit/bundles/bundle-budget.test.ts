import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFunction, type AppFunction } from '../../../bench/support/bundles.ts';

// Built with the deployment's esbuild settings (KYC_BUNDLING); `npm run bench` measures every function.
const ROOT = process.cwd();
const out = mkdtempSync(join(tmpdir(), 'kyc-bundle-budget-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const LEAN_BUDGET_BYTES = 300 * 1024;

function fn(entry: string): AppFunction {
  return { name: entry, entry, memoryMb: 512, nodeModules: [], environment: {} };
}

describe('bundle budget', () => {
  it.each([
    'lambdas/handlers/http/health.ts',
    'lambdas/handlers/http/get-verification.ts',
    'lambdas/handlers/auth/pre-token-generation.ts',
  ])('%s stays within 300 KB and imports without node_modules', async (entry) => {
    // Prepare
    const dir = join(out, entry.replace(/\W/g, '_'));

    // Act
    const bundle = await bundleFunction(ROOT, fn(entry), dir);
    const run = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(bundle.file).href)})`],
      { cwd: out, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1' }, timeout: 60_000 },
    );

    // Assess
    expect(bundle.bundleClass).toBe('lean');
    expect(bundle.sizeBytes, JSON.stringify(bundle.composition.slice(0, 5))).toBeLessThanOrEqual(LEAN_BUDGET_BYTES);
    expect(run.status, run.stderr.slice(-800)).toBe(0);
  });

  it('keeps the reconciler free of the quality gate and sharp (it would not load on Lambda)', async () => {
    // Act
    const bundle = await bundleFunction(
      ROOT,
      fn('lambdas/handlers/maintenance/reconciler.ts'),
      join(out, 'reconciler'),
    );

    // Assess
    const sources = bundle.composition.map((part) => part.source);
    expect(bundle.bundleClass).toBe('lean');
    expect(sources).not.toContain('sharp');
    expect(sources).not.toContain('lambdas/quality');
  });
});
