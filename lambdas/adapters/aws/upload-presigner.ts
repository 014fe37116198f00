/**
 * Presigned S3 POST for one upload slot (PRODUCT §2): the object key is pinned exactly, the
 * size range comes from the upload limits, the Content-Type is one exact allowed value, SSE-KMS
 * with the documents key is required, and the policy expires within minutes.
 *
 * @example
 * ```ts
 * const presigner = new UploadPresigner({ bucket, documentsKeyId, uploads: config.uploads });
 * const { url, fields } = await presigner.presign({ key: intakeKey(v, a, 'selfie'), contentType: 'image/jpeg' });
 * ```
 *
 * The form is signed without the S3 client (`s3-presign.ts`), which would be a third of the
 * attempt route's bundle; it is checked field for field against `@aws-sdk/s3-presigned-post`.
 */
import { presignPost, s3PresignContextFromEnv, type PresignedPost, type S3PresignContext } from './s3-presign.ts';
import type { UploadLimits } from '../../../lib/config.ts';
import type { Slot } from '../../domain/verification.ts';
import { minimumUploadBytes } from '../../domain/upload-size.ts';

/** Largest presign lifetime we ever sign, whatever the configuration says. */
export const MAX_PRESIGN_SECONDS = 300;

/** Intake object key of one slot of one attempt. */
export function intakeKey(verificationId: string, attemptId: string, slot: Slot): string {
  return `intake/${verificationId}/${attemptId}/${slot}`;
}

export interface UploadPresignerOptions {
  readonly bucket: string;
  readonly documentsKeyId: string;
  readonly uploads: Pick<UploadLimits, 'minFileBytes' | 'maxFileBytes' | 'presignExpirySeconds'>;
  /** Region, credentials and S3 endpoint (default: the function's environment, as the SDK reads it). */
  readonly context?: S3PresignContext;
}

export class UploadPresigner {
  private readonly context: S3PresignContext;

  public constructor(private readonly options: UploadPresignerOptions) {
    this.context = options.context ?? s3PresignContextFromEnv();
  }

  /** Seconds the signed policy is valid: the configured value, never above 300. */
  public get expiresInSeconds(): number {
    return Math.min(this.options.uploads.presignExpirySeconds, MAX_PRESIGN_SECONDS);
  }

  public async presign(input: { key: string; contentType: string }): Promise<PresignedPost> {
    const { bucket, documentsKeyId, uploads } = this.options;
    return presignPost(this.context, {
      bucket,
      key: input.key,
      expiresInSeconds: this.expiresInSeconds,
      conditions: [
        ['eq', '$key', input.key],
        ['content-length-range', minimumUploadBytes(input.contentType, uploads.minFileBytes), uploads.maxFileBytes],
        ['eq', '$Content-Type', input.contentType],
        ['eq', '$x-amz-server-side-encryption', 'aws:kms'],
        ['eq', '$x-amz-server-side-encryption-aws-kms-key-id', documentsKeyId],
      ],
      fields: {
        'Content-Type': input.contentType,
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': documentsKeyId,
      },
    });
  }
}
