import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  UploadPartCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { localS3ClientConfig, startLocalS3, type LocalS3, type S3ObjectEvent } from '../../../local/aws/s3.ts';

const BUCKET = 'kyc-intake-test';
const OTHER_BUCKET = 'kyc-vault-test';
const PAGE_ORIGIN = 'http://127.0.0.1:3000';

describe('local S3', () => {
  let directory: string;
  let server: LocalS3;
  let s3: S3Client;
  const events: S3ObjectEvent[] = [];

  const waitForEvents = async (count: number): Promise<S3ObjectEvent[]> => {
    for (let i = 0; i < 500 && events.length < count; i += 1) await new Promise((done) => setTimeout(done, 10));
    return events;
  };

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'kyc-s3-'));
    server = await startLocalS3({
      directory,
      buckets: [BUCKET, OTHER_BUCKET],
      cors: { buckets: [BUCKET], origins: [PAGE_ORIGIN] },
      maxObjectBytes: 1024 * 1024,
      onObjectEvent: (event) => {
        events.push(event);
      },
    });
    s3 = new S3Client(localS3ClientConfig(server.endpoint));
  });

  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  beforeEach(() => {
    events.length = 0;
  });

  it('accepts a presigned POST upload from a multipart form and fires exactly one Object Created event', async () => {
    // Prepare
    const key = 'uploads/v1/passport front.jpg';
    const body = Buffer.from('fake-jpeg-bytes');
    const { url, fields } = await createPresignedPost(s3, {
      Bucket: BUCKET,
      Key: key,
      Conditions: [['content-length-range', 1, 1024 * 1024]],
      Fields: { 'Content-Type': 'image/jpeg' },
      Expires: 300,
    });
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', new Blob([body], { type: 'image/jpeg' }), 'photo.jpg');

    // Act
    const response = await fetch(url, { method: 'POST', body: form, headers: { Origin: PAGE_ORIGIN } });
    const [event] = await waitForEvents(1);

    // Assess
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('access-control-allow-origin')).toBeTruthy();
    expect(events).toHaveLength(1);
    expect(event).toMatchObject({
      version: '0',
      'detail-type': 'Object Created',
      source: 'aws.s3',
      account: '000000000000',
      region: 'us-east-1',
      resources: [`arn:aws:s3:::${BUCKET}`],
      detail: {
        version: '0',
        bucket: { name: BUCKET },
        object: { key, size: body.length, etag: expect.stringMatching(/^[0-9a-f]{32}$/) },
        requester: '000000000000',
        reason: 'PostObject',
      },
    });
    expect(event?.detail['request-id']).toMatch(/^[0-9A-F]{16}$/);
    expect(event?.detail.object.sequencer).toMatch(/^[0-9A-F]+$/);
    const stored = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(Buffer.from(await stored.Body!.transformToByteArray())).toEqual(body);
  });

  it('answers the CORS preflight of the upload page', async () => {
    // Act
    const response = await fetch(`${server.endpoint}/${BUCKET}`, {
      method: 'OPTIONS',
      headers: { Origin: PAGE_ORIGIN, 'Access-Control-Request-Method': 'POST' },
    });

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it.each([
    ['spaces', 'a folder/my file.jpg'],
    ['unicode', 'ünïcödé/自拍 ✓.png'],
    ['reserved characters', 'x/100% + more&co=1?.jpg'],
  ])('fires PutObject, CopyObject and DeleteObject events with the decoded key (%s)', async (_name, key) => {
    // Act: each event awaited before the next request (S3 promises no order between notifications,
    // and under load the local S3's can overtake one another).
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'hello', ContentType: 'text/plain' }));
    await waitForEvents(1);
    await s3.send(
      new CopyObjectCommand({ Bucket: OTHER_BUCKET, Key: key, CopySource: `${BUCKET}/${encodeURIComponent(key)}` }),
    );
    await waitForEvents(2);
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    await waitForEvents(3);

    // Assess
    const summary = events.map((event) => [
      event['detail-type'],
      event.detail.reason,
      event.detail.bucket.name,
      event.detail.object.key,
    ]);
    expect(summary).toEqual([
      ['Object Created', 'PutObject', BUCKET, key],
      ['Object Created', 'CopyObject', OTHER_BUCKET, key],
      ['Object Deleted', 'DeleteObject', BUCKET, key],
    ]);
    expect(events[0]?.detail.object).toMatchObject({ size: 5, etag: '5d41402abc4b2a76b9719d911017c592' });
    expect(events[1]?.detail.object).toMatchObject({ size: 5, etag: '5d41402abc4b2a76b9719d911017c592' });
    expect(events[2]?.detail).toMatchObject({ 'deletion-type': 'Permanently Deleted' });
    expect(events[2]?.detail.object.size).toBeUndefined();
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: OTHER_BUCKET }));
    expect(listed.Contents?.map((object) => object.Key)).toContain(key);
  });

  it('fires one Object Deleted event per existing key of DeleteObjects', async () => {
    // Prepare
    for (const key of ['batch/one.jpg', 'batch/two words.jpg']) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }));
    }
    await waitForEvents(2);
    events.length = 0;

    // Act
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: BUCKET,
        Delete: { Objects: [{ Key: 'batch/one.jpg' }, { Key: 'batch/two words.jpg' }, { Key: 'batch/missing.jpg' }] },
      }),
    );
    await waitForEvents(2);
    await new Promise((done) => setTimeout(done, 50));

    // Assess
    expect(events.map((event) => [event['detail-type'], event.detail.reason, event.detail.object.key]).sort()).toEqual([
      ['Object Deleted', 'DeleteObject', 'batch/one.jpg'],
      ['Object Deleted', 'DeleteObject', 'batch/two words.jpg'],
    ]);
  });

  it('fires CompleteMultipartUpload for a multipart upload', async () => {
    // Prepare
    const Key = 'multipart/large file.bin';
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key }));
    const part = await s3.send(
      new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber: 1, Body: Buffer.alloc(1024, 7) }),
    );

    // Act
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    await waitForEvents(1);

    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]?.detail).toMatchObject({ reason: 'CompleteMultipartUpload', object: { key: Key, size: 1024 } });
  });

  it('stores bodies without aws-chunked framing', async () => {
    // Act
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'plain.txt', Body: 'exact content' }));
    const stored = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'plain.txt' }));

    // Assess
    expect(await stored.Body!.transformToString()).toBe('exact content');
  });

  it('rejects a body over the size limit with EntityTooLarge and fires no event', async () => {
    // Act
    const put = s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'big.bin', Body: Buffer.alloc(1024 * 1024 + 1) }));

    // Assess
    await expect(put).rejects.toMatchObject({ name: 'EntityTooLarge' });
    await new Promise((done) => setTimeout(done, 50));
    expect(events).toHaveLength(0);
  });

  it('keeps going when the event handler throws', async () => {
    // Prepare
    const failing = await startLocalS3({
      directory,
      buckets: [BUCKET],
      onObjectEvent: () => {
        throw new Error('handler down');
      },
    });
    const client = new S3Client(localS3ClientConfig(failing.endpoint));

    // Act
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'still-stored.txt', Body: 'x' }));
    const stored = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'still-stored.txt' }));

    // Assess
    expect(await stored.Body!.transformToString()).toBe('x');
    client.destroy();
    await failing.stop();
  });
});
