import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFunctions, type AppFunction, type BuiltBundle } from '../../../bench/support/bundles.ts';
import { LEAN_BUDGET } from '../../../bench/support/goals.ts';

// Built with the deployment's esbuild settings (KYC_BUNDLING), all in one esbuild run;
// `npm run bench -- bundles` measures every function of the app (size and cold import).
const ROOT = process.cwd();
const out = mkdtempSync(join(tmpdir(), 'kyc-bundle-budget-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Lean functions (no image or model code) that meet the 300 KB budget: each must stay within it. */
const WITHIN_BUDGET = [
  'lambdas/handlers/http/health.ts',
  'lambdas/handlers/http/get-verification.ts',
  'lambdas/handlers/http/get-metrics.ts',
  'lambdas/handlers/http/list-reviews.ts',
  'lambdas/handlers/http/claim-case.ts',
  'lambdas/handlers/http/case-audit.ts',
  'lambdas/handlers/http/get-export.ts',
  'lambdas/handlers/http/reject-export.ts',
  'lambdas/handlers/auth/pre-token-generation.ts',
  'lambdas/handlers/workflow/load-attempt.ts',
  'lambdas/handlers/workflow/decide.ts',
  'lambdas/handlers/workflow/face-match.ts',
] as const;

/** Workflow steps and the SDK clients each may carry: only those of the ports its step takes. */
const WORKFLOW_CLIENTS = [
  ['load-attempt', ['client-dynamodb']],
  ['decide', ['client-dynamodb']],
  ['face-match', ['client-dynamodb', 'client-rekognition']],
  ['document-data', ['client-dynamodb', 'client-rekognition', 'client-kms']],
  ['review-task', ['client-dynamodb', 'client-eventbridge', 'client-sfn']],
  ['finalize-reject', ['client-dynamodb', 'client-eventbridge']],
] as const;

/** Handlers that validate a body or query with zod/mini: none may pull in zod's full build (83 KB). */
const ZOD_MINI = [
  'lambdas/handlers/http/create-verification.ts',
  'lambdas/handlers/http/list-cases.ts',
  'lambdas/handlers/http/assign-case.ts',
  'lambdas/handlers/http/reject-export.ts',
  'lambdas/handlers/http/review-decision.ts',
] as const;
const ZOD_MINI_MAX_BYTES = 30 * 1024;

/** The status view describes reasons in the caller's language; the others only negotiate it for their errors. */
const DESCRIBES_REASONS = 'lambdas/handlers/http/get-verification.ts';
const NEGOTIATES_ONLY = ['lambdas/handlers/http/reject-export.ts', 'lambdas/handlers/http/claim-case.ts'] as const;
/** A message of the reason catalog in each of its languages, as esbuild writes it (non-ASCII escaped). */
const CATALOG_TEXTS = ['Photo too blurry', '\\u7167\\u7247\\u592A\\u6A21\\u7CCA' /* 照片太模糊 */];

const RECONCILER = 'lambdas/handlers/maintenance/reconciler.ts';

/**
 * Functions with the S3 client, whose SDK code differs from the others' (it imports the
 * event-stream codec statically): each must load as built, with nothing beside it.
 */
const WITH_S3 = ['lambdas/handlers/http/download-export.ts', 'lambdas/handlers/http/create-attempt.ts'] as const;

function fn(entry: string): AppFunction {
  return { name: entry, entry, memoryMb: 512, nodeModules: [], environment: {} };
}

const entries = [
  ...WITHIN_BUDGET,
  ...WORKFLOW_CLIENTS.map(([step]) => `lambdas/handlers/workflow/${step}.ts`),
  ...ZOD_MINI,
  DESCRIBES_REASONS,
  ...NEGOTIATES_ONLY,
  RECONCILER,
  ...WITH_S3,
].filter((entry, index, all) => all.indexOf(entry) === index);
const built = new Map<string, BuiltBundle>();

beforeAll(async () => {
  const bundles = await bundleFunctions(ROOT, entries.map(fn), out);
  entries.forEach((entry, index) => built.set(entry, bundles[index]!));
}, 120_000);

function bundleOf(entry: string): BuiltBundle {
  const bundle = built.get(entry);
  if (!bundle) throw new Error(`${entry} was not built`);
  return bundle;
}

const sdkClients = (bundle: BuiltBundle): string[] =>
  bundle.composition
    .map((part) => /^@aws-sdk\/(client-[a-z0-9-]+)$/.exec(part.source)?.[1])
    .filter((client): client is string => client !== undefined)
    .sort();

/** Imports the built bundle in a fresh Node process, with no node_modules beside it. */
function importAlone(bundle: BuiltBundle) {
  return spawnSync(
    process.execPath,
    ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(bundle.file).href)})`],
    { cwd: out, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1' }, timeout: 60_000 },
  );
}

describe('bundle budget', () => {
  it.each(WITHIN_BUDGET)('%s stays within 300 KB and imports without node_modules', (entry) => {
    // Prepare
    const bundle = bundleOf(entry);

    // Act
    const run = importAlone(bundle);

    // Assess
    expect(bundle.bundleClass).toBe('lean');
    expect(bundle.sizeBytes, JSON.stringify(bundle.composition.slice(0, 5))).toBeLessThanOrEqual(LEAN_BUDGET.sizeBytes);
    expect(run.status, run.stderr.slice(-800)).toBe(0);
  });

  it.each(WITH_S3)('%s, with the S3 client, imports without node_modules', (entry) => {
    // Act
    const run = importAlone(bundleOf(entry));

    // Assess
    expect(sdkClients(bundleOf(entry))).toContain('client-s3');
    expect(run.status, run.stderr.slice(-800)).toBe(0);
  });

  it.each(WORKFLOW_CLIENTS)('workflow step %s carries only the SDK clients of its ports: %j', (step, clients) => {
    // Act
    const bundle = bundleOf(`lambdas/handlers/workflow/${step}.ts`);

    // Assess
    expect(bundle.bundleClass).toBe('lean');
    expect(sdkClients(bundle)).toEqual([...clients].sort());
    expect(bundle.composition.map((part) => part.source)).not.toContain('zod');
  });

  it.each(ZOD_MINI)('%s carries zod/mini, not the full zod build', (entry) => {
    // Act
    const bundle = bundleOf(entry);

    // Assess
    const zod = bundle.composition.find((part) => part.source === 'zod');
    expect(zod?.bytes ?? 0).toBeGreaterThan(0);
    expect(zod?.bytes).toBeLessThanOrEqual(ZOD_MINI_MAX_BYTES);
  });

  it.each(NEGOTIATES_ONLY)("%s carries no language's reason texts, only the language negotiation", (entry) => {
    // Act
    const code = readFileSync(bundleOf(entry).file, 'utf8');
    const statusView = readFileSync(bundleOf(DESCRIBES_REASONS).file, 'utf8');

    // Assess: the status view, which describes reasons, carries them all
    for (const text of CATALOG_TEXTS) {
      expect(code).not.toContain(text);
      expect(statusView).toContain(text);
    }
  });

  it('keeps the reconciler free of the quality gate and sharp (it would not load on Lambda)', () => {
    // Act
    const bundle = bundleOf(RECONCILER);

    // Assess
    const sources = bundle.composition.map((part) => part.source);
    expect(bundle.bundleClass).toBe('lean');
    expect(sources).not.toContain('sharp');
    expect(sources).not.toContain('lambdas/quality');
  });
});
