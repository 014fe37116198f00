/**
 * Benchmark of the upload quality gate (PRODUCT §2) on the 12 MP fixture (4000x3000 JPEG), and
 * its precision and recall per reason code.
 *
 * - Speed (`measureGateSpeed`): gate runs without face detection (file checks, exposure, glare,
 *   corners, tilt, blur) interleaved with a bare full `sharp` decode of the same image, so
 *   machine load hits both alike (goal: gate p50 <= 1.0x the decode); wall-clock and CPU time
 *   (process CPU, libvips thread included, so other jobs on a shared machine do not count),
 *   p50/p95, the gate's own stage split, peak RSS. Face detection through the offline engine is
 *   timed apart.
 * - Labelled set: precision and recall per reason code over `scripts/fixtures`.
 * - Sweep (`sweepFigures`): the whole generated sweep's `assert` family (the part the thresholds
 *   were not tuned on): per-code confusion counts, precision and recall (blur, glare, darkness,
 *   cut corners, tilt), the blur confusion matrix, and the margin between the blurriest sharp
 *   and the sharpest blurry case (with `--tune`, the `tune` family's too). Rendered shots are cached on disk
 *   (`bench/results/sweep-cache/<generator hash>/`), so a second run only runs the gate.
 *
 * Run alone: `npx tsx bench/quality.ts [--quick] [--tune]`, or with the others: `npm run bench -- quality`.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG } from '../lib/config.ts';
import type { FaceDetector } from '../lambdas/ports/face-detector.ts';
import { checkFaces } from '../lambdas/quality/faces.ts';
import { runQualityGate } from '../lambdas/quality/gate.ts';
import { ensureFixtures } from '../test/fixtures/index.ts';
import { knownFaces, sampleCases, SWEEP_CONFIG, sweepCases, type SweepCase } from '../scripts/sweep/cases.ts';
import type { FaceBox } from '../scripts/fixtures/people.ts';
import type { SweepFamily } from '../scripts/sweep/render.ts';
import type { GateSpeed } from './gate-speed.ts';
import { bundleProgram } from './support/bundles.ts';
import { percentile, round, timed } from './support/stats.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..');

/**
 * Times the gate (no face detection) against a bare full `sharp` decode of the 12 MP fixture,
 * one sharp thread, runs interleaved after a warm-up: `bench/gate-speed.ts`, bundled with the
 * deployment's esbuild settings and run in a plain Node process, as Lambda runs the on-upload
 * bundle (see that file for why not under tsx).
 *
 * @example
 * ```ts
 * const speed = await measureGateSpeed({ runs: 25 });
 * speed.ratioToDecode; // 0.9
 * ```
 */
export async function measureGateSpeed(options: { readonly runs?: number } = {}): Promise<GateSpeed> {
  const runs = options.runs ?? 25;
  const manifest = await ensureFixtures();
  const big = manifest.entries.find((entry) => entry.bench);
  if (!big) throw new Error('no 12 MP bench fixture in the manifest');
  const outDir = await mkdtemp(join(tmpdir(), 'kyc-gate-speed-'));
  try {
    const program = await bundleProgram(REPO, 'bench/gate-speed.ts', outDir, ['sharp']);
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // no loader inherited from a tsx parent
    const run = spawnSync(process.execPath, [program, join(manifest.dir, big.file), String(runs)], {
      encoding: 'utf8',
      env,
    });
    const line = run.stdout.split('\n').find((text) => text.startsWith('{'));
    if (run.status !== 0 || !line) throw new Error(`gate speed failed: ${run.stderr.slice(-1000)}`);
    return JSON.parse(line) as GateSpeed;
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** Confusion counts of one reason code. */
export interface CodeCounts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** Precision and recall (1 when undefined: no positive predicted / none expected). */
export function rates(counts: CodeCounts): { precision: number; recall: number } {
  const { tp, fp, fn } = counts;
  return { precision: round(tp + fp ? tp / (tp + fp) : 1, 3), recall: round(tp + fn ? tp / (tp + fn) : 1, 3) };
}

/** Hash of the sweep's generator sources: the cache key of rendered shots. */
async function generatorHash(): Promise<string> {
  const hash = createHash('sha256');
  for (const dir of ['scripts/sweep', 'scripts/fixtures']) {
    const names = (await readdir(join(REPO, dir))).filter((name) => name.endsWith('.ts')).sort();
    for (const name of names) hash.update(name).update(await readFile(join(REPO, dir, name)));
  }
  return hash.digest('hex').slice(0, 16);
}

/** A sweep case's shot, from the cache when it was rendered by the same generator. */
async function shotOf(c: SweepCase, cacheDir: string): Promise<{ bytes: Buffer; faces: FaceBox[] }> {
  const file = join(cacheDir, `${c.id}.jpg`);
  const facesFile = join(cacheDir, `${c.id}.faces.json`);
  if (existsSync(file) && existsSync(facesFile)) {
    return { bytes: await readFile(file), faces: JSON.parse(await readFile(facesFile, 'utf8')) as FaceBox[] };
  }
  const shot = await c.render();
  await writeFile(file, shot.bytes);
  await writeFile(facesFile, JSON.stringify(shot.faces));
  return { bytes: shot.bytes, faces: shot.faces };
}

/** Per-code counts, the blur confusion matrix and the blur margin of one sweep family. */
export interface SweepFigures {
  readonly family: SweepFamily;
  readonly cases: number;
  readonly codes: Record<string, CodeCounts & { precision: number; recall: number }>;
  /** Rows: truth; columns: the gate's verdict on blur. */
  readonly blurConfusion: {
    readonly blurry: { refused: number; accepted: number };
    readonly sharp: { refused: number; accepted: number };
  };
  /** Blurriest sharp and sharpest blurry reading (documents in mm, selfies as a fraction of the face width). */
  readonly margin: {
    readonly documentSharpMaxMm: number;
    readonly documentBlurryMinMm: number;
    readonly selfieSharpMaxRatio: number;
    readonly selfieBlurryMinRatio: number;
  };
  /** Cases whose reasons differ from the expected ones. */
  readonly misses: readonly string[];
}

/**
 * Runs the gate over every case of a sweep family (or a covering sample of `sample` cases).
 *
 * @example
 * ```ts
 * const heldOut = await sweepFigures('assert');
 * heldOut.codes.PHOTO_TOO_BLURRY.recall; // 1
 * ```
 */
export async function sweepFigures(
  family: SweepFamily,
  options: { readonly sample?: number } = {},
): Promise<SweepFigures> {
  const all = sweepCases(family);
  const cases = options.sample ? sampleCases(all, options.sample, 20261130) : all;
  const cacheDir = join(HERE, 'results', 'sweep-cache', await generatorHash());
  await mkdir(cacheDir, { recursive: true });
  const codes = new Map<string, CodeCounts>();
  const counts = (code: string): CodeCounts => {
    const row = codes.get(code) ?? { tp: 0, fp: 0, fn: 0, tn: 0 };
    codes.set(code, row);
    return row;
  };
  const judged: { c: SweepCase; reasons: readonly string[] }[] = [];
  const blurConfusion = { blurry: { refused: 0, accepted: 0 }, sharp: { refused: 0, accepted: 0 } };
  const readings = { documentSharp: [0], documentBlurry: [99], selfieSharp: [0], selfieBlurry: [1] };
  const misses: string[] = [];
  for (const c of cases) {
    const shot = await shotOf(c, cacheDir);
    const verdict = await runQualityGate(shot.bytes, {
      slot: c.slot,
      documentType: c.documentType,
      config: SWEEP_CONFIG,
      ...(c.slot === 'selfie' ? { faceDetector: knownFaces(shot.faces) } : {}),
    });
    judged.push({ c, reasons: verdict.reasons });
    const refused = verdict.reasons.includes('PHOTO_TOO_BLURRY');
    if (c.label === 'blurry' || c.label === 'sharp') {
      blurConfusion[c.label][refused ? 'refused' : 'accepted'] += 1;
      const selfie = c.slot === 'selfie';
      const value = selfie ? verdict.metrics.blurFaceRatio : verdict.metrics.blurMm;
      const key =
        `${selfie ? 'selfie' : 'document'}${c.label === 'sharp' ? 'Sharp' : 'Blurry'}` as keyof typeof readings;
      if (value !== undefined) readings[key].push(value);
    }
    const expected = [...c.expected].sort().join(',');
    if ([...verdict.reasons].sort().join(',') !== expected)
      misses.push(`${c.id}: expected [${expected}] got [${verdict.reasons.join(',')}]`);
  }
  // Every code any case expects or reports, counted over every case (a true negative is a case
  // that neither expects nor reports it).
  for (const { c, reasons } of judged) for (const code of [...c.expected, ...reasons]) counts(code);
  for (const { c, reasons } of judged) {
    for (const [code, row] of codes) {
      const wanted = c.expected.includes(code as never);
      const got = reasons.includes(code);
      if (wanted && got) row.tp += 1;
      else if (wanted) row.fn += 1;
      else if (got) row.fp += 1;
      else row.tn += 1;
    }
  }
  return {
    family,
    cases: cases.length,
    codes: Object.fromEntries([...codes].sort().map(([code, row]) => [code, { ...row, ...rates(row) }])),
    blurConfusion,
    margin: {
      documentSharpMaxMm: Math.max(...readings.documentSharp),
      documentBlurryMinMm: Math.min(...readings.documentBlurry),
      selfieSharpMaxRatio: Math.max(...readings.selfieSharp),
      selfieBlurryMinRatio: Math.min(...readings.selfieBlurry),
    },
    misses,
  };
}

/** Precision and recall per reason code over the labelled fixtures (faces from the offline engine when it loads). */
async function labelledFigures(detector: FaceDetector | undefined): Promise<Record<string, unknown>> {
  const manifest = await ensureFixtures();
  const tally = new Map<string, CodeCounts>();
  const bump = (code: string, key: 'tp' | 'fp' | 'fn'): void => {
    const row = tally.get(code) ?? { tp: 0, fp: 0, fn: 0, tn: 0 };
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
    if (entry.expected.length === 0) {
      good += 1;
      if (verdict.accepted) goodAccepted += 1;
    }
    for (const code of entry.expected) bump(code, verdict.reasons.includes(code) ? 'tp' : 'fn');
    // Every reported code missing from the label counts against precision, including extra
    // findings on a degraded file (a blurred selfie of a staircase is also "no face").
    for (const code of verdict.reasons) if (!entry.expected.includes(code)) bump(code, 'fp');
  }
  const figures: Record<string, unknown> = { goodAcceptedRate: round(good ? goodAccepted / good : 0, 3) };
  for (const [code, row] of [...tally].sort()) {
    const { precision, recall } = rates(row);
    figures[`precision.${code}`] = precision;
    figures[`recall.${code}`] = recall;
  }
  return figures;
}

/**
 * Runs the whole benchmark; returns its figures (flat keys for the table, plus `qualityGate`
 * and `sweep` objects). `quick`: fewer timing runs and a covering sample of the sweep; `tune`:
 * the `tune` family's blur confusion and margin as well (`sweepTune`).
 */
export async function run(
  options: { readonly quick?: boolean; readonly tune?: boolean } = {},
): Promise<Record<string, unknown>> {
  const quick = options.quick ?? false;
  const speed = await measureGateSpeed({ runs: quick ? 8 : 25 });
  const figures: Record<string, unknown> = {
    megapixels: speed.megapixels,
    gateP50Ms: speed.p50Ms,
    gateP95Ms: speed.p95Ms,
    bareDecodeP50Ms: speed.decodeP50Ms,
    gateToDecodeRatio: speed.ratioToDecode,
    gateCpuP50Ms: speed.cpuP50Ms,
    bareDecodeCpuP50Ms: speed.decodeCpuP50Ms,
    gateToDecodeCpuRatio: speed.cpuRatioToDecode,
    imagesPerSecond: speed.imagesPerSecond,
    gateStagesP50Ms: speed.stages,
    gatePeakRssMb: speed.peakRssMb,
    qualityGate: speed,
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
    const manifest = await ensureFixtures();
    const big = manifest.entries.find((entry) => entry.bench);
    const bytes = await readFile(join(manifest.dir, big?.file ?? ''));
    const faceTimes: number[] = [];
    for (let i = 0; i <= (quick ? 3 : 10); i++) {
      const { wallMs } = await timed(() =>
        checkFaces(bytes, {
          slot: 'document_front',
          width: 4000,
          height: 3000,
          detector: faces,
          thresholds: DEFAULT_CONFIG.quality,
        }),
      );
      if (i > 0) faceTimes.push(wallMs); // the first run loads the model
    }
    figures.faceDetectionP50Ms = round(percentile(faceTimes, 0.5));
    figures.faceDetectionP95Ms = round(percentile(faceTimes, 0.95));
  }

  Object.assign(figures, await labelledFigures(detector));

  const held = await sweepFigures('assert', quick ? { sample: 24 } : {});
  figures.sweepCases = held.cases;
  figures['sweep.blurConfusion'] = held.blurConfusion;
  figures['sweep.blurMargin'] = held.margin;
  for (const [code, row] of Object.entries(held.codes)) {
    figures[`sweep.precision.${code}`] = row.precision;
    figures[`sweep.recall.${code}`] = row.recall;
  }
  figures['sweep.misses'] = held.misses;
  figures.sweep = held;
  if (options.tune) {
    const tune = await sweepFigures('tune');
    figures['sweepTune.blurMargin'] = tune.margin;
    figures['sweepTune.blurConfusion'] = tune.blurConfusion;
    figures.sweepTune = tune;
  }
  figures.rssAtEndMb = round(process.memoryUsage().rss / 1024 / 1024);
  return figures;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const figures = await run({ quick: process.argv.includes('--quick'), tune: process.argv.includes('--tune') });
  console.log(JSON.stringify(figures, null, 2));
}
