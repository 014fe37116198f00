/**
 * The upload quality gate (PRODUCT §2): decides from the bytes alone whether an upload is usable
 * evidence for its slot. Cheapest checks first, stopping at the first fatal file problem:
 * magic bytes and container structure -> size -> header dimensions (no decode: a pixel bomb is
 * refused in about a millisecond) -> metadata -> ONE decode (EXIF-rotated, greyscale, 1024 px
 * long side) for blur, glare, exposure and the document quadrilateral -> faces (when a detector
 * is given). Never throws: anything unexpected becomes `FILE_CORRUPT`.
 *
 * @example
 * ```ts
 * const gate = createQualityGate({ config: DEFAULT_CONFIG, faceDetector });
 * const verdict = await gate(bytes, { slot: 'selfie', documentType: 'passport' });
 * verdict.accepted; // false
 * verdict.reasons;  // ['MULTIPLE_FACES']
 * ```
 */
import sharp from 'sharp';
import type { KycConfig } from '../../lib/config.ts';
import type { ReasonCode } from '../domain/reason-codes.ts';
import type { DocumentType, Slot } from '../domain/verification.ts';
import type { FaceDetector } from '../ports/face-detector.ts';
import type { QualityGate, QualityGateVerdict } from '../ports/quality-gate.ts';
import { analyseFrame } from './analyse.ts';
import { checkFaces } from './faces.ts';
import { inspectMetadata } from './metadata.ts';
import { sniff } from './sniff.ts';

/** Processor name recorded for the gate itself (PRODUCT §5). */
export const QUALITY_GATE_PROCESSOR = 'quality-gate';
/** Long side of the analysis frame; thresholds are calibrated at this size. */
export const ANALYSIS_SIDE = 1024;

export interface QualityGateOptions {
  readonly slot: Slot;
  readonly documentType: DocumentType;
  readonly config: KycConfig;
  readonly faceDetector?: FaceDetector;
}

const DOCUMENT_SLOTS: ReadonlySet<Slot> = new Set(['document_front', 'document_back']);

function reject(
  reason: ReasonCode,
  metrics: Record<string, number>,
  extra: Partial<QualityGateVerdict> = {},
): QualityGateVerdict {
  return { accepted: false, reasons: [reason], metrics, processors: [QUALITY_GATE_PROCESSOR], ...extra };
}

/** Runs the quality gate on one upload. See the module comment for the order of checks. */
export async function runQualityGate(bytes: Buffer, options: QualityGateOptions): Promise<QualityGateVerdict> {
  const started = performance.now();
  const metrics: Record<string, number> = { bytes: bytes.length };
  try {
    const { slot, config } = options;
    const limits = config.uploads;
    const sniffed = sniff(bytes);
    const detectedType = sniffed.type;
    const typed = detectedType ? { detectedType } : {};
    if (!detectedType) return reject('UNSUPPORTED_FORMAT', metrics);
    if (detectedType === 'application/pdf' && slot !== 'proof_of_address')
      return reject('UNSUPPORTED_FORMAT', metrics, typed);
    if (bytes.length > limits.maxFileBytes) return reject('FILE_TOO_LARGE', metrics, typed);
    // PDFs are vector documents: the 100 KB floor is about photo resolution and applies to images.
    if (detectedType !== 'application/pdf' && bytes.length < limits.minFileBytes)
      return reject('FILE_TOO_SMALL', metrics, typed);
    if (sniffed.problem) return reject(sniffed.problem, metrics, typed);
    if (detectedType === 'application/pdf') {
      return { accepted: true, reasons: [], metrics, detectedType, processors: [QUALITY_GATE_PROCESSOR] };
    }

    // Header only: sharp reads the dimensions without decoding pixels.
    let width = sniffed.headerWidth ?? 0;
    let height = sniffed.headerHeight ?? 0;
    if (detectedType === 'image/jpeg') {
      const header = await sharp(bytes, { limitInputPixels: false }).metadata();
      width = header.autoOrient?.width ?? header.width ?? 0;
      height = header.autoOrient?.height ?? header.height ?? 0;
    }
    metrics.width = width;
    metrics.height = height;
    const sized = { ...typed, width, height };
    if (Math.min(width, height) < limits.minSidePixels || width * height > limits.maxPixels) {
      return reject('IMAGE_DIMENSIONS_INVALID', metrics, sized);
    }

    const metadata = await inspectMetadata(bytes, { metadataText: sniffed.metadataText, width, height });
    const reasons: ReasonCode[] = [...metadata.reasons];

    // The one decode: EXIF orientation applied, shrink-on-load to the analysis size, greyscale.
    const decodeStart = performance.now();
    const { data, info } = await sharp(bytes, { limitInputPixels: limits.maxPixels, failOn: 'truncated' })
      .rotate()
      .resize(ANALYSIS_SIDE, ANALYSIS_SIDE, { fit: 'inside', withoutEnlargement: true })
      .removeAlpha()
      .toColourspace('b-w')
      .raw()
      .toBuffer({ resolveWithObject: true });
    metrics.decodeMs = Math.round(performance.now() - decodeStart);
    const grey = {
      data: new Uint8Array(data.buffer, data.byteOffset, info.width * info.height),
      width: info.width,
      height: info.height,
    };
    const frame = analyseFrame(grey, DOCUMENT_SLOTS.has(slot), config.quality);
    reasons.push(...frame.reasons);
    Object.assign(metrics, frame.metrics);

    const processors = [QUALITY_GATE_PROCESSOR];
    if (options.faceDetector && (slot === 'selfie' || slot === 'document_front')) {
      const faces = await checkFaces(bytes, {
        slot,
        width,
        height,
        detector: options.faceDetector,
        thresholds: config.quality,
      });
      reasons.push(...faces.reasons);
      Object.assign(metrics, faces.metrics);
      processors.push(options.faceDetector.processorName);
    }
    metrics.gateMs = Math.round(performance.now() - started);
    const unique = [...new Set(reasons)];
    return { accepted: unique.length === 0, reasons: unique, metrics, ...sized, processors };
  } catch (error) {
    // sharp refuses truncated or corrupt pixel data here; anything else is also unusable evidence.
    metrics.gateMs = Math.round(performance.now() - started);
    metrics.decodeFailed = 1;
    void error;
    return reject('FILE_CORRUPT', metrics);
  }
}

/** Builds the `QualityGate` port the intake Lambda and the local runtime call. */
export function createQualityGate(deps: {
  readonly config: KycConfig;
  readonly faceDetector?: FaceDetector;
}): QualityGate {
  return (bytes, input) =>
    runQualityGate(bytes, {
      ...input,
      config: deps.config,
      ...(deps.faceDetector ? { faceDetector: deps.faceDetector } : {}),
    });
}

/**
 * Re-encodes an image as a JPEG without any metadata (EXIF, XMP, GPS, ICC comments), orientation
 * applied, for thumbnails and renditions shown to reviewers.
 */
export async function sanitizeImage(
  bytes: Buffer,
  options: { readonly maxSide?: number; readonly quality?: number } = {},
): Promise<Buffer> {
  const side = options.maxSide ?? 2048;
  return sharp(bytes, { limitInputPixels: 50_000_000, failOn: 'truncated' })
    .rotate()
    .resize(side, side, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: options.quality ?? 85, mozjpeg: false })
    .toBuffer();
}
