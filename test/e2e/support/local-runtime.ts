/**
 * End-to-end test support: one local runtime per test file, on free ports, in a fresh data
 * folder, with workflow time accelerated; plus SDK clients pointed at its local servers so tests
 * can assert what was stored exactly as an operator with the AWS CLI would see it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { loadOrCreateSigningKey, type LocalSigningKey } from '../../../local/runtime/auth/local-signing-key.ts';
import type { PartialConfig } from '../../../lib/config.ts';
import type { FaultPlan } from '../../../local/aws/fault-injection.ts';
import { startRuntime, type RunningRuntime } from '../../../local/runtime/runtime.ts';

export interface E2eRuntime {
  readonly runtime: RunningRuntime;
  readonly dynamo: DynamoDBDocumentClient;
  readonly s3: S3Client;
  /** Table and bucket names as the handlers see them. */
  readonly env: Readonly<Record<string, string>>;
  readonly logs: string[];
  /** The runtime's token signing key, for staff tokens (the API mints only `user` tokens over HTTP). */
  readonly signingKey: LocalSigningKey;
  stop(): Promise<void>;
}

/**
 * Starts a runtime for one test file.
 *
 * @example
 * ```ts
 * let e2e: E2eRuntime;
 * beforeAll(async () => { e2e = await startE2eRuntime(); });
 * afterAll(() => e2e.stop());
 * ```
 */
export async function startE2eRuntime(
  options: { timeScale?: number; config?: PartialConfig; faultPlan?: FaultPlan } = {},
): Promise<E2eRuntime> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kyc-e2e-'));
  const logs: string[] = [];
  process.env.KYC_SYNTH_CACHE_DIR ??= join(tmpdir(), 'kyc-e2e-synth-cache');
  const runtime = await startRuntime({
    port: 0,
    dataDir,
    timeScale: options.timeScale ?? 0.001,
    ...(options.config ? { config: options.config } : {}),
    ...(options.faultPlan ? { faultPlan: options.faultPlan } : {}),
    log: (line) => logs.push(line),
    // As many delivery attempts as `kyc local` makes (6), over 2-4 s rather than its 4-8 s: a
    // test machine busy with other test files must not dead-letter an upload a user would not
    // lose, and the tests that drive an outage to its end need not wait longer than that.
    eventRetry: { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 2_000 },
  });
  const region = runtime.config.region;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const dynamoClient = new DynamoDBClient({ endpoint: runtime.endpoints.dynamodb, region, credentials });
  const s3 = new S3Client({
    endpoint: runtime.endpoints.s3,
    region,
    credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const signingKey = await loadOrCreateSigningKey(dataDir);
  return {
    runtime,
    signingKey,
    dynamo: DynamoDBDocumentClient.from(dynamoClient),
    s3,
    env: runtime.environment,
    logs,
    async stop() {
      dynamoClient.destroy();
      s3.destroy();
      await runtime.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
