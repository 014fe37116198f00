/**
 * Presigned GETs of renditions and export packages (`EvidenceObjects.presignRendition`), signed
 * without the S3 client (`s3-presign.ts`), so the export download route carries no S3 client at
 * all. Every link is `no-store` and lives at most {@link MAX_RENDITION_URL_SECONDS}.
 *
 * @example
 * ```ts
 * const links = new S3RenditionLinks({ renditionsBucket });
 * const url = await links.presignRendition('views/v1/9f86d081884c7d65.jpg', 60);
 * ```
 */
import type { EvidenceObjects } from '../../ports/evidence-access.ts';
import { presignGet, s3PresignContextFromEnv, type S3PresignContext } from './s3-presign.ts';

/** Longest presigned GET ever signed for a rendition or package (PRODUCT §7: 10 minutes for exports). */
export const MAX_RENDITION_URL_SECONDS = 600;

export interface S3RenditionLinksOptions {
  readonly renditionsBucket: string;
  /**
   * Region, credentials and S3 endpoint, or how to read them (default: the function's
   * environment). Read at the first link, so a route that never hands one out never reads them.
   */
  readonly context?: S3PresignContext | (() => S3PresignContext);
}

export class S3RenditionLinks implements Pick<EvidenceObjects, 'presignRendition'> {
  private context: S3PresignContext | undefined;

  public constructor(private readonly options: S3RenditionLinksOptions) {}

  private presignContext(): S3PresignContext {
    const given = this.options.context ?? (() => s3PresignContextFromEnv());
    this.context ??= typeof given === 'function' ? given() : given;
    return this.context;
  }

  /** A GET of `key` valid 1 to {@link MAX_RENDITION_URL_SECONDS} seconds; `downloadName` makes it an attachment. */
  public async presignRendition(
    key: string,
    expiresInSeconds: number,
    options: { downloadName?: string } = {},
  ): Promise<string> {
    return presignGet(this.presignContext(), {
      bucket: this.options.renditionsBucket,
      key,
      expiresInSeconds: Math.max(1, Math.min(Math.floor(expiresInSeconds), MAX_RENDITION_URL_SECONDS)),
      query: {
        'response-cache-control': 'no-store',
        ...(options.downloadName
          ? {
              'response-content-disposition': `attachment; filename="${options.downloadName.replace(/[^\w.-]/g, '_')}"`,
            }
          : {}),
      },
    });
  }
}
