/**
 * Finds faces in an image for the quality gate (PRODUCT §2: no face, several faces, face too
 * small, sunglasses or mask). In AWS: Rekognition DetectFaces with `Attributes: ['ALL']`.
 * Locally and in `kyc check`: the offline face engine (`local/face-engine`).
 */
export interface DetectedFace {
  /** Bounding box as fractions (0..1) of the image width and height, like Rekognition. */
  readonly box: { readonly left: number; readonly top: number; readonly width: number; readonly height: number };
  /** Detection confidence, 0..100 (Rekognition's scale). */
  readonly confidence: number;
  /** True when the detector reports sunglasses; undefined when it cannot tell. */
  readonly sunglasses?: boolean;
  /** True when the detector reports the face covered (mask, hand, ...); undefined when it cannot tell. */
  readonly occluded?: boolean;
  /** Head pose in degrees, when known. */
  readonly pose?: { readonly roll: number; readonly yaw: number; readonly pitch: number };
  /** Image quality of the face crop, 0..100, when known. */
  readonly quality?: { readonly brightness?: number; readonly sharpness?: number };
}

/**
 * The detector refused the image itself (not an image it can read, too large, bad dimensions):
 * the upload is unusable, as a photo the gate cannot decode. Anything else a detector throws
 * (throttling, an outage, models that did not load) says nothing about the photo.
 */
export class FaceImageRefusedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FaceImageRefusedError';
  }
}

/**
 * The face detector failed for a reason other than the image (see {@link FaceImageRefusedError}):
 * the quality gate throws it rather than judge the photo, so the upload is tried again later
 * instead of being refused for a fault that is not the applicant's.
 */
export class FaceDetectorUnavailableError extends Error {
  constructor(processorName: string, options?: { cause?: unknown }) {
    const cause = options?.cause instanceof Error ? options.cause.name : 'unknown error';
    super(`the face detector ${processorName} failed (${cause})`, options);
    this.name = 'FaceDetectorUnavailableError';
  }
}

export interface FaceDetector {
  /** Name recorded as the processor of the image (PRODUCT §5), e.g. `rekognition:DetectFaces`. */
  readonly processorName: string;
  /** Throws {@link FaceImageRefusedError} when the image itself is refused. */
  detectFaces(image: Uint8Array): Promise<DetectedFace[]>;
}
