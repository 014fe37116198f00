/**
 * Upload files for the browser test, generated at run time (nothing downloaded, nothing
 * checked in): a detailed "document" photo, a blurred copy of it, a back side, a selfie and a
 * one-page PDF. Pixel content is deterministic (seeded), so hashes are stable between runs.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

export interface UploadFixtures {
  readonly dir: string;
  /** A sharp, detailed JPEG standing in for a document photo. */
  readonly document: string;
  /** The same picture, heavily blurred. */
  readonly blurryDocument: string;
  readonly documentBack: string;
  readonly selfie: string;
  /** A minimal valid PDF for proof of address. */
  readonly proofOfAddressPdf: string;
  remove(): Promise<void>;
}

/** Deterministic pseudo-random bytes (mulberry32). */
function noise(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    bytes[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return bytes;
}

async function photo(path: string, seed: number, options: { blur?: number } = {}): Promise<void> {
  const width = 1000;
  const height = 700;
  let image = sharp(noise(width * height * 3, seed), { raw: { width, height, channels: 3 } });
  if (options.blur) image = image.blur(options.blur);
  await image.jpeg({ quality: 85 }).toFile(path);
}

const MINIMAL_PDF = [
  '%PDF-1.4',
  '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj',
  '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj',
  '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj',
  'trailer << /Root 1 0 R >>',
  '%%EOF',
].join('\n');

const FILE_NAMES = {
  document: 'document-front.jpg',
  blurryDocument: 'document-front-blurry.jpg',
  documentBack: 'document-back.jpg',
  selfie: 'selfie.jpg',
  proofOfAddressPdf: 'utility-bill.pdf',
} as const;

/**
 * Writes the fixtures to a fresh temporary folder. With `KYC_FIXTURES_DIR` set, uses the files
 * of that folder instead (same names as `FILE_NAMES`): real document and selfie photos are
 * needed when the test runs against the real pipeline, which judges the pixels.
 */
export async function createUploadFixtures(): Promise<UploadFixtures> {
  const provided = process.env.KYC_FIXTURES_DIR;
  if (provided) {
    const named = Object.fromEntries(Object.entries(FILE_NAMES).map(([key, name]) => [key, join(provided, name)]));
    return { dir: provided, ...(named as Record<keyof typeof FILE_NAMES, string>), remove: async () => undefined };
  }
  const dir = await mkdtemp(join(tmpdir(), 'kyc-upload-fixtures-'));
  const files = Object.fromEntries(Object.entries(FILE_NAMES).map(([key, name]) => [key, join(dir, name)])) as Record<
    keyof typeof FILE_NAMES,
    string
  >;
  await Promise.all([
    photo(files.document, 1),
    photo(files.blurryDocument, 1, { blur: 12 }),
    photo(files.documentBack, 2),
    photo(files.selfie, 3),
    writeFile(files.proofOfAddressPdf, MINIMAL_PDF),
  ]);
  return { dir, ...files, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** SHA-256 (hex) of a file, to recognise it among received uploads. */
export async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}
