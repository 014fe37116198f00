/**
 * The redacted thumbnail support may see of a document (PRODUCT §5): located faces blurred,
 * text lines and the MRZ band masked (`domain/redaction.ts` decides where), scaled to at most
 * `maxSidePixels`, then checked again by the same detectors, and pixelated as a whole when
 * anything is still found or a detector fails. Marks (visible and invisible) are added by the
 * caller with `renderMarkedCopy`, after the check, so the visible mark is not mistaken for text.
 *
 *   original -> oriented working copy (1600 px) -> detect faces + text -> plan -> blur + mask
 *            -> thumbnail (<= 320 px) -> detect again (x2 upscale) -> clean? keep : whole image
 *            -> centred on a 320 x 320 canvas (room for two periods of the invisible watermark)
 *
 * @example
 * ```ts
 * const thumbnail = await redactedThumbnail(original, { slot: 'document_front', documentType: 'passport' },
 *   { faces: faceDetector, text: textDetector });
 * thumbnail.plan.wholeImage; // true when a region could not be located
 * ```
 */
import sharp, { type OverlayOptions } from 'sharp';
import { redactionPlan, thumbnailIsClean, wholeImagePlan, type Box, type RedactionPlan } from '../domain/redaction.ts';
import type { DocumentType, Slot } from '../domain/verification.ts';
import type { FaceDetector } from '../ports/face-detector.ts';
import type { TextDetector } from '../ports/text-detector.ts';
import { RenditionError } from './render.ts';

/** Longest side of a support thumbnail (PRODUCT §5: at most a thumbnail). */
export const THUMBNAIL_MAX_SIDE = 320;
/** Longest side of the copy the detectors read and the masks are drawn on. */
export const WORKING_SIDE = 1200;
/** Upscale of the thumbnail for the second check, so small text is read if it can be read at all. */
const CHECK_UPSCALE = 2;
/** Background of the square canvas the thumbnail is centred on (a dark, plain surface). */
const CANVAS_FILL = '#2b2b30';
/** Fill of masked regions: a neutral grey, plainly a redaction. */
const MASK_FILL = '#6e6e6e';

export interface ThumbnailDetectors {
  readonly faces: FaceDetector;
  readonly text: TextDetector;
}

export interface RedactedThumbnail {
  /** PNG, unmarked. */
  readonly image: Buffer;
  readonly width: number;
  readonly height: number;
  readonly plan: RedactionPlan;
}

export interface ThumbnailOptions {
  readonly maxSidePixels?: number;
  /** Decoding refuses bigger images (pixel bombs): 50 MP. */
  readonly limitInputPixels?: number;
}

interface Working {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

export async function redactedThumbnail(
  original: Buffer,
  document: { readonly slot: Slot; readonly documentType: DocumentType },
  detectors: ThumbnailDetectors,
  options: ThumbnailOptions = {},
): Promise<RedactedThumbnail> {
  const maxSide = Math.min(options.maxSidePixels ?? THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE);
  let working: Working;
  try {
    const { data, info } = await sharp(original, { limitInputPixels: options.limitInputPixels ?? 50_000_000 })
      .rotate()
      .resize({ width: WORKING_SIDE, height: WORKING_SIDE, fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .jpeg({ quality: 92 })
      .toBuffer({ resolveWithObject: true });
    working = { data, width: info.width, height: info.height };
  } catch (error) {
    throw new RenditionError('The document cannot be decoded as an image', { cause: error });
  }

  let plan: RedactionPlan;
  try {
    const [faces, lines] = await Promise.all([
      detectors.faces.detectFaces(working.data),
      detectors.text.detectLines(working.data),
    ]);
    plan = redactionPlan({ ...document, faces, lines });
  } catch {
    plan = wholeImagePlan(['detector_failed']);
  }
  let thumbnail = await applyPlan(working, plan, maxSide);
  if (!plan.wholeImage) {
    let clean = false;
    try {
      const check = await sharp(thumbnail.image)
        .resize({ width: thumbnail.width * CHECK_UPSCALE, kernel: 'lanczos3' })
        .jpeg({ quality: 92 })
        .toBuffer();
      const [faces, lines] = await Promise.all([detectors.faces.detectFaces(check), detectors.text.detectLines(check)]);
      clean = thumbnailIsClean({ faces, lines });
    } catch {
      clean = false;
    }
    if (!clean) {
      plan = wholeImagePlan([...plan.fallbacks, 'check_failed']);
      thumbnail = await applyPlan(working, plan, maxSide);
    }
  }
  // A square canvas: the invisible watermark's 128 px tile needs two periods each way to be read
  // back, which the short side of a 320 px document thumbnail (about 224 px) does not give.
  const image = await sharp(thumbnail.image)
    .resize({ width: maxSide, height: maxSide, fit: 'contain', background: CANVAS_FILL })
    .png()
    .toBuffer();
  return { image, width: maxSide, height: maxSide, plan };
}

/** Pixel rectangle of a fractional box on a `width` x `height` image (at least 1 x 1, inside it). */
export function pixelRect(box: Box, width: number, height: number) {
  const left = Math.min(width - 1, Math.max(0, Math.floor(box.left * width)));
  const top = Math.min(height - 1, Math.max(0, Math.floor(box.top * height)));
  const right = Math.min(width, Math.max(left + 1, Math.ceil((box.left + box.width) * width)));
  const bottom = Math.min(height, Math.max(top + 1, Math.ceil((box.top + box.height) * height)));
  return { left, top, width: right - left, height: bottom - top };
}

async function applyPlan(
  working: Working,
  plan: RedactionPlan,
  maxSide: number,
): Promise<{ image: Buffer; width: number; height: number }> {
  const scale = Math.min(1, maxSide / Math.max(working.width, working.height));
  const width = Math.max(1, Math.round(working.width * scale));
  const height = Math.max(1, Math.round(working.height * scale));
  if (plan.wholeImage) {
    // A mosaic of about 12 cells on the long side: shape, colours and glare stay, nothing legible.
    const cells = 12;
    const mosaic = await sharp(working.data)
      .resize({ width: Math.max(1, Math.round((cells * working.width) / Math.max(working.width, working.height))) })
      .toBuffer();
    const image = await sharp(mosaic).resize({ width, height, fit: 'fill', kernel: 'nearest' }).png().toBuffer();
    return { image, width, height };
  }
  const layers: OverlayOptions[] = [];
  for (const box of plan.blur) {
    const rect = pixelRect(box, working.width, working.height);
    const tiny = await sharp(working.data)
      .extract(rect)
      .resize({
        width: Math.max(1, Math.round(rect.width / 24)),
        height: Math.max(1, Math.round(rect.height / 24)),
        fit: 'fill',
      })
      .toBuffer();
    const input = await sharp(tiny)
      .resize({ width: rect.width, height: rect.height, fit: 'fill', kernel: 'nearest' })
      .blur(Math.max(2, rect.width / 40))
      .png()
      .toBuffer();
    layers.push({ input, left: rect.left, top: rect.top });
  }
  const rects = plan.mask.map((box) => pixelRect(box, working.width, working.height));
  if (rects.length > 0) {
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${working.width}" height="${working.height}">` +
      rects
        .map((r) => `<rect x="${r.left}" y="${r.top}" width="${r.width}" height="${r.height}" fill="${MASK_FILL}"/>`)
        .join('') +
      '</svg>';
    layers.push({ input: Buffer.from(svg), left: 0, top: 0 });
  }
  const masked = await sharp(working.data).composite(layers).png().toBuffer();
  const image = await sharp(masked).resize({ width, height, fit: 'fill' }).png().toBuffer();
  return { image, width, height };
}
