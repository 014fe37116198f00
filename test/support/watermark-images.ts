/**
 * Images and transformations for the forensic-watermark tests and benchmark: the distortions a
 * leaked copy goes through (re-encoding, rescaling, cropping, screenshots) and cheap unmarked
 * image sets (photos from the face-api / human packages, rendered identity documents, flat,
 * gradient and noise images) to measure false attribution on.
 */
import { createHmac } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import type { WatermarkKey } from '../../lambdas/watermark/index.ts';
import { renderCard } from '../../scripts/fixtures/document.ts';
import { PEOPLE } from '../../scripts/fixtures/people.ts';
import { prng } from '../../scripts/fixtures/raster.ts';

/** A local HMAC-SHA-256 key standing in for the KMS HMAC key. */
export function hmacKey(secret: string): WatermarkKey {
  return { mac: (data) => Promise.resolve(new Uint8Array(createHmac('sha256', secret).update(data).digest())) };
}

export interface Transformation {
  readonly name: string;
  readonly apply: (image: Buffer) => Promise<Buffer>;
}

async function size(image: Buffer): Promise<{ width: number; height: number }> {
  const { width = 0, height = 0 } = await sharp(image).metadata();
  return { width, height };
}

async function cropEdges(image: Buffer, fraction: number): Promise<Buffer> {
  const { width, height } = await size(image);
  const left = Math.round(width * fraction);
  const top = Math.round(height * fraction * 0.7);
  const right = Math.round(width * fraction * 0.4);
  const bottom = Math.round(height * fraction);
  return sharp(image)
    .extract({ left, top, width: width - left - right, height: height - top - bottom })
    .png()
    .toBuffer();
}

async function rescale(image: Buffer, factor: number): Promise<Sharp> {
  const { width } = await size(image);
  return sharp(image).resize({ width: Math.round(width * factor) });
}

/** The distortions the watermark must survive (issue: JPEG 60, 50 % + JPEG 75, crops, combined, screenshot). */
export const TRANSFORMATIONS: readonly Transformation[] = [
  { name: 'none', apply: (image) => Promise.resolve(image) },
  { name: 'jpeg q60', apply: (image) => sharp(image).jpeg({ quality: 60 }).toBuffer() },
  {
    name: 'downscale 50 % + jpeg q75',
    apply: async (image) => (await rescale(image, 0.5)).jpeg({ quality: 75 }).toBuffer(),
  },
  {
    name: 'crop 10 % / 7 % / 4 % / 10 % of the edges',
    apply: async (image) =>
      sharp(await cropEdges(image, 0.1))
        .jpeg({ quality: 90 })
        .toBuffer(),
  },
  {
    name: 'crop + downscale 50 % + jpeg q75 + jpeg q60',
    apply: async (image) => {
      const cropped = await cropEdges(image, 0.1);
      const halved = await (await rescale(cropped, 0.5)).jpeg({ quality: 75 }).toBuffer();
      return sharp(halved).jpeg({ quality: 60 }).toBuffer();
    },
  },
  {
    name: 'screenshot at 80 % zoom (png)',
    apply: async (image) => (await rescale(image, 0.8)).png().toBuffer(),
  },
];

/** Bit error rate of the coded bits read by the detector (before error correction). */
export function bitErrorRate(soft: Float64Array, coded: Uint8Array): number {
  let errors = 0;
  coded.forEach((bit, i) => {
    if (((soft[i] ?? 0) < 0 ? 1 : 0) !== bit) errors += 1;
  });
  return errors / coded.length;
}

/** Folder of the face-api demo photos (1920 px group photos). */
export function faceApiDemoDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
}

/** Folder of the human package's assets (screenshots and sample sheets). */
export function humanAssetsDir(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@vladmandic/human'); // the package exports no package.json
  const marker = join('node_modules', '@vladmandic', 'human');
  return join(entry.slice(0, entry.lastIndexOf(marker) + marker.length), 'assets');
}

/** Every JPEG / PNG photo or screenshot the two packages ship (the small icons left out). */
export async function packagePhotos(): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const dir of [faceApiDemoDir(), humanAssetsDir()]) {
    for (const name of (await readdir(dir)).sort()) {
      if (!/\.(jpe?g|png)$/i.test(name)) continue;
      const bytes = await readFile(join(dir, name));
      const { width = 0, height = 0 } = await sharp(bytes).metadata();
      if (Math.min(width, height) >= 300) out.push(bytes);
    }
  }
  return out;
}

/** A selfie-like photo: a portrait crop of a face-api demo photo, `width` px wide (JPEG q90). */
export async function selfiePhoto(width = 720): Promise<Buffer> {
  const person = PEOPLE[0];
  if (!person) throw new Error('no fixture people');
  const photo = await readFile(join(faceApiDemoDir(), `sample${person.crop.sample}.jpg`));
  const { crop } = person;
  const pad = Math.round(crop.width * 0.4);
  const meta = await sharp(photo).metadata();
  const left = Math.max(0, crop.left - pad);
  const top = Math.max(0, crop.top - pad);
  return sharp(photo)
    .extract({
      left,
      top,
      width: Math.min((meta.width ?? 0) - left, crop.width + 2 * pad),
      height: Math.min((meta.height ?? 0) - top, Math.round((crop.width + 2 * pad) * 1.3)),
    })
    .resize({ width })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** A flat identity document rendition (passport data page), `width` px wide, as PNG. */
export async function documentRendition(width = 1400, personIndex = 0): Promise<Buffer> {
  const person = PEOPLE[personIndex % PEOPLE.length];
  if (!person) throw new Error('no fixture people');
  const types = ['passport', 'id_card', 'driving_licence'] as const;
  const card = await renderCard(person, types[personIndex % types.length] ?? 'passport', 'front', width);
  return card.png;
}

/** A decoded RGB raster. */
interface Raster {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

async function toRaster(image: Buffer, maxSide: number): Promise<Raster> {
  const { data, info } = await sharp(image)
    .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/**
 * `count` cheap unmarked images of several kinds, deterministic for a seed: crops of the package
 * photos and of rendered documents at several scales, re-encoded at several JPEG qualities; flat
 * colours; gradients; uniform / blocky noise of several strengths. Sides up to `maxSide` px.
 */
export async function unmarkedImages(
  count: number,
  seed: number,
  maxSide = 384,
): Promise<{ kind: string; image: Buffer }[]> {
  const random = prng(seed);
  const photos = await Promise.all((await packagePhotos()).map((photo) => toRaster(photo, 1280)));
  const documents = await Promise.all(
    [0, 1, 2].map(async (i) => toRaster(await documentRendition(1200, i + seed), 1200)),
  );
  const out: { kind: string; image: Buffer }[] = [];
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const side = (): number => Math.round(maxSide * (0.55 + 0.45 * random()));
  for (let i = 0; out.length < count; i += 1) {
    const kind = ['photo', 'photo', 'photo', 'document', 'flat', 'gradient', 'noise'][i % 7] as string;
    const width = side();
    const height = side();
    if (kind === 'photo' || kind === 'document') {
      const source = kind === 'photo' ? pick(photos) : pick(documents);
      // a region of the source, (1 / scale) times the output size, resized to the output size
      const scale = Math.max(width / source.width, height / source.height, 0.25 + 0.75 * random());
      const regionWidth = Math.min(source.width, Math.round(width / scale));
      const regionHeight = Math.min(source.height, Math.round(height / scale));
      const left = Math.floor(random() * (source.width - regionWidth + 1));
      const top = Math.floor(random() * (source.height - regionHeight + 1));
      const quality = pick([50, 60, 75, 85, 95]);
      const image = await sharp(source.data, { raw: { width: source.width, height: source.height, channels: 3 } })
        .extract({ left, top, width: regionWidth, height: regionHeight })
        .resize({ width: Math.min(width, regionWidth), height: Math.min(height, regionHeight), fit: 'fill' })
        .jpeg({ quality })
        .toBuffer();
      out.push({ kind, image });
      continue;
    }
    const pixels = Buffer.alloc(width * height * 3);
    const base = [random() * 255, random() * 255, random() * 255];
    const sigma = 2 + random() * 40;
    const block = 1 + Math.floor(random() * 6);
    const columns = Math.ceil(width / block);
    const blockValues = new Float32Array(columns * Math.ceil(height / block)).map(
      () => (random() + random() + random() - 1.5) * sigma * 2,
    );
    for (let y = 0; y < height; y += 1) {
      for (let x = 0; x < width; x += 1) {
        let delta = 0;
        if (kind === 'gradient') delta = (x / width) * 120 + (y / height) * 60 - 90;
        if (kind === 'noise') delta = blockValues[Math.floor(y / block) * columns + Math.floor(x / block)] as number;
        for (let c = 0; c < 3; c += 1) {
          pixels[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round((base[c] as number) + delta)));
        }
      }
    }
    const raw = sharp(pixels, { raw: { width, height, channels: 3 } });
    out.push({
      kind,
      image: await (random() < 0.5 ? raw.png() : raw.jpeg({ quality: pick([60, 80, 95]) })).toBuffer(),
    });
  }
  return out;
}
