/**
 * Decoding for the quality gate: luma frames at a chosen integer shrink (JPEG shrink-on-load),
 * optionally cropped, with EXIF orientation applied; libjpeg and libpng warnings are errors, so
 * a damaged scan or stream never yields a half-grey picture that passes.
 */
import sharp from 'sharp';
import type { GreyImage } from './pixels.ts';

/** The first decode aims at about this long side (a 4000 px frame decodes at 1/3). */
export const FIRST_PASS_SIDE = 1280;

/** A decoded luma frame and its scale: one frame pixel is `scale` original pixels. */
export interface DecodedFrame extends GreyImage {
  readonly scale: number;
}

/** True on a little-endian machine (every platform Lambda and Node run on, checked anyway). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Luma (BT.601, integer) of a raw interleaved buffer; grey inputs are copied through. */
export function toLuma(data: Buffer, width: number, height: number, channels: number): Uint8Array {
  const out = new Uint8Array(width * height);
  // A plain Uint8Array view: element loads stay monomorphic with the other typed arrays.
  const source = new Uint8Array(data.buffer, data.byteOffset, data.length);
  if (channels < 3) {
    for (let i = 0, j = 0; i < out.length; i++, j += channels) out[i] = source[j] as number;
    return out;
  }
  const n = out.length;
  let start = 0;
  if (channels === 3 && LITTLE_ENDIAN && data.byteOffset % 4 === 0) {
    // Four RGB pixels are three 32-bit words: one load per word instead of one per byte.
    const words = new Uint32Array(data.buffer, data.byteOffset, Math.floor(data.length / 4));
    const quads = Math.floor(n / 4);
    for (let q = 0, k = 0, i = 0; q < quads; q++, k += 3, i += 4) {
      const a = words[k] as number;
      const b = words[k + 1] as number;
      const c = words[k + 2] as number;
      out[i] = ((a & 255) * 77 + ((a >>> 8) & 255) * 150 + ((a >>> 16) & 255) * 29) >> 8;
      out[i + 1] = ((a >>> 24) * 77 + (b & 255) * 150 + ((b >>> 8) & 255) * 29) >> 8;
      out[i + 2] = (((b >>> 16) & 255) * 77 + (b >>> 24) * 150 + (c & 255) * 29) >> 8;
      out[i + 3] = (((c >>> 8) & 255) * 77 + ((c >>> 16) & 255) * 150 + (c >>> 24) * 29) >> 8;
    }
    start = quads * 4;
  }
  if (start < n) lumaTail(source, channels, start, out);
  return out;
}

/**
 * `toLuma` of the pixels from `start` on, one byte at a time. Apart, so that the word loop's
 * optimised code does not give up on a tail that is usually empty.
 */
function lumaTail(source: Uint8Array, channels: number, start: number, out: Uint8Array): void {
  for (let i = start, j = start * channels; i < out.length; i++, j += channels) {
    out[i] = ((source[j] as number) * 77 + (source[j + 1] as number) * 150 + (source[j + 2] as number) * 29) >> 8;
  }
}

/**
 * The integer shrink for the first decode of a `longSide` frame. JPEG shrink-on-load decodes at
 * 1/2, 1/4 or 1/8 and sharp always leaves some of the shrink to its resize kernel, so a shrink
 * of exactly 2 would be a full decode plus a resize: it is not used for JPEG.
 */
export function firstPassShrink(longSide: number, jpeg: boolean): number {
  const shrink = Math.max(1, Math.floor(longSide / FIRST_PASS_SIDE));
  return jpeg && shrink === 2 ? 1 : shrink;
}

/**
 * Decodes `bytes` (EXIF orientation applied) at 1/`shrink`, optionally cropped (box in that scale).
 * What JPEG shrink-on-load leaves of the shrink (1/2 -> 1/3 for a 4000 px frame) is taken by
 * the nearest pixel, not a linear reduce: 10-12 ms less on the 12 MP frame, and no extra blur, so
 * sharp and blurred documents read further apart (held-out sweep: sharp <= 0.075 mm vs blurry
 * >= 0.097 mm, against 0.074 vs 0.093 with the linear reduce).
 */
export async function decodeLuma(
  bytes: Buffer,
  size: { readonly width: number; readonly height: number },
  shrink: number,
  maxPixels: number,
  crop?: { readonly left: number; readonly top: number; readonly width: number; readonly height: number },
): Promise<DecodedFrame> {
  let pipeline = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'warning' }).rotate();
  const width = Math.max(1, Math.round(size.width / shrink));
  const height = Math.max(1, Math.round(size.height / shrink));
  if (shrink > 1) pipeline = pipeline.resize(width, height, { fit: 'fill', kernel: 'nearest' });
  if (crop) pipeline = pipeline.extract(crop);
  const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return {
    data: toLuma(data, info.width, info.height, info.channels),
    width: info.width,
    height: info.height,
    scale: size.width / width,
  };
}

/**
 * Box-average downsampling by an integer factor (the analysis frame from the first decode); by
 * 4 as two halvings (each rounded).
 */
export function downsample(image: GreyImage, factor: number): GreyImage {
  if (factor <= 1) return image;
  if (factor === 2) return halve(image);
  if (factor === 4) return quarter(image);
  const width = Math.floor(image.width / factor);
  const height = Math.floor(image.height / factor);
  const data = new Uint8Array(width * height);
  const sums = new Uint32Array(width);
  const area = factor * factor;
  for (let y = 0; y < height; y++) {
    sums.fill(0);
    for (let dy = 0; dy < factor; dy++) {
      const row = (y * factor + dy) * image.width;
      for (let x = 0, sx = 0; x < width; x++) {
        let sum = 0;
        for (let dx = 0; dx < factor; dx++, sx++) sum += image.data[row + sx] as number;
        sums[x] = (sums[x] as number) + sum;
      }
    }
    for (let x = 0; x < width; x++) data[y * width + x] = Math.round((sums[x] as number) / area);
  }
  return { data, width, height };
}

/**
 * `downsample` by 4, equal to halving twice (each 2x2 mean rounded, then the mean of four of
 * those rounded) but in one pass over the source, without the half-size frame in between.
 */
function quarter(image: GreyImage): GreyImage {
  const width = Math.floor(image.width / 4);
  const height = Math.floor(image.height / 4);
  const data = new Uint8Array(width * height);
  const source = image.data;
  const stride = image.width;
  for (let y = 0; y < height; y++) {
    const top = 4 * y * stride;
    const bottom = top + 2 * stride;
    const row = y * width;
    for (let x = 0, c = 0; x < width; x++, c += 4) {
      data[row + x] =
        (block(source, top + c, stride) +
          block(source, top + c + 2, stride) +
          block(source, bottom + c, stride) +
          block(source, bottom + c + 2, stride) +
          2) >>
        2;
    }
  }
  return { data, width, height };
}

/** The rounded mean of the 2x2 block whose top-left pixel is `source[i]` (rows `stride` apart). */
function block(source: Uint8Array, i: number, stride: number): number {
  return (
    ((source[i] as number) +
      (source[i + 1] as number) +
      (source[i + stride] as number) +
      (source[i + stride + 1] as number) +
      2) >>
    2
  );
}

/** `downsample` by 2: each output pixel is the rounded mean of a 2x2 block. */
function halve(image: GreyImage): GreyImage {
  const width = Math.floor(image.width / 2);
  const height = Math.floor(image.height / 2);
  const data = new Uint8Array(width * height);
  const source = image.data;
  for (let y = 0; y < height; y++) {
    let top = 2 * y * image.width;
    let bottom = top + image.width;
    const row = y * width;
    for (let x = 0; x < width; x++, top += 2, bottom += 2) {
      const sum =
        (source[top] as number) +
        (source[top + 1] as number) +
        (source[bottom] as number) +
        (source[bottom + 1] as number);
      // Math.round(sum / 4): halves round up.
      data[row + x] = (sum + 2) >> 2;
    }
  }
  return { data, width, height };
}
