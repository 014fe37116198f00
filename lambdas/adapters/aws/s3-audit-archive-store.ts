/**
 * `AuditArchiveStore` over the audit archive bucket (Object Lock COMPLIANCE, default retention).
 * Every write sends a SHA-256 checksum: S3 refuses writes to a bucket with default retention
 * that carry neither `Content-MD5` nor an `x-amz-checksum-*` header. Encryption is the bucket
 * default (SSE-KMS with its key), so the writer needs no key ARN.
 *
 * @example
 * ```ts
 * const store = new S3AuditArchiveStore({ bucket: requireEnv('auditArchiveBucket') });
 * await store.put(file.key, file.body, 'application/gzip');
 * ```
 */
import { bodyBytes, S3RestClient, type S3Operations } from './s3-rest-client.ts';
import type { AuditArchiveStore } from '../../ports/audit-archive.ts';

export interface S3AuditArchiveStoreOptions {
  readonly bucket: string;
  /** S3 calls (default: an `S3RestClient` for the function's region and endpoint). */
  readonly client?: S3Operations;
}

export class S3AuditArchiveStore implements AuditArchiveStore {
  private readonly client: S3Operations;

  public constructor(private readonly options: S3AuditArchiveStoreOptions) {
    this.client = options.client ?? new S3RestClient();
  }

  public async put(key: string, body: Uint8Array, contentType: string): Promise<void> {
    await this.client.putObject({
      Bucket: this.options.bucket,
      Key: key,
      Body: body,
      ContentType: contentType,
      ChecksumAlgorithm: 'SHA256',
    });
  }

  public async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const output = await this.client.getObject({ Bucket: this.options.bucket, Key: key });
      return new Uint8Array(await bodyBytes(output.Body));
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  public async list(prefix: string, startAfter?: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const output = await this.client.listObjectsV2({
        Bucket: this.options.bucket,
        Prefix: prefix,
        ...(startAfter && !token ? { StartAfter: startAfter } : {}),
        ...(token ? { ContinuationToken: token } : {}),
      });
      keys.push(...(output.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])));
      token = output.IsTruncated ? output.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }
}
