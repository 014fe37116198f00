/**
 * Ports of audited evidence access (PRODUCT §5): access and export records, the objects a view
 * or an export reads and writes, and the invisible watermark.
 */
import type { AccessRecord, ExportRecord } from '../domain/evidence-access.ts';

/** Fields of an export that change after the request. */
export type ExportChanges = Partial<
  Pick<
    ExportRecord,
    | 'status'
    | 'decidedBy'
    | 'decidedAt'
    | 'decisionNote'
    | 'accessId'
    | 'packageKey'
    | 'packageSha256'
    | 'packageBytes'
    | 'downloadTokenHash'
    | 'downloadIssuedAt'
    | 'downloadExpiresAt'
  >
>;

export interface EvidenceAccessRecords {
  /** Stores a new access record; fails when the id exists. */
  putAccess(record: AccessRecord): Promise<void>;
  getAccess(accessId: string): Promise<AccessRecord | undefined>;
  createExport(record: ExportRecord): Promise<void>;
  getExport(exportId: string): Promise<ExportRecord | undefined>;
  /** Conditional on `expectedVersion`; `false` when another writer changed the export first. */
  updateExport(exportId: string, expectedVersion: number, changes: ExportChanges): Promise<boolean>;
  /** Uses the one-time download; `true` for exactly one caller with the right token in time. */
  consumeDownload(exportId: string, tokenHash: string, now: Date): Promise<boolean>;
}

/** An object in the vault, by key and (where versioned) version. */
export interface VaultObjectRef {
  readonly key: string;
  readonly versionId?: string;
}

/**
 * The evidence objects an access touches: reads originals from the vault (never changes
 * them), writes renditions and packages into the short-lived renditions bucket, encrypted with
 * the documents key, and signs short GETs for them.
 */
export interface EvidenceObjects {
  readOriginal(ref: VaultObjectRef, maxBytes: number): Promise<Buffer>;
  putRendition(key: string, body: Buffer, contentType: string): Promise<void>;
  /** A presigned GET of a rendition, valid `expiresInSeconds`. */
  presignRendition(key: string, expiresInSeconds: number, options?: { downloadName?: string }): Promise<string>;
}

/** The invisible watermark, keyed with KMS-protected material. */
export interface Watermarker {
  /** Embeds `accessId` (hex) into `image`; returns the marked image (JPEG unless `format`) and its PSNR. */
  embed(image: Buffer, accessId: string, format?: 'jpeg' | 'png'): Promise<{ image: Buffer; psnrDb: number }>;
  /** The access id (hex) `image` carries, or `undefined` when it carries no mark of ours. */
  detect(image: Buffer): Promise<{ accessId: string; syncScore: number } | undefined>;
}
