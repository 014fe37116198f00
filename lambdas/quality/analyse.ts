/**
 * Image analysis on one decoded greyscale frame (at most 400 px long side): document
 * quadrilateral, glare and exposure. Pure functions over `GreyImage` (see `pixels.ts`);
 * thresholds come from the caller. Blur is measured apart, at a resolution chosen from the
 * document's size (`blur.ts`, `gate.ts`).
 */
import type { QualityThresholds } from '../../lib/config.ts';
import type { ReasonCode } from '../domain/reason-codes.ts';
import type { DetectedFace } from '../ports/face-detector.ts';
import {
  type Box,
  connectedComponents,
  convexHull,
  cornerMargin,
  type GreyImage,
  histogram,
  meanLuminance,
  minAreaRect,
  otsuThreshold,
  type RotatedRect,
  tiltFromAxes,
} from './pixels.ts';

export interface DocumentRegion {
  readonly rect: RotatedRect;
  readonly bounds: Box;
  readonly labels: Int32Array;
  readonly label: number;
  readonly area: number;
  readonly touchesBorder: boolean;
}

/**
 * Finds the document: Otsu threshold (the card is brighter than the surface it lies on), the
 * largest 4-connected bright component, its convex hull and minimum-area rectangle. Returns
 * undefined when no component covers at least 3 % of the frame.
 */
export function findDocument(image: GreyImage): DocumentRegion | undefined {
  const threshold = otsuThreshold(histogram(image.data));
  const mask = new Uint8Array(image.data.length);
  for (let i = 0; i < mask.length; i++) mask[i] = (image.data[i] as number) > threshold ? 1 : 0;
  const minArea = Math.round(image.width * image.height * 0.03);
  const { labels, components } = connectedComponents(mask, image.width, image.height, minArea);
  let best = components[0];
  for (const component of components) if (component.area > (best?.area ?? 0)) best = component;
  if (!best) return undefined;
  const rect = minAreaRect(convexHull(best.extremes));
  if (!rect) return undefined;
  return { rect, bounds: best.bounds, labels, label: best.label, area: best.area, touchesBorder: best.touchesBorder };
}

/**
 * Fraction of the region's pixels that lie in compact clipped blobs (>= 250): specular glare.
 * White paper under good light stays below clipping, and thin bright strokes are not compact,
 * so only blobs of at least `minBlobFraction` of the region, filled (>= 35 % of their box) and
 * not line-shaped, count. A reflection of a light source is one patch (or a few): the gate
 * passes a third of its threshold as `minBlobFraction` (`GLARE_PATCHES`), so clipped specks
 * that belong to the picture (a bright window behind the holder in the portrait, white
 * lettering) never add up to glare, however many there are.
 *
 * @example
 * ```ts
 * glareFraction(frame, region.bounds, thresholds.glareMaxSaturatedFraction / GLARE_PATCHES); // 0.018
 * ```
 */
export function glareFraction(image: GreyImage, region: Box, minBlobFraction = 0.0015): number {
  const w = region.x1 - region.x0;
  const h = region.y1 - region.y0;
  if (w <= 0 || h <= 0) return 0;
  const mask = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = (y + region.y0) * image.width + region.x0;
    for (let x = 0; x < w; x++) mask[y * w + x] = (image.data[row + x] as number) >= 250 ? 1 : 0;
  }
  const minArea = Math.max(4, Math.round(w * h * minBlobFraction));
  const { components } = connectedComponents(mask, w, h, minArea);
  let clipped = 0;
  for (const blob of components) {
    const bw = blob.bounds.x1 - blob.bounds.x0;
    const bh = blob.bounds.y1 - blob.bounds.y0;
    // Compact: filled, and not a thin line (both sides at least 4 px and within 1:6).
    const compact = blob.area / (bw * bh) >= 0.35 && Math.min(bw, bh) >= 4 && Math.max(bw, bh) <= 6 * Math.min(bw, bh);
    if (compact) clipped += blob.area;
  }
  return clipped / (w * h);
}

/**
 * A reflection covers the glare threshold's share of the card in at most this many patches (the
 * labelled `passport-A-glare` has two lights, the smaller patch a third of the whole).
 */
export const GLARE_PATCHES = 3;

export interface FrameAnalysis {
  readonly reasons: ReasonCode[];
  readonly metrics: Record<string, number>;
  /** The document found on a document slot, in frame pixels. */
  readonly region?: DocumentRegion;
}

function shrink(box: Box, fraction: number): Box {
  const dx = Math.round((box.x1 - box.x0) * fraction);
  const dy = Math.round((box.y1 - box.y0) * fraction);
  return { x0: box.x0 + dx, y0: box.y0 + dy, x1: box.x1 - dx, y1: box.y1 - dy };
}

/** A face box as fractions of the frame's width and height, as the face-detector port reports it. */
type FaceBox = DetectedFace['box'];

/** `face` in frame pixels, clipped to the frame; undefined when nothing of it is left. */
function faceBounds(face: FaceBox, width: number, height: number): Box | undefined {
  const x0 = Math.max(0, Math.floor(face.left * width));
  const y0 = Math.max(0, Math.floor(face.top * height));
  const x1 = Math.min(width, Math.ceil((face.left + face.width) * width));
  const y1 = Math.min(height, Math.ceil((face.top + face.height) * height));
  return x1 > x0 && y1 > y0 ? { x0, y0, x1, y1 } : undefined;
}

/**
 * Runs the pixel checks on one frame; `isDocument` adds the quadrilateral checks. Exposure is
 * judged on what the photo is of: a document on its own light (a well-lit card on a dark table
 * is readable), any other photo on the whole frame, or on its detected `face` when that is
 * brighter (dark hair, clothes and a dark room around a well-lit face are no reason to refuse a
 * selfie).
 * Backlight (a bright surround, a much darker subject) counts in every case.
 */
export function analyseFrame(
  image: GreyImage,
  isDocument: boolean,
  thresholds: QualityThresholds,
  face?: FaceBox,
): FrameAnalysis {
  const reasons: ReasonCode[] = [];
  const metrics: Record<string, number> = {};
  const whole: Box = { x0: 0, y0: 0, x1: image.width, y1: image.height };
  const pixels = image.width * image.height;
  let totalSum = 0;
  for (let i = 0; i < pixels; i++) totalSum += image.data[i] as number;
  const mean = pixels === 0 ? 0 : totalSum / pixels;
  metrics.meanLuminance = round(mean);

  let subject: Box = shrink(whole, 0.25);
  let subjectMean: number;
  let surroundMean: number;
  const region = isDocument ? findDocument(image) : undefined;
  if (isDocument) {
    if (!region) {
      reasons.push('DOCUMENT_NOT_FULLY_VISIBLE');
      metrics.documentFound = 0;
    } else {
      metrics.documentFound = 1;
      const tilt = tiltFromAxes(region.rect.angleDegrees);
      const margin = cornerMargin(region.rect.corners, image.width, image.height);
      metrics.tiltDegrees = round(tilt);
      metrics.cornerMargin = round(margin, 4);
      metrics.documentAreaFraction = round(region.area / (image.width * image.height), 4);
      if (region.touchesBorder || margin < thresholds.cornerMarginFraction) reasons.push('DOCUMENT_NOT_FULLY_VISIBLE');
      if (tilt > thresholds.maxTiltDegrees) reasons.push('DOCUMENT_TILTED');
      subject = region.bounds;
    }
  }
  if (region) {
    // The document's pixels all lie in its bounds; the surround is the rest of the frame (exact
    // integer sums, so no second pass over the frame).
    const { bounds, labels, label } = region;
    let regionSum = 0;
    let regionCount = 0;
    for (let y = bounds.y0; y < bounds.y1; y++) {
      for (let i = y * image.width + bounds.x0, end = y * image.width + bounds.x1; i < end; i++) {
        if (labels[i] !== label) continue;
        regionSum += image.data[i] as number;
        regionCount += 1;
      }
    }
    subjectMean = regionCount === 0 ? 0 : regionSum / regionCount;
    const outside = pixels - regionCount;
    surroundMean = outside ? (totalSum - regionSum) / outside : subjectMean;
  } else {
    subjectMean = meanLuminance(image, subject);
    const total = mean * image.width * image.height;
    const inner = subjectMean * (subject.x1 - subject.x0) * (subject.y1 - subject.y0);
    const outerCount = image.width * image.height - (subject.x1 - subject.x0) * (subject.y1 - subject.y0);
    surroundMean = outerCount ? (total - inner) / outerCount : subjectMean;
  }
  const subjectRatio = surroundMean > 0 ? subjectMean / surroundMean : 1;
  metrics.subjectRatio = round(subjectRatio, 3);
  const backlit = surroundMean >= 170 && subjectRatio < thresholds.backlitMinSubjectRatio;
  const faceBox = !isDocument && face ? faceBounds(face, image.width, image.height) : undefined;
  const faceMean = faceBox ? meanLuminance(image, faceBox) : undefined;
  if (faceMean !== undefined) metrics.faceMeanLuminance = round(faceMean);
  // The face only clears a dark frame, never darkens a bright one: a well-lit face reads darker
  // than the frame when the skin is dark, and that is no reason to refuse it.
  const exposure = region ? subjectMean : Math.max(mean, faceMean ?? mean);
  if (exposure < thresholds.darkMinMeanLuminance || backlit) reasons.push('BACKGROUND_TOO_DARK');

  if (region) {
    const glare = glareFraction(image, region.bounds, thresholds.glareMaxSaturatedFraction / GLARE_PATCHES);
    metrics.glareFraction = round(glare, 4);
    if (glare > thresholds.glareMaxSaturatedFraction) reasons.push('REFLECTION_DETECTED');
  }
  return { reasons, metrics, ...(region ? { region } : {}) };
}

function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
