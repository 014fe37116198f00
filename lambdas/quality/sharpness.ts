/**
 * Blur in physical units for the quality gate: `blurMm` on documents (Gaussian sigma in
 * millimetres of the document: ID-1 card 85.6 mm wide, passport data page 125 mm) and
 * `blurFaceRatio` on selfies (sigma / face-box width).
 *
 * The edge widths are measured (`blur.ts`) inside the detected document (its mask, eroded so
 * the card's outline and the surface around it do not count) or inside the face box, at a
 * resolution chosen from the document's size in pixels: the first decode of the gate when it
 * already has at least `MIN_DOCUMENT_PIXELS` across the document, otherwise a second decode of
 * just that region at a finer scale (full resolution, or JPEG shrink-on-load when the document
 * is very large). The pixel grid and the resampling blur every edge a little (`GRID_SIGMA`);
 * that part is taken off in quadrature, so the figures describe the photo, not the decoder.
 */
import type { QualityThresholds } from '../../lib/config.ts';
import type { ReasonCode } from '../domain/reason-codes.ts';
import type { DocumentType, Slot } from '../domain/verification.ts';
import type { DocumentRegion } from './analyse.ts';
import { type BlurEstimate, type ConvexRegion, estimateBlurAcrossScales, MAX_SIGMA } from './blur.ts';
import { decodeLuma, type DecodedFrame, downsample } from './decode.ts';
import type { Box, GreyImage, Point } from './pixels.ts';

/** Physical width of each document's long side in millimetres (ISO/IEC 7810 ID-1; ICAO 9303 TD3). */
export const DOCUMENT_WIDTH_MM: Readonly<Record<DocumentType, number>> = {
  passport: 125,
  id_card: 85.6,
  driving_licence: 85.6,
};
/** A4 width: a photographed proof of address. */
export const PAGE_WIDTH_MM = 210;
/** The document must span at least this many working pixels for the measure to resolve 0.05 mm. */
export const MIN_DOCUMENT_PIXELS = 780;
/** A finer second decode aims at about this many pixels across the document. */
export const TARGET_DOCUMENT_PIXELS = 1100;
/** The face must span at least this many working pixels. */
export const MIN_FACE_PIXELS = 160;
/** Faces wider than this many working pixels are box-averaged down to it (a 3 % blur is then ~3.6 px, measured with re-blur scales of 1 and 2 px). */
export const FACE_WORKING_PIXELS = 120;
/** Blur of a perfectly sharp edge after sampling and resampling, working pixels (calibrated). */
export const GRID_SIGMA = 0.5;
/** Re-blur scales on documents, working pixels: small, so thin text strokes' two flanks stay apart. */
export const DOCUMENT_SCALES: readonly [number, number] = [0.5, 1];
/**
 * Documents: the re-blur scales are doubled once the blur found exceeds this multiple of the
 * first scale (faces: 2). Text strokes are thin, and doubled scales that reach a stroke's width
 * misread it (see `estimateBlurAcrossScales`). Tuned on the sweep's `tune` family, which reads
 * the same margins for any value from 2 to 3.4; this is the middle of that range (at 2, the edge
 * of it, a sharp noisy licence of the `assert` family read 0.101 mm).
 */
export const DOCUMENT_WIDEN_ABOVE = 2.6;
/** The document rectangle is inset by this share of its short side before measuring. */
export const INSET_FRACTION = 0.03;
/** Per-edge sigma percentile used for faces (calibrated): skin shading is soft by nature, eyes, lashes and hair are not. */
export const FACE_PERCENTILE = 0.15;

export interface BlurInput {
  readonly bytes: Buffer;
  /** Oriented size of the original image. */
  readonly size: { readonly width: number; readonly height: number };
  /** The gate's first decode. */
  readonly first: DecodedFrame;
  /** Original pixels per analysis-frame pixel (where `region` lives). */
  readonly frameScale: number;
  /** Width of the analysis frame (the row length of `region.labels`). */
  readonly frameWidth: number;
  readonly slot: Slot;
  readonly documentType: DocumentType;
  readonly region?: DocumentRegion;
  /** Largest face, fractions of the oriented image. */
  readonly face?: { readonly left: number; readonly top: number; readonly width: number; readonly height: number };
  readonly maxPixels: number;
  readonly thresholds: QualityThresholds;
}

export interface BlurVerdict {
  readonly reasons: ReasonCode[];
  readonly metrics: Record<string, number>;
  /** No edge could be measured (the reasons then say blurry: nothing sharp was seen). */
  readonly unmeasured: boolean;
}

interface Target {
  /** Region to measure, original pixels. */
  readonly box: Box;
  /** Reference length (document long side or face width), original pixels. */
  readonly referencePixels: number;
  /** Smallest reference length in working pixels the measure needs. */
  readonly minWorking: number;
  readonly percentile: number;
  /** Re-blur scales, working pixels. */
  readonly scales: readonly [number, number];
  /** Scales are doubled while the blur found exceeds this multiple of the first one. */
  readonly widenAbove: number;
}

const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;

function clampBox(box: Box, width: number, height: number): Box {
  const x0 = Math.max(0, Math.floor(box.x0));
  const y0 = Math.max(0, Math.floor(box.y0));
  return {
    x0,
    y0,
    x1: Math.max(x0 + 1, Math.min(width, Math.ceil(box.x1))),
    y1: Math.max(y0 + 1, Math.min(height, Math.ceil(box.y1))),
  };
}

function scaleBox(box: Box, factor: number): Box {
  return { x0: box.x0 * factor, y0: box.y0 * factor, x1: box.x1 * factor, y1: box.y1 * factor };
}

/**
 * The inside of a convex quadrilateral (corners in order), inset by `inset` pixels, as the
 * half-planes `estimateBlur` tests each candidate edge against; working pixel (x, y) maps to the
 * corners' coordinates as `((x + dx) * scale, (y + dy) * scale)`.
 *
 * @example
 * ```ts
 * const inside = insideRect(region.rect.corners, 4, { scale: 0.5, dx: 0, dy: 0 });
 * insideRegion(inside, 120, 80); // true when (60, 40) lies at least 4 px inside the rectangle
 * ```
 */
export function insideRect(
  corners: readonly Point[],
  inset: number,
  map: { readonly scale: number; readonly dx: number; readonly dy: number },
): ConvexRegion {
  const count = corners.length;
  const ax = new Float64Array(count);
  const ay = new Float64Array(count);
  const nx = new Float64Array(count);
  const ny = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const a = corners[i] as Point;
    const b = corners[(i + 1) % count] as Point;
    const length = Math.hypot(b.x - a.x, b.y - a.y) || 1;
    ax[i] = a.x;
    ay[i] = a.y;
    nx[i] = -(b.y - a.y) / length;
    ny[i] = (b.x - a.x) / length;
  }
  // Orientation: the centre must be on the positive side of every edge.
  const cx = corners.reduce((sum, p) => sum + p.x, 0) / count;
  const cy = corners.reduce((sum, p) => sum + p.y, 0) / count;
  let sign = 1;
  for (let i = 0; i < count; i++) {
    if ((cx - (ax[i] as number)) * (nx[i] as number) + (cy - (ay[i] as number)) * (ny[i] as number) < 0) sign = -1;
  }
  return { ax, ay, nx, ny, sign, inset, scale: map.scale, dx: map.dx, dy: map.dy };
}

/** Copies `box` of an image. */
function cropImage(image: GreyImage, box: Box): GreyImage {
  const width = box.x1 - box.x0;
  const height = box.y1 - box.y0;
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const from = (box.y0 + y) * image.width + box.x0;
    data.set(image.data.subarray(from, from + width), y * width);
  }
  return { data, width, height };
}

/** What to measure for the slot, in original pixels. */
function targetFor(input: BlurInput): Target {
  const { width, height } = input.size;
  if (input.slot === 'selfie') {
    const face = input.face ?? { left: 0.3, top: 0.22, width: 0.4, height: 0.45 };
    const faceWidth = face.width * width;
    const grow = 0.1 * faceWidth;
    return {
      box: {
        x0: face.left * width - grow,
        y0: face.top * height - grow,
        x1: (face.left + face.width) * width + grow,
        y1: (face.top + face.height) * height + grow,
      },
      referencePixels: faceWidth,
      minWorking: MIN_FACE_PIXELS,
      percentile: FACE_PERCENTILE,
      scales: [1, 2],
      widenAbove: 2,
    };
  }
  if (input.region) {
    return {
      box: scaleBox(input.region.bounds, input.frameScale),
      referencePixels: input.region.rect.long * input.frameScale,
      minWorking: MIN_DOCUMENT_PIXELS,
      percentile: 0.5,
      scales: DOCUMENT_SCALES,
      widenAbove: DOCUMENT_WIDEN_ABOVE,
    };
  }
  // No document outline (already refused as not fully visible) or a page: the middle of the frame.
  return {
    box: { x0: width * 0.1, y0: height * 0.1, x1: width * 0.9, y1: height * 0.9 },
    referencePixels: Math.max(width, height) * 0.8,
    minWorking: MIN_DOCUMENT_PIXELS,
    percentile: 0.5,
    scales: DOCUMENT_SCALES,
    widenAbove: DOCUMENT_WIDEN_ABOVE,
  };
}

/** Fewest measured edges a direction pair needs in its stronger bin before its balance says anything. */
export const MIN_BALANCE_EDGES = 40;
/**
 * How much wider than the edges along a direction the few edges across it must be for the
 * imbalance to count as camera shake (and not as a layout with few edges across: a licence's
 * table of long horizontal rules read 1.6; shakes on the calibration sweep read 2.3 and more).
 */
export const SHAKE_WIDTH_RATIO = 2;

/** How the measured edges spread over the two directions of the most unbalanced pair. */
export interface EdgeBalance {
  /** Edges in the weaker bin over those in the stronger one (0..1). */
  readonly balance: number;
  /** Median width of the weaker bin's edges over the stronger's; undefined when the weaker has none. */
  readonly widthRatio: number | undefined;
}

/**
 * How evenly the measured edges spread over perpendicular directions: for each pair of
 * orientation bins (horizontal and vertical gradients; the two diagonals) whose stronger bin
 * holds at least {@link MIN_BALANCE_EDGES} edges, the weaker bin's count over the stronger's,
 * and the pair with the smallest share; undefined when no pair qualifies.
 *
 * A document's text, lines and portrait have edges in every direction (on the calibration sweep
 * no sharp or defocused document read below 0.57). Camera shake smears the edges across its
 * direction into ramps far wider than the re-blur scales, whose gradient ratio reads no blur
 * at all, so `estimateBlur` drops them and the direction is left to the edges along the shake,
 * which stay sharp: a long shake read as a sharp photo. The missing edges, and the width of
 * the few that remain across the shake, are the evidence.
 *
 * @example
 * ```ts
 * edgeBalance([{ count: 50, sigma: 2 }, { count: 60, sigma: 1 }, { count: 1000, sigma: 0.6 }, { count: 70, sigma: 1 }]);
 * // { balance: 0.05, widthRatio: 3.33 }
 * ```
 */
export function edgeBalance(bins: BlurEstimate['bins']): EdgeBalance | undefined {
  return leastBalanced(pairSpreads(bins));
}

function leastBalanced(spreads: readonly EdgeBalance[]): EdgeBalance | undefined {
  return spreads.reduce<EdgeBalance | undefined>(
    (least, spread) => (least && least.balance <= spread.balance ? least : spread),
    undefined,
  );
}

/** The spread of each qualifying pair of perpendicular bins (see {@link edgeBalance}). */
function pairSpreads(bins: BlurEstimate['bins']): EdgeBalance[] {
  if (!bins || bins.length !== 4) return [];
  const spreads: EdgeBalance[] = [];
  for (const [a, b] of [
    [0, 2],
    [1, 3],
  ] as const) {
    const [weak, strong] = (bins[a]?.count ?? 0) < (bins[b]?.count ?? 0) ? [bins[a], bins[b]] : [bins[b], bins[a]];
    if (!weak || !strong || strong.count < MIN_BALANCE_EDGES) continue;
    const widthRatio = weak.count > 0 && strong.sigma > 0 ? weak.sigma / strong.sigma : undefined;
    spreads.push({ balance: weak.count / strong.count, widthRatio });
  }
  return spreads;
}

/**
 * Camera shake on a document: in some pair of perpendicular directions, few edges across one
 * compared with the other (`quality.blurMinEdgeBalance`), and those few at least
 * {@link SHAKE_WIDTH_RATIO} times as wide as the others (or none at all).
 */
export function isShaken(
  bins: BlurEstimate['bins'],
  thresholds: Pick<QualityThresholds, 'blurMinEdgeBalance'>,
): boolean {
  return shaken(pairSpreads(bins), thresholds);
}

function shaken(spreads: readonly EdgeBalance[], thresholds: Pick<QualityThresholds, 'blurMinEdgeBalance'>): boolean {
  return spreads.some(
    (spread) =>
      spread.balance < thresholds.blurMinEdgeBalance &&
      (spread.widthRatio === undefined || spread.widthRatio >= SHAKE_WIDTH_RATIO),
  );
}

/**
 * Measures the blur of the slot's subject and judges it against the thresholds.
 *
 * @example
 * ```ts
 * const { reasons, metrics } = await measureBlur({ bytes, size, first, frameScale, slot, documentType, region, maxPixels, thresholds });
 * metrics.blurMm; // 0.031
 * ```
 */
export async function measureBlur(input: BlurInput): Promise<BlurVerdict> {
  const { first, size } = input;
  const target = targetFor(input);
  let work: DecodedFrame = first;
  let offsetX = 0;
  let offsetY = 0;
  let box = clampBox(scaleBox(target.box, 1 / first.scale), first.width, first.height);
  if (target.referencePixels / first.scale < target.minWorking && first.scale > 1.01) {
    // Too coarse: decode only the region again, at the scale that gives the target resolution.
    const wanted = Math.floor(target.referencePixels / TARGET_DOCUMENT_PIXELS);
    // JPEG shrink-on-load only helps from a shrink of 3 (see `firstPassShrink`).
    const shrink = wanted >= 3 ? wanted : 1;
    const scaledWidth = Math.round(size.width / shrink);
    const scaledHeight = Math.round(size.height / shrink);
    const margin = 8;
    const crop = clampBox(
      {
        x0: target.box.x0 / shrink - margin,
        y0: target.box.y0 / shrink - margin,
        x1: target.box.x1 / shrink + margin,
        y1: target.box.y1 / shrink + margin,
      },
      scaledWidth,
      scaledHeight,
    );
    work = await decodeLuma(input.bytes, size, shrink, input.maxPixels, {
      left: crop.x0,
      top: crop.y0,
      width: crop.x1 - crop.x0,
      height: crop.y1 - crop.y0,
    });
    offsetX = crop.x0;
    offsetY = crop.y0;
    box = { x0: margin, y0: margin, x1: work.width - margin, y1: work.height - margin };
  }

  if (input.slot === 'selfie') {
    // Faces: bring the face to about FACE_WORKING_PIXELS across, so the re-blur scales suit its blur.
    const factor = Math.floor(target.referencePixels / work.scale / FACE_WORKING_PIXELS);
    if (factor >= 2) {
      const cropped = cropImage(work, box);
      const small = downsample(cropped, factor);
      work = { ...small, scale: work.scale * factor };
      box = { x0: 0, y0: 0, x1: small.width, y1: small.height };
    }
  }

  let inside: ConvexRegion | undefined;
  const region = input.region;
  if (region && input.slot !== 'selfie') {
    // Inside the document's rectangle (text and portrait are holes in its bright mask, the
    // rectangle has none), inset so the card's outline and the surface do not count.
    const ratio = work.scale / input.frameScale;
    inside = insideRect(region.rect.corners, INSET_FRACTION * region.rect.short, {
      scale: ratio,
      dx: offsetX,
      dy: offsetY,
    });
  }
  // Coarse to fine the other way round: when the edges are wide compared with the re-blur
  // scales, the ratio flattens towards 1 and thin strokes pull it down, so measure again with
  // scales matched to the blur found (`estimateBlurAcrossScales`).
  const estimate = estimateBlurAcrossScales(
    work,
    box,
    {
      ...(inside ? { inside } : {}),
      percentile: target.percentile,
      scales: target.scales,
      widenAbove: target.widenAbove,
    },
    3,
  );
  const sigmaWorking = Math.sqrt(Math.max(0, estimate.sigma ** 2 - GRID_SIGMA ** 2));
  const sigmaPixels = estimate.sigma >= MAX_SIGMA ? Infinity : sigmaWorking * work.scale;
  const metrics: Record<string, number> = {
    blurScale: round(work.scale, 2),
    blurEdges: estimate.edges,
    noiseSigma: round(estimate.noise, 2),
    blurSigmaPixels: Number.isFinite(sigmaPixels) ? round(sigmaPixels, 2) : -1,
  };
  const reasons: ReasonCode[] = [];
  if (input.slot === 'selfie') {
    const ratio = sigmaPixels / Math.max(1, target.referencePixels);
    metrics.blurFaceRatio = Number.isFinite(ratio) ? round(ratio, 4) : 1;
    if (!(ratio <= input.thresholds.blurMaxFaceRatio)) reasons.push('PHOTO_TOO_BLURRY');
  } else {
    const millimetres = input.slot === 'proof_of_address' ? PAGE_WIDTH_MM : DOCUMENT_WIDTH_MM[input.documentType];
    const mm = (sigmaPixels * millimetres) / Math.max(1, target.referencePixels);
    metrics.blurMm = Number.isFinite(mm) ? round(mm, 3) : 99;
    const spreads = pairSpreads(estimate.bins);
    const spread = leastBalanced(spreads);
    if (spread) metrics.blurEdgeBalance = round(spread.balance, 2);
    if (spread?.widthRatio !== undefined) metrics.blurAcrossWidthRatio = round(spread.widthRatio, 2);
    if (!(mm <= input.thresholds.blurMaxMm) || shaken(spreads, input.thresholds)) reasons.push('PHOTO_TOO_BLURRY');
  }
  return { reasons, metrics, unmeasured: !Number.isFinite(sigmaPixels) };
}
