import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlingExternals, lambdaBuildOptions } from '../../../lib/bundling/lambda-bundle.ts';
import { localClientConfig, localCredentials, LOCAL_REGION } from '../../../local/aws/client-config.ts';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../../local/aws/dynamodb-local.ts';
import { startKmsServer, type KmsServer } from '../../../local/aws/kms-server.ts';
import { startLocalS3, type LocalS3 } from '../../../local/aws/s3.ts';
import type { ProbeEvent } from '../fixtures/lambda-sdk-probe.ts';

// A function's bundle leaves out what a Lambda never runs (`lib/bundling/lambda-bundle.ts`): the
// credential chain past the environment, and the SDK schemas of operations it does not call.
// Here such a bundle, built as a deployment builds it, runs in a fresh Node process with only
// the environment Lambda gives it, against the local S3, DynamoDB and KMS, errors included.
const KEY_ID = '7d0f2b4e-58f5-4a43-9f3a-3c1f7c4b2a10';

describe('a Lambda bundle talks to AWS through the SDK it bundles', () => {
  const directory = mkdtempSync(join(tmpdir(), 'kyc-lambda-bundle-'));
  let s3: LocalS3;
  let dynamodb: DynamoDbLocal;
  let kms: KmsServer;
  let bundle: string;

  beforeAll(async () => {
    s3 = await startLocalS3({ directory: join(directory, 's3'), buckets: ['probe-bucket'] });
    kms = await startKmsServer({ dataDir: join(directory, 'kms'), region: LOCAL_REGION });
    kms.ensureKey(KEY_ID, 'SYMMETRIC_DEFAULT', 'probe');
    dynamodb = await startDynamoDbLocal();
    const client = new DynamoDBClient(localClientConfig(dynamodb.endpoint));
    await client.send(
      new CreateTableCommand({
        TableName: 'probe-table',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
      }),
    );
    client.destroy();
    bundle = join(directory, 'bundle', 'index.mjs');
    await build({
      ...lambdaBuildOptions(process.cwd(), { nodeModules: [], externalModules: bundlingExternals(false) }),
      entryPoints: ['test/integration/fixtures/lambda-sdk-probe.ts'],
      outfile: bundle,
    });
  }, 120_000);

  afterAll(async () => {
    await s3?.stop();
    await kms?.stop();
    await dynamodb?.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  /**
   * The bundle's handler run in a fresh Node process with `env` alone (and PATH), asynchronously
   * (the local S3 and KMS answer from this process); it exits once answered, since the SDK's
   * keep-alive sockets would hold it open.
   */
  const invoke = (
    event: ProbeEvent,
    env: Record<string, string>,
  ): Promise<{ status: number | null; out: string; err: string }> => {
    const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
process.stdout.write(JSON.stringify(await handler(${JSON.stringify(event)})), () => process.exit(0));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 60_000,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    return new Promise((done) => child.on('close', (status) => done({ status, out, err })));
  };

  const event = (): ProbeEvent => ({
    region: LOCAL_REGION,
    s3: { endpoint: s3.endpoint, bucket: 'probe-bucket' },
    dynamodb: { endpoint: dynamodb.endpoint, table: 'probe-table' },
    kms: { endpoint: kms.endpoint, keyId: KEY_ID },
  });

  it('reads and writes S3, DynamoDB and KMS, and gets the SDK error each expected failure names', async () => {
    // Act: the role's credentials in the variables Lambda sets.
    const run = await invoke(event(), {
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      AWS_SESSION_TOKEN: 'probe-session',
      AWS_REGION: LOCAL_REGION,
    });

    // Assess
    expect(run.status, run.err).toBe(0);
    expect(JSON.parse(run.out)).toEqual({
      s3: {
        body: 'probe body',
        contentType: 'text/plain',
        keys: ['probe/a.txt'],
        missingGet: 'NoSuchKey',
        missingHead: 'NotFound',
        presignedGet: 'probe body',
        presignedPost: 204,
        sigV4a: 'SigV4aNotBundledError',
      },
      dynamodb: {
        item: { pk: 'probe', sk: '1', count: 3, tags: ['a', 'b'] },
        count: 1,
        conditional: 'ConditionalCheckFailedException (400)',
      },
      kms: {
        keyBytes: 32,
        sameKey: true,
        badCiphertext: 'InvalidCiphertextException',
        missingKey: 'NotFoundException',
      },
    });
  }, 60_000);

  it('without credentials in the environment fails with the SDK credentials error, looking nowhere else', async () => {
    // Act
    const run = await invoke(event(), { AWS_REGION: LOCAL_REGION, HOME: directory });

    // Assess
    expect(run.status).not.toBe(0);
    expect(run.err).toContain('CredentialsProviderError');
    expect(run.err).toContain('Unable to find environment variable credentials');
  }, 60_000);
});
