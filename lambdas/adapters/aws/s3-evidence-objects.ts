/**
 * `EvidenceObjects` over S3: bounded reads of vault originals (by version where the vault is
 * versioned; never written here), SSE-KMS writes into the renditions bucket under the
 * documents key, and presigned GETs of at most `MAX_RENDITION_URL_SECONDS` (`S3RenditionLinks`).
 *
 * @example
 * ```ts
 * const objects = new S3EvidenceObjects({ vaultBucket, renditionsBucket, documentsKeyId });
 * const original = await objects.readOriginal({ key: document.vaultKey }, 10 * 1024 * 1024);
 * await objects.putRendition('views/v1/9f86d081884c7d65.jpg', marked, 'image/jpeg');
 * const url = await objects.presignRendition('views/v1/9f86d081884c7d65.jpg', 60);
 * ```
 */
import { S3RestClient, type S3Operations } from './s3-rest-client.ts';
import type { EvidenceObjects, VaultObjectRef } from '../../ports/evidence-access.ts';
import { ObjectTooLargeError, S3EvidenceStore } from './s3-evidence-store.ts';
import type { S3PresignContext } from './s3-presign.ts';
import { S3RenditionLinks } from './s3-rendition-links.ts';

export interface S3EvidenceObjectsOptions {
  readonly vaultBucket: string;
  readonly renditionsBucket: string;
  /** KMS key (ARN) for SSE-KMS on renditions and packages. */
  readonly documentsKeyId: string;
  /** S3 calls (default: an `S3RestClient` with `presignContext`, else the function's region and endpoint). */
  readonly client?: S3Operations;
  /** Region, credentials and endpoint of the presigned links, or how to read them (default: the function's environment). */
  readonly presignContext?: S3PresignContext | (() => S3PresignContext);
}

export class S3EvidenceObjects implements EvidenceObjects {
  private readonly client: S3Operations;
  private readonly vault: S3EvidenceStore;
  private readonly links: S3RenditionLinks;

  public constructor(private readonly options: S3EvidenceObjectsOptions) {
    this.client = options.client ?? new S3RestClient(options.presignContext ? { context: options.presignContext } : {});
    this.vault = new S3EvidenceStore({
      vaultBucket: options.vaultBucket,
      documentsKeyId: options.documentsKeyId,
      client: this.client,
    });
    this.links = new S3RenditionLinks({
      renditionsBucket: options.renditionsBucket,
      ...(options.presignContext ? { context: options.presignContext } : {}),
    });
  }

  public async readOriginal(ref: VaultObjectRef, maxBytes: number): Promise<Buffer> {
    return this.vault.read({ bucket: this.options.vaultBucket, key: ref.key, versionId: ref.versionId }, maxBytes);
  }

  public async putRendition(key: string, body: Buffer, contentType: string): Promise<void> {
    await this.client.putObject({
      Bucket: this.options.renditionsBucket,
      Key: key,
      Body: body,
      ContentType: contentType,
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: this.options.documentsKeyId,
      BucketKeyEnabled: true,
      CacheControl: 'no-store',
    });
  }

  public async presignRendition(
    key: string,
    expiresInSeconds: number,
    options: { downloadName?: string } = {},
  ): Promise<string> {
    return this.links.presignRendition(key, expiresInSeconds, options);
  }
}

export { ObjectTooLargeError };
