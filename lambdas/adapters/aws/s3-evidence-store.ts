/**
 * Moves uploaded evidence from the intake bucket into the vault (Object Lock COMPLIANCE):
 * head, bounded read, server-side copy and deletion of the intake object version.
 *
 * The copy is server side and sends `ChecksumAlgorithm: 'SHA256'`: Object Lock buckets refuse
 * writes without a checksum, which a browser POST cannot send, so evidence always arrives in
 * the vault by this copy. Every write is SSE-KMS under the documents key.
 *
 * @example
 * ```ts
 * const store = new S3EvidenceStore({ vaultBucket, documentsKeyId });
 * const head = await store.head({ bucket, key, versionId });
 * const bytes = await store.read({ bucket, key, versionId }, 10 * 1024 * 1024);
 * const { versionId } = await store.copyToVault({ bucket, key, versionId }, `evidence/${v}/${a}/selfie`, 'image/jpeg');
 * await store.deleteObject({ bucket, key, versionId });
 * ```
 */
import { S3RestClient, type S3Operations } from './s3-rest-client.ts';

export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
}

export interface ObjectHead {
  readonly sizeBytes: number;
  readonly contentType: string;
  readonly versionId?: string;
}

/** The object is larger than the caller allowed to read. */
export class ObjectTooLargeError extends Error {
  public constructor(
    public readonly key: string,
    public readonly maxBytes: number,
  ) {
    super(`Object ${key} is larger than ${maxBytes} bytes`);
    this.name = 'ObjectTooLargeError';
  }
}

export interface S3EvidenceStoreOptions {
  readonly vaultBucket: string;
  /** KMS key for SSE-KMS on vault copies. */
  readonly documentsKeyId: string;
  /** S3 calls (default: an `S3RestClient` for the function's region and endpoint). */
  readonly client?: S3Operations;
}

export class S3EvidenceStore {
  private readonly client: S3Operations;

  public constructor(private readonly options: S3EvidenceStoreOptions) {
    this.client = options.client ?? new S3RestClient();
  }

  /** Size and declared content type; `undefined` when the object (version) no longer exists. */
  public async head(ref: ObjectRef): Promise<ObjectHead | undefined> {
    try {
      const output = await this.client.headObject({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId });
      return {
        sizeBytes: output.ContentLength ?? 0,
        contentType: output.ContentType ?? 'application/octet-stream',
        ...(output.VersionId ? { versionId: output.VersionId } : {}),
      };
    } catch (error) {
      const name = (error as Error).name;
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (name === 'NotFound' || name === 'NoSuchKey' || name === 'NoSuchVersion' || status === 404) return undefined;
      throw error;
    }
  }

  /** Reads at most `maxBytes`; a bigger object throws `ObjectTooLargeError` without reading it all. */
  public async read(ref: ObjectRef, maxBytes: number): Promise<Buffer> {
    const output = await this.client.getObject({
      Bucket: ref.bucket,
      Key: ref.key,
      VersionId: ref.versionId,
      Range: `bytes=0-${maxBytes}`,
    });
    if (!output.Body) return Buffer.alloc(0);
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of output.Body as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      if (total > maxBytes) {
        (output.Body as { destroy?: () => void }).destroy?.();
        throw new ObjectTooLargeError(ref.key, maxBytes);
      }
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks, total);
  }

  /**
   * Server-side copy into the vault with a SHA-256 checksum and SSE-KMS; the copy's
   * Content-Type is `contentType` (the type sniffed from the bytes), never the uploader's, and
   * no client metadata is carried over. Returns the vault version id.
   */
  public async copyToVault(source: ObjectRef, vaultKey: string, contentType: string): Promise<{ versionId?: string }> {
    const copySource =
      `${source.bucket}/${source.key.split('/').map(encodeURIComponent).join('/')}` +
      (source.versionId ? `?versionId=${encodeURIComponent(source.versionId)}` : '');
    const output = await this.client.copyObject({
      ...this.vaultObject(vaultKey, contentType),
      CopySource: copySource,
      MetadataDirective: 'REPLACE',
    });
    return output.VersionId ? { versionId: output.VersionId } : {};
  }

  /**
   * Writes `body` into the vault, as `copyToVault` does (SHA-256 checksum, SSE-KMS, the sniffed
   * `contentType`): for an upload of which only a part is kept (the image without the media a
   * camera appended after it). Returns the vault version id.
   */
  public async putToVault(body: Uint8Array, vaultKey: string, contentType: string): Promise<{ versionId?: string }> {
    const output = await this.client.putObject({ ...this.vaultObject(vaultKey, contentType), Body: body });
    return output.VersionId ? { versionId: output.VersionId } : {};
  }

  /** What every vault write sets: the key, a SHA-256 checksum, SSE-KMS with the documents key, the sniffed type. */
  private vaultObject(vaultKey: string, contentType: string) {
    return {
      Bucket: this.options.vaultBucket,
      Key: vaultKey,
      ChecksumAlgorithm: 'SHA256',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: this.options.documentsKeyId,
      BucketKeyEnabled: true,
      ContentType: contentType,
    } as const;
  }

  /** Deletes one object version (the intake copy); deleting a missing version is not an error. */
  public async deleteObject(ref: ObjectRef): Promise<void> {
    await this.client.deleteObject({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId });
  }
}
