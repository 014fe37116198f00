import { describe, expect, it, vi } from 'vitest';
import { FaceEngineDetector } from '../../../local/face-engine/face-detector.ts';
import type { EngineFace, FaceEngine } from '../../../local/face-engine/index.ts';
import { FaceEngineImageError, FaceEngineLoadError } from '../../../local/face-engine/errors.ts';
import { FaceImageRefusedError } from '../../../lambdas/ports/face-detector.ts';

function fakeEngine(faces: EngineFace[]): FaceEngine & { detect: ReturnType<typeof vi.fn> } {
  return { detect: vi.fn(async () => faces), similarity: () => 0, analysedImages: () => 0 };
}

const FACE: EngineFace = {
  box: { left: 0.1, top: 0.2, width: 0.3, height: 0.4 },
  confidence: 0.87,
  embedding: [],
  pose: { roll: 2, yaw: -10, pitch: 5 },
  live: 0.9,
  real: 0.8,
};

describe('FaceEngineDetector', () => {
  it('maps engine faces to the port: confidence 0..100, box and pose unchanged', async () => {
    // Prepare
    const engine = fakeEngine([FACE]);
    const detector = new FaceEngineDetector(engine);

    // Act
    const faces = await detector.detectFaces(new Uint8Array([1, 2]));

    // Assess
    expect(detector.processorName).toBe('local:face-engine');
    expect(engine.detect).toHaveBeenCalledWith(new Uint8Array([1, 2]), { embeddings: false });
    expect(faces).toEqual([
      { box: { left: 0.1, top: 0.2, width: 0.3, height: 0.4 }, confidence: 87, pose: { roll: 2, yaw: -10, pitch: 5 } },
    ]);
  });

  it('leaves sunglasses and occlusion undefined when the engine cannot tell', async () => {
    // Prepare
    const detector = new FaceEngineDetector(fakeEngine([{ ...FACE, pose: undefined }]));

    // Act
    const [face] = await detector.detectFaces(new Uint8Array([1]));

    // Assess
    expect(face).toBeDefined();
    expect(face).not.toHaveProperty('sunglasses');
    expect(face).not.toHaveProperty('occluded');
    expect(face).not.toHaveProperty('pose');
  });

  it.each([
    [
      { sunglasses: 0.9, mask: 0.1 },
      { sunglasses: true, occluded: false },
    ],
    [
      { sunglasses: 0.2, mask: 0.7 },
      { sunglasses: false, occluded: true },
    ],
    [{ mask: 0.5 }, { occluded: true }],
  ])('turns occlusion scores %o into %o', async (occlusion, expected) => {
    // Prepare
    const detector = new FaceEngineDetector(fakeEngine([{ ...FACE, occlusion }]));

    // Act
    const [face] = await detector.detectFaces(new Uint8Array([1]));

    // Assess
    expect(face).toMatchObject(expected);
    if (!('sunglasses' in expected)) expect(face).not.toHaveProperty('sunglasses');
  });

  it('returns no faces when the engine finds none', async () => {
    // Act
    const faces = await new FaceEngineDetector(fakeEngine([])).detectFaces(new Uint8Array([1]));

    // Assess
    expect(faces).toEqual([]);
  });
  it('refuses an image the engine cannot decode and passes any other failure on as it came', async () => {
    // Prepare
    const engine = fakeEngine([]);
    const detector = new FaceEngineDetector(engine);
    const unreadable = new FaceEngineImageError('image could not be decoded', 3);
    const notLoaded = new FaceEngineLoadError('could not load the face models', '/models');

    // Act
    engine.detect.mockRejectedValueOnce(unreadable);
    const refused = detector.detectFaces(new Uint8Array([1, 2, 3]));
    await expect(refused).rejects.toBeInstanceOf(FaceImageRefusedError);
    engine.detect.mockRejectedValueOnce(notLoaded);
    const failed = detector.detectFaces(new Uint8Array([1, 2, 3]));

    // Assess
    await expect(failed).rejects.toBe(notLoaded);
  });
});
