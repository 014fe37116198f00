/**
 * Face checks for the quality gate (PRODUCT §2): selfie with no face, several faces, a face too
 * small, sunglasses or a covered face; a document front without a legible portrait.
 */
import sharp from 'sharp';
import type { QualityThresholds } from '../../lib/config.ts';
import type { ReasonCode } from '../domain/reason-codes.ts';
import type { Slot } from '../domain/verification.ts';
import {
  FaceDetectorUnavailableError,
  FaceImageRefusedError,
  type DetectedFace,
  type FaceDetector,
} from '../ports/face-detector.ts';

/** Long side of the JPEG handed to the detector (well under Rekognition's 5 MB byte limit). */
export const DETECTOR_SIDE = 1600;
/** Largest upload handed to the detector unchanged (Rekognition's limit for image bytes). */
export const DETECTOR_MAX_BYTES = 5 * 1024 * 1024;
/** Detections below this confidence (0-100) are ignored, like Rekognition's default filter. */
export const MIN_FACE_CONFIDENCE = 80;

export interface FaceCheckInput {
  readonly slot: Slot;
  /** Oriented size of the original image in pixels. */
  readonly width: number;
  readonly height: number;
  readonly detector: FaceDetector;
  readonly thresholds: QualityThresholds;
  /**
   * The upload may go to the detector as it is: a JPEG the detector reads as is (upright, sRGB,
   * within {@link DETECTOR_MAX_BYTES}). Otherwise a JPEG of at most {@link DETECTOR_SIDE} is made.
   */
  readonly asIs?: boolean;
}

/** Decides the face reasons from detections (pure, exported for tests). */
export function judgeFaces(faces: readonly DetectedFace[], input: Omit<FaceCheckInput, 'detector'>): FaceJudgement {
  const confident = faces.filter((face) => face.confidence >= MIN_FACE_CONFIDENCE);
  const reasons: ReasonCode[] = [];
  const metrics: Record<string, number> = { faceCount: confident.length };
  const shortSide = Math.min(input.width, input.height);
  const side = (face: DetectedFace): number => Math.min(face.box.width * input.width, face.box.height * input.height);
  const largest = [...confident].sort((a, b) => side(b) - side(a))[0];
  if (largest) metrics.faceSidePixels = Math.round(side(largest));
  if (input.slot === 'selfie') {
    if (confident.length === 0) reasons.push('NO_FACE_DETECTED');
    else if (confident.length > 1) reasons.push('MULTIPLE_FACES');
    if (largest) {
      const fraction = side(largest) / shortSide;
      metrics.faceFraction = Math.round(fraction * 1000) / 1000;
      if (fraction < input.thresholds.minSelfieFaceFraction) reasons.push('FACE_TOO_SMALL');
      if (largest.sunglasses || largest.occluded) reasons.push('FACE_OBSTRUCTED');
    }
  } else if (input.slot === 'document_front') {
    if (!largest) reasons.push('NO_FACE_DETECTED');
    else if (side(largest) < input.thresholds.minFacePixels) reasons.push('FACE_TOO_SMALL');
  }
  return { reasons, metrics, ...(largest ? { largest: largest.box } : {}) };
}

export interface FaceJudgement {
  readonly reasons: ReasonCode[];
  readonly metrics: Record<string, number>;
  /** The largest confident face (fractions of the oriented image), when any. */
  readonly largest?: DetectedFace['box'];
}

/**
 * Runs the detector on the upload itself (`asIs`) or on an oriented, downscaled JPEG of it, and
 * judges the result.
 */
export async function checkFaces(bytes: Buffer, input: FaceCheckInput): Promise<FaceJudgement> {
  const started = performance.now();
  const jpeg =
    input.asIs && bytes.length <= DETECTOR_MAX_BYTES
      ? bytes
      : await sharp(bytes, { failOn: 'truncated' })
          .rotate()
          .resize(DETECTOR_SIDE, DETECTOR_SIDE, { fit: 'inside', withoutEnlargement: true })
          .jpeg({ quality: 90 })
          .toBuffer();
  let faces: DetectedFace[];
  try {
    faces = await input.detector.detectFaces(jpeg);
  } catch (error) {
    if (error instanceof FaceImageRefusedError) throw error;
    throw new FaceDetectorUnavailableError(input.detector.processorName, { cause: error });
  }
  const judged = judgeFaces(faces, input);
  judged.metrics.faceMs = Math.round(performance.now() - started);
  return judged;
}
