/**
 * Calibration from human's raw face similarity (0..1, `human.match.similarity`) to the 0..100 scale of
 * Rekognition CompareFaces, so the same thresholds (reject below 80, approve from 95) work locally.
 *
 * Measured on `@vladmandic/face-api/demo/sample1..6.jpg` (see bench and the integration test):
 * different people score 0.32 at the median and at most ~0.56; the same face (crops and rescales of one
 * photo) scores 0.8..1.0. The knots below put every different-person pair well under 80 and every
 * same-photo pair at or above 95, with a linear ramp in between for genuinely uncertain cases:
 *
 * ```
 *  raw  0.00 ── 0.60 ── 0.70 ── 0.80 ── 1.00
 *  out     0 ──   50 ──   80 ──   95 ──  100
 * ```
 */
export const SIMILARITY_KNOTS: readonly (readonly [raw: number, calibrated: number])[] = [
  [0, 0],
  [0.6, 50],
  [0.7, 80],
  [0.8, 95],
  [1, 100],
];

/**
 * Maps a raw similarity (0..1) to the calibrated 0..100 scale by linear interpolation between
 * {@link SIMILARITY_KNOTS}. Values outside 0..1 (and NaN) are clamped.
 *
 * @example
 * calibrateSimilarity(0.32); // 26.7: different people
 * calibrateSimilarity(0.9); // 97.5: same person
 */
export function calibrateSimilarity(raw: number): number {
  const x = Number.isFinite(raw) ? Math.min(1, Math.max(0, raw)) : 0;
  for (let i = 1; i < SIMILARITY_KNOTS.length; i++) {
    const [x1, y1] = SIMILARITY_KNOTS[i] as readonly [number, number];
    if (x <= x1) {
      const [x0, y0] = SIMILARITY_KNOTS[i - 1] as readonly [number, number];
      return y0 + ((x - x0) / (x1 - x0)) * (y1 - y0);
    }
  }
  return 100;
}
