/**
 * The zip a person downloads from `GET /v1/me/data` (GDPR art. 15, right of access): their
 * records as JSON and a copy of each of their accepted images, marked visibly and with the
 * invisible watermark of this access (so a copy found elsewhere names the access it came
 * from). `manifest.json` lists each file with its SHA-256, what was left out and why, and the
 * caller's notes on what the records leave out.
 *
 * @example
 * ```ts
 * const pkg = await buildSubjectAccessPackage({ userId, accessId, at, verifications }, watermarker, options);
 * await objects.putRendition(subjectAccessKey(accessId), pkg.zip, 'application/zip');
 * ```
 */
import { zipSync, type Zippable } from 'fflate';
import type { Watermarker } from '../ports/evidence-access.ts';
import { sha256Hex, type ExportDocument, type ManifestFile } from './export-package.ts';
import { renderMarkedCopy, RenditionError, type RenderOptions } from './render.ts';

export interface SubjectAccessVerification {
  readonly verificationId: string;
  /** The person's records of this verification (personal data opened, no internal keys). */
  readonly record: unknown;
  readonly documents: readonly ExportDocument[];
}

export interface SubjectAccessInput {
  readonly userId: string;
  readonly accessId: string;
  /** ISO time of the access, shown in the visible mark. */
  readonly at: string;
  readonly verifications: readonly SubjectAccessVerification[];
  /** What the records leave out and why, for the manifest (e.g. the checks' scores). */
  readonly notes?: readonly string[];
}

export interface SubjectAccessPackage {
  readonly zip: Buffer;
  readonly sha256: string;
  readonly files: readonly ManifestFile[];
  readonly omitted: ReadonlyArray<{ verificationId: string; attemptId: string; slot: string; why: string }>;
}

export async function buildSubjectAccessPackage(
  input: SubjectAccessInput,
  watermarker: Watermarker,
  options: RenderOptions,
): Promise<SubjectAccessPackage> {
  const files: Record<string, Uint8Array> = {};
  const omitted: Array<{ verificationId: string; attemptId: string; slot: string; why: string }> = [];
  for (const verification of input.verifications) {
    const folder = `verifications/${verification.verificationId}`;
    files[`${folder}/records.json`] = Buffer.from(`${JSON.stringify(verification.record, null, 2)}\n`, 'utf8');
    for (const document of verification.documents) {
      const where = { verificationId: verification.verificationId, attemptId: document.attemptId, slot: document.slot };
      if (document.contentType === 'application/pdf') {
        omitted.push({ ...where, why: 'PDF documents cannot carry the watermark; ask us for a copy' });
        continue;
      }
      try {
        const copy = await renderMarkedCopy(
          document.original,
          { viewer: input.userId, at: input.at, accessId: input.accessId, label: 'YOUR COPY' },
          watermarker,
          options,
        );
        files[`${folder}/images/${document.attemptId}-${document.slot}.jpg`] = copy.image;
      } catch (error) {
        if (!(error instanceof RenditionError)) throw error;
        omitted.push({ ...where, why: 'the stored image cannot be decoded' });
      }
    }
  }
  const listed = Object.entries(files)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([path, bytes]) => ({ path, sha256: sha256Hex(bytes), bytes: bytes.length }));
  const manifest = {
    userId: input.userId,
    accessId: input.accessId,
    createdAt: input.at,
    files: listed,
    omitted,
    ...(input.notes && input.notes.length > 0 ? { notes: input.notes } : {}),
  };
  const zippable: Zippable = { 'manifest.json': [Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), { level: 6 }] };
  for (const [path, bytes] of Object.entries(files))
    zippable[path] = [bytes, { level: path.endsWith('.json') ? 6 : 0 }];
  const zip = Buffer.from(zipSync(zippable, { mtime: new Date(input.at) }));
  return { zip, sha256: sha256Hex(zip), files: listed, omitted };
}
