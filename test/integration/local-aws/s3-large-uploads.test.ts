/**
 * Large uploads through the local S3 are complete before anyone hears of them: AWS S3 emits
 * "Object Created" only once the object is fully stored, and a GET after the upload's 2xx returns
 * every byte. s3rver's own store reported a write done while the file was still being written, so
 * the on-upload handler read the first 4-8 MiB of a 9 MiB selfie; these tests read the object the
 * moment the event arrives and the moment the upload answers, for PUT, presigned POST and
 * multipart uploads running side by side.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localS3ClientConfig, startLocalS3, type LocalS3, type S3ObjectEvent } from '../../../local/aws/s3.ts';

const BUCKET = 'kyc-intake-large';
const PAGE_ORIGIN = 'http://127.0.0.1:3000';
const MIB = 1024 * 1024;
/** About the size of a large phone photo (the audit's 7.9 MB JPEG rounded up). */
const LARGE = 9 * MIB + 12_345;

/** What a reader saw of one object: its size and SHA-256. */
interface Seen {
  readonly size: number;
  readonly sha256: string;
}

/** What the on-upload handler sees when the event arrives: HeadObject's size, then the bytes. */
interface SeenAtEvent {
  readonly headSize: number | undefined;
  readonly read: Seen;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Every view of an upload that was not the whole object, as `key: view saw N of M bytes` lines
 * (empty when every reader saw every byte), so that a failure lists all of them at once.
 */
function shortViews(
  uploads: readonly { key: string; body: Buffer; sha256: string }[],
  afterResponse: ReadonlyMap<string, Seen>,
  atEvent: readonly { seen: SeenAtEvent }[],
): string[] {
  return uploads.flatMap(({ key, body, sha256: expected }, i) => {
    const views: [string, number | undefined, string | undefined][] = [
      ['GET after the 2xx', afterResponse.get(key)?.size, afterResponse.get(key)?.sha256],
      ['HeadObject at the event', atEvent[i]!.seen.headSize, undefined],
      ['GET at the event', atEvent[i]!.seen.read.size, atEvent[i]!.seen.read.sha256],
    ];
    return views
      .filter(([, size, hash]) => size !== body.length || (hash !== undefined && hash !== expected))
      .map(([view, size, hash]) => {
        const digest = hash === undefined ? '' : hash === expected ? ', sha256 ok' : ', sha256 wrong';
        return `${key}: ${view} saw ${size} of ${body.length} bytes${digest}`;
      });
  });
}

describe('local S3 large uploads', () => {
  let directory: string;
  let server: LocalS3;
  let s3: S3Client;
  /** Per key: the event, and what HeadObject then GetObject made the moment it arrived returned. */
  const delivered = new Map<string, { event: S3ObjectEvent; seen: Promise<SeenAtEvent> }>();

  const read = async (key: string): Promise<Seen> => {
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const bytes = await object.Body!.transformToByteArray();
    return { size: bytes.length, sha256: sha256(bytes) };
  };

  /** As the on-upload handler reads an upload: its size first (HeadObject), then its bytes. */
  const headThenRead = async (key: string): Promise<SeenAtEvent> => {
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return { headSize: head.ContentLength, read: await read(key) };
  };

  const waitForEvent = async (key: string): Promise<{ event: S3ObjectEvent; seen: SeenAtEvent }> => {
    for (let i = 0; i < 500 && !delivered.has(key); i += 1) await new Promise((done) => setTimeout(done, 10));
    const entry = delivered.get(key);
    if (!entry) throw new Error(`no event for ${key}`);
    return { event: entry.event, seen: await entry.seen };
  };

  const putObject = async (key: string, body: Buffer): Promise<void> => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: 'image/jpeg' }));
  };

  /** A browser-style multipart form POST to a presigned POST URL, as the upload page sends it. */
  const postObject = async (key: string, body: Buffer): Promise<void> => {
    const { url, fields } = await createPresignedPost(s3, {
      Bucket: BUCKET,
      Key: key,
      Conditions: [['content-length-range', 1, 16 * MIB]],
      Fields: { 'Content-Type': 'image/jpeg' },
      Expires: 300,
    });
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', new Blob([new Uint8Array(body)], { type: 'image/jpeg' }), 'photo.jpg');
    const response = await fetch(url, { method: 'POST', body: form, headers: { Origin: PAGE_ORIGIN } });
    await response.arrayBuffer();
    if (response.status >= 300) throw new Error(`POST answered ${response.status}`);
  };

  const multipartUpload = async (key: string, body: Buffer): Promise<void> => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const partSize = 5 * MIB;
    const parts = [];
    for (let start = 0, number = 1; start < body.length; start += partSize, number += 1) {
      const part = await s3.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId,
          PartNumber: number,
          Body: body.subarray(start, start + partSize),
        }),
      );
      parts.push({ PartNumber: number, ETag: part.ETag });
    }
    await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId, MultipartUpload: { Parts: parts } }),
    );
  };

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'kyc-s3-large-'));
    server = await startLocalS3({
      directory,
      buckets: [BUCKET],
      cors: { buckets: [BUCKET], origins: [PAGE_ORIGIN] },
      maxObjectBytes: 16 * MIB,
      onObjectEvent: (event) => {
        // Read at once, as the on-upload handler does: the event promises the whole object.
        const key = event.detail.object.key;
        const seen = headThenRead(key);
        delivered.set(key, { event, seen });
        return seen.then(() => undefined);
      },
    });
    s3 = new S3Client(localS3ClientConfig(server.endpoint));
  });

  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('delivers Object Created for concurrent ~9 MB PUT and presigned POST uploads only once every byte is stored', async () => {
    // Prepare: rounds of a few uploads at a time, as applicants send them (dozens at once queue
    // in the file system's thread pool, which hides the race): a presigned POST alone, then a
    // presigned POST and a PUT side by side; the first POST exactly 10 MiB, the others ~9 MB.
    const rounds = Array.from({ length: 6 }, (_, round) =>
      [
        { key: `post/${round}/selfie`, upload: postObject, size: round === 0 ? 10 * MIB : LARGE },
        ...(round >= 3 ? [{ key: `put/${round}/selfie`, upload: putObject, size: LARGE }] : []),
      ].map(({ key, upload, size }) => {
        const body = randomBytes(size);
        return { key, upload, body, sha256: sha256(body) };
      }),
    );

    // Act
    const afterResponse = new Map<string, Seen>();
    for (const uploads of rounds) {
      await Promise.all(
        uploads.map(async ({ key, upload, body }) => {
          await upload(key, body);
          afterResponse.set(key, await read(key));
        }),
      );
    }
    const uploads = rounds.flat();
    const atEvent = await Promise.all(uploads.map(({ key }) => waitForEvent(key)));

    // Assess
    expect(shortViews(uploads, afterResponse, atEvent)).toEqual([]);
    for (const [i, { body }] of uploads.entries()) {
      expect(atEvent[i]!.event.detail.object.size).toBe(body.length);
      expect(atEvent[i]!.event.detail.object.etag).toBe(createHash('md5').update(body).digest('hex'));
    }
  });

  it('delivers CompleteMultipartUpload only once the assembled object is complete', async () => {
    // Prepare
    const uploads = Array.from({ length: 2 }, (_, i) => {
      const body = randomBytes(LARGE);
      return { key: `multipart/${i}/document`, body, sha256: sha256(body) };
    });

    // Act
    const afterResponse = new Map<string, Seen>();
    await Promise.all(
      uploads.map(async ({ key, body }) => {
        await multipartUpload(key, body);
        afterResponse.set(key, await read(key));
      }),
    );
    const atEvent = await Promise.all(uploads.map(({ key }) => waitForEvent(key)));

    // Assess
    expect(shortViews(uploads, afterResponse, atEvent)).toEqual([]);
    for (const [i, { key, body }] of uploads.entries()) {
      expect(atEvent[i]!.event.detail).toMatchObject({
        reason: 'CompleteMultipartUpload',
        object: { key, size: body.length },
      });
    }
  });

  it('keeps the previous object whole when an upload is cut off, and clears interrupted writes at start', async () => {
    // Prepare
    const key = 'put/cut-off/selfie';
    const previous = randomBytes(LARGE);
    await putObject(key, previous);
    const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 300 });
    const leftover = join(directory, BUCKET, 'crashed._S3rver_object.1-abcdef.kyc-partial');
    writeFileSync(leftover, randomBytes(1024));
    delivered.clear();

    // Act: half of a 9 MB body, then the connection drops (the applicant's phone loses signal).
    await new Promise<void>((done) => {
      const put = request(url, { method: 'PUT', headers: { 'Content-Length': LARGE } });
      put.on('error', () => done());
      put.write(randomBytes(Math.floor(LARGE / 2)), () => setTimeout(() => put.destroy(), 100));
    });
    await new Promise((done) => setTimeout(done, 200));
    const afterCutOff = await read(key);
    const restarted = await startLocalS3({ directory, buckets: [BUCKET] });
    await restarted.stop();

    // Assess
    expect(afterCutOff).toEqual({ size: previous.length, sha256: sha256(previous) });
    expect(delivered.has(key)).toBe(false);
    expect(existsSync(leftover)).toBe(false);
    const partials = readdirSync(directory, { recursive: true, encoding: 'utf8' }).filter((entry) =>
      entry.endsWith('.kyc-partial'),
    );
    expect(partials).toEqual([]);
  });
});
