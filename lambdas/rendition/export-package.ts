/**
 * The zip of an approved export: per case, its records as JSON and each accepted image
 * document re-rendered with the visible mark and the invisible watermark of the export's access
 * id; a `manifest.json` lists every file with its SHA-256 and size (and what was left out, and
 * why). Images are stored (JPEG does not compress further), JSON deflated. `fflate` builds it.
 *
 * @example
 * ```ts
 * const pkg = await buildExportPackage({ exportRecord, accessId, approvedBy, at, cases }, watermarker, options);
 * await objects.putRendition(exportPackageKey(exportRecord.exportId), pkg.zip, 'application/zip');
 * ```
 */
import { createHash } from 'node:crypto';
import { zipSync, type Zippable } from 'fflate';
import type { ExportRecord } from '../domain/evidence-access.ts';
import type { Watermarker } from '../ports/evidence-access.ts';
import { renderMarkedCopy, RenditionError, type RenderOptions } from './render.ts';

/** One document of a case, with its original bytes from the vault (or why it has none). */
export interface ExportDocument {
  readonly attemptId: string;
  readonly slot: string;
  readonly contentType: string;
  readonly original: Buffer;
}

export interface ExportCase {
  readonly verificationId: string;
  /** The case's records (verification, personal data, attempts, documents, audit trail). */
  readonly record: unknown;
  readonly documents: readonly ExportDocument[];
}

export interface ExportPackageInput {
  readonly exportRecord: ExportRecord;
  readonly accessId: string;
  readonly approvedBy: string;
  /** ISO time of the packaging, shown in the visible mark. */
  readonly at: string;
  readonly cases: readonly ExportCase[];
}

export interface ManifestFile {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface ExportManifest {
  readonly exportId: string;
  readonly accessId: string;
  readonly reason: string;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly approvedBy: string;
  readonly createdAt: string;
  readonly files: readonly ManifestFile[];
  readonly omitted: ReadonlyArray<{ verificationId: string; attemptId: string; slot: string; why: string }>;
}

export interface ExportPackage {
  readonly zip: Buffer;
  readonly sha256: string;
  readonly manifest: ExportManifest;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function buildExportPackage(
  input: ExportPackageInput,
  watermarker: Watermarker,
  options: RenderOptions,
): Promise<ExportPackage> {
  const files: Record<string, Uint8Array> = {};
  const omitted: Array<{ verificationId: string; attemptId: string; slot: string; why: string }> = [];
  for (const exportCase of input.cases) {
    const folder = `cases/${exportCase.verificationId}`;
    files[`${folder}/case.json`] = Buffer.from(`${JSON.stringify(exportCase.record, null, 2)}\n`, 'utf8');
    for (const document of exportCase.documents) {
      const where = { verificationId: exportCase.verificationId, attemptId: document.attemptId, slot: document.slot };
      if (document.contentType === 'application/pdf') {
        omitted.push({ ...where, why: 'PDF documents cannot carry the watermark; view them in the vault' });
        continue;
      }
      try {
        const copy = await renderMarkedCopy(
          document.original,
          {
            viewer: input.exportRecord.requestedBy,
            at: input.at,
            accessId: input.accessId,
            label: `EXPORT ${input.exportRecord.exportId.slice(0, 8)}`,
          },
          watermarker,
          options,
        );
        files[`${folder}/documents/${document.attemptId}-${document.slot}.jpg`] = copy.image;
      } catch (error) {
        if (!(error instanceof RenditionError)) throw error;
        omitted.push({ ...where, why: 'the stored image cannot be decoded' });
      }
    }
  }
  const manifest: ExportManifest = {
    exportId: input.exportRecord.exportId,
    accessId: input.accessId,
    reason: input.exportRecord.reason,
    requestedBy: input.exportRecord.requestedBy,
    requestedAt: input.exportRecord.requestedAt,
    approvedBy: input.approvedBy,
    createdAt: input.at,
    files: Object.entries(files)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([path, bytes]) => ({ path, sha256: sha256Hex(bytes), bytes: bytes.length })),
    omitted,
  };
  const zippable: Zippable = { 'manifest.json': [Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), { level: 6 }] };
  for (const [path, bytes] of Object.entries(files)) {
    zippable[path] = [bytes, { level: path.endsWith('.json') ? 6 : 0 }];
  }
  const zip = Buffer.from(zipSync(zippable, { mtime: new Date(input.at) }));
  return { zip, sha256: sha256Hex(zip), manifest };
}
