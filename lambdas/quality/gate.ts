/**
 * The upload quality gate (PRODUCT §2): decides from the bytes alone whether an upload is usable
 * evidence for its slot, in one pass over the upload. Cheapest checks first, stopping at the
 * first fatal file problem:
 *
 *   magic bytes, slot types, container structure (JPEG markers, PNG chunks and CRCs, IHDR)
 *   -> size -> header dimensions (no decode: a pixel bomb is refused in about a millisecond)
 *   -> PNG data length against the IHDR -> metadata
 *   -> ONE decode, EXIF-rotated, JPEG shrink-on-load to about 1/3 of a 12 MP frame, any libjpeg
 *      or libpng complaint = FILE_CORRUPT
 *   -> faces (when a detector is given)
 *   -> exposure (a selfie's on its face when that is brighter than the frame), glare, document
 *      quadrilateral (corners, tilt) on a frame of at most 400 px
 *   -> blur in physical units inside the document (or the face), at a resolution chosen from
 *      the document's size in pixels; a second, cropped decode only when the first was too coarse.
 *
 * Throws only `FaceDetectorUnavailableError`: the face detector failed for a reason other than
 * the photo (throttling, an outage), so the upload is processed again later instead of being
 * refused for it. Anything else unexpected becomes `FILE_CORRUPT` (a detector that refuses the
 * image itself included).
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
import { allowedContentTypes, type DocumentType, type Slot } from '../domain/verification.ts';
import { FaceDetectorUnavailableError, type FaceDetector } from '../ports/face-detector.ts';
import type { QualityGate, QualityGateVerdict } from '../ports/quality-gate.ts';
import { analyseFrame } from './analyse.ts';
import { measureBlur } from './sharpness.ts';
import { checkFaces, type FaceJudgement } from './faces.ts';
import { inspectMetadata } from './metadata.ts';
import { SCREEN_UNIFORM_TILE_SHARE, uniformTileShare } from './screen.ts';
import { checkPngData } from './png-data.ts';
import { decodeLuma, downsample, firstPassShrink } from './decode.ts';
import { sniff } from './sniff.ts';

/** Processor name recorded for the gate itself (PRODUCT §5). */
export const QUALITY_GATE_PROCESSOR = 'quality-gate';
/**
 * Longest side (at most) of the frame exposure, glare and the document quadrilateral are judged
 * on: a 12 MP photo's first decode (1333 px) box-averaged by 4. Their thresholds are fractions
 * of the frame or of the document (only a glare patch's 4 px smallest side is in pixels), and
 * the outline and glare labelling cost grows with the pixel count; blur is measured on the
 * finer first decode.
 */
export const ANALYSIS_SIDE = 400;

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
    // An empty file is first of all too small (the size floor the intake applies before reading).
    if (bytes.length === 0) return reject('FILE_TOO_SMALL', metrics);
    const sniffed = sniff(bytes);
    const detectedType = sniffed.type;
    const typed = detectedType ? { detectedType } : {};
    if (!detectedType || !allowedContentTypes(slot).includes(detectedType))
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
    const jpeg = detectedType === 'image/jpeg';
    let plainJpeg = false;
    if (jpeg) {
      const header = await sharp(bytes, { limitInputPixels: false }).metadata();
      width = header.autoOrient?.width ?? header.width ?? 0;
      height = header.autoOrient?.height ?? header.height ?? 0;
      plainJpeg = (header.orientation ?? 1) === 1 && header.space === 'srgb' && header.channels === 3;
    }
    metrics.width = width;
    metrics.height = height;
    metrics.megapixels = Math.round((width * height) / 10_000) / 100;
    const sized = { ...typed, width, height };
    if (Math.min(width, height) < limits.minSidePixels || width * height > limits.maxPixels) {
      return reject('IMAGE_DIMENSIONS_INVALID', metrics, sized);
    }
    if (sniffed.pngHeader && (await checkPngData(bytes, sniffed.pngHeader)))
      return reject('FILE_CORRUPT', metrics, sized);

    const metadata = await inspectMetadata(bytes, { metadataText: sniffed.metadataText, width, height });
    const reasons: ReasonCode[] = [...metadata.reasons];

    // The one decode: EXIF orientation applied, shrink-on-load, luma.
    const decodeStart = performance.now();
    const shrink = firstPassShrink(Math.max(width, height), jpeg);
    const first = await decodeLuma(bytes, { width, height }, shrink, limits.maxPixels);
    metrics.decodeMs = Math.round(performance.now() - decodeStart);
    const factor = Math.max(1, Math.ceil(Math.max(first.width, first.height) / ANALYSIS_SIDE));
    const frame = downsample(first, factor);
    // A screen-and-webcam-sized file without camera metadata is a screenshot only when its
    // pixels are drawn, not sensed (`screen.ts`).
    if (metadata.screenOrCameraFrame) {
      const share = uniformTileShare(first, first.scale);
      metrics.uniformTileShare = Math.round(share * 1000) / 1000;
      if (share >= SCREEN_UNIFORM_TILE_SHARE) reasons.push('SCREENSHOT_DETECTED');
    }
    const isDocument = DOCUMENT_SLOTS.has(slot);
    const processors = [QUALITY_GATE_PROCESSOR];
    let faces: FaceJudgement | undefined;
    if (options.faceDetector && (slot === 'selfie' || slot === 'document_front')) {
      faces = await checkFaces(bytes, {
        slot,
        width,
        height,
        detector: options.faceDetector,
        thresholds: config.quality,
        asIs: plainJpeg,
      });
      processors.push(options.faceDetector.processorName);
    }
    // A selfie's exposure may be judged on its face (`analyseFrame`), so the faces come first.
    const analysis = analyseFrame(frame, isDocument, config.quality, faces?.largest);
    reasons.push(...analysis.reasons);
    Object.assign(metrics, analysis.metrics);
    if (faces) {
      reasons.push(...faces.reasons);
      Object.assign(metrics, faces.metrics);
    }

    const blurStart = performance.now();
    const blur = await measureBlur({
      bytes,
      size: { width, height },
      first,
      frameScale: first.scale * factor,
      frameWidth: frame.width,
      slot,
      documentType: options.documentType,
      ...(analysis.region ? { region: analysis.region } : {}),
      ...(faces?.largest ? { face: faces.largest } : {}),
      maxPixels: limits.maxPixels,
      thresholds: config.quality,
    });
    // A photo too dark to show a single measurable edge cannot be judged for focus: its darkness
    // is the reason to give (telling the user to hold the camera still would not help).
    if (!(blur.unmeasured && reasons.includes('BACKGROUND_TOO_DARK'))) reasons.push(...blur.reasons);
    Object.assign(metrics, blur.metrics);
    metrics.blurMs = Math.round(performance.now() - blurStart);

    metrics.gateMs = Math.round(performance.now() - started);
    const unique = [...new Set(reasons)];
    // Media a camera appended after the image, or padding (`sniff` refuses anything else after
    // it): judged as absent, and not kept (10 MB of zeros after a JPEG is not evidence).
    const appended = sniffed.trailingBytes ?? 0;
    if (appended > 0) metrics.appendedBytes = appended;
    const kept = appended > 0 ? { imageBytes: bytes.length - appended } : {};
    return { accepted: unique.length === 0, reasons: unique, metrics, ...sized, processors, ...kept };
  } catch (error) {
    if (error instanceof FaceDetectorUnavailableError) throw error;
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
