/**
 * Pure image maths for the quality gate on a greyscale buffer (one byte per pixel, row-major).
 * No I/O and no sharp: everything here is unit-tested on synthetic arrays.
 */

/** A greyscale image: `data[y * width + x]` is the luminance 0-255. */
export interface GreyImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Axis-aligned rectangle in pixels, `x1`/`y1` exclusive. */
export interface Box {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

/**
 * Variance of the 4-neighbour Laplacian over `box` (default: the whole image, minus a 1 px
 * border). The classic focus measure (Pech-Pacheco et al., 2000): sharp edges give large second
 * derivatives, blur flattens them.
 *
 * @example
 * ```ts
 * laplacianVariance({ data: new Uint8Array(100).fill(128), width: 10, height: 10 }); // 0
 * ```
 */
export function laplacianVariance(image: GreyImage, box?: Box): number {
  const { data, width, height } = image;
  const x0 = Math.max(1, box?.x0 ?? 1);
  const y0 = Math.max(1, box?.y0 ?? 1);
  const x1 = Math.min(width - 1, box?.x1 ?? width - 1);
  const y1 = Math.min(height - 1, box?.y1 ?? height - 1);
  let sum = 0;
  let sumSquares = 0;
  let count = 0;
  for (let y = y0; y < y1; y++) {
    const row = y * width;
    for (let x = x0; x < x1; x++) {
      const i = row + x;
      const value =
        (data[i - 1] as number) +
        (data[i + 1] as number) +
        (data[i - width] as number) +
        (data[i + width] as number) -
        4 * (data[i] as number);
      sum += value;
      sumSquares += value * value;
      count += 1;
    }
  }
  if (count === 0) return 0;
  const mean = sum / count;
  return sumSquares / count - mean * mean;
}

/** 256-bin luminance histogram of the whole image. */
export function histogram(data: Uint8Array): Uint32Array {
  const bins = new Uint32Array(256);
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const value = data[i] as number;
    bins[value] = (bins[value] as number) + 1;
  }
  return bins;
}

/**
 * Otsu's threshold (Otsu, 1979): the level that maximises the between-class variance of the
 * histogram. Pixels `> threshold` form the bright class.
 *
 * @example
 * ```ts
 * otsuThreshold(histogram(Uint8Array.from([10, 10, 200, 200]))); // 10 (anything in 10..199 splits them)
 * ```
 */
export function otsuThreshold(bins: Uint32Array): number {
  let total = 0;
  let weightedTotal = 0;
  for (let level = 0; level < 256; level++) {
    total += bins[level] as number;
    weightedTotal += level * (bins[level] as number);
  }
  let backgroundWeight = 0;
  let backgroundSum = 0;
  let best = 0;
  let bestVariance = -1;
  for (let level = 0; level < 256; level++) {
    backgroundWeight += bins[level] as number;
    if (backgroundWeight === 0) continue;
    const foregroundWeight = total - backgroundWeight;
    if (foregroundWeight === 0) break;
    backgroundSum += level * (bins[level] as number);
    const meanBackground = backgroundSum / backgroundWeight;
    const meanForeground = (weightedTotal - backgroundSum) / foregroundWeight;
    const variance = backgroundWeight * foregroundWeight * (meanBackground - meanForeground) ** 2;
    if (variance > bestVariance) {
      bestVariance = variance;
      best = level;
    }
  }
  return best;
}

export interface Component {
  /** Pixel count. */
  readonly area: number;
  readonly bounds: Box;
  /** Leftmost and rightmost pixel of each row: enough to compute the convex hull. */
  readonly extremes: Point[];
  /** True when the component touches the image border. */
  readonly touchesBorder: boolean;
  /** Label of the component in `labels` (1-based). */
  readonly label: number;
}

export interface Components {
  /** Label per pixel: 0 = not in the mask, else the component's 1-based label. */
  readonly labels: Int32Array;
  readonly components: Component[];
}

/**
 * 4-connected components of `mask` (non-zero = set) with an explicit stack (no recursion, so a
 * 1-megapixel blob cannot overflow). Components smaller than `minArea` are dropped from the list
 * (their pixels keep their label).
 */
export function connectedComponents(mask: Uint8Array, width: number, height: number, minArea = 1): Components {
  const labels = new Int32Array(width * height);
  const components: Component[] = [];
  const stack = new Int32Array(width * height);
  // Leftmost and rightmost pixel per row of the component being filled; a row's entry is valid
  // when its stamp is the component's label (no per-component allocation).
  const rowMin = new Int32Array(height);
  const rowMax = new Int32Array(height);
  const rowStamp = new Int32Array(height);
  let next = 0;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    next += 1;
    let top = 0;
    stack[top++] = start;
    labels[start] = next;
    let area = 0;
    let x0 = width;
    let y0 = height;
    let x1 = 0;
    let y1 = 0;
    while (top > 0) {
      const index = stack[--top] as number;
      const y = (index / width) | 0;
      const x = index - y * width;
      area += 1;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (rowStamp[y] !== next) {
        rowStamp[y] = next;
        rowMin[y] = x;
        rowMax[y] = x;
      } else if (x < (rowMin[y] as number)) rowMin[y] = x;
      else if (x > (rowMax[y] as number)) rowMax[y] = x;
      if (x > 0 && mask[index - 1] && !labels[index - 1]) {
        labels[index - 1] = next;
        stack[top++] = index - 1;
      }
      if (x < width - 1 && mask[index + 1] && !labels[index + 1]) {
        labels[index + 1] = next;
        stack[top++] = index + 1;
      }
      if (y > 0 && mask[index - width] && !labels[index - width]) {
        labels[index - width] = next;
        stack[top++] = index - width;
      }
      if (y < height - 1 && mask[index + width] && !labels[index + width]) {
        labels[index + width] = next;
        stack[top++] = index + width;
      }
    }
    if (area < minArea) continue;
    const extremes: Point[] = [];
    for (let y = y0; y <= y1; y++) {
      if (rowStamp[y] !== next) continue;
      const x = rowMin[y] as number;
      const right = (rowMax[y] as number) + 1;
      extremes.push({ x, y }, { x: right, y }, { x, y: y + 1 }, { x: right, y: y + 1 });
    }
    components.push({
      area,
      bounds: { x0, y0, x1: x1 + 1, y1: y1 + 1 },
      extremes,
      touchesBorder: x0 === 0 || y0 === 0 || x1 === width - 1 || y1 === height - 1,
      label: next,
    });
  }
  return { labels, components };
}

/** Convex hull by Andrew's monotone chain, counter-clockwise in image coordinates, no duplicates. */
export function convexHull(points: readonly Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  if (sorted.length < 3) return sorted;
  const cross = (o: Point, a: Point, b: Point): number => (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
  const lower: Point[] = [];
  for (const point of sorted) {
    while (lower.length >= 2 && cross(lower[lower.length - 2] as Point, lower[lower.length - 1] as Point, point) <= 0)
      lower.pop();
    lower.push(point);
  }
  const upper: Point[] = [];
  for (let i = sorted.length - 1; i >= 0; i--) {
    const point = sorted[i] as Point;
    while (upper.length >= 2 && cross(upper[upper.length - 2] as Point, upper[upper.length - 1] as Point, point) <= 0)
      upper.pop();
    upper.push(point);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}

export interface RotatedRect {
  /** Corners in order around the rectangle. */
  readonly corners: [Point, Point, Point, Point];
  readonly area: number;
  /** Length of the long and short sides. */
  readonly long: number;
  readonly short: number;
  /** Angle of the long side against the horizontal, degrees in (-90, 90]. */
  readonly angleDegrees: number;
}

/**
 * Minimum-area enclosing rectangle of a convex hull by rotating calipers (Freeman & Shapira,
 * 1975): the optimal rectangle has one side collinear with a hull edge, so testing each edge
 * direction is exact.
 */
export function minAreaRect(hull: readonly Point[]): RotatedRect | undefined {
  if (hull.length < 3) return undefined;
  let best: RotatedRect | undefined;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i] as Point;
    const b = hull[(i + 1) % hull.length] as Point;
    const length = Math.hypot(b.x - a.x, b.y - a.y);
    if (length === 0) continue;
    const ux = (b.x - a.x) / length;
    const uy = (b.y - a.y) / length;
    let minU = Infinity;
    let maxU = -Infinity;
    let minV = Infinity;
    let maxV = -Infinity;
    for (const p of hull) {
      const u = p.x * ux + p.y * uy;
      const v = -p.x * uy + p.y * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (best && area >= best.area) continue;
    const corner = (u: number, v: number): Point => ({ x: u * ux - v * uy, y: u * uy + v * ux });
    const width = maxU - minU;
    const height = maxV - minV;
    // Direction of the long side: u when width >= height, else v (perpendicular).
    const angle = width >= height ? Math.atan2(uy, ux) : Math.atan2(ux, -uy);
    best = {
      corners: [corner(minU, minV), corner(maxU, minV), corner(maxU, maxV), corner(minU, maxV)],
      area,
      long: Math.max(width, height),
      short: Math.min(width, height),
      angleDegrees: normaliseAngle((angle * 180) / Math.PI),
    };
  }
  return best;
}

/** Maps an angle in degrees to (-90, 90] (a line's direction, not a vector's). */
export function normaliseAngle(degrees: number): number {
  let angle = degrees % 180;
  if (angle <= -90) angle += 180;
  if (angle > 90) angle -= 180;
  return angle;
}

/**
 * Tilt of a rectangle against the frame axes, in degrees 0..45: the long side's angle mod 90
 * folded to its distance from the nearest axis (a card held in portrait is not tilted).
 */
export function tiltFromAxes(angleDegrees: number): number {
  const folded = ((angleDegrees % 90) + 90) % 90;
  return Math.min(folded, 90 - folded);
}

/** Smallest distance from any corner to the frame edge, as a fraction of the frame's shorter side (negative when outside). */
export function cornerMargin(corners: readonly Point[], width: number, height: number): number {
  let min = Infinity;
  for (const { x, y } of corners) min = Math.min(min, x, y, width - x, height - y);
  return min / Math.min(width, height);
}

/** Mean luminance of the pixels in `box`, optionally only where `labels` equals `label`. */
export function meanLuminance(image: GreyImage, box?: Box, labels?: Int32Array, label?: number): number {
  const { data, width, height } = image;
  const x0 = box?.x0 ?? 0;
  const y0 = box?.y0 ?? 0;
  const x1 = box?.x1 ?? width;
  const y1 = box?.y1 ?? height;
  let sum = 0;
  let count = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = y * width + x;
      if (labels && labels[i] !== label) continue;
      sum += data[i] as number;
      count += 1;
    }
  }
  return count === 0 ? 0 : sum / count;
}
