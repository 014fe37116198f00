import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectRetentionCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { bodyBytes, S3RestClient, S3ServiceError } from '../../../lambdas/adapters/aws/s3-rest-client.ts';
import {
  SDK_BOOKKEEPING,
  useRecordingServer,
  type RecordedRequest,
  type ScriptedReply,
} from '../../support/recording-server.ts';

// S3RestClient against the SDK's S3Client on the wire: a recording server answers both, and for
// each operation the two requests must agree on method, path, query, body and every header but
// the SDK's own bookkeeping (user agent, invocation id, attempt count) and the signature over
// them. Then what each client makes of S3's answers and errors, and the retries.

type Recorded = RecordedRequest;

/** How the recording server answers: by default, each operation's answer in S3's shape. */
type Reply = ScriptedReply;

const LIST_V2 =
  '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
  '<Name>bkt</Name><Prefix>intake/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>' +
  '<Contents><Key>intake/a &amp; b.jpg</Key><LastModified>2026-12-01T10:00:00.000Z</LastModified><Size>12</Size></Contents>' +
  '<Contents><Key>intake/c.jpg</Key><LastModified>2026-12-02T11:00:00.000Z</LastModified><Size>3</Size></Contents>' +
  '<NextContinuationToken>tok+/=</NextContinuationToken></ListBucketResult>';
const LIST_VERSIONS =
  '<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
  '<Name>bkt</Name><Prefix>evidence/x</Prefix><IsTruncated>true</IsTruncated><NextKeyMarker>evidence/x</NextKeyMarker>' +
  '<NextVersionIdMarker>v3</NextVersionIdMarker>' +
  '<Version><Key>evidence/x</Key><VersionId>v1</VersionId><IsLatest>true</IsLatest></Version>' +
  '<DeleteMarker><Key>evidence/x</Key><VersionId>v2</VersionId></DeleteMarker></ListVersionsResult>';

function defaultReply(method: string, url: string): Reply {
  const json = { status: 200, headers: { 'content-type': 'application/xml' } };
  if (url.includes('list-type=2')) return { ...json, body: LIST_V2 };
  if (url.includes('versions=')) return { ...json, body: LIST_VERSIONS };
  if (method === 'GET' && url.includes('retention=')) {
    return {
      ...json,
      body: '<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2031-05-06T07:08:09.123Z</RetainUntilDate></Retention>',
    };
  }
  if (method === 'GET' && url.includes('legal-hold=')) {
    return { ...json, body: '<LegalHold><Status>ON</Status></LegalHold>' };
  }
  if (url.includes('x-id=CopyObject')) {
    return {
      status: 200,
      headers: { 'x-amz-version-id': 'copy-v' },
      body: '<CopyObjectResult><ETag>"e"</ETag><LastModified>2026-12-01T10:00:00.000Z</LastModified></CopyObjectResult>',
    };
  }
  if (method === 'GET' || method === 'HEAD') {
    return {
      status: 200,
      headers: {
        'content-type': 'image/jpeg',
        'content-length': '5',
        'x-amz-version-id': 'obj-v',
        'last-modified': 'Tue, 01 Dec 2026 10:00:00 GMT',
      },
      body: method === 'GET' ? 'bytes' : '',
    };
  }
  return { status: method === 'DELETE' ? 204 : 200, headers: { 'x-amz-version-id': 'written-v' } };
}

const wire = useRecordingServer((request) => defaultReply(request.method, request.url));
const { scripted } = wire;

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const sdk = () => new S3Client({ region: 'eu-west-1', endpoint: wire.endpoint, forcePathStyle: true, credentials });
const ours = (maxAttempts = 3) =>
  new S3RestClient({
    context: { region: 'eu-west-1', endpoint: wire.endpoint, forcePathStyle: true, credentials },
    maxAttempts,
  });

const B = 'kyc-vault-1a2b';
const K = "evidence/v 1/a+b(1)!*'~@=&;,$/selfie.jpg";
const DATE = new Date('2031-05-06T07:08:09.123Z');
const SSE = {
  ServerSideEncryption: 'aws:kms',
  SSEKMSKeyId: 'arn:aws:kms:eu-west-1:1:key/k',
  BucketKeyEnabled: true,
} as const;

/** Each operation the functions call, with the same input for both clients. */
const OPERATIONS = [
  {
    name: 'headObject',
    sdk: new HeadObjectCommand({ Bucket: B, Key: K, VersionId: 'v/1+' }),
    ours: (c: S3RestClient) => c.headObject({ Bucket: B, Key: K, VersionId: 'v/1+' }),
  },
  {
    name: 'getObject',
    sdk: new GetObjectCommand({ Bucket: B, Key: K, VersionId: 'v1', Range: 'bytes=0-10' }),
    ours: (c: S3RestClient) => c.getObject({ Bucket: B, Key: K, VersionId: 'v1', Range: 'bytes=0-10' }),
  },
  {
    name: 'putObject (SHA-256, SSE-KMS, cache control)',
    sdk: new PutObjectCommand({
      Bucket: B,
      Key: K,
      Body: Buffer.from('hello'),
      ContentType: 'image/jpeg',
      ChecksumAlgorithm: 'SHA256',
      CacheControl: 'no-store',
      ...SSE,
    }),
    ours: (c: S3RestClient) =>
      c.putObject({
        Bucket: B,
        Key: K,
        Body: Buffer.from('hello'),
        ContentType: 'image/jpeg',
        ChecksumAlgorithm: 'SHA256',
        CacheControl: 'no-store',
        ...SSE,
      }),
  },
  {
    name: 'putObject (default checksum)',
    sdk: new PutObjectCommand({
      Bucket: B,
      Key: 'audit/2026/12/01.jsonl',
      Body: '{"a":1}\n',
      ContentType: 'text/plain',
    }),
    ours: (c: S3RestClient) =>
      c.putObject({ Bucket: B, Key: 'audit/2026/12/01.jsonl', Body: '{"a":1}\n', ContentType: 'text/plain' }),
  },
  {
    name: 'copyObject',
    sdk: new CopyObjectCommand({
      Bucket: B,
      Key: K,
      CopySource: 'kyc-intake/intake/v%201/a/selfie?versionId=x',
      MetadataDirective: 'REPLACE',
      ChecksumAlgorithm: 'SHA256',
      ContentType: 'image/png',
      ...SSE,
    }),
    ours: (c: S3RestClient) =>
      c.copyObject({
        Bucket: B,
        Key: K,
        CopySource: 'kyc-intake/intake/v%201/a/selfie?versionId=x',
        MetadataDirective: 'REPLACE',
        ChecksumAlgorithm: 'SHA256',
        ContentType: 'image/png',
        ...SSE,
      }),
  },
  {
    name: 'copyObject onto itself',
    sdk: new CopyObjectCommand({
      Bucket: B,
      Key: 'intake/v/a/selfie',
      CopySource: `${B}/intake/v/a/selfie`,
      MetadataDirective: 'COPY',
      TaggingDirective: 'COPY',
      StorageClass: 'STANDARD',
    }),
    ours: (c: S3RestClient) =>
      c.copyObject({
        Bucket: B,
        Key: 'intake/v/a/selfie',
        CopySource: `${B}/intake/v/a/selfie`,
        MetadataDirective: 'COPY',
        TaggingDirective: 'COPY',
        StorageClass: 'STANDARD',
      }),
  },
  {
    name: 'deleteObject',
    sdk: new DeleteObjectCommand({ Bucket: B, Key: K, VersionId: 'v1' }),
    ours: (c: S3RestClient) => c.deleteObject({ Bucket: B, Key: K, VersionId: 'v1' }),
  },
  {
    name: 'listObjectsV2',
    sdk: new ListObjectsV2Command({ Bucket: B, Prefix: 'intake/a b/', ContinuationToken: 't+/=', StartAfter: 's' }),
    ours: (c: S3RestClient) =>
      c.listObjectsV2({ Bucket: B, Prefix: 'intake/a b/', ContinuationToken: 't+/=', StartAfter: 's' }),
  },
  {
    name: 'listObjectVersions',
    sdk: new ListObjectVersionsCommand({ Bucket: B, Prefix: K, KeyMarker: 'k', VersionIdMarker: 'v m' }),
    ours: (c: S3RestClient) => c.listObjectVersions({ Bucket: B, Prefix: K, KeyMarker: 'k', VersionIdMarker: 'v m' }),
  },
  {
    name: 'getObjectRetention',
    sdk: new GetObjectRetentionCommand({ Bucket: B, Key: K, VersionId: 'v1' }),
    ours: (c: S3RestClient) => c.getObjectRetention({ Bucket: B, Key: K, VersionId: 'v1' }),
  },
  {
    name: 'putObjectRetention',
    sdk: new PutObjectRetentionCommand({
      Bucket: B,
      Key: K,
      VersionId: 'v1',
      Retention: { Mode: 'COMPLIANCE', RetainUntilDate: DATE },
    }),
    ours: (c: S3RestClient) =>
      c.putObjectRetention({
        Bucket: B,
        Key: K,
        VersionId: 'v1',
        Retention: { Mode: 'COMPLIANCE', RetainUntilDate: DATE },
      }),
  },
  {
    name: 'getObjectLegalHold',
    sdk: new GetObjectLegalHoldCommand({ Bucket: B, Key: K }),
    ours: (c: S3RestClient) => c.getObjectLegalHold({ Bucket: B, Key: K }),
  },
  {
    name: 'putObjectLegalHold',
    sdk: new PutObjectLegalHoldCommand({ Bucket: B, Key: K, VersionId: 'v1', LegalHold: { Status: 'OFF' } }),
    ours: (c: S3RestClient) =>
      c.putObjectLegalHold({ Bucket: B, Key: K, VersionId: 'v1', LegalHold: { Status: 'OFF' } }),
  },
] as const;

/** The SDK's answer to one of the operations, as a plain record. */
const sdkSend = (client: S3Client, command: unknown) =>
  client.send(command as never) as unknown as Promise<Record<string, unknown> & { Body?: { destroy(): void } }>;

/** The request without the SDK's bookkeeping, and the headers S3RestClient leaves out on purpose. */
function comparable(request: Recorded) {
  const headers = Object.fromEntries(
    Object.entries(request.headers).filter(
      ([name]) => !SDK_BOOKKEEPING.includes(name) && name !== 'x-amz-checksum-mode' && name !== 'host',
    ),
  );
  return { method: request.method, url: request.url, body: request.body, headers };
}

/** An output without the SDK's `$metadata` and streams, for comparing fields. */
async function plain(output: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { $metadata: _metadata, Body, ...rest } = output;
  return Body ? { ...rest, Body: (await bodyBytes(Body as never)).toString() } : rest;
}

describe('S3RestClient on the wire', () => {
  it.each(OPERATIONS)('$name sends what the SDK sends', async (operation) => {
    // Act
    const client = sdk();
    (await sdkSend(client, operation.sdk)).Body?.destroy();
    client.destroy();
    const output = await operation.ours(ours());
    if (output && 'Body' in output) (output.Body as { destroy(): void }).destroy();

    // Assess
    expect(wire.seen).toHaveLength(2);
    const [theirs, mine] = wire.seen.map(comparable);
    expect(mine).toEqual(theirs);
    // Signed, over the headers it sent (an S3 checks the signature itself: s3-rest-client integration test).
    expect(wire.seen[1]?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
    );
    expect(wire.seen[1]?.headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads every answer as the SDK does', async () => {
    // Act
    const client = sdk();
    const results: [unknown, unknown][] = [];
    for (const operation of OPERATIONS) {
      const theirs = await plain(await sdkSend(client, operation.sdk));
      const mine = await plain(((await operation.ours(ours())) ?? {}) as Record<string, unknown>);
      // Only the fields S3RestClient reads: each of its outputs' fields must equal the SDK's.
      const picked = Object.fromEntries(Object.keys(mine).map((key) => [key, theirs[key]]));
      results.push([mine, picked]);
    }
    client.destroy();

    // Assess
    for (const [mine, theirs] of results) expect(mine).toEqual(normalize(theirs));
    expect(results.map(([mine]) => Object.keys(mine as object).length).reduce((a, b) => a + b)).toBeGreaterThan(20);
  });
});

/** The SDK's list entries carry more fields than S3RestClient reads: keep those it reads. */
function normalize(output: unknown): unknown {
  const value = output as Record<string, unknown>;
  const pick = (entries: unknown, keys: string[]) =>
    (entries as Record<string, unknown>[] | undefined)?.map((entry) =>
      Object.fromEntries(keys.filter((key) => entry[key] !== undefined).map((key) => [key, entry[key]])),
    ) ?? [];
  return {
    ...value,
    ...('Contents' in value ? { Contents: pick(value.Contents, ['Key', 'LastModified', 'Size']) } : {}),
    ...('Versions' in value ? { Versions: pick(value.Versions, ['Key', 'VersionId']) } : {}),
    ...('DeleteMarkers' in value ? { DeleteMarkers: pick(value.DeleteMarkers, ['Key', 'VersionId']) } : {}),
  };
}

describe('S3RestClient errors and retries', () => {
  const errorBody = (code: string) =>
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>m ${code}</Message><RequestId>r1</RequestId></Error>`;

  it("names an error by S3's code, with its status, as the SDK does", async () => {
    // Prepare
    scripted({ status: 404, headers: { 'x-amz-request-id': 'r1' }, body: errorBody('NoSuchKey') });

    // Act
    const error = await ours()
      .getObject({ Bucket: B, Key: 'missing' })
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(S3ServiceError);
    expect(error).toMatchObject({
      name: 'NoSuchKey',
      message: 'm NoSuchKey',
      $fault: 'client',
      $metadata: { httpStatusCode: 404, requestId: 'r1' },
    });
  });

  it.each([
    { status: 404, name: 'NotFound' },
    { status: 403, name: 'Forbidden' },
    { status: 400, name: 'BadRequest' },
  ])('names a HEAD error (no body) $name from its status $status', async ({ status, name }) => {
    // Prepare
    scripted({ status });

    // Act
    const error = await ours(1)
      .headObject({ Bucket: B, Key: 'k' })
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ name, $metadata: { httpStatusCode: status } });
  });

  it('retries throttling, 5xx and dropped connections, then succeeds', async () => {
    // Prepare
    scripted({ status: 503, body: errorBody('SlowDown') }, 'drop', { status: 500, body: errorBody('InternalError') });

    // Act
    const output = await ours(4).putObjectLegalHold({ Bucket: B, Key: K, LegalHold: { Status: 'ON' } });

    // Assess: four tries of the same request, the body each time
    expect(output).toBeUndefined();
    expect(wire.seen).toHaveLength(4);
    expect(new Set(wire.seen.map((request) => request.body)).size).toBe(1);
    expect(wire.seen[3]?.body).toContain('<Status>ON</Status>');
  });

  it('gives up after the attempts allowed, with the last error', async () => {
    // Prepare
    scripted(
      { status: 503, body: errorBody('SlowDown') },
      { status: 503, body: errorBody('SlowDown') },
      { status: 503, body: errorBody('SlowDown') },
    );

    // Act
    const error = await ours(3)
      .deleteObject({ Bucket: B, Key: K })
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 } });
    expect(wire.seen).toHaveLength(3);
  });

  it('does not retry a client error', async () => {
    // Prepare
    scripted({ status: 403, body: errorBody('AccessDenied') });

    // Act
    const error = await ours()
      .putObjectRetention({ Bucket: B, Key: K, Retention: { Mode: 'COMPLIANCE', RetainUntilDate: DATE } })
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(wire.seen).toHaveLength(1);
  });

  it('takes a copy answered 200 with an error, or with nothing, as a failure, and retries it', async () => {
    // Prepare
    scripted(
      { status: 200, body: errorBody('InternalError') },
      { status: 200, body: '' },
      { status: 200, body: errorBody('InternalError') },
    );

    // Act
    const error = await ours(3)
      .copyObject({ Bucket: B, Key: 'k', CopySource: `${B}/src` })
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ name: 'InternalError', $metadata: { httpStatusCode: 503 } });
    expect(wire.seen).toHaveLength(3);
  });

  it('reads one list entry as a list of one, and no entries as an empty list', async () => {
    // Prepare
    scripted(
      {
        status: 200,
        body: '<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>only</Key></Contents></ListBucketResult>',
      },
      { status: 200, body: '<ListVersionsResult><IsTruncated>false</IsTruncated></ListVersionsResult>' },
    );

    // Act
    const listed = await ours().listObjectsV2({ Bucket: B, Prefix: '' });
    const versions = await ours().listObjectVersions({ Bucket: B, Prefix: 'x' });

    // Assess
    expect(listed).toEqual({ Contents: [{ Key: 'only' }], IsTruncated: false });
    expect(versions).toEqual({ Versions: [], DeleteMarkers: [], IsTruncated: false });
  });

  it('refuses an answer of another shape', async () => {
    // Prepare
    scripted({ status: 200, body: '<html><body>portal</body></html>' });

    // Act
    const error = await ours()
      .getObjectLegalHold({ Bucket: B, Key: K })
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ name: 'InvalidResponse' });
  });
});

describe('S3RestClient context', () => {
  it('reads a context given as a function at its first request, once, and sends where it says', async () => {
    // Prepare
    let reads = 0;
    const client = new S3RestClient({
      context: () => {
        reads += 1;
        return { region: 'eu-west-1', endpoint: wire.endpoint, forcePathStyle: true, credentials };
      },
    });
    const readsBefore = reads;

    // Act
    await client.headObject({ Bucket: B, Key: 'a' });
    await client.headObject({ Bucket: B, Key: 'b' });

    // Assess
    expect(readsBefore).toBe(0);
    expect(reads).toBe(1);
    expect(wire.seen.map((request) => request.url)).toEqual([`/${B}/a`, `/${B}/b`]);
  });
});
