/**
 * Turns engine faces into Rekognition `FaceDetail` / `ComparedFace` shapes.
 *
 * Quality is estimated here from the face crop (one greyscale decode per image):
 * Brightness = mean luminance 0..100; Sharpness = 100·(1 − e^(−var(Laplacian)/100)), a
 * monotone stand-in for Rekognition's undocumented scale. Landmarks, age, emotions and
 * similar attributes are not estimated and therefore left out.
 */
import { createHash } from 'node:crypto';
import { RecentlyUsed } from '../../../lambdas/domain/recently-used.ts';
import sharp from 'sharp';
import type { EngineFace } from './face-engine-port.ts';

/** Rekognition bounding box (fractions). */
export interface BoundingBox {
  Width: number;
  Height: number;
  Left: number;
  Top: number;
}

/** Which optional attributes a request asked for. */
export interface AttributeSelection {
  all: boolean;
  names: ReadonlySet<string>;
}

const KNOWN_ATTRIBUTES = new Set([
  'DEFAULT',
  'ALL',
  'AGE_RANGE',
  'BEARD',
  'EMOTIONS',
  'EYE_DIRECTION',
  'EYEGLASSES',
  'EYES_OPEN',
  'GENDER',
  'MOUTH_OPEN',
  'MUSTACHE',
  'FACE_OCCLUDED',
  'SMILE',
  'SUNGLASSES',
]);

/** Parses `Attributes` / `DetectionAttributes`; unknown values are InvalidParameterException. */
export function attributeSelection(value: unknown, fail: (message: string) => Error): AttributeSelection {
  if (value === undefined || value === null) return { all: false, names: new Set() };
  if (!Array.isArray(value) || value.some((name) => typeof name !== 'string' || !KNOWN_ATTRIBUTES.has(name))) {
    throw fail(`Attributes must be a list of ${[...KNOWN_ATTRIBUTES].join(', ')}`);
  }
  const names = new Set(value as string[]);
  return { all: names.has('ALL'), names };
}

const round = (value: number, digits = 4): number => Number(value.toFixed(digits));
const clamp01 = (value: number): number => Math.min(1, Math.max(0, value));
const percent = (value: number): number => round(clamp01(value) * 100, 3);

export function boundingBox(face: EngineFace): BoundingBox {
  const left = clamp01(face.box.left);
  const top = clamp01(face.box.top);
  return {
    Width: round(Math.min(face.box.width, 1 - left)),
    Height: round(Math.min(face.box.height, 1 - top)),
    Left: round(left),
    Top: round(top),
  };
}

/** The face with the largest box (Rekognition's choice for SearchFacesByImage and the like). */
export function largestFace<T extends EngineFace>(faces: readonly T[]): T | undefined {
  return [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0];
}

/** A greyscale copy of the image for quality estimates. */
export interface GreyImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** Decodes the image once to greyscale, at most 1024 px wide. */
export async function greyImage(bytes: Uint8Array): Promise<GreyImage | undefined> {
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: 100_000_000 })
      .rotate()
      .greyscale()
      .resize({ width: 1024, withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      width: info.width,
      height: info.height,
      pixels: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
  } catch {
    return undefined;
  }
}

/**
 * Grey copies of recently seen images, by content (SHA-256): the pipeline asks about one upload
 * several times per case (the quality gate's DetectFaces, then CompareFaces as the face match's
 * and the liveness binding's target), and each decode costs about 40 ms of CPU. Least recently
 * used first out.
 *
 * @example
 * ```ts
 * const greys = new GreyImageMemory(16);
 * const grey = await greys.of(bytes);
 * ```
 */
export class GreyImageMemory {
  private readonly images: RecentlyUsed<string, Promise<GreyImage | undefined>>;

  public constructor(capacity: number) {
    this.images = new RecentlyUsed(capacity);
  }

  public of(bytes: Uint8Array): Promise<GreyImage | undefined> {
    const digest = createHash('sha256').update(bytes).digest('hex');
    const grey = this.images.get(digest) ?? greyImage(bytes);
    this.images.set(digest, grey);
    return grey;
  }

  /** Images remembered (for tests). */
  public get size(): number {
    return this.images.size;
  }
}

/** Brightness and sharpness (0..100) of the face region. */
export function faceQuality(
  image: GreyImage | undefined,
  face: EngineFace,
): { Brightness: number; Sharpness: number } | undefined {
  if (!image) return undefined;
  const x0 = Math.max(0, Math.floor(face.box.left * image.width));
  const y0 = Math.max(0, Math.floor(face.box.top * image.height));
  const x1 = Math.min(image.width, Math.ceil((face.box.left + face.box.width) * image.width));
  const y1 = Math.min(image.height, Math.ceil((face.box.top + face.box.height) * image.height));
  if (x1 - x0 < 3 || y1 - y0 < 3) return undefined;
  let sum = 0;
  let count = 0;
  let lapSum = 0;
  let lapSquares = 0;
  let lapCount = 0;
  for (let y = y0; y < y1; y += 1) {
    for (let x = x0; x < x1; x += 1) {
      const at = y * image.width + x;
      const value = image.pixels[at] ?? 0;
      sum += value;
      count += 1;
      if (x > x0 && x < x1 - 1 && y > y0 && y < y1 - 1) {
        const laplacian =
          (image.pixels[at - 1] ?? 0) +
          (image.pixels[at + 1] ?? 0) +
          (image.pixels[at - image.width] ?? 0) +
          (image.pixels[at + image.width] ?? 0) -
          4 * value;
        lapSum += laplacian;
        lapSquares += laplacian * laplacian;
        lapCount += 1;
      }
    }
  }
  const variance = lapCount > 0 ? lapSquares / lapCount - (lapSum / lapCount) ** 2 : 0;
  return {
    Brightness: round((sum / count / 255) * 100, 3),
    Sharpness: round(100 * (1 - Math.exp(-variance / 100)), 3),
  };
}

const score = (value: boolean | number | undefined): number | undefined =>
  value === undefined ? undefined : typeof value === 'boolean' ? (value ? 1 : 0) : clamp01(value);

function flag(value: number): { Value: boolean; Confidence: number } {
  return { Value: value >= 0.5, Confidence: percent(value >= 0.5 ? value : 1 - value) };
}

function pose(face: EngineFace): { Roll: number; Yaw: number; Pitch: number } | undefined {
  if (!face.pose) return undefined;
  return {
    Roll: round(face.pose.roll ?? 0, 3),
    Yaw: round(face.pose.yaw ?? 0, 3),
    Pitch: round(face.pose.pitch ?? 0, 3),
  };
}

/** A `FaceDetail` with the requested attributes (those the engine can estimate). */
export function faceDetail(
  face: EngineFace,
  image: GreyImage | undefined,
  attributes: AttributeSelection,
): Record<string, unknown> {
  const wants = (name: string): boolean => attributes.all || attributes.names.has(name);
  const detail: Record<string, unknown> = { BoundingBox: boundingBox(face), Confidence: percent(face.confidence) };
  const facePose = pose(face);
  if (facePose) detail.Pose = facePose;
  const quality = faceQuality(image, face);
  if (quality) detail.Quality = quality;
  const sunglasses = score(face.occlusion?.sunglasses);
  if (wants('SUNGLASSES') && sunglasses !== undefined) detail.Sunglasses = flag(sunglasses);
  const mask = score(face.occlusion?.mask);
  if (wants('FACE_OCCLUDED') && (mask !== undefined || sunglasses !== undefined)) {
    detail.FaceOccluded = flag(Math.max(mask ?? 0, sunglasses ?? 0));
  }
  if (wants('EYES_OPEN') && face.eyesOpen !== undefined) detail.EyesOpen = flag(face.eyesOpen);
  return detail;
}

/** A `ComparedFace` (CompareFaces, SearchUsersByImage). */
export function comparedFace(face: EngineFace, image: GreyImage | undefined): Record<string, unknown> {
  return faceDetail(face, image, { all: false, names: new Set() });
}
