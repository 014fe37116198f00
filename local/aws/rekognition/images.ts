/**
 * Resolves the `Image` parameter of Rekognition requests (`Bytes` or `S3Object`) to bytes,
 * with Rekognition's limits: 5 MB for Bytes, 15 MB for S3 objects, JPEG or PNG only.
 * Reference: https://docs.aws.amazon.com/rekognition/latest/dg/limits.html
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { optionalBlob } from '../json-input.ts';
import { imageTooLarge, invalidImageFormat, invalidParameter, invalidS3Object } from './errors.ts';

export const MAX_BYTES_IMAGE = 5 * 1024 * 1024;
export const MAX_S3_IMAGE = 15 * 1024 * 1024;

/** JPEG or PNG, judged by the magic bytes. */
export function imageFormat(bytes: Uint8Array): 'jpeg' | 'png' | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (
    bytes.length >= 8 &&
    Buffer.from(bytes.subarray(0, 8)).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  ) {
    return 'png';
  }
  return undefined;
}

function checkFormat(bytes: Uint8Array): Uint8Array {
  if (!imageFormat(bytes)) throw invalidImageFormat();
  return bytes;
}

/** Releases an unread response body (a Node stream in this runtime), so its socket is not held. */
function destroyBody(body: unknown): void {
  (body as { destroy?: () => void } | undefined)?.destroy?.();
}

async function readS3Object(s3: S3Client | undefined, location: Record<string, unknown>): Promise<Uint8Array> {
  const { Bucket, Name, Version } = location;
  if (typeof Bucket !== 'string' || typeof Name !== 'string' || Bucket === '' || Name === '') {
    throw invalidParameter('S3Object needs Bucket and Name');
  }
  if (Version !== undefined && typeof Version !== 'string') throw invalidParameter('S3Object.Version must be a string');
  if (!s3) throw invalidS3Object('This local Rekognition has no S3 client configured');
  const unreadable = (): Error =>
    invalidS3Object('Unable to get object metadata from S3. Check object key, region and/or access permissions.');
  // One GET: its Content-Length tells the size before the body is read (a HEAD first would be
  // a second round trip for every image of every comparison).
  const object = await s3.send(new GetObjectCommand({ Bucket, Key: Name, VersionId: Version })).catch(() => {
    throw unreadable();
  });
  if ((object.ContentLength ?? 0) > MAX_S3_IMAGE) {
    destroyBody(object.Body);
    throw imageTooLarge(`S3 images are limited to ${MAX_S3_IMAGE} bytes`);
  }
  const bytes = await object.Body?.transformToByteArray();
  if (!bytes) throw unreadable();
  if (bytes.length > MAX_S3_IMAGE) throw imageTooLarge(`S3 images are limited to ${MAX_S3_IMAGE} bytes`);
  return bytes;
}

/**
 * The bytes of `input[field]` (an Rekognition `Image`).
 *
 * @throws InvalidParameterException, ImageTooLargeException, InvalidImageFormatException, InvalidS3ObjectException
 */
export async function resolveImage(
  input: Record<string, unknown>,
  field: string,
  s3: S3Client | undefined,
): Promise<Uint8Array> {
  const image = input[field];
  if (typeof image !== 'object' || image === null || Array.isArray(image))
    throw invalidParameter(`${field} is required`);
  const { Bytes, S3Object } = image as Record<string, unknown>;
  if ((Bytes === undefined) === (S3Object === undefined))
    throw invalidParameter(`${field} needs exactly one of Bytes and S3Object`);
  if (Bytes !== undefined) {
    const bytes = optionalBlob(image as Record<string, unknown>, 'Bytes', invalidParameter);
    if (!bytes || bytes.length === 0) throw invalidParameter(`${field}.Bytes is empty`);
    if (bytes.length > MAX_BYTES_IMAGE) throw imageTooLarge(`Image bytes are limited to ${MAX_BYTES_IMAGE} bytes`);
    return checkFormat(bytes);
  }
  if (typeof S3Object !== 'object' || S3Object === null) throw invalidParameter(`${field}.S3Object must be an object`);
  return checkFormat(await readS3Object(s3, S3Object as Record<string, unknown>));
}
