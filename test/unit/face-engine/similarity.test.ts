import { describe, expect, it } from 'vitest';
import { calibrateSimilarity, SIMILARITY_KNOTS } from '../../../local/face-engine/similarity.ts';

describe('calibrateSimilarity: maps human similarity 0..1 to the CompareFaces 0..100 scale', () => {
  it.each([
    [0, 0],
    [0.3, 25],
    [0.56, 46.7], // highest different-people pair on the sample photos: well below 80
    [0.6, 50],
    [0.65, 65],
    [0.7, 80],
    [0.8, 95],
    [0.9, 97.5],
    [1, 100],
  ])('%d -> %d', (raw, expected) => {
    // Act
    const calibrated = calibrateSimilarity(raw);

    // Assess
    expect(calibrated).toBeCloseTo(expected, 1);
  });

  it.each([
    [-0.5, 0],
    [1.5, 100],
    [Number.NaN, 0],
  ])('clamps out-of-range input %d to %d', (raw, expected) => {
    // Act + Assess
    expect(calibrateSimilarity(raw)).toBe(expected);
  });

  it('is monotonic over the whole range', () => {
    // Prepare
    const raws = Array.from({ length: 101 }, (_, i) => i / 100);

    // Act
    const calibrated = raws.map(calibrateSimilarity);

    // Assess
    for (let i = 1; i < calibrated.length; i++) {
      expect(calibrated[i]).toBeGreaterThanOrEqual(calibrated[i - 1] as number);
    }
    expect(SIMILARITY_KNOTS[0]).toEqual([0, 0]);
    expect(SIMILARITY_KNOTS.at(-1)).toEqual([1, 100]);
  });
});
