import { describe, expect, it } from 'vitest';
import type { EngineFace } from '../../../local/aws/rekognition/face-engine-port.ts';
import {
  calibrateLiveness,
  judgeChallenge,
  judgeLiveness,
  type DetectedFrame,
  type LivenessPrompt,
} from '../../../local/face-engine/liveness-score.ts';

const ALICE = [1, 0];
const BOB = [0, 1];
/** Similarity on the CompareFaces scale: 100 for the same embedding, 0 otherwise. */
const similarity = (a: number[], b: number[]): number => (a[0] === b[0] && a[1] === b[1] ? 99 : 10);

function face(
  options: { x?: number; yaw?: number; live?: number; real?: number; embedding?: number[] } = {},
): EngineFace {
  return {
    box: { left: (options.x ?? 0.5) - 0.1, top: 0.2, width: 0.2, height: 0.4 },
    confidence: 0.99,
    embedding: options.embedding ?? ALICE,
    pose: { roll: 0, yaw: options.yaw ?? 0, pitch: 0 },
    live: options.live ?? 0.98,
    real: options.real ?? 0.7,
  };
}

const frame = (prompt: LivenessPrompt, ...faces: EngineFace[]): DetectedFrame => ({ prompt, faces });

/** A person turning their head: centre, left, right, centre. */
const turning = (override: Partial<Parameters<typeof face>[0]> = {}): DetectedFrame[] => [
  frame('centre', face({ ...override })),
  frame('turn_left', face({ ...override, x: 0.4, yaw: 14 })),
  frame('turn_right', face({ ...override, x: 0.6, yaw: 6 })),
  frame('centre', face({ ...override })),
];

describe('local liveness: combining the challenge frames', () => {
  it.each([
    [0, 0],
    [0.15, 30],
    [0.3, 60],
    [0.45, 85],
    [0.725, 92.5],
    [1, 100],
    [Number.NaN, 0],
  ])('calibrates raw %f to %f', (raw, expected) => {
    // Assess
    expect(calibrateLiveness(raw)).toBeCloseTo(expected, 6);
  });

  it('scores a person turning their head on the AWS scale (median of the lower score per frame)', () => {
    // Prepare: real scores 0.70, 0.49 (one dip), 0.72, 0.70 -> median 0.70
    const frames = turning();
    (frames[1]!.faces[0] as { real: number }).real = 0.49;
    (frames[2]!.faces[0] as { real: number }).real = 0.72;

    // Act
    const verdict = judgeLiveness(frames, similarity);

    // Assess
    expect(verdict).toMatchObject({ status: 'SUCCEEDED', referenceFrame: 0, evidence: { rawScore: 0.7 } });
    expect(verdict.confidence).toBeCloseTo(85 + (0.25 / 0.55) * 15, 3);
    expect(verdict.finding).toBeUndefined();
  });

  it.each([
    [
      'a still photo (no movement)',
      [frame('centre', face()), frame('turn_left', face({ x: 0.502, yaw: 1 })), frame('turn_right', face({ yaw: -1 }))],
      { status: 'SUCCEEDED', confidence: 0, finding: 'NO_MOVEMENT' },
    ],
    [
      'another person in one frame',
      [
        frame('centre', face()),
        frame('turn_left', face({ x: 0.4, embedding: BOB })),
        frame('turn_right', face({ x: 0.6 })),
      ],
      { status: 'SUCCEEDED', confidence: 0, finding: 'FACE_CHANGED' },
    ],
    [
      'two faces in a frame',
      [frame('centre', face(), face({ x: 0.2 })), frame('turn_left', face({ x: 0.4 }))],
      { status: 'FAILED', finding: 'MULTIPLE_FACES' },
    ],
    [
      'no face in half the frames',
      [frame('centre', face()), frame('turn_left'), frame('turn_right'), frame('centre', face({ x: 0.3 }))],
      { status: 'FAILED', finding: 'NO_FACE' },
    ],
    ['no frame at all', [], { status: 'FAILED', finding: 'NO_FACE' }],
  ] as const)('refuses %s', (_name, frames, expected) => {
    // Act
    const verdict = judgeLiveness(frames as unknown as DetectedFrame[], similarity);

    // Assess
    expect(verdict).toMatchObject(expected);
  });

  it('accepts movement of the head alone (yaw) when the face stays in place', () => {
    // Prepare
    const frames = [
      frame('centre', face({ yaw: 0 })),
      frame('turn_left', face({ yaw: 9 })),
      frame('turn_right', face({ yaw: -2 })),
    ];

    // Act
    const verdict = judgeLiveness(frames, similarity);

    // Assess
    expect(verdict.finding).toBeUndefined();
    expect(verdict.evidence).toMatchObject({ yawSpread: 11, movement: 0 });
  });

  it('tolerates one frame without a face out of four (a turned head)', () => {
    // Prepare
    const frames = turning();
    frames[2] = frame('turn_right');

    // Act
    const verdict = judgeLiveness(frames, similarity);

    // Assess
    expect(verdict).toMatchObject({ status: 'SUCCEEDED', evidence: { facelessFrames: 1 } });
    expect(verdict.confidence).toBeGreaterThanOrEqual(85);
  });

  it('runs the engine on every frame in order with its liveness models, then judges as judgeLiveness does', async () => {
    // Prepare: an engine that answers each frame's faces and records how it was asked
    const faces = turning();
    const asked: { image: number; options: unknown }[] = [];
    const engine = {
      detect: async (image: Uint8Array, options?: unknown) => {
        asked.push({ image: image[0] as number, options });
        return [...(faces[image[0] as number]?.faces ?? [])];
      },
      similarity,
    };
    const frames = faces.map((entry, index) => ({ prompt: entry.prompt, image: Uint8Array.of(index) }));

    // Act
    const { detected, verdict } = await judgeChallenge(engine, frames);

    // Assess: without the liveness models the engine reports no scores and every session scores 0
    expect(asked).toEqual([0, 1, 2, 3].map((image) => ({ image, options: { liveness: true } })));
    expect(detected).toEqual(faces);
    expect(verdict).toEqual(judgeLiveness(faces, similarity));
    expect(verdict.confidence).toBeGreaterThan(85);
  });
});
