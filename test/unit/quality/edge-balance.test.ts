import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import { edgeBalance, isShaken, MIN_BALANCE_EDGES, SHAKE_WIDTH_RATIO } from '../../../lambdas/quality/sharpness.ts';

/** Orientation bins (horizontal, 45 deg, vertical, 135 deg gradients) as [edge count, median sigma]. */
const bins = (...pairs: [number, number][]) => pairs.map(([count, sigma]) => ({ count, sigma }));
const thresholds = DEFAULT_CONFIG.quality;

describe('edgeBalance and isShaken', () => {
  it('reads about 1 on edges spread over every direction, as on a sharp or defocused document: not shaken', () => {
    // Act
    const even = bins([600, 0.6], [280, 0.6], [640, 0.6], [300, 0.6]);

    // Assess
    expect(edgeBalance(even)?.balance).toBeCloseTo(280 / 300, 5);
    expect(isShaken(even, thresholds)).toBe(false);
  });

  it('finds a shake: few edges across it, and those wide, many sharp ones along it', () => {
    // Act: a horizontal shake (the vertical strokes, horizontal gradients, smeared away), then a diagonal one
    const horizontal = bins([46, 3.1], [64, 1.6], [2008, 0.7], [75, 1.4]);
    const diagonal = bins([300, 1.4], [386, 1], [320, 1.3], [9, 2.5]);

    // Assess
    expect(edgeBalance(horizontal)?.balance).toBeCloseTo(46 / 2008, 5);
    expect(edgeBalance(horizontal)?.widthRatio).toBeCloseTo(3.1 / 0.7, 5);
    expect(isShaken(horizontal, thresholds)).toBe(true);
    expect(edgeBalance(diagonal)?.balance).toBeCloseTo(9 / 386, 5);
    expect(isShaken(diagonal, thresholds)).toBe(true);
  });

  it('keeps a layout with few edges across one direction when those edges are as sharp as the rest', () => {
    // A licence's table of long horizontal rules: few vertical edges, all of them sharp
    const table = bins([577, 0.65], [900, 0.6], [2137, 0.6], [950, 0.6]);
    expect(edgeBalance(table)?.balance).toBeLessThan(thresholds.blurMinEdgeBalance);
    expect(edgeBalance(table)?.widthRatio).toBeLessThan(SHAKE_WIDTH_RATIO);
    expect(isShaken(table, thresholds)).toBe(false);
  });

  it('finds a diagonal shake on such a layout although the rules are the least balanced pair', () => {
    // The table's pair reads 0.27 with sharp edges; the diagonals, 0.3 with the weak ones wide
    const shakenTable = bins([577, 0.65], [900, 0.6], [2137, 0.6], [270, 2.1]);
    expect(edgeBalance(shakenTable)?.balance).toBeCloseTo(577 / 2137, 5);
    expect(isShaken(shakenTable, thresholds)).toBe(true);
  });

  it('counts no edge at all across a direction as a shake, and judges only pairs with enough edges', () => {
    expect(isShaken(bins([0, 0], [300, 0.6], [900, 0.6], [310, 0.6]), thresholds)).toBe(true);
    expect(edgeBalance(bins([2, 1], [1, 1], [MIN_BALANCE_EDGES - 1, 1], [0, 0]))).toBeUndefined();
    expect(edgeBalance(undefined)).toBeUndefined();
    expect(edgeBalance(bins([1, 1], [2, 1], [3, 1]))).toBeUndefined();
    expect(isShaken(undefined, thresholds)).toBe(false);
  });
});
