/**
 * What the local Rekognition needs from a face engine. `local/face-engine/index.ts`
 * (`loadFaceEngine()`) provides it; tests inject deterministic engines.
 */

/** One face found by the engine. */
export interface EngineFace {
  /** Bounding box as fractions of the image width/height (0..1). */
  box: { left: number; top: number; width: number; height: number };
  /** Detection confidence 0..1. */
  confidence: number;
  /** Face descriptor compared by {@link FaceEngine.similarity}. */
  embedding: number[];
  /** Head pose in degrees, when the engine estimates it. */
  pose?: { roll?: number; yaw?: number; pitch?: number };
  /** Occlusion estimates: booleans or scores 0..1. */
  occlusion?: { sunglasses?: boolean | number; mask?: boolean | number };
  /** Liveness score 0..1 (a live person in front of the camera). */
  live?: number;
  /** Anti-spoofing score 0..1 (a real face, not a print or screen). */
  real?: number;
  /** Eyes-open score 0..1, when the engine estimates it. */
  eyesOpen?: number;
}

/** Per-call options of {@link FaceEngine.detect}. */
export interface DetectOptions {
  /**
   * Compute the faces' embeddings (the slowest part); false when only boxes, pose and scores
   * matter, as for DetectFaces: `embedding` may then be empty. (default: true)
   */
  readonly embeddings?: boolean;
  /**
   * Compute the liveness and anti-spoofing scores (`live`, `real`); only Face Liveness frames
   * need them, so faces found without them carry neither. (default: false)
   */
  readonly liveness?: boolean;
}

/** A face detector and matcher. */
export interface FaceEngine {
  /**
   * Faces in a JPEG or PNG image; throws for undecodable input, and `FaceEngineLoadError` when the
   * engine itself fails (answered as a retryable 500, never as a bad image).
   */
  detect(image: Uint8Array, options?: DetectOptions): Promise<EngineFace[]>;
  /** Similarity of two embeddings, 0..100. */
  similarity(a: number[], b: number[]): number;
}
