/**
 * Benchmark and calibration check of the offline face engine on the face-api demo photos
 * (`@vladmandic/face-api/demo/sample1..6.jpg`, group photos of different people).
 *
 * Figures: engine load time, detection time per image (p50/p95, embeddings on and off), resident
 * memory, and the calibrated similarity (0..100) for the same face (a portrait crop and a half-size
 * copy of each photo against the photo itself; a small, blurred, low-quality portrait as a harder
 * case) and for different people (every pair of faces in the photos).
 *
 * Run alone: `npx tsx bench/face-engine.ts` (prints JSON).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { faceEngineMemory, loadFaceEngine, type EngineFace } from '../local/face-engine/index.ts';

const SAMPLES = [1, 2, 3, 4, 5, 6].map((n) => `sample${n}.jpg`);

/** Folder of the face-api demo photos. */
export function samplesDir(): string {
  const require = createRequire(import.meta.url);
  for (const dir of require.resolve.paths('@vladmandic/face-api') ?? []) {
    const candidate = path.join(dir, '@vladmandic', 'face-api', 'demo');
    try {
      require.resolve(path.join(candidate, 'index.js'));
      return candidate;
    } catch {
      // try the next node_modules up the tree
    }
  }
  throw new Error('@vladmandic/face-api demo photos not found');
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

const round = (n: number, digits = 1): number => Number(n.toFixed(digits));

/** Crop around a face with a margin, like a portrait cut from a group photo. */
async function cropAround(image: Buffer, face: EngineFace): Promise<Buffer> {
  const { width = 0, height = 0 } = await sharp(image).metadata();
  const margin = 0.5;
  const left = Math.max(0, Math.floor((face.box.left - face.box.width * margin) * width));
  const top = Math.max(0, Math.floor((face.box.top - face.box.height * margin) * height));
  const right = Math.min(width, Math.ceil((face.box.left + face.box.width * (1 + margin)) * width));
  const bottom = Math.min(height, Math.ceil((face.box.top + face.box.height * (1 + margin)) * height));
  return sharp(image)
    .extract({ left, top, width: right - left, height: bottom - top })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** Intersection over union of two boxes (fractions of the image). */
function overlap(a: EngineFace['box'], b: EngineFace['box']): number {
  const w = Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left);
  const h = Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top);
  const inter = Math.max(0, w) * Math.max(0, h);
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** Runs the benchmark; returns flat figures (milliseconds, megabytes, similarity 0..100). */
export async function run(): Promise<Record<string, number>> {
  const dir = samplesDir();
  const images = await Promise.all(SAMPLES.map((name) => readFile(path.join(dir, name))));

  const loadStart = performance.now();
  const engine = await loadFaceEngine();
  const loadMs = performance.now() - loadStart;

  const firstStart = performance.now();
  await engine.detect(images[0] as Buffer);
  const firstDetectMs = performance.now() - firstStart;

  const detectMs: number[] = [];
  const perPhoto: EngineFace[][] = [];
  for (const image of images) {
    const start = performance.now();
    perPhoto.push(await engine.detect(image));
    detectMs.push(performance.now() - start);
  }
  const noEmbeddingMs: number[] = [];
  for (const image of images) {
    const start = performance.now();
    await engine.detect(image, { embeddings: false });
    noEmbeddingMs.push(performance.now() - start);
  }

  // Same face: a portrait crop, a degraded small portrait (ID-photo like) and a half-size copy of
  // each photo, matched against the faces found in the full photo.
  const same: number[] = [];
  const degraded: number[] = [];
  const singleFaceMs: number[] = [];
  for (const [i, image] of images.entries()) {
    const faces = perPhoto[i] ?? [];
    for (const face of faces) {
      const crop = await cropAround(image, face);
      const start = performance.now();
      const cropFaces = await engine.detect(crop);
      singleFaceMs.push(performance.now() - start);
      if (cropFaces[0]) same.push(engine.similarity(face.embedding, cropFaces[0].embedding));
      const small = await sharp(crop)
        .resize({ width: 200 })
        .modulate({ brightness: 1.2, saturation: 0.6 })
        .blur(1)
        .jpeg({ quality: 40 })
        .toBuffer();
      const [smallFace] = await engine.detect(small);
      if (smallFace) degraded.push(engine.similarity(face.embedding, smallFace.embedding));
    }
    const half = await sharp(image).resize({ width: 960 }).jpeg({ quality: 80 }).toBuffer();
    for (const halfFace of await engine.detect(half)) {
      const twin = faces.find((face) => overlap(face.box, halfFace.box) > 0.5);
      if (twin) same.push(engine.similarity(twin.embedding, halfFace.embedding));
    }
  }

  // Different people: every pair of distinct faces across all photos.
  const all = perPhoto.flat();
  const different: number[] = [];
  for (let a = 0; a < all.length; a++) {
    for (let b = a + 1; b < all.length; b++) {
      different.push(engine.similarity((all[a] as EngineFace).embedding, (all[b] as EngineFace).embedding));
    }
  }

  const sorted = (xs: number[]): number[] => [...xs].sort((p, q) => p - q);
  const d = sorted(detectMs);
  const n = sorted(noEmbeddingMs);
  const s = sorted(singleFaceMs);
  const sm = sorted(same);
  const df = sorted(different);
  const memory = await faceEngineMemory();
  return {
    loadMs: round(loadMs),
    firstDetectMs: round(firstDetectMs),
    facesFound: all.length,
    groupPhotoDetectP50Ms: round(percentile(d, 50)),
    groupPhotoDetectP95Ms: round(percentile(d, 95)),
    groupPhotoNoEmbeddingP50Ms: round(percentile(n, 50)),
    groupPhotoNoEmbeddingP95Ms: round(percentile(n, 95)),
    singleFaceDetectP50Ms: round(percentile(s, 50)),
    singleFaceDetectP95Ms: round(percentile(s, 95)),
    samePersonPairs: sm.length,
    samePersonMin: round(sm[0] ?? Number.NaN),
    samePersonMedian: round(percentile(sm, 50)),
    degradedPortraitPairs: degraded.length,
    degradedPortraitMin: round(sorted(degraded)[0] ?? Number.NaN),
    degradedPortraitMedian: round(percentile(sorted(degraded), 50)),
    differentPeoplePairs: df.length,
    differentPeopleMedian: round(percentile(df, 50)),
    differentPeopleP99: round(percentile(df, 99)),
    differentPeopleMax: round(df[df.length - 1] ?? Number.NaN),
    rssMb: round(process.memoryUsage().rss / 1024 / 1024),
    tfTensors: memory?.tensors ?? Number.NaN,
    tfMb: round((memory?.bytes ?? Number.NaN) / 1024 / 1024),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await run(), null, 2));
}
