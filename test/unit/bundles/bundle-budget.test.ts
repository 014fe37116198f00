import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appFunctions, bundleFunctions, type AppFunction, type BuiltBundle } from '../../../bench/support/bundles.ts';
import { LEAN_BUDGET } from '../../../bench/support/goals.ts';
import { SDK_EVENT_STREAM_CODEC } from '../../../lib/constructs/kyc-function.ts';
import type { CfnTemplate } from '../../../local/runtime/synth.ts';
import { synthKyc } from '../../cdk/synth.ts';

// Every function of the synthesized app (webhooks on, so every kind of function is there), each
// built with the deployment's esbuild settings (lambdaBuildOptions and its own external modules, from
// its template metadata); `npm run bench -- bundles` measures them all (size and cold import).
const ROOT = process.cwd();
const out = mkdtempSync(join(tmpdir(), 'kyc-bundle-budget-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Every lean function (no image or model code): each must stay within the 300 KB budget. */
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
  'lambdas/handlers/http/list-cases.ts',
  'lambdas/handlers/http/assign-case.ts',
  'lambdas/handlers/http/add-case-note.ts',
  'lambdas/handlers/http/create-export.ts',
  'lambdas/handlers/workflow/load-attempt.ts',
  'lambdas/handlers/workflow/decide.ts',
  'lambdas/handlers/workflow/face-match.ts',
  'lambdas/handlers/workflow/duplicates.ts',
  'lambdas/handlers/workflow/reopen.ts',
  'lambdas/handlers/workflow/review-task.ts',
  'lambdas/handlers/workflow/review-escalate.ts',
  'lambdas/handlers/workflow/finalize-reject.ts',
  'lambdas/handlers/workflow/finalize-approve.ts',
  'lambdas/handlers/http/review-decision.ts',
  'lambdas/handlers/http/reset-verification.ts',
  'lambdas/handlers/http/get-case.ts',
  'lambdas/handlers/events/audit-archiver.ts',
  'lambdas/handlers/http/create-verification.ts',
  'lambdas/handlers/scheduled/audit-digest.ts',
  // S3 beside DynamoDB: within since they call S3 through S3RestClient, not the SDK's S3 client.
  'lambdas/handlers/http/legal-hold.ts',
  'lambdas/handlers/http/close-account.ts',
  'lambdas/handlers/http/me-erasure.ts',
  'lambdas/handlers/workflow/liveness.ts',
  'lambdas/handlers/scheduled/records-purge.ts',
  'lambdas/handlers/maintenance/reconciler.ts',
  // DynamoDB, KMS, Rekognition DetectText (not the face service) and the MRZ parser (its state codes only).
  'lambdas/handlers/workflow/document-data.ts',
  // Presigned without an S3 client (s3-presign.ts).
  'lambdas/handlers/http/create-attempt.ts',
  'lambdas/handlers/http/download-export.ts',
  // With features.webhooks only (the bench's app leaves it out).
  'lambdas/handlers/events/webhook-deliverer.ts',
] as const;

/**
 * Workflow steps and the AWS services each may call (by the JSON protocol's target prefixes its
 * bundle holds): only those of the ports its step takes. No step carries an SDK client.
 */
const WORKFLOW_SERVICES = [
  ['load-attempt', ['DynamoDB_20120810']],
  ['decide', ['DynamoDB_20120810']],
  ['face-match', ['DynamoDB_20120810', 'RekognitionService']],
  ['document-data', ['DynamoDB_20120810', 'RekognitionService', 'TrentService']],
  ['review-task', ['AWSEvents', 'AWSStepFunctions', 'DynamoDB_20120810']],
  // Rekognition: a rejected attempt's indexed face leaves the collection (DeleteFaces).
  ['finalize-reject', ['AWSEvents', 'DynamoDB_20120810', 'RekognitionService']],
  // S3 through S3RestClient (the session's images into the vault).
  ['liveness', ['DynamoDB_20120810', 'RekognitionService']],
] as const;

/** The JSON-protocol services a bundle can call: the target prefixes in its code. */
const JSON_TARGETS = /\b(DynamoDB_20120810|RekognitionService|TrentService|AWSEvents|AWSStepFunctions)\b/g;

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
const NEGOTIATES_ONLY = [
  'lambdas/handlers/http/reject-export.ts',
  'lambdas/handlers/http/claim-case.ts',
  // Verification creation describes UNDERAGE alone (`reason-catalog/underage.ts`).
  'lambdas/handlers/http/create-verification.ts',
] as const;
/** A message of the reason catalog in each of its languages, as esbuild writes it (non-ASCII escaped). */
const CATALOG_TEXTS = ['Photo too blurry', '\\u7167\\u7247\\u592A\\u6A21\\u7CCA' /* 照片太模糊 */];

const RECONCILER = 'lambdas/handlers/maintenance/reconciler.ts';

/** The app's functions, one per handler file (two routes share the reset handler). */
let functions: AppFunction[] = [];
const built = new Map<string, BuiltBundle>();

beforeAll(async () => {
  const { appTemplate, dataTemplate } = synthKyc({
    features: { webhooks: true },
    webhookUrl: 'https://hooks.example.com/kyc',
  });
  const stacks = [appTemplate, dataTemplate].map((template, index) => ({
    stackName: String(index),
    template: template.toJSON() as CfnTemplate,
  }));
  functions = appFunctions(stacks).filter(
    (fn, index, all) => all.findIndex((other) => other.entry === fn.entry) === index,
  );
  const bundles = await bundleFunctions(ROOT, functions, out);
  functions.forEach((fn, index) => built.set(fn.entry, bundles[index]!));
}, 180_000);

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
  it('holds every lean function of the app to the budget', () => {
    // Act
    const lean = functions.filter((fn) => bundleOf(fn.entry).bundleClass === 'lean').map((fn) => fn.entry);

    // Assess
    const unlisted = lean.filter((entry) => !(WITHIN_BUDGET as readonly string[]).includes(entry));
    expect([...lean].sort(), JSON.stringify(unlisted)).toEqual([...WITHIN_BUDGET].sort());
  });

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

  it('builds every function of the app, and each imports as built with only its native packages beside it', () => {
    // Act
    const failed = functions
      .map((fn) => ({ fn, run: importAlone(bundleOf(fn.entry)) }))
      .filter(({ run }) => run.status !== 0)
      .map(({ fn, run }) => `${fn.entry}: ${run.stderr.slice(-300)}`);

    // Assess
    expect(functions.length).toBeGreaterThanOrEqual(40);
    expect(failed).toEqual([]);
  }, 240_000);

  it('carries no SDK client in any function: S3 and the JSON-protocol services through their own clients', () => {
    // Act: an external module stays in the code as the name its dynamic import() loads
    const outside = functions.map((fn) => {
      const bundle = bundleOf(fn.entry);
      return {
        entry: fn.entry,
        s3: sdkClients(bundle).includes('client-s3'),
        dynamodb:
          sdkClients(bundle).includes('client-dynamodb') ||
          bundle.composition.some((part) => part.source === '@aws-sdk/lib-dynamodb'),
        // DynamoDocumentClient's target prefix (the SDK's client has it too, and is asserted absent).
        dynamodbJson: readFileSync(bundle.file, 'utf8').includes('DynamoDB_20120810'),
        // A message of S3RestClient's (the SDK's S3 client has it too, and is asserted absent).
        s3Rest: readFileSync(bundle.file, 'utf8').includes('S3 aborted request'),
        sdkClients: sdkClients(bundle),
        // The SDK's event-stream codec: an SDK client would reach it by a dynamic import() of this name.
        codec: readFileSync(bundle.file, 'utf8').includes(SDK_EVENT_STREAM_CODEC),
        declared: fn.externalModules.includes(SDK_EVENT_STREAM_CODEC),
      };
    });

    // Assess: S3 goes through S3RestClient (lambdas/adapters/aws/s3-rest-client.ts), DynamoDB
    // through DynamoDocumentClient (lambdas/adapters/aws/dynamodb-documents.ts), the other
    // services through AwsJsonClient (lambdas/adapters/aws/aws-json-client.ts)
    expect(outside.filter((bundle) => bundle.s3Rest).length).toBeGreaterThanOrEqual(10);
    expect(outside.filter((bundle) => bundle.dynamodbJson).length).toBeGreaterThanOrEqual(35);
    for (const bundle of outside) {
      expect(bundle.s3, bundle.entry).toBe(false);
      expect(bundle.dynamodb, bundle.entry).toBe(false);
      expect(bundle.sdkClients, bundle.entry).toEqual([]);
      expect(bundle.declared, bundle.entry).toBe(true);
      expect(bundle.codec, bundle.entry).toBe(false);
    }
  });

  it.each(WORKFLOW_SERVICES)('workflow step %s calls only the services of its ports: %j', (step, services) => {
    // Act
    const bundle = bundleOf(`lambdas/handlers/workflow/${step}.ts`);
    const targets = new Set(readFileSync(bundle.file, 'utf8').match(JSON_TARGETS) ?? []);

    // Assess
    expect(bundle.bundleClass).toBe('lean');
    expect(sdkClients(bundle)).toEqual([]);
    expect([...targets].sort()).toEqual([...services].sort());
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
