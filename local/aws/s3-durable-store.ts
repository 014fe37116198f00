/**
 * Object writes of the local S3 that keep S3's promise: an object exists, for the event and for
 * a GET after the upload's answer, only once all of its bytes are stored, and what was answered
 * survives a crash.
 *
 * s3rver's `FilesystemStore` (3.7.1, `lib/stores/filesystem.js`, `putObject` and `putPart`)
 * resolves a write on the `finish` of the hashing Transform it pipes the body through, not on
 * the file stream's: the Transform finishes once it has handed the last chunk on, while the file
 * stream may still hold megabytes (a presigned POST reaches the store as one chunk, all of it
 * still unwritten). s3rver then emits ObjectCreated and answers 200 while the file is being
 * written, and a reader stats the file mid-write: the on-upload handler hashed the first 4-8 MiB
 * of a 10 MiB upload. It also writes straight into the object's file (a crash or an aborted
 * upload leaves a torn object, and readers see it grow) and never flushes it to the disk.
 *
 * {@link makeStoreWritesDurable} replaces those methods on the store instance (node_modules is
 * not edited): every write goes to a temporary file next to its target, every byte awaited,
 * is flushed (fsync), and is renamed over the target; metadata and MD5 first, the object's bytes
 * last, so the rename of the bytes is the moment the object appears, whole, with its metadata;
 * then the folder is flushed. Only after that do s3rver's controllers emit the event and answer.
 * A crash leaves the previous object or the new one, never part of one, and at most a temporary
 * file, which {@link removeInterruptedWrites} deletes at the next start.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { copyFile, mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Suffix of the temporary files of writes in progress (no s3rver file name ends with it). */
const PARTIAL_SUFFIX = '.kyc-partial';

/** An object as s3rver hands it to its store: the body is the request, a form file or a buffer. */
export interface S3rverStoredObject {
  readonly bucket: string;
  readonly key: string;
  readonly content: Buffer | AsyncIterable<Buffer | string>;
  readonly metadata: Record<string, string>;
}

/** What a store write returns to s3rver's controllers (size in bytes, MD5 as hex). */
export interface S3rverWriteResult {
  readonly size: number;
  readonly md5: string;
}

/** The parts of s3rver's `FilesystemStore` this module calls or replaces. */
export interface S3rverFilesystemStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  getMetadata(bucket: string, key: string): Promise<Record<string, string>>;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5?: string): Promise<void>;
  putObject(object: S3rverStoredObject): Promise<S3rverWriteResult>;
  putPart(
    bucket: string,
    uploadId: string,
    partNumber: number | string,
    content: AsyncIterable<Buffer | string>,
  ): Promise<S3rverWriteResult>;
  copyObject(
    srcBucket: string,
    srcKey: string,
    destBucket: string,
    destKey: string,
    replacementMetadata?: Record<string, string>,
  ): Promise<Record<string, string>>;
}

function temporaryPathFor(target: string): string {
  return `${target}.${process.pid}-${randomBytes(6).toString('hex')}${PARTIAL_SUFFIX}`;
}

/** Flushes a folder, so that a rename into it survives a power cut. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a folder; the rename itself is still atomic.
  } finally {
    await handle?.close();
  }
}

/**
 * Opens a new temporary file for `target`, creating its folder. s3rver's `deleteObject` removes
 * folders it emptied, so the folder can vanish between the mkdir and the open: try again then.
 */
async function openTemporary(target: string): Promise<{ temporary: string; handle: FileHandle }> {
  for (let attempt = 1; ; attempt += 1) {
    await mkdir(dirname(target), { recursive: true });
    const temporary = temporaryPathFor(target);
    try {
      return { temporary, handle: await open(temporary, 'wx') };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 3) throw error;
    }
  }
}

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  for (let offset = 0; offset < bytes.length;) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

/**
 * Writes `content` into a new temporary file next to `target`, every chunk awaited, and flushes
 * it to the disk. The caller renames it over `target`; on failure (an upload aborted half-way)
 * nothing is left behind and the target is untouched.
 */
async function writeTemporary(
  target: string,
  content: Buffer | string | AsyncIterable<Buffer | string>,
): Promise<{ temporary: string } & S3rverWriteResult> {
  const { temporary, handle } = await openTemporary(target);
  try {
    const md5 = createHash('md5');
    let size = 0;
    const chunks = typeof content === 'string' || Buffer.isBuffer(content) ? [content] : content;
    for await (const chunk of chunks) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      md5.update(bytes);
      size += bytes.length;
      await writeAll(handle, bytes);
    }
    await handle.sync();
    await handle.close();
    return { temporary, size, md5: md5.digest('hex') };
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Replaces `target` with `content` atomically and durably (the folder is flushed by the caller). */
async function replaceFile(target: string, content: string): Promise<void> {
  const { temporary } = await writeTemporary(target, content);
  await rename(temporary, target);
}

/**
 * Copies `source` over `target` atomically and durably (the folder is flushed by the caller).
 * With `orRemove`, a missing `source` removes `target` instead (for MD5 files: s3rver computes a
 * missing one from the bytes, where a stale one would give the copy another object's ETag).
 */
async function replaceWithCopy(source: string, target: string, options: { orRemove?: boolean } = {}): Promise<void> {
  const temporary = temporaryPathFor(target);
  try {
    await copyFile(source, temporary);
    const handle = await open(temporary, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    if (!options.orRemove || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await rm(target, { force: true });
  }
}

/**
 * Writes `content` beside `target`, then its side files (metadata, MD5) through `beforeRename`,
 * then renames the bytes into place and flushes the folder: the bytes appear last, whole.
 */
async function commitWrite(
  target: string,
  content: Buffer | string | AsyncIterable<Buffer | string>,
  beforeRename: (md5: string) => Promise<void>,
): Promise<S3rverWriteResult> {
  const { temporary, size, md5 } = await writeTemporary(target, content);
  try {
    await beforeRename(md5);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncDirectory(dirname(target));
  return { size, md5 };
}

/**
 * Makes every object write of an s3rver `FilesystemStore` complete, atomic and durable before
 * it resolves, by replacing `putObject`, `putPart`, `putMetadata` and `copyObject` on the
 * instance. CompleteMultipartUpload goes through `putObject` (s3rver assembles the parts with
 * `this.putObject`), so it is covered too, and it reads parts that were themselves complete.
 *
 * @example
 * const app = new S3rver({ directory, silent: true });
 * makeStoreWritesDurable(app.store);
 */
export function makeStoreWritesDurable(store: S3rverFilesystemStore): void {
  // s3rver keeps only these headers with an object (lib/models/object.js), plus x-amz-meta-*.
  const require = createRequire(import.meta.url);
  const { ALLOWED_METADATA } = require('s3rver/lib/models/object') as { ALLOWED_METADATA: readonly string[] };
  const storedMetadata = (metadata: Record<string, string>): Record<string, string> =>
    Object.fromEntries(
      Object.entries(metadata).filter(([name]) => ALLOWED_METADATA.includes(name) || name.startsWith('x-amz-meta-')),
    );

  // Same files and JSON as s3rver's putMetadata, each replaced atomically: a crash mid-write
  // would otherwise leave a torn metadata.json that makes the object unreadable.
  store.putMetadata = async (bucket, key, metadata, md5) => {
    const writes = [
      replaceFile(
        store.getResourcePath(bucket, key, 'metadata.json'),
        JSON.stringify(storedMetadata(metadata), null, 2),
      ),
    ];
    if (md5) writes.push(replaceFile(store.getResourcePath(bucket, key, 'object.md5'), md5));
    await Promise.all(writes);
  };

  store.putObject = async (object) => {
    const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
    return commitWrite(objectPath, object.content, (md5) =>
      store.putMetadata(object.bucket, object.key, object.metadata, md5),
    );
  };

  store.putPart = async (bucket, uploadId, partNumber, content) => {
    const partPath = join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId, String(partNumber));
    return commitWrite(partPath, content, (md5) => replaceFile(`${partPath}.md5`, md5));
  };

  // s3rver's copy (fs-extra's copy straight into the target) is complete when it resolves but
  // neither atomic nor flushed: the vault copy of an upload must outlive a crash once answered,
  // since the handler deletes the intake copy next. Same outcome as s3rver's, except that the
  // MD5 file is copied with REPLACE too (s3rver left the target's previous one, a wrong ETag).
  store.copyObject = async (srcBucket, srcKey, destBucket, destKey, replacementMetadata) => {
    const source = (resource: string): string => store.getResourcePath(srcBucket, srcKey, resource);
    const target = (resource: string): string => store.getResourcePath(destBucket, destKey, resource);
    const destObjectPath = target('object');
    if (source('object') !== destObjectPath) {
      await mkdir(dirname(destObjectPath), { recursive: true });
      const temporary = temporaryPathFor(destObjectPath);
      try {
        await replaceWithCopy(source('object'), temporary);
        await replaceWithCopy(source('object.md5'), target('object.md5'), { orRemove: true });
        if (replacementMetadata) await store.putMetadata(destBucket, destKey, replacementMetadata);
        else await replaceWithCopy(source('metadata.json'), target('metadata.json'));
        await rename(temporary, destObjectPath);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    } else if (replacementMetadata) {
      await store.putMetadata(destBucket, destKey, replacementMetadata);
    }
    await syncDirectory(dirname(destObjectPath));
    return store.getMetadata(destBucket, destKey);
  };
}

/**
 * Deletes the temporary files of writes a crash interrupted (none of them was ever answered or
 * announced by an event). Call before the server accepts requests.
 *
 * @example
 * removeInterruptedWrites('.local-data/s3');
 */
export function removeInterruptedWrites(directory: string): void {
  for (const entry of readdirSync(directory, { recursive: true, encoding: 'utf8' })) {
    if (entry.endsWith(PARTIAL_SUFFIX)) rmSync(join(directory, entry), { force: true });
  }
}
