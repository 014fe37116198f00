/**
 * How the local Face Liveness stand-in turns the frames of a challenge into one 0-100
 * confidence on Rekognition Face Liveness's scale, so the deployed bands (approve >= 85,
 * reject < 60 by default) apply locally unchanged. Pure: the engine's detections go in, a
 * verdict comes out.
 *
 * Rules, each from measurements of the engine on challenge frames of the ten sample people
 * (`local/demo/liveness-frames.ts`; reproduce with `npx tsx bench/liveness-calibration.ts`):
 *
 * 1. **One face per frame.** A frame with several faces fails the session (`MULTIPLE_FACES`);
 *    more than a quarter of the frames without a face fails it too (`NO_FACE`): a turned head
 *    may lose one frame, a replay on a screen loses most (6 of 10 replays fail this way).
 * 2. **The same person throughout.** Every frame's face is compared with the reference frame
 *    (the best centre frame) on the CompareFaces scale; below {@link SAME_PERSON_SIMILARITY}
 *    the confidence is 0 (`FACE_CHANGED`). Same person across a turn: 95-100; different sample
 *    people: at most ~50.
 * 3. **Movement on the turn prompts.** The face must move across the frames: its centre by at
 *    least {@link MIN_MOVEMENT_FRACTION} of the frame width, or its yaw by
 *    {@link MIN_YAW_SPREAD_DEGREES}. A held-still photo moves 0.002-0.005 of the width and
 *    1-2 degrees (sensor noise only); turning heads move 0.25-0.29 and 4-16 degrees. No
 *    movement: confidence 0 (`NO_MOVEMENT`). The direction is not checked: mirrored previews
 *    make "left" ambiguous for people, and the stand-in's aim is presence, not choreography.
 * 4. **The score.** Per frame the lower of human's liveness and anti-spoofing scores (0..1),
 *    then the median over frames (one turned frame may dip well below its neighbours), mapped
 *    through {@link LIVENESS_KNOTS}.
 *
 * {@link judgeChallenge} runs the engine on the frames (with its liveness models, which only
 * run when asked) and judges them: the local Rekognition and the calibration bench both call it,
 * so what the bench measures is what a session scores.
 */
import type { EngineFace, FaceEngine } from '../aws/rekognition/face-engine-port.ts';

/** What the challenge asked for when a frame was taken. */
export type LivenessPrompt = 'centre' | 'turn_left' | 'turn_right';

export const LIVENESS_PROMPTS: readonly LivenessPrompt[] = ['centre', 'turn_left', 'turn_right'];

/**
 * Raw median score (0..1) -> confidence (0..100). Tuned on the even-numbered sample people
 * (`bench/liveness-calibration.ts`, frames as the page sends them): their genuine challenge
 * medians are 0.465-0.75, so 0.45 maps to 85 and all of them pass. Checked on the odd-numbered
 * ones: 0.555-0.79 approve, 0.41 (person 3) lands in review. The engine's scores for screen
 * replays that it still detects (0.5-0.69) overlap the genuine ones: the score is a calibration
 * to the AWS scale, not a replay detector (see the README).
 *
 * ```
 *  raw   0.00 ── 0.30 ── 0.45 ── 1.00
 *  out      0 ──   60 ──   85 ──  100
 * ```
 */
export const LIVENESS_KNOTS: readonly (readonly [raw: number, calibrated: number])[] = [
  [0, 0],
  [0.3, 60],
  [0.45, 85],
  [1, 100],
];

/** Same-person floor between frames, on the CompareFaces scale (the face-match reject band). */
export const SAME_PERSON_SIMILARITY = 80;
/** Least spread of the face centre across frames, as a fraction of the frame width. */
export const MIN_MOVEMENT_FRACTION = 0.05;
/** Least spread of the head's yaw across frames, in degrees. */
export const MIN_YAW_SPREAD_DEGREES = 6;
/** Largest share of frames that may show no face. */
export const MAX_FACELESS_SHARE = 0.25;

/** The faces the engine found in one frame of the challenge. */
export interface DetectedFrame {
  readonly prompt: LivenessPrompt;
  readonly faces: readonly EngineFace[];
}

/** Why a challenge did not earn a liveness score. */
export type LivenessFinding = 'NO_FACE' | 'MULTIPLE_FACES' | 'FACE_CHANGED' | 'NO_MOVEMENT';

/** The outcome of one challenge. */
export interface LivenessVerdict {
  /** FAILED when the frames could not be judged (no face, several faces), as in AWS. */
  readonly status: 'SUCCEEDED' | 'FAILED';
  /** 0..100, present when SUCCEEDED. */
  readonly confidence?: number;
  /** Set when the confidence was forced to 0 or the session failed. */
  readonly finding?: LivenessFinding;
  /** Index of the frame kept as the session's reference image. */
  readonly referenceFrame?: number;
  /** Measured values behind the verdict (numbers only; logged and stored with the session). */
  readonly evidence: {
    readonly frames: number;
    readonly facelessFrames: number;
    readonly rawScore?: number;
    readonly minSimilarity?: number;
    readonly movement?: number;
    readonly yawSpread?: number;
  };
}

/**
 * Maps a raw median score (0..1) to the 0..100 scale through {@link LIVENESS_KNOTS}.
 *
 * @example
 * calibrateLiveness(0.45); // 85
 * calibrateLiveness(0.15); // 30
 */
export function calibrateLiveness(raw: number): number {
  const x = Number.isFinite(raw) ? Math.min(1, Math.max(0, raw)) : 0;
  for (let i = 1; i < LIVENESS_KNOTS.length; i++) {
    const [x1, y1] = LIVENESS_KNOTS[i] as readonly [number, number];
    if (x <= x1) {
      const [x0, y0] = LIVENESS_KNOTS[i - 1] as readonly [number, number];
      return y0 + ((x - x0) / (x1 - x0)) * (y1 - y0);
    }
  }
  return 100;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

const spread = (values: readonly number[]): number =>
  values.length === 0 ? 0 : Math.max(...values) - Math.min(...values);

/** The lower of the engine's liveness and anti-spoofing scores for a face (0 when it has neither). */
export function frameScore(face: EngineFace): number {
  const scores = [face.live, face.real].filter((value): value is number => typeof value === 'number');
  return scores.length === 0 ? 0 : Math.min(...scores.map((value) => Math.min(1, Math.max(0, value))));
}

/**
 * Judges a challenge from the faces found in its frames (rules in the module comment).
 *
 * @param frames the frames in the order they were taken
 * @param similarity the engine's face similarity (0..100, CompareFaces scale)
 * @example
 * const verdict = judgeLiveness(detected, (a, b) => engine.similarity(a, b));
 * if (verdict.status === 'SUCCEEDED') console.log(verdict.confidence);
 */
export function judgeLiveness(
  frames: readonly DetectedFrame[],
  similarity: (a: number[], b: number[]) => number,
): LivenessVerdict {
  const facelessFrames = frames.filter((frame) => frame.faces.length === 0).length;
  const base = { frames: frames.length, facelessFrames };
  if (frames.some((frame) => frame.faces.length > 1))
    return { status: 'FAILED', finding: 'MULTIPLE_FACES', evidence: base };
  if (frames.length === 0 || facelessFrames === frames.length || facelessFrames / frames.length > MAX_FACELESS_SHARE)
    return { status: 'FAILED', finding: 'NO_FACE', evidence: base };

  const withFace = frames.flatMap((frame, index) => {
    const face = frame.faces[0];
    return face ? [{ index, prompt: frame.prompt, face, score: frameScore(face) }] : [];
  });
  const centre = withFace.filter((entry) => entry.prompt === 'centre');
  const reference = (centre.length > 0 ? centre : withFace).reduce((best, entry) =>
    entry.score > best.score ? entry : best,
  );
  const rawScore = median(withFace.map((entry) => entry.score));
  const minSimilarity = Math.min(
    ...withFace.map((entry) =>
      entry === reference ? 100 : similarity(reference.face.embedding, entry.face.embedding),
    ),
  );
  const movement = spread(withFace.map((entry) => entry.face.box.left + entry.face.box.width / 2));
  const yaws = withFace.flatMap((entry) => (entry.face.pose?.yaw === undefined ? [] : [entry.face.pose.yaw]));
  const yawSpread = spread(yaws);
  const evidence = {
    ...base,
    rawScore: round(rawScore, 4),
    minSimilarity: round(minSimilarity, 2),
    movement: round(movement, 4),
    yawSpread: round(yawSpread, 2),
  };
  const verdict = { status: 'SUCCEEDED' as const, referenceFrame: reference.index, evidence };
  if (minSimilarity < SAME_PERSON_SIMILARITY) return { ...verdict, confidence: 0, finding: 'FACE_CHANGED' };
  if (movement < MIN_MOVEMENT_FRACTION && yawSpread < MIN_YAW_SPREAD_DEGREES)
    return { ...verdict, confidence: 0, finding: 'NO_MOVEMENT' };
  return { ...verdict, confidence: round(calibrateLiveness(rawScore), 3) };
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

/**
 * Detects every frame of a challenge with the engine's liveness and anti-spoofing models, in the
 * order taken, and judges them ({@link judgeLiveness}).
 *
 * @example
 * const { detected, verdict } = await judgeChallenge(engine, frames);
 */
export async function judgeChallenge(
  engine: Pick<FaceEngine, 'detect' | 'similarity'>,
  frames: readonly { readonly prompt: LivenessPrompt; readonly image: Uint8Array }[],
): Promise<{ detected: DetectedFrame[]; verdict: LivenessVerdict }> {
  const detected: DetectedFrame[] = [];
  for (const frame of frames)
    detected.push({ prompt: frame.prompt, faces: await engine.detect(frame.image, { liveness: true }) });
  return { detected, verdict: judgeLiveness(detected, (a, b) => engine.similarity(a, b)) };
}
