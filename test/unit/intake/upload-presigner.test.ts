import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import { intakeKey, UploadPresigner } from '../../../lambdas/adapters/aws/upload-presigner.ts';

const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';

function presigner(presignExpirySeconds = 300) {
  return new UploadPresigner({
    bucket: 'kyc-intake',
    documentsKeyId: KEY_ARN,
    uploads: { ...DEFAULT_CONFIG.uploads, presignExpirySeconds },
    context: { region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } },
  });
}

function decodePolicy(fields: Record<string, string>): { expiration: string; conditions: unknown[] } {
  return JSON.parse(Buffer.from(fields.Policy ?? '', 'base64').toString('utf8')) as {
    expiration: string;
    conditions: unknown[];
  };
}

describe('UploadPresigner', () => {
  it.each([
    { slot: 'document_front' as const, contentType: 'image/jpeg', minBytes: 100 * 1024 },
    { slot: 'selfie' as const, contentType: 'image/png', minBytes: 100 * 1024 },
    // A PDF has no photo-resolution floor (the gate reads the real type from the bytes).
    { slot: 'proof_of_address' as const, contentType: 'application/pdf', minBytes: 1 },
  ])('pins every condition for $slot ($contentType)', async ({ slot, contentType, minBytes }) => {
    // Prepare
    const key = intakeKey('v-1', 'a-1', slot);
    const before = Date.now();

    // Act
    const post = await presigner().presign({ key, contentType });

    // Assess
    const policy = decodePolicy(post.fields);
    expect(key).toBe(`intake/v-1/a-1/${slot}`);
    expect(post.url).toContain('kyc-intake');
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        { bucket: 'kyc-intake' },
        ['eq', '$key', key],
        // Each file under 10 MB: exactly 10 MiB is refused by S3 itself.
        ['content-length-range', minBytes, 10 * 1024 * 1024 - 1],
        ['eq', '$Content-Type', contentType],
        ['eq', '$x-amz-server-side-encryption', 'aws:kms'],
        ['eq', '$x-amz-server-side-encryption-aws-kms-key-id', KEY_ARN],
        { 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256' },
      ]),
    );
    // No condition lets the key vary (no starts-with on $key).
    expect(JSON.stringify(policy.conditions)).not.toContain('starts-with');
    const expiresIn = (Date.parse(policy.expiration) - before) / 1000;
    expect(expiresIn).toBeGreaterThan(290);
    expect(expiresIn).toBeLessThanOrEqual(301);
    expect(post.fields).toMatchObject({
      key,
      'Content-Type': contentType,
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN,
    });
  });

  it.each([
    { configured: 60, expected: 60 },
    { configured: 900, expected: 300 },
  ])('signs for $expected s when configured $configured s', async ({ configured, expected }) => {
    // Prepare
    const subject = presigner(configured);
    const before = Date.now();

    // Act
    const post = await subject.presign({ key: 'intake/v/a/selfie', contentType: 'image/jpeg' });

    // Assess
    const expiresIn = (Date.parse(decodePolicy(post.fields).expiration) - before) / 1000;
    expect(subject.expiresInSeconds).toBe(expected);
    // The policy's expiration has whole-second precision.
    expect(expiresIn).toBeGreaterThan(expected - 2);
    expect(expiresIn).toBeLessThanOrEqual(expected + 1);
  });
});
