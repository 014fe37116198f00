import type { ProcessorLog, ProcessorPurpose } from '../../ports/processor-log.ts';
import type { FaceDetail } from '@aws-sdk/client-rekognition';
import { defaultRekognitionCalls, DetectFacesCommand } from './rekognition-commands.ts';
import type { JsonCalls } from './aws-json-client.ts';
import sharp from 'sharp';
import { FaceImageRefusedError, type DetectedFace, type FaceDetector } from '../../ports/face-detector.ts';

/**
 * Largest image Rekognition accepts as bytes: 5 MB
 * (https://docs.aws.amazon.com/rekognition/latest/dg/limits.html).
 */
export const REKOGNITION_MAX_IMAGE_BYTES = 5 * 1024 * 1024;
/** Confidence (0..100) from which a Sunglasses or FaceOccluded answer is trusted; below it, "cannot tell". */
export const ATTRIBUTE_MIN_CONFIDENCE = 80;

/**
 * Rekognition's answers that refuse the image itself (unreadable format, over its size or
 * dimension limits), as opposed to throttling, outages or permissions.
 */
const IMAGE_REFUSALS: ReadonlySet<string> = new Set([
  'InvalidImageFormatException',
  'ImageTooLargeException',
  'InvalidParameterException',
]);

/** An image over the byte limit could not be reduced below it (or could not be decoded to try): the image is refused. */
export class ImageDownscaleError extends FaceImageRefusedError {
  readonly byteLength: number;

  constructor(message: string, byteLength: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageDownscaleError';
    this.byteLength = byteLength;
  }
}

/**
 * The {@link FaceDetector} port over Rekognition DetectFaces (`Attributes: ['ALL']`, image as bytes).
 * Images above 5 MB are re-encoded as smaller JPEGs first, so large phone photos still get checked.
 *
 * @example
 * const detector = new RekognitionFaceDetector(defaultRekognitionCalls());
 * const faces = await detector.detectFaces(bytes);
 */
/** The object whose bytes are being checked, for the processor log (set per upload by the caller). */
export interface ProcessedObject {
  readonly verificationId: string;
  readonly attemptId: string;
  readonly key: string;
  readonly versionId?: string;
}

export interface RekognitionFaceDetectorOptions {
  /** Where every DetectFaces call is recorded (PRODUCT §5); none: not recorded. */
  readonly processorLog?: ProcessorLog;
  /** The object being checked when a call is made (e.g. an AsyncLocalStorage's store). */
  readonly currentObject?: () => ProcessedObject | undefined;
  /** Why the image is sent, for the processor log (`quality_gate`). */
  readonly purpose?: ProcessorPurpose;
}

export class RekognitionFaceDetector implements FaceDetector {
  readonly processorName = 'rekognition:DetectFaces';
  private readonly client: JsonCalls;

  /** @param client Rekognition client (default: a client for the Lambda's region) */
  constructor(
    client?: JsonCalls,
    private readonly options: RekognitionFaceDetectorOptions = {},
  ) {
    this.client = client ?? defaultRekognitionCalls();
  }

  async detectFaces(image: Uint8Array): Promise<DetectedFace[]> {
    const bytes = image.byteLength > REKOGNITION_MAX_IMAGE_BYTES ? await shrinkBelowLimit(image) : image;
    const at = new Date().toISOString();
    let response;
    try {
      response = await this.client.send(new DetectFacesCommand({ Image: { Bytes: bytes }, Attributes: ['ALL'] }));
    } catch (error) {
      await this.record(at, (error as { $metadata?: { requestId?: string } }).$metadata?.requestId, false);
      if (IMAGE_REFUSALS.has((error as Error).name)) {
        throw new FaceImageRefusedError(`DetectFaces refused the image: ${(error as Error).name}`, { cause: error });
      }
      throw error;
    }
    await this.record(at, (response.$metadata as { requestId?: string } | undefined)?.requestId, true);
    return (response.FaceDetails ?? []).map(toDetectedFace);
  }

  private async record(at: string, requestId: string | undefined, succeeded: boolean): Promise<void> {
    const object = this.options.currentObject?.();
    if (!this.options.processorLog || !object) return;
    await this.options.processorLog.record({
      processor: 'rekognition',
      operation: 'DetectFaces',
      purpose: this.options.purpose ?? 'quality_gate',
      verificationId: object.verificationId,
      attemptId: object.attemptId,
      objectKey: object.key,
      ...(object.versionId ? { objectVersion: object.versionId } : {}),
      ...(requestId ? { requestId } : {}),
      succeeded,
      at,
    });
  }
}

/** Long sides tried, largest first, when re-encoding an image that is over the byte limit. */
const SHRINK_STEPS = [
  { side: 4096, quality: 90 },
  { side: 3072, quality: 85 },
  { side: 2048, quality: 85 },
  { side: 1600, quality: 80 },
] as const;

async function shrinkBelowLimit(image: Uint8Array): Promise<Uint8Array> {
  for (const { side, quality } of SHRINK_STEPS) {
    let out: Buffer;
    try {
      out = await sharp(image, { failOn: 'error' })
        .rotate()
        .resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality })
        .toBuffer();
    } catch (error) {
      throw new ImageDownscaleError('image could not be decoded to downscale it', image.byteLength, {
        cause: error,
      });
    }
    if (out.byteLength <= REKOGNITION_MAX_IMAGE_BYTES) return new Uint8Array(out);
  }
  throw new ImageDownscaleError('image stays above 5 MB after downscaling', image.byteLength);
}

const trusted = (attribute: { Value?: boolean; Confidence?: number } | undefined): boolean | undefined =>
  attribute?.Value !== undefined && (attribute.Confidence ?? 0) >= ATTRIBUTE_MIN_CONFIDENCE
    ? attribute.Value
    : undefined;

const clamp01 = (value: number | undefined): number => Math.min(1, Math.max(0, value ?? 0));

/**
 * Maps a Rekognition FaceDetail to the port's shape (0..100 confidence). Rekognition's box may reach
 * outside the image (negative Left for a face cut at the edge); it is clipped to the image.
 */
export function toDetectedFace(detail: FaceDetail): DetectedFace {
  const bb = detail.BoundingBox ?? {};
  const left = clamp01(bb.Left);
  const top = clamp01(bb.Top);
  const box = {
    left,
    top,
    width: clamp01((bb.Left ?? 0) + (bb.Width ?? 0)) - left,
    height: clamp01((bb.Top ?? 0) + (bb.Height ?? 0)) - top,
  };
  const sunglasses = trusted(detail.Sunglasses);
  const occluded = trusted(detail.FaceOccluded);
  const { Roll, Yaw, Pitch } = detail.Pose ?? {};
  const { Brightness, Sharpness } = detail.Quality ?? {};
  return {
    box,
    confidence: detail.Confidence ?? 0,
    ...(sunglasses === undefined ? {} : { sunglasses }),
    ...(occluded === undefined ? {} : { occluded }),
    ...(Roll !== undefined && Yaw !== undefined && Pitch !== undefined
      ? { pose: { roll: Roll, yaw: Yaw, pitch: Pitch } }
      : {}),
    ...(Brightness !== undefined || Sharpness !== undefined
      ? {
          quality: {
            ...(Brightness === undefined ? {} : { brightness: Brightness }),
            ...(Sharpness === undefined ? {} : { sharpness: Sharpness }),
          },
        }
      : {}),
  };
}
