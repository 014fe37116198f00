import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3AuditArchiveStore } from '../../../lambdas/adapters/aws/s3-audit-archive-store.ts';
import { S3IntakeLeftovers, S3VaultDeletion } from '../../../lambdas/adapters/aws/s3-evidence-erasure.ts';
import { RetentionShorteningError, S3EvidenceLocks } from '../../../lambdas/adapters/aws/s3-evidence-locks.ts';
import { ObjectTooLargeError, S3EvidenceStore } from '../../../lambdas/adapters/aws/s3-evidence-store.ts';
import { S3RestClient } from '../../../lambdas/adapters/aws/s3-rest-client.ts';
import { localS3ClientConfig, localS3RestClient, startLocalS3, type LocalS3 } from '../../../local/aws/s3.ts';

// The functions' S3 adapters over S3RestClient against the local S3, which checks every
// request's SigV4 signature and keeps Object Lock as the vault's template sets it; the SDK's
// S3 client reads back what they wrote.
const VAULT = 'kyc-vault-rest-test';
const INTAKE = 'kyc-intake-rest-test';
const ARCHIVE = 'kyc-audit-rest-test';
const DAYS = 1827;
const DAY_MS = 86_400_000;

describe('S3RestClient against the local S3', () => {
  let directory: string;
  let server: LocalS3;
  let client: S3RestClient;
  let sdk: S3Client;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'kyc-s3-rest-'));
    server = await startLocalS3({
      directory,
      buckets: [VAULT, INTAKE, ARCHIVE],
      objectLock: { stateFile: join(directory, 'lock.json'), buckets: { [VAULT]: { days: DAYS } } },
    });
    client = localS3RestClient(server.endpoint);
    sdk = new S3Client(localS3ClientConfig(server.endpoint));
  });

  afterAll(async () => {
    client?.destroy();
    sdk?.destroy();
    await server?.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('moves an upload into the vault: head, bounded read, copy with SSE-KMS and a checksum, delete', async () => {
    // Prepare
    const key = 'intake/v-1/a-1/selfie';
    await client.putObject({ Bucket: INTAKE, Key: key, Body: Buffer.alloc(3000, 7), ContentType: 'image/jpeg' });
    const store = new S3EvidenceStore({ vaultBucket: VAULT, documentsKeyId: 'arn:aws:kms:us-east-1:0:key/k', client });

    // Act
    const head = await store.head({ bucket: INTAKE, key });
    const bytes = await store.read({ bucket: INTAKE, key }, 5000);
    const tooLarge = await store.read({ bucket: INTAKE, key }, 1000).catch((error: unknown) => error);
    await store.copyToVault({ bucket: INTAKE, key }, 'evidence/v-1/a-1/selfie', 'image/png');
    await store.putToVault(Buffer.from('trimmed'), 'evidence/v-1/a-1/document_front', 'image/jpeg');
    await store.deleteObject({ bucket: INTAKE, key });

    // Assess
    expect(head).toMatchObject({ sizeBytes: 3000, contentType: 'image/jpeg' });
    expect(bytes).toEqual(Buffer.alloc(3000, 7));
    expect(tooLarge).toBeInstanceOf(ObjectTooLargeError);
    const copied = await sdk.send(new HeadObjectCommand({ Bucket: VAULT, Key: 'evidence/v-1/a-1/selfie' }));
    expect(copied).toMatchObject({ ContentLength: 3000, ContentType: 'image/png', ObjectLockMode: 'COMPLIANCE' });
    expect(await store.head({ bucket: INTAKE, key })).toBeUndefined();
    expect(await store.read({ bucket: VAULT, key: 'evidence/v-1/a-1/document_front' }, 100)).toEqual(
      Buffer.from('trimmed'),
    );
  });

  it('reads and lengthens retention, sets and lifts a legal hold, and S3 refuses what the lock forbids', async () => {
    // Prepare
    const object = { key: 'evidence/v-2/a-1/selfie' };
    await client.putObject({ Bucket: VAULT, Key: object.key, Body: 'x', ChecksumAlgorithm: 'SHA256' });
    const locks = new S3EvidenceLocks({ bucket: VAULT, client });
    const vault = new S3VaultDeletion({ bucket: VAULT, client });

    // Act
    const initial = await locks.getRetention(object);
    const later = new Date((initial?.getTime() ?? 0) + 30 * DAY_MS);
    await locks.extendRetention(object, later);
    const extended = await locks.getRetention(object);
    const shorten = await locks.extendRetention(object, new Date()).catch((error: unknown) => error);
    await locks.setLegalHold(object, true);
    const held = await locks.getLegalHold(object);
    const deleteHeld = await vault.deleteVersions(object).catch((error: unknown) => error);
    await locks.setLegalHold(object, false);

    // Assess
    expect(initial?.getTime()).toBeGreaterThan(Date.now() + (DAYS - 1) * DAY_MS);
    expect(extended?.toISOString()).toBe(later.toISOString());
    expect(shorten).toBeInstanceOf(RetentionShorteningError);
    expect(held).toBe(true);
    expect(deleteHeld).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(await locks.getLegalHold(object)).toBe(false);
  });

  it("deletes an erased attempt's intake leftovers, page by page", async () => {
    // Prepare
    const prefix = 'intake/v-3/a-1/';
    for (const slot of ['selfie', 'document_front', 'document back']) {
      await client.putObject({ Bucket: INTAKE, Key: `${prefix}${slot}`, Body: slot });
    }
    await client.putObject({ Bucket: INTAKE, Key: 'intake/v-3/a-2/selfie', Body: 'kept' });

    // Act
    const deleted = await new S3IntakeLeftovers({ bucket: INTAKE, client }).deleteUnder(prefix);

    // Assess
    expect(deleted).toBe(3);
    const left = await client.listObjectsV2({ Bucket: INTAKE, Prefix: 'intake/v-3/' });
    expect(left.Contents.map((entry) => entry.Key)).toEqual(['intake/v-3/a-2/selfie']);
  });

  it('writes, lists and reads the audit archive; a missing day is undefined', async () => {
    // Prepare
    const archive = new S3AuditArchiveStore({ bucket: ARCHIVE, client });

    // Act
    await archive.put('audit/2026/12/01.jsonl', Buffer.from('{"a":1}\n'), 'application/x-ndjson');
    await archive.put('audit/2026/12/02.jsonl', Buffer.from('{"b":2}\n'), 'application/x-ndjson');
    const keys = await archive.list('audit/2026/12/', 'audit/2026/12/01.jsonl');
    const day = await archive.get('audit/2026/12/01.jsonl');
    const missing = await archive.get('audit/2026/11/30.jsonl');

    // Assess
    expect(keys).toEqual(['audit/2026/12/02.jsonl']);
    expect(Buffer.from(day ?? []).toString()).toBe('{"a":1}\n');
    expect(missing).toBeUndefined();
  });

  it('is refused by S3 when signed with other credentials', async () => {
    // Prepare
    const stranger = new S3RestClient({
      context: {
        region: 'us-east-1',
        endpoint: server.endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'not-the-secret' },
      },
      maxAttempts: 1,
    });

    // Act
    const error = await stranger.headObject({ Bucket: INTAKE, Key: 'intake/x' }).catch((caught: unknown) => caught);
    const listing = await stranger.listObjectsV2({ Bucket: INTAKE }).catch((caught: unknown) => caught);
    stranger.destroy();

    // Assess
    expect(error).toMatchObject({ $metadata: { httpStatusCode: 403 } });
    expect(listing).toMatchObject({ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } });
  });
});
