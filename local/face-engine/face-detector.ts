import { FaceImageRefusedError, type DetectedFace, type FaceDetector } from '../../lambdas/ports/face-detector.ts';
import { FaceEngineImageError } from './errors.ts';
import { loadFaceEngine, type EngineFace, type FaceEngine } from './index.ts';

/** Occlusion score (0..1) from which the engine's estimate counts as "yes". */
export const OCCLUSION_THRESHOLD = 0.5;

/**
 * The {@link FaceDetector} port over the offline face engine, for the local runtime and `kyc check`.
 * Skips the face embedding (not needed to judge a photo), so it is about four times faster than a
 * full detection. Sunglasses and occlusion stay undefined while the engine cannot estimate them.
 *
 * @example
 * const detector = new FaceEngineDetector();
 * const faces = await detector.detectFaces(selfieBytes); // confidence 0..100, box as fractions
 */
export class FaceEngineDetector implements FaceDetector {
  readonly processorName = 'local:face-engine';
  private readonly engine: () => Promise<FaceEngine>;

  /** @param engine the engine to use (default: the shared engine from {@link loadFaceEngine}, loaded on first use) */
  constructor(engine?: FaceEngine) {
    this.engine = engine ? () => Promise.resolve(engine) : loadFaceEngine;
  }

  async detectFaces(image: Uint8Array): Promise<DetectedFace[]> {
    const engine = await this.engine();
    try {
      return (await engine.detect(image, { embeddings: false })).map(toDetectedFace);
    } catch (error) {
      // An image the engine cannot decode is refused; a model or worker failure is not the image's.
      if (error instanceof FaceEngineImageError) throw new FaceImageRefusedError(error.message, { cause: error });
      throw error;
    }
  }
}

/** Maps an engine face (0..1 scores) to the port's shape (Rekognition's 0..100 confidence). */
export function toDetectedFace(face: EngineFace): DetectedFace {
  const { sunglasses, mask } = face.occlusion ?? {};
  return {
    box: { ...face.box },
    confidence: Math.min(100, Math.max(0, face.confidence * 100)),
    ...(sunglasses === undefined ? {} : { sunglasses: sunglasses >= OCCLUSION_THRESHOLD }),
    ...(mask === undefined ? {} : { occluded: mask >= OCCLUSION_THRESHOLD }),
    ...(face.pose ? { pose: { ...face.pose } } : {}),
  };
}
