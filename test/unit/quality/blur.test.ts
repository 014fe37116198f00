import { describe, expect, it } from 'vitest';
import {
  estimateBlur,
  estimateBlurAcrossScales,
  estimateNoise,
  insideRegion,
  MAX_SIGMA,
  rowSpans,
} from '../../../lambdas/quality/blur.ts';
import { downsample, toLuma } from '../../../lambdas/quality/decode.ts';
import { insideRect } from '../../../lambdas/quality/sharpness.ts';
import type { GreyImage } from '../../../lambdas/quality/pixels.ts';

/** Seeded standard normal numbers (Box-Muller over a linear congruential generator). */
function normals(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 1) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** The error function (Abramowitz-Stegun 7.1.26, |error| < 1.5e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

/**
 * A checkerboard of 60 px squares (60 <-> 190 grey levels) whose edges are blurred by a Gaussian
 * of `sigma` px, with Gaussian noise of `noise` grey levels.
 */
function blurredSquares(size: number, sigma: number, noise: number, seed = 7): GreyImage {
  const normal = normals(seed);
  const data = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Product of two +-1 square waves, each smoothed: a checkerboard whose edges are blurred.
      const value = 125 + 65 * smoothedSquare(x + 0.5, sigma) * smoothedSquare(y + 0.5, sigma) + noise * normal();
      data[y * size + x] = Math.max(0, Math.min(255, Math.round(value)));
    }
  }
  return { data, width: size, height: size };
}

/** A +-1 square wave of period 120 px smoothed by a Gaussian of `sigma`. */
function smoothedSquare(t: number, sigma: number): number {
  const phase = ((t % 120) + 120) % 120;
  const sign = phase < 60 ? 1 : -1;
  const distance = Math.min(phase, Math.abs(60 - phase), 120 - phase);
  if (sigma <= 0) return sign;
  return sign * erf(distance / (Math.SQRT2 * sigma));
}

describe('estimateNoise', () => {
  it.each([0, 2.5, 4])('reads Gaussian noise of sigma %s on a flat image within 15 percent', (sigma) => {
    // Prepare
    const normal = normals(11);
    const data = new Uint8Array(200 * 200);
    for (let i = 0; i < data.length; i++) data[i] = Math.round(128 + sigma * normal());
    // Act
    const noise = estimateNoise({ data, width: 200, height: 200 });
    // Assess
    expect(noise).toBeGreaterThanOrEqual(sigma * 0.85 - 0.3);
    expect(noise).toBeLessThanOrEqual(sigma * 1.15 + 0.3);
  });
});

describe('estimateBlur', () => {
  it.each([
    [1.5, 0],
    [1.5, 4],
    [3, 0],
    [3, 4],
  ])('measures a %s px Gaussian blur (noise %s) within 20 percent with matched scales', (sigma, noise) => {
    // Prepare
    const image = blurredSquares(360, sigma, noise);
    // Act
    const estimate = estimateBlurAcrossScales(image, undefined, { scales: [0.5, 1] }, 3);
    // Assess: the pixel grid adds about 0.5 px in quadrature.
    const measured = Math.sqrt(Math.max(0, estimate.sigma ** 2 - 0.25));
    expect(estimate.edges).toBeGreaterThanOrEqual(40);
    expect(measured).toBeGreaterThan(sigma * 0.8);
    expect(measured).toBeLessThan(sigma * 1.2);
  });

  it.each([
    // A 0.9 px blur reads about 1.16 px at scales (0.5, 1): above 2 x 0.5, below 2.6 x 0.5.
    [0.9, 2, [1, 2]],
    [0.9, 2.6, [0.5, 1]],
    // A 1.2 px blur reads about 1.4 px: wider scales at either setting.
    [1.2, 2, [1, 2]],
    [1.2, 2.6, [1, 2]],
  ])(
    'doubles the scales for a %s px blur with widenAbove %s only past that multiple of the first scale',
    (sigma, widenAbove, scales) => {
      // Prepare
      const image = blurredSquares(360, sigma, 0);
      const first = estimateBlur(image, undefined, { scales: [0.5, 1] });
      // Act
      const estimate = estimateBlurAcrossScales(image, undefined, { scales: [0.5, 1], widenAbove }, 3);
      // Assess
      expect(estimate.scales).toEqual(scales);
      if (first.sigma <= widenAbove * 0.5) expect(estimate.sigma).toBe(first.sigma);
      else expect(estimate.sigma).toBeGreaterThan(first.sigma);
    },
  );

  it('reads a sharper image as sharper, whatever the noise', () => {
    // Prepare
    const sharp = blurredSquares(360, 0.6, 4);
    const blurred = blurredSquares(360, 2, 0);
    // Act
    const sharpSigma = estimateBlurAcrossScales(sharp, undefined, { scales: [0.5, 1] }, 3).sigma;
    const blurredSigma = estimateBlurAcrossScales(blurred, undefined, { scales: [0.5, 1] }, 3).sigma;
    // Assess
    expect(sharpSigma).toBeLessThan(blurredSigma / 1.8);
  });

  it('reports MAX_SIGMA when there is no edge', () => {
    // Prepare
    const flat = { data: new Uint8Array(200 * 200).fill(128), width: 200, height: 200 };
    // Act
    const estimate = estimateBlur(flat);
    // Assess
    expect(estimate.sigma).toBe(MAX_SIGMA);
    expect(estimate.edges).toBe(0);
  });

  it.each([0.8, 2.5, 5])(
    'across scales equals estimateBlur at the winning scales (blur %s px): edges found once give the same figures',
    (sigma) => {
      // Prepare
      const image = blurredSquares(400, sigma, 2.5, 3);
      const box = { x0: 20, y0: 30, x1: 380, y1: 370 };
      const inside = insideRect(
        [
          { x: 40, y: 40 },
          { x: 360, y: 50 },
          { x: 350, y: 360 },
          { x: 30, y: 350 },
        ],
        6,
        { scale: 1, dx: 0, dy: 0 },
      );
      // Act
      const across = estimateBlurAcrossScales(image, box, { inside, scales: [0.5, 1] }, 3);
      const direct = estimateBlur(image, box, { inside, scales: across.scales });
      // Assess
      expect(across.sigma).toBe(direct.sigma);
      expect(across.edges).toBe(direct.edges);
      expect(across.noise).toBe(direct.noise);
    },
  );
});

describe('insideRect', () => {
  it.each([
    [100, 100, true],
    [8, 100, false], // (4, 50): within the 5 px inset of the left edge
    [100, 194, false],
    [250, 100, false],
  ])('maps working pixel (%s, %s) to half scale and tests the inset square: %s', (x, y, expected) => {
    // Prepare: a 100 px square at (0, 0)-(100, 100) in a frame of half the working resolution.
    const square = [
      { x: 0, y: 0 },
      { x: 100, y: 0 },
      { x: 100, y: 100 },
      { x: 0, y: 100 },
    ];
    const region = insideRect(square, 5, { scale: 0.5, dx: 0, dy: 0 });
    // Act
    const inside = insideRegion(region, x, y);
    // Assess
    expect(inside).toBe(expected);
  });
});

describe('downsample', () => {
  it('halves by the rounded mean of each 2x2 block, halves rounding up', () => {
    // Prepare
    const image = {
      data: Uint8Array.from([0, 1, 10, 10, 1, 0, 10, 11, 255, 255, 3, 3, 255, 254, 3, 4]),
      width: 4,
      height: 4,
    };
    // Act
    const half = downsample(image, 2);
    // Assess: (0+1+1+0)/4 = 0.5 -> 1; 41/4 = 10.25 -> 10; 1019/4 = 254.75 -> 255; 13/4 = 3.25 -> 3.
    expect([...half.data]).toEqual([1, 10, 255, 3]);
    expect(half.width).toBe(2);
  });

  it.each([
    [13, 10],
    [16, 8],
    [7, 9],
  ])('by 4 gives what halving twice gives, in one pass (%sx%s)', (width, height) => {
    // Prepare: a fixed pattern with every rounding case, sides not multiples of 4.
    const data = Uint8Array.from({ length: width * height }, (_, i) => (i * 73 + ((i * i) % 31)) & 255);
    const image = { data, width, height };
    // Act
    const quarter = downsample(image, 4);
    // Assess
    const twice = downsample(downsample(image, 2), 2);
    expect(quarter.width).toBe(twice.width);
    expect(quarter.height).toBe(twice.height);
    expect([...quarter.data]).toEqual([...twice.data]);
    expect(quarter.data.length).toBe(Math.floor(width / 4) * Math.floor(height / 4));
  });
});

describe('toLuma', () => {
  it.each([
    [3, 0],
    [3, 1],
    [4, 0],
  ])('gives BT.601 integer luma per pixel (%s channels, buffer offset %s)', (channels, offset) => {
    // Prepare: 11 pixels (not a multiple of 4), bytes from a fixed pattern.
    const pixels = 11;
    const backing = Buffer.alloc(offset + pixels * channels);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 97 + 13) & 255;
    const data = backing.subarray(offset);
    // Act
    const luma = toLuma(data, pixels, 1, channels);
    // Assess
    const expected = Array.from({ length: pixels }, (_, p) => {
      const [r, g, b] = [data[p * channels], data[p * channels + 1], data[p * channels + 2]] as number[];
      return ((r as number) * 77 + (g as number) * 150 + (b as number) * 29) >> 8;
    });
    expect([...luma]).toEqual(expected);
  });
});

describe('rowSpans', () => {
  it.each([
    [1, 0, 0, 0],
    [0.25, 3, -2, 7],
  ])(
    'covers every pixel inside the region and its neighbours (scale %s, offset %s,%s, inset %s)',
    (scale, dx, dy, inset) => {
      // Prepare: a card rotated by about 4 degrees, in coordinates `scale` times the image's.
      const corners = [
        { x: 12 * scale, y: 20 * scale },
        { x: 300 * scale, y: 0 },
        { x: 314 * scale, y: 190 * scale },
        { x: 26 * scale, y: 210 * scale },
      ].map((p) => ({ x: p.x + 4, y: p.y + 3 }));
      const inside = insideRect(corners, inset * scale, { scale, dx, dy });
      const box = { x0: 5, y0: 4, x1: 330, y1: 230 };
      // Act
      const { start, end } = rowSpans(box, inside, 2);
      // Assess: any pixel inside has its 3x3 neighbourhood within its rows' spans; rows stay narrower than the box.
      let narrowed = 0;
      let checked = 0;
      const uncovered: string[] = [];
      for (let y = box.y0 + 1; y < box.y1 - 1; y++) {
        const row = y - box.y0;
        if ((end[row] as number) - (start[row] as number) < box.x1 - box.x0) narrowed += 1;
        for (let x = box.x0 + 1; x < box.x1 - 1; x++) {
          if (!insideRegion(inside, x, y)) continue;
          checked += 1;
          for (const r of [row - 1, row, row + 1]) {
            if (x - 1 - box.x0 < (start[r] as number) || x + 1 - box.x0 >= (end[r] as number))
              uncovered.push(`(${x}, ${y}) row ${r}`);
          }
        }
      }
      expect(checked).toBeGreaterThan(10_000);
      expect(uncovered).toEqual([]);
      expect(narrowed).toBeGreaterThan(0);
    },
  );
});
