import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  HeadObjectCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localS3ClientConfig, startLocalS3, type LocalS3 } from '../../../local/aws/s3.ts';

// What an operator sees with `aws s3api get-object-lock-configuration` and `head-object` on the
// local S3, and what it refuses, for a bucket the template locks and one it does not.
const LOCKED = 'kyc-vault-lock-test';
const PLAIN = 'kyc-intake-lock-test';
const DAYS = 1827;
const DAY_MS = 86_400_000;

describe('local S3 Object Lock: the operator view', () => {
  let directory: string;
  let server: LocalS3;
  let s3: S3Client;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'kyc-s3-lock-'));
    server = await startLocalS3({
      directory,
      buckets: [LOCKED, PLAIN],
      objectLock: { stateFile: join(directory, 's3-object-lock.json'), buckets: { [LOCKED]: { days: DAYS } } },
    });
    s3 = new S3Client(localS3ClientConfig(server.endpoint));
  });

  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it("get-object-lock-configuration: the locked bucket's default COMPLIANCE retention; none elsewhere", async () => {
    // Act
    const locked = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: LOCKED }));
    const plain = await s3
      .send(new GetObjectLockConfigurationCommand({ Bucket: PLAIN }))
      .catch((error: unknown) => error);
    const change = await s3
      .send(
        new PutObjectLockConfigurationCommand({
          Bucket: LOCKED,
          ObjectLockConfiguration: {
            ObjectLockEnabled: 'Enabled',
            Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
          },
        }),
      )
      .catch((error: unknown) => error);
    const after = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: LOCKED }));

    // Assess
    expect(locked.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: DAYS } },
    });
    expect(plain).toMatchObject({
      name: 'ObjectLockConfigurationNotFoundError',
      $metadata: { httpStatusCode: 404 },
    });
    expect(change).toMatchObject({ $metadata: { httpStatusCode: 501 } });
    expect(after.ObjectLockConfiguration).toEqual(locked.ObjectLockConfiguration);
  });

  it('head-object and get-object show the retention and the legal hold of a locked object', async () => {
    // Prepare
    const key = 'evidence/v1/a1/selfie';
    const before = Date.now();
    await s3.send(new PutObjectCommand({ Bucket: LOCKED, Key: key, Body: 'bytes' }));
    await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: key, Body: 'bytes' }));

    // Act
    const head = await s3.send(new HeadObjectCommand({ Bucket: LOCKED, Key: key }));
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: LOCKED, Key: key, LegalHold: { Status: 'ON' } }));
    const held = await s3.send(new GetObjectCommand({ Bucket: LOCKED, Key: key }));
    await held.Body?.transformToString();
    const plain = await s3.send(new HeadObjectCommand({ Bucket: PLAIN, Key: key }));
    const shorter = await s3
      .send(
        new PutObjectRetentionCommand({
          Bucket: LOCKED,
          Key: key,
          Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(before + DAY_MS) },
        }),
      )
      .catch((error: unknown) => error);
    const deleted = await s3
      .send(new DeleteObjectCommand({ Bucket: LOCKED, Key: key }))
      .catch((error: unknown) => error);

    // Assess
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    expect(head.ObjectLockLegalHoldStatus).toBe('OFF');
    const until = head.ObjectLockRetainUntilDate?.getTime() ?? 0;
    expect(until).toBeGreaterThanOrEqual(before + DAYS * DAY_MS - 1000);
    expect(until).toBeLessThanOrEqual(Date.now() + DAYS * DAY_MS);
    expect(held.ObjectLockLegalHoldStatus).toBe('ON');
    expect(held.ObjectLockRetainUntilDate?.getTime()).toBe(until);
    expect(plain.ObjectLockMode).toBeUndefined();
    expect(plain.ObjectLockLegalHoldStatus).toBeUndefined();
    expect(shorter).toMatchObject({ name: 'AccessDenied' });
    expect(deleted).toMatchObject({ name: 'AccessDenied' });
  });
});
