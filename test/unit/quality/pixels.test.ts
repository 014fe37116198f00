import { describe, expect, it } from 'vitest';
import {
  connectedComponents,
  convexHull,
  cornerMargin,
  histogram,
  laplacianVariance,
  minAreaRect,
  otsuThreshold,
  tiltFromAxes,
} from '../../../lambdas/quality/pixels.ts';
import { analyseFrame, findDocument, GLARE_PATCHES, glareFraction } from '../../../lambdas/quality/analyse.ts';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';

function image(width: number, height: number, fill: (x: number, y: number) => number) {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = fill(x, y);
  return { data, width, height };
}

/** A bright rectangle of w x h rotated by `degrees` about (cx, cy) on a dark background. */
function card(width: number, height: number, cx: number, cy: number, w: number, h: number, degrees: number) {
  const a = (degrees * Math.PI) / 180;
  return image(width, height, (x, y) => {
    const dx = x + 0.5 - cx;
    const dy = y + 0.5 - cy;
    const u = dx * Math.cos(a) + dy * Math.sin(a);
    const v = -dx * Math.sin(a) + dy * Math.cos(a);
    return Math.abs(u) <= w / 2 && Math.abs(v) <= h / 2 ? 220 : 30;
  });
}

describe('laplacianVariance', () => {
  it('is zero on a flat image and large on a checkerboard', () => {
    // Prepare
    const flat = image(20, 20, () => 128);
    const checker = image(20, 20, (x, y) => ((x + y) % 2 ? 255 : 0));
    // Act
    const flatVariance = laplacianVariance(flat);
    const checkerVariance = laplacianVariance(checker);
    // Assess
    expect(flatVariance).toBe(0);
    expect(checkerVariance).toBeGreaterThan(100_000);
  });

  it('drops when an edge is smoothed', () => {
    // Prepare
    const sharp = image(40, 40, (x) => (x < 20 ? 0 : 255));
    const soft = image(40, 40, (x) => Math.max(0, Math.min(255, (x - 10) * 12.75)));
    // Act / Assess
    expect(laplacianVariance(sharp)).toBeGreaterThan(laplacianVariance(soft) * 10);
  });
});

describe('otsuThreshold', () => {
  it.each([
    [[10, 10, 10, 200, 200, 200], 10, 200],
    [[40, 50, 60, 180, 190, 200], 60, 180],
  ])('splits %j between the two classes', (values, low, high) => {
    // Act
    const threshold = otsuThreshold(histogram(Uint8Array.from(values)));
    // Assess
    expect(threshold).toBeGreaterThanOrEqual(low);
    expect(threshold).toBeLessThan(high);
  });
});

describe('connected components and geometry', () => {
  it('finds two separate blobs with their areas and border contact', () => {
    // Prepare
    const mask = image(10, 10, (x, y) => ((x < 3 && y < 3) || (x > 5 && y > 5 && x < 9 && y < 9) ? 1 : 0)).data;
    // Act
    const { components } = connectedComponents(mask, 10, 10);
    // Assess
    expect(components.map((c) => c.area).sort()).toEqual([9, 9]);
    expect(components.filter((c) => c.touchesBorder)).toHaveLength(1);
  });

  it('computes the hull and minimum-area rectangle of an axis-aligned square', () => {
    // Prepare
    const points = [
      { x: 0, y: 0 },
      { x: 4, y: 0 },
      { x: 4, y: 4 },
      { x: 0, y: 4 },
      { x: 2, y: 2 },
    ];
    // Act
    const hull = convexHull(points);
    const rect = minAreaRect(hull);
    // Assess
    expect(hull).toHaveLength(4);
    expect(rect?.area).toBeCloseTo(16);
  });

  it.each([
    [0, 0],
    [5, 5],
    [20, 20],
    [-15, 15],
    [90, 0],
    [100, 10],
  ])('reports tilt of a card rotated %d degrees as %d', (degrees, tilt) => {
    // Prepare
    const frame = card(400, 300, 200, 150, 200, 120, degrees);
    // Act
    const region = findDocument(frame);
    // Assess
    expect(region).toBeDefined();
    expect(tiltFromAxes(region?.rect.angleDegrees ?? 99)).toBeCloseTo(tilt, 0);
  });

  it('measures the corner margin and notices a card cut by the frame', () => {
    // Prepare
    const inside = findDocument(card(400, 300, 200, 150, 200, 120, 0));
    const cut = findDocument(card(400, 300, 350, 150, 200, 120, 0));
    // Act
    const margin = cornerMargin(inside?.rect.corners ?? [], 400, 300);
    // Assess
    expect(margin).toBeCloseTo(90 / 300, 1);
    expect(cut?.touchesBorder).toBe(true);
  });
});

describe('glareFraction', () => {
  it('counts a compact clipped blob but not bright text strokes', () => {
    // Prepare
    const spot = image(100, 100, (x, y) => ((x - 50) ** 2 + (y - 50) ** 2 < 100 ? 255 : 200));
    const strokes = image(100, 100, (x) => (x % 10 === 0 ? 255 : 200));
    const box = { x0: 0, y0: 0, x1: 100, y1: 100 };
    // Act / Assess
    expect(glareFraction(spot, box)).toBeGreaterThan(0.02);
    expect(glareFraction(strokes, box)).toBe(0);
  });

  it('counts one reflection but not many small clipped specks that add up to more (a bright window in the portrait)', () => {
    // Prepare: 36 clipped 4x4 squares (5.8 % of the region in all, 0.16 % each) vs one 12x12 patch (1.4 %).
    const specks = image(100, 100, (x, y) => (x % 16 < 4 && y % 16 < 4 && x < 96 && y < 96 ? 255 : 200));
    const patch = image(100, 100, (x, y) => (x >= 40 && x < 52 && y >= 40 && y < 52 ? 255 : 200));
    const box = { x0: 0, y0: 0, x1: 100, y1: 100 };
    const minBlob = DEFAULT_CONFIG.quality.glareMaxSaturatedFraction / GLARE_PATCHES;
    // Act
    const fromSpecks = glareFraction(specks, box, minBlob);
    const fromPatch = glareFraction(patch, box, minBlob);
    // Assess
    expect(fromSpecks).toBe(0);
    expect(fromPatch).toBeCloseTo(0.0144, 4);
    expect(fromPatch).toBeGreaterThan(DEFAULT_CONFIG.quality.glareMaxSaturatedFraction);
  });
});

describe('analyseFrame exposure of a photo with a face', () => {
  const thresholds = DEFAULT_CONFIG.quality;
  // A 200 x 260 selfie frame; the face box (fractions) covers 30 % x 30 % of it.
  const face = { left: 0.35, top: 0.25, width: 0.3, height: 0.3 };
  const inFace = (x: number, y: number): boolean => x >= 70 && x < 130 && y >= 65 && y < 143;
  const selfie = (faceLevel: number, surround: number) =>
    image(200, 260, (x, y) => (inFace(x, y) ? faceLevel : surround));

  it('accepts a well-lit face in a dark room (dark hair, clothes and background), which the whole frame alone refuses', () => {
    // Prepare: face 150, everything else 25: the frame's mean is about 36, under the 55 floor.
    const frame = selfie(150, 25);
    // Act
    const withoutFace = analyseFrame(frame, false, thresholds);
    const withFace = analyseFrame(frame, false, thresholds, face);
    // Assess
    expect(withoutFace.metrics.meanLuminance).toBeLessThan(thresholds.darkMinMeanLuminance);
    expect(withoutFace.reasons).toContain('BACKGROUND_TOO_DARK');
    expect(withFace.metrics.faceMeanLuminance).toBeGreaterThan(140);
    expect(withFace.reasons).not.toContain('BACKGROUND_TOO_DARK');
  });

  it('still refuses an under-exposed photo whose face is dark as well', () => {
    // Prepare
    const frame = selfie(45, 20);
    // Act
    const analysis = analyseFrame(frame, false, thresholds, face);
    // Assess
    expect(analysis.reasons).toEqual(['BACKGROUND_TOO_DARK']);
  });

  it('never refuses a bright frame for a darker face (dark skin in good light)', () => {
    // Prepare: face 50 (under the floor on its own) on a 140 background.
    const frame = selfie(50, 140);
    // Act
    const analysis = analyseFrame(frame, false, thresholds, face);
    // Assess
    expect(analysis.metrics.faceMeanLuminance).toBe(50);
    expect(analysis.reasons).toEqual([]);
  });

  it('still refuses a backlit subject in front of a bright window', () => {
    // Prepare: a dark centre (the person) against a 230 surround; the face itself at 70.
    const frame = image(200, 260, (x, y) => (inFace(x, y) ? 70 : x >= 50 && x < 150 && y >= 65 && y < 195 ? 60 : 230));
    // Act
    const analysis = analyseFrame(frame, false, thresholds, face);
    // Assess
    expect(analysis.reasons).toEqual(['BACKGROUND_TOO_DARK']);
  });
});
