/**
 * File-level checks of an upload, decided from the bytes alone (PRODUCT §2): the type by magic
 * number (never the declared Content-Type or the name), the slot's allowed types, and for
 * images the pixel dimensions read from the header only, so a decompression bomb is refused
 * before anything is decoded. The image-quality analysis (blur, glare, faces, ...) runs after
 * these checks pass; `composeGates` chains the two.
 *
 * @example
 * ```ts
 * const gate = composeGates(fileTypeGate(config.uploads), runFullQualityGate);
 * const verdict = await gate(bytes, { slot: 'selfie', documentType: 'passport' });
 * ```
 */
import sharp from 'sharp';
import type { UploadLimits } from '../../../lib/config.ts';
import { allowedContentTypes } from '../../domain/verification.ts';
import type { QualityGate, QualityGateVerdict } from '../../ports/quality-gate.ts';

export const FILE_CHECKS_PROCESSOR = 'intake-file-checks';

const SIGNATURES: ReadonlyArray<{ type: string; bytes: readonly number[] }> = [
  { type: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
  { type: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'application/pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] },
];

/** The type announced by the file's magic number, or `undefined` for anything else. */
export function sniffType(bytes: Uint8Array): string | undefined {
  return SIGNATURES.find((signature) => signature.bytes.every((byte, index) => bytes[index] === byte))?.type;
}

/** Type, slot and dimension checks; accepted means "worth analysing", not "good evidence". */
export function fileTypeGate(limits: Pick<UploadLimits, 'minSidePixels' | 'maxPixels'>): QualityGate {
  return async function fileTypeGateCheck(bytes, { slot }): Promise<QualityGateVerdict> {
    const processors = [FILE_CHECKS_PROCESSOR];
    const detectedType = sniffType(bytes);
    if (!detectedType || !allowedContentTypes(slot).includes(detectedType)) {
      return {
        accepted: false,
        reasons: ['UNSUPPORTED_FORMAT'],
        metrics: {},
        processors,
        ...(detectedType ? { detectedType } : {}),
      };
    }
    if (detectedType === 'application/pdf') {
      const tail = Buffer.from(bytes.subarray(Math.max(0, bytes.length - 1024))).toString('latin1');
      return tail.includes('%%EOF')
        ? { accepted: true, reasons: [], metrics: {}, processors, detectedType }
        : { accepted: false, reasons: ['FILE_CORRUPT'], metrics: {}, processors, detectedType };
    }
    let width: number | undefined;
    let height: number | undefined;
    try {
      // Header only: nothing is decoded, so a pixel bomb costs nothing here.
      const metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
      width = metadata.width;
      height = metadata.height;
    } catch {
      return { accepted: false, reasons: ['FILE_CORRUPT'], metrics: {}, processors, detectedType };
    }
    if (!width || !height) return { accepted: false, reasons: ['FILE_CORRUPT'], metrics: {}, processors, detectedType };
    const metrics = { width, height, megapixels: Math.round((width * height) / 10_000) / 100 };
    const valid = Math.min(width, height) >= limits.minSidePixels && width * height <= limits.maxPixels;
    return {
      accepted: valid,
      reasons: valid ? [] : ['IMAGE_DIMENSIONS_INVALID'],
      metrics,
      processors,
      detectedType,
      width,
      height,
    };
  };
}

/**
 * Runs gates in order and stops at the first rejection; metrics and processors of every gate
 * that ran are merged, so the record shows all that handled the image.
 */
export function composeGates(...gates: readonly QualityGate[]): QualityGate {
  return async function composedGate(bytes, input): Promise<QualityGateVerdict> {
    let merged: QualityGateVerdict = { accepted: true, reasons: [], metrics: {}, processors: [] };
    for (const gate of gates) {
      const verdict = await gate(bytes, input);
      merged = {
        ...merged,
        ...verdict,
        metrics: { ...merged.metrics, ...verdict.metrics },
        processors: [...(merged.processors ?? []), ...(verdict.processors ?? [])],
        detectedType: verdict.detectedType ?? merged.detectedType,
      };
      if (!verdict.accepted) return merged;
    }
    return merged;
  };
}
