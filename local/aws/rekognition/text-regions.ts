/**
 * DetectText's `Filters.RegionsOfInterest` for the local Rekognition: up to 10 regions, each a
 * `BoundingBox` or a `Polygon` of 3-10 points, in fractions of the image. As Rekognition
 * documents it, a word is kept when more than half of it lies in one of the regions.
 * Reference: https://docs.aws.amazon.com/rekognition/latest/APIReference/API_RegionOfInterest.html
 *
 * Pure: every region becomes a polygon; the share of a word's box inside it is the area of the
 * polygon clipped to the box (Sutherland-Hodgman against the box's four edges, which is exact
 * for any simple polygon since the box is convex), over the box's area.
 */
import { invalidParameter } from './errors.ts';

/** A point in fractions of the image's width and height. */
export interface RegionPoint {
  readonly x: number;
  readonly y: number;
}

/** A region of interest as a polygon (a bounding box is its four corners). */
export type TextRegion = readonly RegionPoint[];

/** A box in fractions of the image. */
export interface FractionBox {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** Rekognition takes at most 10 regions, and at most 10 points in a polygon. */
export const MAX_REGIONS = 10;
const MAX_POLYGON_POINTS = 10;

function fraction(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1)
    throw invalidParameter(`${field} must be a number between 0 and 1`);
  return value;
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidParameter(`${field} must be an object`);
  return value as Record<string, unknown>;
}

/**
 * Reads `Filters.RegionsOfInterest` (absent or empty: no regions, the whole image).
 *
 * @example
 * regionsOfInterest([{ BoundingBox: { Left: 0, Top: 0.5, Width: 1, Height: 0.5 } }]);
 * // [[{ x: 0, y: 0.5 }, { x: 1, y: 0.5 }, { x: 1, y: 1 }, { x: 0, y: 1 }]]
 * @throws InvalidParameterException for more than 10 regions, a region with neither a box nor
 *   a polygon, a polygon of fewer than 3 or more than 10 points, or a coordinate outside 0..1
 */
export function regionsOfInterest(value: unknown): TextRegion[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidParameter('RegionsOfInterest must be a list');
  if (value.length > MAX_REGIONS) throw invalidParameter(`RegionsOfInterest takes at most ${MAX_REGIONS} regions`);
  return value.map((entry, index) => {
    const region = record(entry, `RegionsOfInterest[${index}]`);
    if (region.Polygon !== undefined && region.Polygon !== null) {
      const points = region.Polygon;
      if (!Array.isArray(points) || points.length < 3 || points.length > MAX_POLYGON_POINTS)
        throw invalidParameter(
          `RegionsOfInterest[${index}].Polygon must be a list of 3 to ${MAX_POLYGON_POINTS} points`,
        );
      return points.map((point, at) => {
        const field = `RegionsOfInterest[${index}].Polygon[${at}]`;
        const { X, Y } = record(point, field);
        return { x: fraction(X, `${field}.X`), y: fraction(Y, `${field}.Y`) };
      });
    }
    if (region.BoundingBox === undefined || region.BoundingBox === null)
      throw invalidParameter(`RegionsOfInterest[${index}] needs a BoundingBox or a Polygon`);
    const field = `RegionsOfInterest[${index}].BoundingBox`;
    const box = record(region.BoundingBox, field);
    const left = fraction(box.Left ?? 0, `${field}.Left`);
    const top = fraction(box.Top ?? 0, `${field}.Top`);
    const right = Math.min(1, left + fraction(box.Width ?? 0, `${field}.Width`));
    const bottom = Math.min(1, top + fraction(box.Height ?? 0, `${field}.Height`));
    return [
      { x: left, y: top },
      { x: right, y: top },
      { x: right, y: bottom },
      { x: left, y: bottom },
    ];
  });
}

/** The smallest box holding every point (fractions of the image). */
export function boundsOf(points: readonly RegionPoint[]): FractionBox {
  const left = Math.min(...points.map((point) => point.x));
  const top = Math.min(...points.map((point) => point.y));
  const right = Math.max(...points.map((point) => point.x));
  const bottom = Math.max(...points.map((point) => point.y));
  return { left, top, width: right - left, height: bottom - top };
}

/** A box's top left and bottom right corners. */
export const cornersOf = (box: FractionBox): RegionPoint[] => [
  { x: box.left, y: box.top },
  { x: box.left + box.width, y: box.top + box.height },
];

/**
 * The part of the image worth reading for `regions`: their bounding box grown by `margin` on
 * every side (so a word across a region's edge is read whole, then judged), within the image.
 */
export function readingArea(regions: readonly TextRegion[], margin: number): FractionBox {
  const bounds = boundsOf(regions.flat());
  return boundsOf([
    { x: Math.max(0, bounds.left - margin), y: Math.max(0, bounds.top - margin) },
    { x: Math.min(1, bounds.left + bounds.width + margin), y: Math.min(1, bounds.top + bounds.height + margin) },
  ]);
}

function area(polygon: readonly RegionPoint[]): number {
  let twice = 0;
  for (let index = 0; index < polygon.length; index += 1) {
    const a = polygon[index] as RegionPoint;
    const b = polygon[(index + 1) % polygon.length] as RegionPoint;
    twice += a.x * b.y - b.x * a.y;
  }
  return Math.abs(twice) / 2;
}

/** Keeps the part of `polygon` on the inner side of one edge of a box (`inside`, `cross`). */
function clipEdge(
  polygon: readonly RegionPoint[],
  inside: (point: RegionPoint) => boolean,
  cross: (a: RegionPoint, b: RegionPoint) => RegionPoint,
): RegionPoint[] {
  const out: RegionPoint[] = [];
  for (let index = 0; index < polygon.length; index += 1) {
    const current = polygon[index] as RegionPoint;
    const previous = polygon[(index + polygon.length - 1) % polygon.length] as RegionPoint;
    if (inside(current)) {
      if (!inside(previous)) out.push(cross(previous, current));
      out.push(current);
    } else if (inside(previous)) {
      out.push(cross(previous, current));
    }
  }
  return out;
}

/** Where segment a-b crosses the vertical line x (`alongX`) or the horizontal line y. */
function crossing(a: RegionPoint, b: RegionPoint, at: number, alongX: boolean): RegionPoint {
  if (alongX) {
    const t = (at - a.x) / (b.x - a.x);
    return { x: at, y: a.y + t * (b.y - a.y) };
  }
  const t = (at - a.y) / (b.y - a.y);
  return { x: a.x + t * (b.x - a.x), y: at };
}

/** The share (0..1) of `box` that lies inside `region`. */
export function shareInside(box: FractionBox, region: TextRegion): number {
  const boxArea = box.width * box.height;
  if (boxArea <= 0) return 0;
  const right = box.left + box.width;
  const bottom = box.top + box.height;
  // The box's four edges: the line (x or y = at) and the side of it the box lies on.
  const edges = [
    { alongX: true, at: box.left, inside: (p: RegionPoint) => p.x >= box.left },
    { alongX: true, at: right, inside: (p: RegionPoint) => p.x <= right },
    { alongX: false, at: box.top, inside: (p: RegionPoint) => p.y >= box.top },
    { alongX: false, at: bottom, inside: (p: RegionPoint) => p.y <= bottom },
  ];
  const clipped = edges.reduce<RegionPoint[]>(
    (polygon, edge) => clipEdge(polygon, edge.inside, (a, b) => crossing(a, b, edge.at, edge.alongX)),
    [...region],
  );
  return clipped.length < 3 ? 0 : Math.min(1, area(clipped) / boxArea);
}

/** Rekognition's rule: kept when more than half of the word lies in one of the regions. */
export function inAnyRegion(box: FractionBox, regions: readonly TextRegion[]): boolean {
  return regions.some((region) => shareInside(box, region) > 0.5);
}
