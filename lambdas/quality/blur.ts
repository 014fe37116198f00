/**
 * Blur width of the edges in an image region, in pixels, robust to sensor noise and JPEG
 * artefacts. Pure functions over `GreyImage`; no I/O.
 *
 * Energy measures (Laplacian variance, gradient energy, FFT energy) add up high-frequency
 * power, and camera noise is high-frequency power: a blurred but noisy photo reads sharp.
 * This module measures the WIDTH of strong edges instead:
 *
 *   region -> noise sigma (Immerkaer's 3x3 operator, median form: text and edges are outliers)
 *          -> A = Gaussian(s1) * image; |grad A|; non-maximum suppression along the gradient
 *          -> keep maxima whose step height clears a noise-scaled threshold (and an absolute floor)
 *          -> per edge: |grad A| / |grad B| with B = Gaussian(s2) * image (computed only there)
 *             gives the edge's own Gaussian sigma (re-blur gradient ratio, Zhuo & Sim 2011):
 *               R^2 = (sigma^2 + s2^2) / (sigma^2 + s1^2)  =>  sigma^2 = (s2^2 - R^2 s1^2) / (R^2 - 1)
 *          -> median sigma per gradient orientation (4 bins); the result is the largest bin
 *             median, so motion blur (which widens only the edges across its direction) counts.
 *
 * Small scales (0.5 and 1 working pixel) keep the two flanks of a thin text stroke apart; the
 * pre-smoothing with s1 before taking the ratio averages the noise out of both gradients, and
 * the threshold keeps only edges far above the noise, so the noise bias of the maxima is small.
 * JPEG block edges are weak steps and fall under the contrast floor.
 */
import type { Box, GreyImage } from './pixels.ts';

/** Scale of the first (noise-removing) smoothing, working pixels. */
export const SMOOTH_SIGMA = 0.5;
/** Scale of the re-blur; the ratio of the two gradients measures the edge's own width. */
export const REBLUR_SIGMA = 1;
/** Largest blur reported, working pixels (an edge this wide is unreadable anyway). */
export const MAX_SIGMA = 24;

export interface BlurEstimate {
  /** Edge blur as a Gaussian sigma in working pixels; `MAX_SIGMA` when no usable edge was found. */
  readonly sigma: number;
  /** Sensor noise sigma in grey levels (Immerkaer). */
  readonly noise: number;
  /** Edge points the sigma is the median of. */
  readonly edges: number;
  /** Per orientation bin (0, 45, 90, 135 degrees of the gradient): edge count and percentile sigma. */
  readonly bins?: readonly { readonly count: number; readonly sigma: number }[];
}

/**
 * A convex polygon as half-planes, in another coordinate frame: image pixel (x, y) maps to
 * ((x + dx) * scale, (y + dy) * scale) there, and is inside when it lies at least `inset` on the
 * inner side of every edge. Plain data (no closure), so the edge loop calls one function shape.
 */
export interface ConvexRegion {
  /** A point of each edge and the edge's unit normal, pointing inwards when `sign` is 1. */
  readonly ax: Float64Array;
  readonly ay: Float64Array;
  readonly nx: Float64Array;
  readonly ny: Float64Array;
  readonly sign: number;
  readonly inset: number;
  readonly scale: number;
  readonly dx: number;
  readonly dy: number;
}

/**
 * True when image pixel (x, y) lies inside `region` (see `ConvexRegion`).
 *
 * @example
 * ```ts
 * if (insideRegion(documentRect, x, y)) measure(x, y);
 * ```
 */
export function insideRegion(region: ConvexRegion, x: number, y: number): boolean {
  const px = (x + region.dx) * region.scale;
  const py = (y + region.dy) * region.scale;
  const { ax, ay, nx, ny, sign, inset } = region;
  for (let i = 0; i < ax.length; i++) {
    const distance = (px - (ax[i] as number)) * (nx[i] as number) + (py - (ay[i] as number)) * (ny[i] as number);
    if (sign * distance < inset) return false;
  }
  return true;
}

export interface BlurOptions {
  /** Only pixels inside this convex polygon are measured (e.g. the document's rectangle, inset). */
  readonly inside?: ConvexRegion;
  /** Percentile of the per-edge sigmas in each orientation bin (default 0.5, the median). */
  readonly percentile?: number;
  /** Smallest step height, grey levels, for an edge to count (default 40). */
  readonly minStep?: number;
  /** Step height as a multiple of the noise sigma (default 10). */
  readonly noiseFactor?: number;
  /** First and second smoothing scales, working pixels (default `SMOOTH_SIGMA`, `REBLUR_SIGMA`). */
  readonly scales?: readonly [number, number];
  /** At most this many edge points are measured (evenly thinned), to bound the cost. */
  readonly maxEdges?: number;
  /**
   * `estimateBlurAcrossScales` doubles the scales while the blur found exceeds this multiple of
   * the first scale (default 2).
   */
  readonly widenAbove?: number;
}

/** 1-D Gaussian kernel, normalised, radius ceil(3 sigma). */
export function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const value = Math.exp(-(i * i) / (2 * sigma * sigma));
    kernel[i + radius] = value;
    sum += value;
  }
  for (let i = 0; i < kernel.length; i++) kernel[i] = (kernel[i] as number) / sum;
  return kernel;
}

/**
 * Immerkaer's fast noise estimate (1996) in its robust form: the 3x3 operator
 * [1 -2 1; -2 4 -2; 1 -2 1] cancels locally linear image content; on pure Gaussian noise its
 * output has sigma 6 * noise, so the noise is median(|L|) / (0.6745 * 6). The median ignores
 * the minority of pixels on edges and text, where the operator also responds to the image.
 *
 * @example
 * ```ts
 * estimateNoise({ data: new Uint8Array(64 * 64).fill(128), width: 64, height: 64 }); // 0
 * ```
 */
export function estimateNoise(image: GreyImage, box?: Box): number {
  const x0 = Math.max(1, box?.x0 ?? 1);
  const y0 = Math.max(1, box?.y0 ?? 1);
  const x1 = Math.min(image.width - 1, box?.x1 ?? image.width - 1);
  const y1 = Math.min(image.height - 1, box?.y1 ?? image.height - 1);
  // Histogram of |L| (0..2040 in steps of 1) for an exact median without sorting.
  const bins = new Uint32Array(2041);
  const step = (x1 - x0) * (y1 - y0) > 400_000 ? 2 : 1;
  const count = noiseHistogram(image, { x0, y0, x1, y1 }, step, bins);
  if (count === 0) return 0;
  return medianBin(bins, count) / (0.6745 * 6);
}

/** Accumulates |L| of Immerkaer's operator over `box` (every `step`-th row and column); returns the count. */
function noiseHistogram(image: GreyImage, box: Box, step: number, bins: Uint32Array): number {
  const { data, width } = image;
  const x0 = box.x0 | 0;
  const y0 = box.y0 | 0;
  const x1 = box.x1 | 0;
  const y1 = box.y1 | 0;
  let count = 0;
  for (let y = y0; y < y1; y += step) {
    const row = y * width;
    for (let x = x0; x < x1; x += step) {
      const i = row + x;
      const value =
        (data[i - width - 1] as number) -
        2 * (data[i - width] as number) +
        (data[i - width + 1] as number) -
        2 * (data[i - 1] as number) +
        4 * (data[i] as number) -
        2 * (data[i + 1] as number) +
        (data[i + width - 1] as number) -
        2 * (data[i + width] as number) +
        (data[i + width + 1] as number);
      const bin = value < 0 ? -value : value;
      bins[bin] = (bins[bin] as number) + 1;
      count += 1;
    }
  }
  return count;
}

/** The first bin at which the running count reaches half of `count`. */
function medianBin(bins: Uint32Array, count: number): number {
  let seen = 0;
  for (let bin = 0; bin < bins.length; bin++) {
    seen += bins[bin] as number;
    if (seen * 2 >= count) return bin;
  }
  return 0;
}

/** The smoothing kernel the gradient of the Gaussian-smoothed image is taken of, and its radius. */
interface GradientTaps {
  readonly radius: number;
  readonly kernel: Float64Array;
}

function gradientTaps(sigma: number): GradientTaps {
  const kernel = Float64Array.from(gaussianKernel(sigma));
  return { radius: (kernel.length - 1) / 2, kernel };
}

/**
 * Gradient (central differences) of the Gaussian-smoothed image at one pixel, computed directly
 * and separably, written to `out` ([x, y]): each row from y - r - 1 to y + r + 1 is smoothed
 * along x at x - 1, x and x + 1 (only at x for the two outer rows, which only the vertical
 * difference uses), then those are smoothed down the column at y (horizontal difference) and at
 * y - 1 and y + 1 (vertical difference). Pixels beyond the border repeat the edge.
 */
function gradientAt(image: GreyImage, x: number, y: number, taps: GradientTaps, out: Float64Array): void {
  const { radius, kernel } = taps;
  const { data, width, height } = image;
  let left = 0;
  let right = 0;
  let up = 0;
  let down = 0;
  const inside = x - radius - 1 >= 0 && x + radius + 1 < width;
  for (let d = -radius - 1; d <= radius + 1; d++) {
    const row = Math.min(height - 1, Math.max(0, y + d)) * width;
    let before = 0;
    let centre = 0;
    let after = 0;
    const outer = d < -radius || d > radius;
    for (let t = -radius; t <= radius; t++) {
      const weight = kernel[t + radius] as number;
      if (inside) {
        const at = row + x + t;
        centre += (data[at] as number) * weight;
        if (outer) continue;
        before += (data[at - 1] as number) * weight;
        after += (data[at + 1] as number) * weight;
      } else {
        centre += (data[row + Math.min(width - 1, Math.max(0, x + t))] as number) * weight;
        if (outer) continue;
        before += (data[row + Math.min(width - 1, Math.max(0, x + t - 1))] as number) * weight;
        after += (data[row + Math.min(width - 1, Math.max(0, x + t + 1))] as number) * weight;
      }
    }
    // This row is at offset d from y: it weighs K(d) at y, K(d + 1) at y - 1, K(d - 1) at y + 1.
    if (!outer) {
      const weight = kernel[d + radius] as number;
      left += before * weight;
      right += after * weight;
    }
    if (d + 1 >= -radius && d + 1 <= radius) up += centre * (kernel[d + 1 + radius] as number);
    if (d - 1 >= -radius && d - 1 <= radius) down += centre * (kernel[d - 1 + radius] as number);
  }
  out[0] = (right - left) / 2;
  out[1] = (down - up) / 2;
}

function percentileOf(values: Float32Array, count: number, p: number): number {
  const sorted = values.slice(0, count).sort();
  return sorted[Math.min(count - 1, Math.max(0, Math.floor(count * p)))] as number;
}

/** Strong-edge candidates of one region: Sobel maxima along the gradient above a noise-scaled floor. */
interface EdgeMap {
  readonly region: Box;
  readonly noise: number;
  /** Smallest step height, grey levels, an edge must have (from the noise). */
  readonly minStep: number;
  /** Candidate pixels (row-major order), `y * width + x` in image coordinates. */
  readonly pixels: Int32Array;
  /** Orientation bin of each candidate's gradient: 0 = horizontal, 1 = 45 deg, 2 = vertical, 3 = 135 deg. */
  readonly bins: Uint8Array;
}

/** The region measured for a given re-blur scale: `box` clipped by a margin the kernels need. */
function regionFor(image: GreyImage, box: Box | undefined, reblur: number): Box {
  const margin = Math.ceil(3 * reblur) + 2;
  return {
    x0: Math.max(margin, box?.x0 ?? 0),
    y0: Math.max(margin, box?.y0 ?? 0),
    x1: Math.min(image.width - margin, box?.x1 ?? image.width),
    y1: Math.min(image.height - margin, box?.y1 ?? image.height),
  };
}

/**
 * Finds the candidate edges of `region`: Sobel maxima along the gradient (integer arithmetic,
 * one pass, three loads per pixel) whose magnitude clears the floor, inside `options.inside`.
 */
function findEdges(image: GreyImage, region: Box, options: BlurOptions): EdgeMap {
  const noise = estimateNoise(image, region);
  const w = region.x1 - region.x0;
  const h = region.y1 - region.y0;
  // A step of height H blurred to total sigma S has a peak gradient of H / (sqrt(2 pi) S). The
  // edge's own sigma is not known yet, so candidates need the gradient a wanted step has at a
  // 6 px blur (well past the rejection threshold at every working scale) and a clear margin over
  // the noise; the step height is re-checked once the edge's sigma is known.
  const minStep = Math.max(options.minStep ?? 40, (options.noiseFactor ?? 10) * noise);
  if (w < 16 || h < 16) return { region, noise, minStep, pixels: new Int32Array(0), bins: new Uint8Array(0) };
  const floor = 8 * Math.max(minStep / (Math.sqrt(2 * Math.PI) * 6), 0.5 * Math.sqrt(12) * noise);
  // Rows only where the document is (2 px beyond it, so every measured edge's neighbours are computed).
  const spans = options.inside ? rowSpans(region, options.inside, 2) : undefined;
  const { pixels, bins } = edgePass(image, region, floor, spans, options.inside);
  return { region, noise, minStep, pixels, bins };
}

/** Per row of a region (region-relative), the columns [start, end) worth computing. */
export interface RowSpans {
  readonly start: Int32Array;
  readonly end: Int32Array;
}

/**
 * The columns of each row of `region` that lie within `margin` pixels of `inside` (the rest can
 * hold no measured edge nor the neighbour of one, so the Sobel pass skips them).
 *
 * @example
 * ```ts
 * const { start, end } = rowSpans(box, documentRect, 2);
 * // row y of the box: columns start[y] .. end[y] - 1 (relative to box.x0)
 * ```
 */
export function rowSpans(region: Box, inside: ConvexRegion, margin: number): RowSpans {
  const w = region.x1 - region.x0;
  const h = region.y1 - region.y0;
  const start = new Int32Array(h);
  const end = new Int32Array(h).fill(w);
  const { ax, ay, nx, ny, sign, scale, dx, dy } = inside;
  const inset = inside.inset - margin * scale;
  for (let y = 0; y < h; y++) {
    const py = (y + region.y0 + dy) * scale;
    let lo = 0;
    let hi = w;
    for (let i = 0; i < ax.length; i++) {
      // sign * (((x + x0 + dx) * scale - ax) * nx + (py - ay) * ny) >= inset, linear in x.
      const slope = sign * scale * (nx[i] as number);
      const constant =
        sign *
        (((region.x0 + dx) * scale - (ax[i] as number)) * (nx[i] as number) +
          (py - (ay[i] as number)) * (ny[i] as number));
      if (Math.abs(slope) < 1e-9) {
        if (constant < inset) hi = lo;
      } else if (slope > 0) lo = Math.max(lo, Math.floor((inset - constant) / slope));
      else hi = Math.min(hi, Math.ceil((inset - constant) / slope) + 1);
    }
    start[y] = lo;
    end[y] = Math.max(lo, hi);
  }
  return { start, end };
}

/** A growable list of edge candidates (image pixel index and orientation bin). */
class EdgeList {
  pixels = new Int32Array(4096);
  bins = new Uint8Array(4096);
  count = 0;

  push(pixel: number, bin: number): void {
    if (this.count === this.pixels.length) {
      const pixels = new Int32Array(this.count * 2);
      pixels.set(this.pixels);
      this.pixels = pixels;
      const bins = new Uint8Array(this.count * 2);
      bins.set(this.bins);
      this.bins = bins;
    }
    this.pixels[this.count] = pixel;
    this.bins[this.count] = bin;
    this.count += 1;
  }
}

/**
 * One row of Sobel gradients (row `y` of `region`, columns [start, end)): the squared magnitude
 * (an exact integer) of each pixel whose magnitude reaches `floor` (`floor2` = its square,
 * rounded up) into `magnitude`, its orientation bin (0 = horizontal, 1 = 45 deg, 2 = vertical,
 * 3 = 135 deg) into `direction`, and its column into `strong`; every other pixel is left at 0,
 * which no strong pixel's maximum test can tell from its true, smaller magnitude. Sobel is a
 * [1 2 1] smoothing across and a central difference along: 8x the gradient, noise gain
 * sqrt(12). The 3x3 window slides along the row, so each pixel loads one new column and adds
 * its smoothed sum and its difference to the running ones. Returns the number of strong pixels.
 */
function sobelRow(
  data: Uint8Array,
  mid: number,
  width: number,
  start: number,
  end: number,
  floor2: number,
  magnitude: Int32Array,
  direction: Uint8Array,
  strong: Int32Array,
): number {
  const up = mid - width;
  const down = mid + width;
  // Column sums of the [1 2 1] smoothing (s) and column differences down - up (v): gx is the
  // difference of the sums either side, gy the [1 2 1] sum of the differences.
  let top = data[up + start - 1] as number;
  let centre = data[mid + start - 1] as number;
  let bottom = data[down + start - 1] as number;
  let sPrev = top + 2 * centre + bottom;
  let vPrev = bottom - top;
  top = data[up + start] as number;
  centre = data[mid + start] as number;
  bottom = data[down + start] as number;
  let sCur = top + 2 * centre + bottom;
  let vCur = bottom - top;
  let count = 0;
  for (let x = start; x < end; x++) {
    top = data[up + x + 1] as number;
    centre = data[mid + x + 1] as number;
    bottom = data[down + x + 1] as number;
    const sNext = top + 2 * centre + bottom;
    const vNext = bottom - top;
    const gx = sNext - sPrev;
    const gy = vPrev + 2 * vCur + vNext;
    sPrev = sCur;
    sCur = sNext;
    vPrev = vCur;
    vCur = vNext;
    const m2 = gx * gx + gy * gy;
    if (m2 < floor2) continue;
    magnitude[x] = m2;
    const ax = gx < 0 ? -gx : gx;
    const ay = gy < 0 ? -gy : gy;
    if (ay <= ax * 0.4142) direction[x] = 0;
    else if (ax <= ay * 0.4142) direction[x] = 2;
    else direction[x] = gx * gy > 0 ? 1 : 3;
    strong[count++] = x;
  }
  return count;
}

/**
 * Sobel maxima along the gradient whose magnitude reaches `floor`, at least 2 px inside `region`
 * and inside `inside`, in row-major order. Rows are computed one ahead of the row whose maxima
 * are taken, in a ring of three (only over `spans` when given), so nothing of the size of the
 * region is allocated.
 */
function edgePass(
  image: GreyImage,
  region: Box,
  floor: number,
  spans: RowSpans | undefined,
  inside: ConvexRegion | undefined,
): { pixels: Int32Array; bins: Uint8Array } {
  const { data, width } = image;
  const rx0 = region.x0 | 0;
  const ry0 = region.y0 | 0;
  const w = (region.x1 - rx0) | 0;
  const h = (region.y1 - ry0) | 0;
  const floor2 = Math.ceil(floor * floor);
  const rows = [new Int32Array(w), new Int32Array(w), new Int32Array(w)];
  const directions = [new Uint8Array(w), new Uint8Array(w), new Uint8Array(w)];
  const strongs = [new Int32Array(w), new Int32Array(w), new Int32Array(w)];
  const counts = [0, 0, 0];
  const edges = new EdgeList();
  // Row r of the region lives in slot r % 3; rows 0 and h - 1 stay empty (the 1 px border).
  for (let y = 1; y < h - 1; y++) {
    const slot = y % 3;
    const magnitude = rows[slot] as Int32Array;
    magnitude.fill(0);
    const start = spans ? Math.max(1, spans.start[y] as number) : 1;
    const end = spans ? Math.min(w - 1, spans.end[y] as number) : w - 1;
    counts[slot] =
      start < end
        ? sobelRow(
            data,
            (y + ry0) * width + rx0,
            width,
            start,
            end,
            floor2,
            magnitude,
            directions[slot] as Uint8Array,
            strongs[slot] as Int32Array,
          )
        : 0;
    // Row y - 1 now has both neighbours.
    const row = y - 1;
    if (row < 2 || row >= h - 2) continue;
    const above = rows[(row + 2) % 3] as Int32Array;
    const here = rows[row % 3] as Int32Array;
    const below = magnitude;
    const direction = directions[row % 3] as Uint8Array;
    const strong = strongs[row % 3] as Int32Array;
    const count = counts[row % 3] as number;
    const rowIndex = (row + ry0) * width + rx0;
    for (let s = 0; s < count; s++) {
      const x = strong[s] as number;
      if (x < 2 || x >= w - 2) continue;
      const m = here[x] as number;
      const bin = direction[x] as number;
      let before: number;
      let after: number;
      if (bin === 0) {
        before = here[x - 1] as number;
        after = here[x + 1] as number;
      } else if (bin === 1) {
        before = above[x - 1] as number;
        after = below[x + 1] as number;
      } else if (bin === 2) {
        before = above[x] as number;
        after = below[x] as number;
      } else {
        before = above[x + 1] as number;
        after = below[x - 1] as number;
      }
      if (m < before || m <= after) continue;
      if (inside && !insideRegion(inside, x + rx0, row + ry0)) continue;
      edges.push(rowIndex + x, bin);
    }
  }
  return { pixels: edges.pixels.subarray(0, edges.count), bins: edges.bins.subarray(0, edges.count) };
}

/**
 * The re-blur ratio at every `stride`-th candidate: each edge's own sigma, filed by orientation
 * bin into `sigmas` (`counts` per bin). Returns the number of edges measured.
 */
function edgeSigmas(
  image: GreyImage,
  map: EdgeMap,
  stride: number,
  [tapsA, tapsB]: readonly [GradientTaps, GradientTaps],
  [s1, s2]: readonly [number, number],
  sigmas: Float32Array[],
  counts: number[],
): number {
  const { pixels, minStep } = map;
  const width = image.width;
  const gradient = new Float64Array(2);
  let edges = 0;
  for (let c = 0; c < pixels.length; c += stride) {
    const i = pixels[c] as number;
    const x = (i % width) | 0;
    const y = ((i - x) / width) | 0;
    gradientAt(image, x, y, tapsA, gradient);
    const ax = gradient[0] as number;
    const ay = gradient[1] as number;
    const ga = Math.sqrt(ax * ax + ay * ay);
    gradientAt(image, x, y, tapsB, gradient);
    const bx = gradient[0] as number;
    const by = gradient[1] as number;
    const gb = Math.sqrt(bx * bx + by * by);
    const r2 = gb > 0 ? (ga / gb) ** 2 : Infinity;
    // R <= 1 is not a blurred step (a thin line's flank, a JPEG block corner): no estimate.
    if (!(r2 > 1.0001)) continue;
    const sigma = Math.min(MAX_SIGMA, Math.sqrt(Math.max(0, (s2 - r2 * s1) / (r2 - 1))));
    // The step height implied by the peak gradient and the edge's total width.
    const step = ga * Math.sqrt(2 * Math.PI) * Math.sqrt(sigma * sigma + s1);
    if (step < minStep) continue;
    const bin = map.bins[c] as number;
    (sigmas[bin] as Float32Array)[counts[bin] as number] = sigma;
    counts[bin] = (counts[bin] as number) + 1;
    edges += 1;
  }
  return edges;
}

/** Measures each candidate edge's own sigma by the re-blur gradient ratio and summarises per orientation. */
function measureEdges(image: GreyImage, map: EdgeMap, options: BlurOptions): BlurEstimate {
  const { noise, pixels } = map;
  const w = map.region.x1 - map.region.x0;
  const h = map.region.y1 - map.region.y0;
  if (w < 16 || h < 16) return { sigma: MAX_SIGMA, noise, edges: 0 };
  const maxEdges = options.maxEdges ?? 4000;
  const stride = Math.max(1, Math.floor(pixels.length / maxEdges));
  const [first, second] = options.scales ?? [SMOOTH_SIGMA, REBLUR_SIGMA];
  const tapsA = gradientTaps(first);
  const tapsB = gradientTaps(second);
  const s1 = first * first;
  const s2 = second * second;
  const sigmas = [0, 1, 2, 3].map(() => new Float32Array(Math.ceil(pixels.length / stride) + 1));
  const counts = [0, 0, 0, 0];
  const edges = edgeSigmas(image, map, stride, [tapsA, tapsB], [s1, s2], sigmas, counts);
  if (edges < 40) return { sigma: MAX_SIGMA, noise, edges };
  const p = options.percentile ?? 0.5;
  const bins = counts.map((count, bin) => ({
    count,
    sigma: count > 0 ? percentileOf(sigmas[bin] as Float32Array, count, p) : 0,
  }));
  // A bin with few edges says little; it counts when it holds a tenth of them (and at least 20).
  const usable = bins.filter((bin) => bin.count >= Math.max(20, edges * 0.1));
  const all = new Float32Array(edges);
  let k = 0;
  for (let bin = 0; bin < 4; bin++)
    for (let j = 0; j < (counts[bin] as number); j++) all[k++] = (sigmas[bin] as Float32Array)[j] as number;
  const sigma = usable.length > 0 ? Math.max(...usable.map((bin) => bin.sigma)) : percentileOf(all, edges, p);
  return { sigma, noise, edges, bins };
}

/**
 * Estimates the blur of the strong edges in `box` (default: the whole image).
 *
 * @example
 * ```ts
 * const { sigma, noise, edges } = estimateBlur(grey, documentBox, { inside: documentRect });
 * const sigmaMm = (sigma / scale) * (85.6 / cardWidthPixels);
 * ```
 */
export function estimateBlur(image: GreyImage, box?: Box, options: BlurOptions = {}): BlurEstimate {
  const region = regionFor(image, box, options.scales?.[1] ?? REBLUR_SIGMA);
  return measureEdges(image, findEdges(image, region, options), options);
}

const sameBox = (a: Box, b: Box): boolean => a.x0 === b.x0 && a.y0 === b.y0 && a.x1 === b.x1 && a.y1 === b.y1;

/**
 * `estimateBlur` with re-blur scales matched to the blur found: when the edges are wide
 * compared with the scales, the gradient ratio flattens towards 1 and thin strokes pull it
 * down, so the measure is repeated with the scales doubled (up to `rounds` times) while the
 * reading exceeds `widenAbove` times the first scale and grows (the larger reading wins: it is
 * the one in its range). Doubling too early has its own bias: once the second scale reaches the
 * width of thin text strokes, each stroke's other flank lowers the wider gradient, so the ratio
 * reads no blur in some orientations and a noisy bin is left to decide. The candidate edges and
 * the noise are found once and reused whenever a round measures the same region, so a round
 * costs only its per-edge gradients; the figures are those of calling `estimateBlur` per round.
 *
 * @example
 * ```ts
 * const { sigma, scales } = estimateBlurAcrossScales(grey, box, { scales: [0.5, 1], percentile: 0.5 }, 3);
 * ```
 */
export function estimateBlurAcrossScales(
  image: GreyImage,
  box: Box | undefined,
  options: BlurOptions & { readonly scales: readonly [number, number] },
  rounds: number,
): BlurEstimate & { readonly scales: readonly [number, number] } {
  let map: EdgeMap | undefined;
  const measure = (scales: readonly [number, number]): BlurEstimate => {
    const region = regionFor(image, box, scales[1]);
    if (!map || !sameBox(map.region, region)) map = findEdges(image, region, options);
    return measureEdges(image, map, { ...options, scales });
  };
  let scales = options.scales;
  let estimate = measure(scales);
  const widenAbove = options.widenAbove ?? 2;
  for (
    let round = 0;
    round < rounds && estimate.sigma > widenAbove * scales[0] && estimate.sigma < MAX_SIGMA;
    round++
  ) {
    const wider: readonly [number, number] = [scales[0] * 2, scales[1] * 2];
    const next = measure(wider);
    if (next.edges < 40 || next.sigma <= estimate.sigma) break;
    scales = wider;
    estimate = next;
  }
  return { ...estimate, scales };
}
