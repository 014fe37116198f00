/**
 * Benchmark of the invisible forensic watermark (`lambdas/watermark`).
 *
 * Figures:
 * - embed time and PSNR per image (selfies 640 / 1000 px, flat document renditions 1400 / 2000 px,
 *   a photographed document 1600 px, a group photo 1920 px);
 * - per transformation: decoded share, bit error rate of the coded bits before error correction
 *   (mean and worst), sync score (lowest) and trace time (p50 / max). The transformations the
 *   issue requires come first; the "beyond" ones show where the mark stops (they are not promises);
 * - false positives on a larger unmarked set (other seeds than the unit test's): 1,000 images up
 *   to 384 px and 100 up to 900 px:
 *   attributed count and rate, highest sync score per kind, and the margin to SYNC_THRESHOLD.
 *   This set is where SYNC_THRESHOLD was chosen; `test/unit/watermark/false-attribution.test.ts`
 *   checks it on images it was not tuned on.
 *
 * Run alone: `npm run bench -- watermark`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import {
  accessIdFromHex,
  analyseWatermark,
  codedPayload,
  embedWatermark,
  SYNC_THRESHOLD,
} from '../lambdas/watermark/index.ts';
import { renderDocument } from '../scripts/fixtures/document.ts';
import { PEOPLE } from '../scripts/fixtures/people.ts';
import {
  bitErrorRate,
  documentRendition,
  faceApiDemoDir,
  hmacKey,
  selfiePhoto,
  TRANSFORMATIONS,
  type Transformation,
  unmarkedImages,
} from '../test/support/watermark-images.ts';

const key = hmacKey('watermark benchmark key');

const round = (n: number, digits = 1): number => Number(n.toFixed(digits));

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

async function resizeBy(image: Buffer, factor: number): Promise<Sharp> {
  const { width = 0 } = await sharp(image).metadata();
  return sharp(image).resize({ width: Math.round(width * factor) });
}

/** Distortions past the promised ones: where the mark is expected to fail or weaken. */
const BEYOND: readonly Transformation[] = [
  { name: 'beyond: jpeg q40', apply: (image) => sharp(image).jpeg({ quality: 40 }).toBuffer() },
  {
    name: 'beyond: downscale 35 % + jpeg q75',
    apply: async (image) => (await resizeBy(image, 0.35)).jpeg({ quality: 75 }).toBuffer(),
  },
  {
    name: 'beyond: upscale 150 % + jpeg q85',
    apply: async (image) => (await resizeBy(image, 1.5)).jpeg({ quality: 85 }).toBuffer(),
  },
  { name: 'beyond: greyscale + jpeg q75', apply: (image) => sharp(image).greyscale().jpeg({ quality: 75 }).toBuffer() },
  {
    name: 'beyond: blur sigma 1.2 + jpeg q85',
    apply: (image) => sharp(image).blur(1.2).jpeg({ quality: 85 }).toBuffer(),
  },
  {
    name: 'beyond: crop to the centre 40 %',
    apply: async (image) => {
      const { width = 0, height = 0 } = await sharp(image).metadata();
      const w = Math.round(width * 0.4);
      const h = Math.round(height * 0.4);
      return sharp(image)
        .extract({ left: Math.round((width - w) / 2), top: Math.round((height - h) / 2), width: w, height: h })
        .jpeg({ quality: 85 })
        .toBuffer();
    },
  },
  {
    name: 'beyond: aspect ratio 100 % x 90 %',
    apply: async (image) => {
      const { width = 0, height = 0 } = await sharp(image).metadata();
      return sharp(image)
        .resize({ width, height: Math.round(height * 0.9), fit: 'fill' })
        .jpeg({ quality: 85 })
        .toBuffer();
    },
  },
  { name: 'beyond: rotate 1 degree', apply: (image) => sharp(image).rotate(1).jpeg({ quality: 85 }).toBuffer() },
  { name: 'beyond: mirror', apply: (image) => sharp(image).flop().jpeg({ quality: 85 }).toBuffer() },
];

async function markedSources(): Promise<{ name: string; image: Buffer }[]> {
  const person = PEOPLE[1] ?? PEOPLE[0];
  if (!person) throw new Error('no fixture people');
  const photographed = await renderDocument({ person, documentType: 'id_card', width: 1600, height: 1200, seed: 11 });
  const group = await readFile(join(faceApiDemoDir(), 'sample2.jpg'));
  return [
    { name: 'selfie 640 px', image: await selfiePhoto(640) },
    { name: 'selfie 1000 px', image: await selfiePhoto(1000) },
    { name: 'document rendition 1400 px', image: await documentRendition(1400, 1) },
    { name: 'document rendition 2000 px', image: await documentRendition(2000, 2) },
    { name: 'photographed document 1600 px', image: photographed.bytes },
    { name: 'group photo 1920 px', image: group },
  ];
}

/** Runs the benchmark; returns flat figures (milliseconds, dB, rates 0..1). */
export async function run(): Promise<Record<string, unknown>> {
  const figures: Record<string, unknown> = {};
  const sources = await markedSources();
  const marked: { name: string; image: Buffer; coded: Uint8Array }[] = [];
  const embedMs: number[] = [];
  for (const [index, source] of sources.entries()) {
    const accessId = accessIdFromHex(`${index.toString(16).padStart(2, '0')}23456789abcdef`.slice(0, 16));
    const started = performance.now();
    const { image, psnrDb } = await embedWatermark(source.image, accessId, key);
    const ms = performance.now() - started;
    embedMs.push(ms);
    figures[`embed ${source.name}`] = { ms: Math.round(ms), psnrDb: round(psnrDb, 2) };
    marked.push({ name: source.name, image, coded: await codedPayload(accessId, key) });
  }
  figures['embed ms p50 / max'] = [Math.round(percentile(embedMs, 50)), Math.round(Math.max(...embedMs))];

  const traceMs: number[] = [];
  for (const transformation of [...TRANSFORMATIONS, ...BEYOND]) {
    const rates: number[] = [];
    const scores: number[] = [];
    let decoded = 0;
    for (const item of marked) {
      const distorted = await transformation.apply(item.image);
      const started = performance.now();
      const analysis = await analyseWatermark(distorted, key);
      traceMs.push(performance.now() - started);
      rates.push(bitErrorRate(analysis.soft, item.coded));
      scores.push(analysis.syncScore);
      if (analysis.accessId) decoded += 1;
    }
    figures[transformation.name] = {
      decoded: `${decoded}/${marked.length}`,
      berMeanPct: round((rates.reduce((sum, rate) => sum + rate, 0) / rates.length) * 100),
      berWorstPct: round(Math.max(...rates) * 100),
      syncLowest: round(Math.min(...scores)),
    };
  }
  figures['trace ms p50 / max'] = [Math.round(percentile(traceMs, 50)), Math.round(Math.max(...traceMs))];

  for (const { count, seed, side } of [
    { count: 1000, seed: 1, side: 384 },
    { count: 100, seed: 2, side: 900 },
  ]) {
    const images = await unmarkedImages(count, seed, side);
    const perKind = new Map<string, { n: number; attributed: number; maxSync: number }>();
    const started = performance.now();
    for (const { kind, image } of images) {
      const analysis = await analyseWatermark(image, key);
      const entry = perKind.get(kind) ?? { n: 0, attributed: 0, maxSync: Number.NEGATIVE_INFINITY };
      perKind.set(kind, {
        n: entry.n + 1,
        attributed: entry.attributed + (analysis.accessId ? 1 : 0),
        maxSync: Math.max(entry.maxSync, analysis.syncScore),
      });
    }
    const all = [...perKind.values()];
    const attributed = all.reduce((sum, entry) => sum + entry.attributed, 0);
    const highest = Math.max(...all.map((entry) => entry.maxSync));
    figures[`unmarked ${count} images up to ${side} px`] = {
      attributed,
      falsePositiveRate: attributed / count,
      highestSync: round(highest, 2),
      marginToThreshold: round(SYNC_THRESHOLD - highest, 2),
      traceMsMean: Math.round((performance.now() - started) / count),
      perKind: Object.fromEntries(
        [...perKind].map(([kind, entry]) => [
          kind,
          { n: entry.n, attributed: entry.attributed, maxSync: round(entry.maxSync, 2) },
        ]),
      ),
    };
  }
  return figures;
}
