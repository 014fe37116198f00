/**
 * DetectText with tesseract.js, fully offline: the English model comes from the
 * `@tesseract.js-data/eng` package (`langPath` and `cachePath` point into it, `cacheMethod:
 * 'none'` so nothing is written or downloaded). One worker is created lazily and reused.
 */
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { createWorker, type Worker } from 'tesseract.js';
import { invalidImageFormat } from './errors.ts';
import { boundsOf, cornersOf, inAnyRegion, readingArea, type FractionBox, type TextRegion } from './text-regions.ts';

/** One Rekognition `TextDetection`. */
export interface TextDetection {
  DetectedText: string;
  Type: 'LINE' | 'WORD';
  Id: number;
  ParentId?: number;
  Confidence: number;
  Geometry: {
    BoundingBox: { Width: number; Height: number; Left: number; Top: number };
    Polygon: { X: number; Y: number }[];
  };
}

/** Rekognition returns at most 100 words per image. */
const MAX_WORDS = 100;

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * A box of the read image (pixels of `size`) as fractions of the whole image, the read image
 * being `area` of it.
 */
function toImage(box: Box, size: { width: number; height: number }, area: FractionBox): FractionBox {
  const left = area.left + (box.x0 / size.width) * area.width;
  const top = area.top + (box.y0 / size.height) * area.height;
  const right = area.left + (box.x1 / size.width) * area.width;
  const bottom = area.top + (box.y1 / size.height) * area.height;
  return { left, top, width: right - left, height: bottom - top };
}

function geometry(box: FractionBox): TextDetection['Geometry'] {
  const r = (value: number): number => Number(value.toFixed(5));
  const right = box.left + box.width;
  const bottom = box.top + box.height;
  return {
    BoundingBox: { Width: r(box.width), Height: r(box.height), Left: r(box.left), Top: r(box.top) },
    Polygon: [
      { X: r(box.left), Y: r(box.top) },
      { X: r(right), Y: r(box.top) },
      { X: r(right), Y: r(bottom) },
      { X: r(box.left), Y: r(bottom) },
    ],
  };
}

/**
 * What is read around the regions of interest, as a fraction of the image on each side: a word
 * across a region's edge is read whole, then kept or not by the share of it inside.
 */
const REGION_MARGIN = 0.05;

/** Options of one detection. */
export interface TextDetectOptions {
  /** Words below this confidence (0-100) are left out (`Filters.WordFilter.MinConfidence`). */
  readonly minWordConfidence?: number;
  /** Only words more than half inside one of these are kept (`Filters.RegionsOfInterest`); none: the whole image. */
  readonly regions?: readonly TextRegion[];
}

/** A lazily started, shared tesseract worker. */
export class TextDetector {
  private worker: Promise<Worker> | undefined;

  private start(): Promise<Worker> {
    if (!this.worker) {
      const require = createRequire(import.meta.url);
      const { langPath } = require('@tesseract.js-data/eng') as { langPath: string };
      this.worker = createWorker('eng', 1, { langPath, cachePath: langPath, cacheMethod: 'none', gzip: true });
      this.worker.catch(() => {
        this.worker = undefined;
      });
    }
    return this.worker;
  }

  /**
   * LINE detections first, then WORD detections pointing at their line (as Rekognition orders
   * them). With regions of interest only the part of the image around them is read (tesseract's
   * time follows the area it reads), and the geometry is still of the whole image.
   */
  async detect(image: Uint8Array, options: TextDetectOptions = {}): Promise<TextDetection[]> {
    const minWordConfidence = options.minWordConfidence ?? 0;
    const regions = options.regions && options.regions.length > 0 ? options.regions : undefined;
    let area: FractionBox = regions ? readingArea(regions, REGION_MARGIN) : { left: 0, top: 0, width: 1, height: 1 };
    let size: { width: number; height: number };
    let png: Buffer;
    try {
      // Normalise orientation and format, keep the area read, and bound the size tesseract works on.
      const pipeline = sharp(image, { limitInputPixels: 100_000_000 }).rotate();
      if (regions) {
        const meta = await pipeline.metadata();
        const width = meta.autoOrient?.width ?? meta.width ?? 0;
        const height = meta.autoOrient?.height ?? meta.height ?? 0;
        const left = Math.floor(area.left * width);
        const top = Math.floor(area.top * height);
        const right = Math.min(width, Math.ceil((area.left + area.width) * width));
        const bottom = Math.min(height, Math.ceil((area.top + area.height) * height));
        // A region too thin to hold a pixel holds no text.
        if (right - left < 1 || bottom - top < 1) return [];
        pipeline.extract({ left, top, width: right - left, height: bottom - top });
        area = {
          left: left / width,
          top: top / height,
          width: (right - left) / width,
          height: (bottom - top) / height,
        };
      }
      const { data, info } = await pipeline
        .resize({ width: 2400, height: 2400, fit: 'inside', withoutEnlargement: true })
        // The PNG only carries the pixels to tesseract's worker: the fastest deflate level (the
        // default level took 32 ms against 18 to write a passport's lower half).
        .png({ compressionLevel: 1 })
        .toBuffer({ resolveWithObject: true });
      png = data;
      size = { width: info.width, height: info.height };
    } catch (error) {
      throw Object.assign(invalidImageFormat('Request has invalid image format'), { cause: error });
    }
    const worker = await this.start();
    const { data } = await worker.recognize(png, {}, { blocks: true, text: false });
    const lines: TextDetection[] = [];
    const words: TextDetection[] = [];
    const allLines = (data.blocks ?? []).flatMap((block) => block.paragraphs.flatMap((paragraph) => paragraph.lines));
    for (const line of allLines) {
      const read = line.words.filter((word) => word.text.trim() !== '');
      const kept = read
        .map((word) => ({ word, box: toImage(word.bbox, size, area) }))
        .filter(({ word, box }) => word.confidence >= minWordConfidence && (!regions || inAnyRegion(box, regions)));
      if (kept.length === 0 || words.length >= MAX_WORDS) continue;
      const lineId = lines.length;
      lines.push({
        DetectedText: kept.map(({ word }) => word.text.trim()).join(' '),
        Type: 'LINE',
        Id: lineId,
        Confidence: Number(line.confidence.toFixed(3)),
        // A line some of whose words were left out spans the kept ones.
        Geometry: geometry(
          kept.length === read.length
            ? toImage(line.bbox, size, area)
            : boundsOf(kept.flatMap(({ box }) => cornersOf(box))),
        ),
      });
      for (const { word, box } of kept.slice(0, MAX_WORDS - words.length)) {
        words.push({
          DetectedText: word.text.trim(),
          Type: 'WORD',
          Id: 0,
          ParentId: lineId,
          Confidence: Number(word.confidence.toFixed(3)),
          Geometry: geometry(box),
        });
      }
    }
    words.forEach((word, index) => (word.Id = lines.length + index));
    return [...lines, ...words];
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await (await worker.catch(() => undefined))?.terminate();
  }
}
