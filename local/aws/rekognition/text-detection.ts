/**
 * DetectText with tesseract.js, fully offline: the English model comes from the
 * `@tesseract.js-data/eng` package (`langPath` and `cachePath` point into it, `cacheMethod:
 * 'none'` so nothing is written or downloaded). One worker is created lazily and reused.
 */
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { createWorker, type Worker } from 'tesseract.js';
import { invalidImageFormat } from './errors.ts';

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

function geometry(box: Box, width: number, height: number): TextDetection['Geometry'] {
  const r = (value: number): number => Number(value.toFixed(5));
  const left = box.x0 / width;
  const top = box.y0 / height;
  const right = box.x1 / width;
  const bottom = box.y1 / height;
  return {
    BoundingBox: { Width: r(right - left), Height: r(bottom - top), Left: r(left), Top: r(top) },
    Polygon: [
      { X: r(left), Y: r(top) },
      { X: r(right), Y: r(top) },
      { X: r(right), Y: r(bottom) },
      { X: r(left), Y: r(bottom) },
    ],
  };
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

  /** LINE detections first, then WORD detections pointing at their line (as Rekognition orders them). */
  async detect(image: Uint8Array, minWordConfidence = 0): Promise<TextDetection[]> {
    let width: number;
    let height: number;
    let png: Buffer;
    try {
      // Normalise orientation and format, and bound the size tesseract works on.
      const { data, info } = await sharp(image, { limitInputPixels: 100_000_000 })
        .rotate()
        .resize({ width: 2400, height: 2400, fit: 'inside', withoutEnlargement: true })
        .png()
        .toBuffer({ resolveWithObject: true });
      png = data;
      width = info.width;
      height = info.height;
    } catch (error) {
      throw Object.assign(invalidImageFormat('Request has invalid image format'), { cause: error });
    }
    const worker = await this.start();
    const { data } = await worker.recognize(png, {}, { blocks: true, text: false });
    const lines: TextDetection[] = [];
    const words: TextDetection[] = [];
    const allLines = (data.blocks ?? []).flatMap((block) => block.paragraphs.flatMap((paragraph) => paragraph.lines));
    for (const line of allLines) {
      const kept = line.words.filter((word) => word.text.trim() !== '' && word.confidence >= minWordConfidence);
      if (kept.length === 0 || words.length >= MAX_WORDS) continue;
      const lineId = lines.length;
      lines.push({
        DetectedText: kept.map((word) => word.text.trim()).join(' '),
        Type: 'LINE',
        Id: lineId,
        Confidence: Number(line.confidence.toFixed(3)),
        Geometry: geometry(line.bbox, width, height),
      });
      for (const word of kept.slice(0, MAX_WORDS - words.length)) {
        words.push({
          DetectedText: word.text.trim(),
          Type: 'WORD',
          Id: 0,
          ParentId: lineId,
          Confidence: Number(word.confidence.toFixed(3)),
          Geometry: geometry(word.bbox, width, height),
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
