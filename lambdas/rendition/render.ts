/**
 * Renders the copy of a vault original that leaves the vault (PRODUCT §5): EXIF-rotated,
 * scaled to at most `maxSidePixels`, a visible tiled mark (viewer, time, access id) across the
 * whole image, then the invisible watermark carrying the access id. The original is only read.
 *
 * @example
 * ```ts
 * const { image } = await renderMarkedCopy(original, { viewer: 'alice', at, accessId }, watermarker, {
 *   maxSidePixels: 2400,
 * });
 * ```
 */
import sharp, { type OutputInfo } from 'sharp';
import type { Watermarker } from '../ports/evidence-access.ts';
import { GLYPH_HEIGHT, pixelTextPath, pixelTextWidth } from './pixel-font.ts';

export interface VisibleMark {
  /** Who the copy was made for (user id). */
  readonly viewer: string;
  /** ISO time of the access. */
  readonly at: string;
  readonly accessId: string;
  /** What the copy is for, e.g. `VIEW` or `EXPORT <id>`. */
  readonly label?: string;
}

export interface RenderOptions {
  /** Longest side of the copy in pixels. */
  readonly maxSidePixels: number;
  /** Decoding refuses bigger images (pixel bombs): 50 MP. */
  readonly limitInputPixels?: number;
}

/** The image cannot be decoded (corrupt, or not an image: e.g. a PDF proof of address). */
export class RenditionError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RenditionError';
  }
}

/** The rendition as it leaves: JPEG with both marks, its PSNR against the visibly marked copy. */
export interface MarkedCopy {
  readonly image: Buffer;
  readonly psnrDb: number;
  readonly width: number;
  readonly height: number;
}

export async function renderMarkedCopy(
  original: Buffer,
  mark: VisibleMark,
  watermarker: Watermarker,
  options: RenderOptions,
): Promise<MarkedCopy> {
  let visible: { data: Buffer; info: OutputInfo };
  try {
    const scaled = await sharp(original, { limitInputPixels: options.limitInputPixels ?? 50_000_000 })
      .rotate()
      .resize({
        width: options.maxSidePixels,
        height: options.maxSidePixels,
        fit: 'inside',
        withoutEnlargement: true,
      })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .png()
      .toBuffer({ resolveWithObject: true });
    const { width, height } = scaled.info;
    visible = await sharp(scaled.data)
      .composite([{ input: Buffer.from(visibleMarkSvg(width, height, mark)), top: 0, left: 0 }])
      .png()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new RenditionError('The document cannot be decoded as an image', { cause: error });
  }
  const marked = await watermarker.embed(visible.data, mark.accessId, 'jpeg');
  return { image: marked.image, psnrDb: marked.psnrDb, width: visible.info.width, height: visible.info.height };
}

/**
 * An SVG the size of the image with the mark's text repeated in diagonal rows: light text with
 * a dark shadow, each about a third opaque, so it reads on light and dark areas alike and
 * cannot be cropped away without losing most of the document.
 */
export function visibleMarkSvg(width: number, height: number, mark: VisibleMark): string {
  const text = `${mark.label ?? 'VIEW'} ${mark.viewer} ${mark.at} ${mark.accessId}`.slice(0, 120);
  const scale = Math.max(2, Math.round(Math.min(width, height) / 320));
  const lineWidth = pixelTextWidth(text, scale) + 12 * scale;
  const lineGap = GLYPH_HEIGHT * scale * 5;
  const diagonal = Math.ceil(Math.hypot(width, height));
  const path = pixelTextPath(text, 0, 0, scale);
  const uses: string[] = [];
  let row = 0;
  for (let y = -diagonal / 2; y < diagonal / 2; y += lineGap, row += 1) {
    const offset = (row % 2) * (lineWidth / 2);
    for (let x = -diagonal / 2 - offset; x < diagonal / 2; x += lineWidth) {
      uses.push(`<use href="#m" x="${Math.round(x)}" y="${Math.round(y)}"/>`);
    }
  }
  const shadow = Math.max(1, Math.round(scale / 2));
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}">` +
    `<defs><g id="m"><path d="${path}" transform="translate(${shadow} ${shadow})" fill="#000" fill-opacity="0.28"/>` +
    `<path d="${path}" fill="#fff" fill-opacity="0.38"/></g></defs>` +
    `<g transform="translate(${width / 2} ${height / 2}) rotate(-30)">${uses.join('')}</g></svg>`
  );
}
