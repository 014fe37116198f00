import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  bucketAddress,
  presignGet,
  presignPost,
  S3AddressingNotSupportedError,
  s3PresignContextFromEnv,
  type S3PresignContext,
} from '../../../lambdas/adapters/aws/s3-presign.ts';

const SIGNING_TIME = new Date('2026-12-04T01:02:03.456Z');
const WITH_TOKEN = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'FwoGZXIvYXdzEXAMPLE//token+=',
};
const WITHOUT_TOKEN = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** Where the functions run: AWS regions of four partitions, the local runtime's endpoint, and other custom endpoints. */
const CONTEXTS: readonly S3PresignContext[] = [
  { region: 'eu-west-1', credentials: WITH_TOKEN },
  { region: 'us-east-1', credentials: WITH_TOKEN },
  { region: 'cn-north-1', credentials: WITH_TOKEN },
  { region: 'us-gov-west-1', credentials: WITH_TOKEN },
  { region: 'eu-central-1', credentials: WITH_TOKEN, forcePathStyle: true },
  { region: 'eu-west-1', credentials: WITHOUT_TOKEN, endpoint: 'http://127.0.0.1:4569', forcePathStyle: true },
  { region: 'eu-west-1', credentials: WITHOUT_TOKEN, endpoint: 'http://127.0.0.1:4569' },
  { region: 'eu-west-1', credentials: WITHOUT_TOKEN, endpoint: 'http://localhost:4566' },
  { region: 'eu-west-1', credentials: WITHOUT_TOKEN, endpoint: 'https://s3.example.com/prefix' },
];
const BUCKETS = ['kyc-intake-1a2b3c4d', 'kyc.renditions.example', '123bucket'];

/** The one pairing the SDK itself cannot address (it builds `http://kyc.renditions.example.127.0.0.1:4569/`). */
function sdkFails(context: S3PresignContext, bucket: string): boolean {
  return context.endpoint === 'http://127.0.0.1:4569' && !context.forcePathStyle && bucket.includes('.');
}

/** The SDK's client for a context, with no default checksums (else its GET asks `x-amz-checksum-mode`). */
function sdkClient(context: S3PresignContext): S3Client {
  return new S3Client({
    region: context.region,
    credentials: context.credentials,
    ...(context.endpoint ? { endpoint: context.endpoint } : {}),
    ...(context.forcePathStyle ? { forcePathStyle: true } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

function label(context: S3PresignContext, bucket: string): string {
  return `${context.region} ${context.endpoint ?? 'AWS'}${context.forcePathStyle ? ' path-style' : ''} ${bucket}`;
}

describe('presigning without the S3 client, checked against the SDK presigners', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(SIGNING_TIME);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('signs the same upload form as @aws-sdk/s3-presigned-post in every context', async () => {
    for (const context of CONTEXTS) {
      for (const bucket of BUCKETS.filter((name) => !sdkFails(context, name))) {
        // Arrange
        const key = 'intake/v-1/a-1/selfie';
        const input = {
          bucket,
          key,
          expiresInSeconds: 300,
          conditions: [
            ['eq', '$key', key],
            ['content-length-range', 102_400, 10_485_760],
            ['eq', '$Content-Type', 'image/jpeg'],
          ],
          fields: { 'Content-Type': 'image/jpeg', 'x-amz-server-side-encryption': 'aws:kms' },
        } as const;

        // Act
        const ours = await presignPost(context, input);
        const theirs = await createPresignedPost(sdkClient(context), {
          Bucket: bucket,
          Key: key,
          Expires: input.expiresInSeconds,
          Conditions: input.conditions.map((condition) => [...condition]) as never,
          Fields: input.fields,
        });

        // Assess: the same URL, the same fields in the same order (the policy and its signature included)
        expect(ours.url, label(context, bucket)).toBe(theirs.url);
        expect(Object.entries(ours.fields), label(context, bucket)).toEqual(Object.entries(theirs.fields));
      }
    }
  });

  it('signs the same GET URL as getSignedUrl in every context, with keys that need encoding', async () => {
    for (const context of CONTEXTS) {
      for (const bucket of BUCKETS.filter((name) => !sdkFails(context, name))) {
        for (const key of ['views/v-1/9f86d081884c7d65.jpg', "exports/x/a b+c(1)!*'~@=&;,$.zip"]) {
          // Act
          const ours = await presignGet(context, {
            bucket,
            key,
            expiresInSeconds: 30,
            query: {
              'response-cache-control': 'no-store',
              'response-content-disposition': 'attachment; filename="kyc-export-x.zip"',
            },
          });
          const theirs = await getSignedUrl(
            sdkClient(context),
            new GetObjectCommand({
              Bucket: bucket,
              Key: key,
              ResponseCacheControl: 'no-store',
              ResponseContentDisposition: 'attachment; filename="kyc-export-x.zip"',
            }),
            { expiresIn: 30 },
          );

          // Assess
          expect(ours, `${label(context, bucket)} ${key}`).toBe(theirs);
        }
      }
    }
  });

  it("takes the function's region, credentials and endpoint from its environment, as the SDK does", async () => {
    // Act
    const local = s3PresignContextFromEnv({
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569',
      AWS_S3_FORCE_PATH_STYLE: 'true',
    });
    const ignoring = s3PresignContextFromEnv({
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569',
      AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
    });

    // Assess
    expect(local).toMatchObject({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:4569', forcePathStyle: true });
    expect(bucketAddress('b-1-2', local)).toEqual({
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 4569,
      pathPrefix: '/b-1-2',
    });
    expect(ignoring.endpoint).toBeUndefined();
    expect(() => s3PresignContextFromEnv({})).toThrow(/AWS_REGION/);
    expect(() => s3PresignContextFromEnv({ AWS_REGION: 'us-gov-west-1', AWS_USE_FIPS_ENDPOINT: 'true' })).toThrow(
      S3AddressingNotSupportedError,
    );
  });
});
