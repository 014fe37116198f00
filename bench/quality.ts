/**
 * Benchmark of the upload quality gate (PRODUCT §2) on the 12 MP fixture (4000x3000 JPEG):
 * gate time without face detection (file checks, exposure, glare, corners, tilt, blur; p50/p95
 * over 25 runs), images/second on one core, a bare full sharp decode of the same image in the
 * same run, interleaved with the gate runs so machine load hits both alike (goal: gate p50 <=
 * 1.0x the decode), face detection through the offline engine separately, peak RSS, precision
 * and recall per reason code over the labelled set, and over the whole blur sweep (`assert`
 * family: blur contract, glare, darkness, cut corners, tilt) with its blur confusion matrix.
 *
 * Run alone: `npx tsx bench/quality.ts`, or with the others: `npm run bench`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { DEFAULT_CONFIG } from '../lib/config.ts';
import type { FaceDetector } from '../lambdas/ports/face-detector.ts';
import { checkFaces } from '../lambdas/quality/faces.ts';
import { runQualityGate } from '../lambdas/quality/gate.ts';
import { ensureFixtures } from '../test/fixtures/index.ts';
import { knownFaces, SWEEP_CONFIG, sweepCases } from '../scripts/sweep/cases.ts';

const RUNS = 25;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

async function time(fn: () => Promise<unknown>, runs: number): Promise<number[]> {
  await fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times;
}

const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** Runs the benchmark; returns flat figures (ms, counts, ratios). */
export async function run(): Promise<Record<string, unknown>> {
  sharp.concurrency(1); // one core, as on a 1-vCPU slice of a Lambda
  const manifest = await ensureFixtures();
  const big = manifest.entries.find((entry) => entry.bench);
  if (!big) throw new Error('no 12 MP bench fixture in the manifest');
  const bytes = await readFile(join(manifest.dir, big.file));
  let peakRss = process.memoryUsage().rss;
  const sample = (): void => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  };
  // Interleaved: one gate run, one bare decode, so both see the same machine load.
  const gateTimes: number[] = [];
  const decodeTimes: number[] = [];
  const gate = () =>
    runQualityGate(bytes, { slot: 'document_front', documentType: 'passport', config: DEFAULT_CONFIG });
  const decode = () => sharp(bytes).raw().toBuffer();
  await gate();
  await decode();
  for (let i = 0; i < RUNS; i++) {
    let start = performance.now();
    await gate();
    gateTimes.push(performance.now() - start);
    sample();
    start = performance.now();
    await decode();
    decodeTimes.push(performance.now() - start);
    sample();
  }
  const figures: Record<string, unknown> = {
    megapixels: round(((big.width ?? 0) * (big.height ?? 0)) / 1e6),
    gateP50Ms: round(percentile(gateTimes, 0.5)),
    gateP95Ms: round(percentile(gateTimes, 0.95)),
    imagesPerSecond: round(1000 / percentile(gateTimes, 0.5)),
    bareDecodeP50Ms: round(percentile(decodeTimes, 0.5)),
    gateToDecodeRatio: round(percentile(gateTimes, 0.5) / percentile(decodeTimes, 0.5), 2),
  };

  let detector: FaceDetector | undefined;
  try {
    const { FaceEngineDetector } = await import('../local/face-engine/face-detector.ts');
    detector = new FaceEngineDetector();
  } catch {
    detector = undefined;
  }
  if (detector) {
    const faces = detector;
    const faceTimes = await time(async () => {
      await checkFaces(bytes, {
        slot: 'document_front',
        width: 4000,
        height: 3000,
        detector: faces,
        thresholds: DEFAULT_CONFIG.quality,
      });
      sample();
    }, 10);
    figures.faceDetectionP50Ms = round(percentile(faceTimes, 0.5));
    figures.faceDetectionP95Ms = round(percentile(faceTimes, 0.95));
  }

  // Precision and recall per reason code over the labelled set (faces from the engine when loaded).
  const tally = new Map<string, { tp: number; fp: number; fn: number }>();
  const bump = (code: string, key: 'tp' | 'fp' | 'fn'): void => {
    const row = tally.get(code) ?? { tp: 0, fp: 0, fn: 0 };
    row[key] += 1;
    tally.set(code, row);
  };
  let goodAccepted = 0;
  let good = 0;
  for (const entry of manifest.entries) {
    const verdict = await runQualityGate(await readFile(join(manifest.dir, entry.file)), {
      slot: entry.slot,
      documentType: entry.documentType,
      config: DEFAULT_CONFIG,
      ...(detector ? { faceDetector: detector } : {}),
    });
    sample();
    if (entry.expected.length === 0) {
      good += 1;
      if (verdict.accepted) goodAccepted += 1;
    }
    for (const code of entry.expected) bump(code, verdict.reasons.includes(code) ? 'tp' : 'fn');
    // Every reported code missing from the label counts against precision, including extra
    // findings on a degraded file (a blurred selfie of a staircase is also "no face").
    for (const code of verdict.reasons) if (!entry.expected.includes(code)) bump(code, 'fp');
  }
  figures.goodAcceptedRate = round(good ? goodAccepted / good : 0, 3);
  for (const [code, row] of [...tally].sort()) {
    figures[`precision.${code}`] = round(row.tp + row.fp ? row.tp / (row.tp + row.fp) : 1, 3);
    figures[`recall.${code}`] = round(row.tp + row.fn ? row.tp / (row.tp + row.fn) : 1, 3);
  }
  const gatePeakRss = peakRss;

  // The whole sweep (`assert` family): per-code precision and recall, and the blur confusion matrix.
  const sweep = new Map<string, { tp: number; fp: number; fn: number }>();
  const matrix = { blurryRefused: 0, blurryPassed: 0, sharpRefused: 0, sharpPassed: 0 };
  let sweepCount = 0;
  for (const c of sweepCases('assert')) {
    const shot = await c.render();
    const verdict = await runQualityGate(shot.bytes, {
      slot: c.slot,
      documentType: c.documentType,
      config: SWEEP_CONFIG,
      ...(c.slot === 'selfie' ? { faceDetector: knownFaces(shot.faces) } : {}),
    });
    sweepCount += 1;
    const row = (code: string) => sweep.get(code) ?? { tp: 0, fp: 0, fn: 0 };
    for (const code of c.expected) {
      const r = row(code);
      if (verdict.reasons.includes(code)) r.tp += 1;
      else r.fn += 1;
      sweep.set(code, r);
    }
    for (const code of verdict.reasons) {
      if (c.expected.includes(code)) continue;
      const r = row(code);
      r.fp += 1;
      sweep.set(code, r);
    }
    const refused = verdict.reasons.includes('PHOTO_TOO_BLURRY');
    if (c.label === 'blurry') matrix[refused ? 'blurryRefused' : 'blurryPassed'] += 1;
    if (c.label === 'sharp') matrix[refused ? 'sharpRefused' : 'sharpPassed'] += 1;
  }
  figures.sweepCases = sweepCount;
  figures['sweep.blurConfusion'] = matrix;
  for (const [code, r] of [...sweep].sort()) {
    figures[`sweep.precision.${code}`] = round(r.tp + r.fp ? r.tp / (r.tp + r.fp) : 1, 3);
    figures[`sweep.recall.${code}`] = round(r.tp + r.fn ? r.tp / (r.tp + r.fn) : 1, 3);
  }
  figures.gatePeakRssMb = round(gatePeakRss / 1024 / 1024);
  figures.peakRssMb = round(Math.max(peakRss, process.memoryUsage().rss) / 1024 / 1024);
  return figures;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(JSON.stringify(await run(), null, 2));
}
