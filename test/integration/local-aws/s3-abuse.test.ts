/**
 * Each way a caller might get past the upload policy or read the vault, tried against the
 * local S3 through real HTTP, expecting S3's own error: what fails in AWS fails locally.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localS3ClientConfig, startLocalS3, type LocalS3 } from '../../../local/aws/s3.ts';

const INTAKE = 'kyc-intake-abuse';
const VAULT = 'kyc-vault-abuse';
const PAGE_ORIGIN = 'http://127.0.0.1:3000';
const KEY_ARN = 'arn:aws:kms:us-east-1:000000000000:key/documents';
const SLOT_KEY = 'intake/v-victim/a-1/selfie';
const JPEG = Buffer.alloc(2048, 0xff);

let directory: string;
let server: LocalS3;
let s3: S3Client;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'kyc-s3-abuse-'));
  server = await startLocalS3({
    directory,
    buckets: [INTAKE, VAULT],
    cors: { buckets: [INTAKE], origins: [PAGE_ORIGIN] },
    maxObjectBytes: 1024 * 1024,
  });
  s3 = new S3Client(localS3ClientConfig(server.endpoint));
  await s3.send(new PutObjectCommand({ Bucket: VAULT, Key: 'evidence/v-1/a-1/selfie', Body: JPEG }));
});

afterAll(async () => {
  s3?.destroy();
  await server?.stop();
  rmSync(directory, { recursive: true, force: true });
});

/** A presigned POST like the API's (`UploadPresigner`): key, size range, type and SSE fields. */
async function presign(options: { expires?: number; client?: S3Client } = {}) {
  return createPresignedPost(options.client ?? s3, {
    Bucket: INTAKE,
    Key: SLOT_KEY,
    Expires: options.expires ?? 300,
    Conditions: [
      ['eq', '$key', SLOT_KEY],
      ['content-length-range', 1024, 4096],
      ['eq', '$Content-Type', 'image/jpeg'],
      ['eq', '$x-amz-server-side-encryption', 'aws:kms'],
      ['eq', '$x-amz-server-side-encryption-aws-kms-key-id', KEY_ARN],
    ],
    Fields: {
      'Content-Type': 'image/jpeg',
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN,
    },
  });
}

async function post(
  url: string,
  fields: Record<string, string>,
  file: Buffer = JPEG,
): Promise<{ status: number; code: string }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(file)], { type: fields['Content-Type'] ?? 'image/jpeg' }), 'photo.jpg');
  const response = await fetch(url, { method: 'POST', body: form, headers: { Origin: PAGE_ORIGIN } });
  const text = await response.text();
  return { status: response.status, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? '' };
}

const tamper = (policy: string, edit: (json: Record<string, unknown>) => void): string => {
  const json = JSON.parse(Buffer.from(policy, 'base64').toString('utf8')) as Record<string, unknown>;
  edit(json);
  return Buffer.from(JSON.stringify(json)).toString('base64');
};

describe('local S3 refuses uploads S3 refuses', () => {
  it('accepts the genuine presigned POST', async () => {
    // Prepare
    const { url, fields } = await presign();

    // Act
    const result = await post(url, fields);

    // Assess
    expect(result.status).toBeLessThan(300);
  });

  it.each([
    ['an absent policy', (f: Record<string, string>) => ({ ...f, Policy: '' }), 403, 'AccessDenied'],
    [
      'an altered policy (larger size range)',
      (f: Record<string, string>) => ({
        ...f,
        Policy: tamper(f.Policy!, (json) => {
          (json.conditions as unknown[]).push(['content-length-range', 0, 10 ** 9]);
        }),
      }),
      403,
      'SignatureDoesNotMatch',
    ],
    [
      'a forged signature',
      (f: Record<string, string>) => ({ ...f, 'X-Amz-Signature': '0'.repeat(64) }),
      403,
      'SignatureDoesNotMatch',
    ],
    [
      "another user's slot key",
      (f: Record<string, string>) => ({ ...f, key: 'intake/v-other/a-1/selfie' }),
      403,
      'AccessDenied',
    ],
    [
      'another content type',
      (f: Record<string, string>) => ({ ...f, 'Content-Type': 'text/html' }),
      403,
      'AccessDenied',
    ],
    [
      'no SSE-KMS',
      (f: Record<string, string>) => ({ ...f, 'x-amz-server-side-encryption': 'AES256' }),
      403,
      'AccessDenied',
    ],
    [
      'an extra field the policy does not name',
      (f: Record<string, string>) => ({ ...f, 'x-amz-meta-x': '1' }),
      403,
      'AccessDenied',
    ],
  ])('refuses %s', async (_name, change, status, code) => {
    // Prepare
    const { url, fields } = await presign();

    // Act
    const result = await post(url, change(fields));

    // Assess
    expect(result).toEqual({ status, code });
  });

  it.each([
    ['an oversize file', Buffer.alloc(8192, 1), 'EntityTooLarge'],
    ['an undersize file', Buffer.alloc(10, 1), 'EntityTooSmall'],
  ])('refuses %s with 400', async (_name, file, code) => {
    // Prepare
    const { url, fields } = await presign();

    // Act
    const result = await post(url, fields, file);

    // Assess
    expect(result).toEqual({ status: 400, code });
  });

  it('refuses an expired policy', async () => {
    // Prepare
    const { url, fields } = await presign({ expires: 1 });
    await new Promise((done) => setTimeout(done, 2100));

    // Act
    const result = await post(url, fields);

    // Assess
    expect(result).toEqual({ status: 403, code: 'AccessDenied' });
  });

  it('refuses a policy signed with other credentials', async () => {
    // Prepare
    const stranger = new S3Client({
      ...localS3ClientConfig(server.endpoint),
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'not-the-local-secret' },
    });
    const { url, fields } = await presign({ client: stranger });
    stranger.destroy();

    // Act
    const result = await post(url, fields);

    // Assess
    expect(result).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
  });
});

describe('local S3 refuses reads S3 refuses', () => {
  it('serves the vault to a signed request', async () => {
    // Act
    const output = await s3.send(new GetObjectCommand({ Bucket: VAULT, Key: 'evidence/v-1/a-1/selfie' }));

    // Assess
    expect(Buffer.from(await output.Body!.transformToByteArray())).toEqual(JPEG);
  });

  it.each([
    ['an unsigned read', (url: string) => url.replace(/\?.*$/, '')],
    ['a presigned URL with an altered key', (url: string) => url.replace('selfie', 'document_front')],
    [
      'a presigned URL with an altered signature',
      (url: string) => url.replace(/X-Amz-Signature=[0-9a-f]{4}/, 'X-Amz-Signature=0000'),
    ],
  ])('refuses %s of the vault with 403', async (_name, change) => {
    // Prepare
    const signed = await getSignedUrl(s3, new GetObjectCommand({ Bucket: VAULT, Key: 'evidence/v-1/a-1/selfie' }), {
      expiresIn: 60,
    });

    // Act
    const response = await fetch(change(signed));

    // Assess
    expect(response.status).toBe(403);
    expect(await response.text()).toMatch(/<Code>(AccessDenied|SignatureDoesNotMatch)<\/Code>/);
  });

  it('refuses an expired presigned URL', async () => {
    // Prepare
    const signed = await getSignedUrl(s3, new GetObjectCommand({ Bucket: VAULT, Key: 'evidence/v-1/a-1/selfie' }), {
      expiresIn: 1,
    });
    await new Promise((done) => setTimeout(done, 2100));

    // Act
    const response = await fetch(signed);

    // Assess
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('Request has expired');
  });

  it.each([
    ['the vault, for the page origin', VAULT, PAGE_ORIGIN],
    ['the intake bucket, for a foreign origin', INTAKE, 'http://127.0.0.1:9999'],
  ])('answers no CORS preflight on %s', async (_name, bucket, origin) => {
    // Act
    const response = await fetch(`${server.endpoint}/${bucket}`, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
    });

    // Assess
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
