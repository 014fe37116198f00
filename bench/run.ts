/**
 * `npm run bench`: the summary of what the project claims, measured in one run, one phase after
 * another (so phases do not compete for the cores): machine, CDK synth, every Lambda bundle
 * (size, cold import), the quality gate against a bare decode, a face comparison, the local
 * runtime's start (time to ready, memory with its Java child), upload-to-decision under load
 * with a metered pass per cost path, and the cost per verification. Prints a table and writes
 * `bench/results.json` and the measured usage `local/cost/usage.json` (read by `kyc cost`).
 *
 *   npm run bench                      full figures (bench/results.json)
 *   npm run bench -- --quick           fewer runs, 8 verifications (bench/results/summary-quick.json)
 *   npm run bench -- --phases=synth,bundles  only those phases, merged into the last summary
 *   npm run bench -- quality watermark only the named benchmarks (bench/results/<name>.json)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { priceTableSchema, type UsageFile } from '../local/cost/model.ts';
import { costReport, DEFAULT_PRICES, DEFAULT_USAGE } from '../local/cli/commands/cost.ts';
import type { SynthesizedStack } from '../local/runtime/synth.ts';
import { goalChecks } from './support/goals.ts';
import { bareNodeStartMs } from './support/node-process.ts';
import { percentile, round } from './support/stats.ts';

const DIR = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = join(DIR, '..');
/** Benchmarks with a `run()` export, runnable by name. */
const NAMED = ['quality', 'face-engine', 'watermark', 'liveness-calibration', 'bundles'];

/**
 * Writes `value` as JSON the way the repository's formatter leaves it (prettier with the
 * project's settings), so a committed summary passes `npm run lint` as written.
 */
async function writeCommittedJson(file: string, value: unknown): Promise<void> {
  const { format, resolveConfig } = await import('prettier');
  const options = (await resolveConfig(file)) ?? {};
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, await format(JSON.stringify(value), { ...options, filepath: file }));
}

function machine(): Record<string, unknown> {
  const [one, five, fifteen] = loadavg();
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverage: [round(one ?? 0, 2), round(five ?? 0, 2), round(fifteen ?? 0, 2)],
    bareNodeStartMs: bareNodeStartMs(5),
  };
}

async function runNamed(names: readonly string[]): Promise<number> {
  await mkdirSync(join(DIR, 'results'), { recursive: true });
  let failures = 0;
  for (const name of names) {
    if (!NAMED.includes(name)) {
      console.error(`unknown benchmark ${name}: one of ${NAMED.join(', ')}`);
      failures += 1;
      continue;
    }
    const module = (await import(pathToFileURL(join(DIR, `${name}.ts`)).href)) as {
      run: (options?: { quick?: boolean }) => Promise<Record<string, unknown>>;
    };
    console.log(`\n== ${name}`);
    if (name === 'bundles' && !process.argv.includes('--quick')) {
      // A full bundles run refreshes that part of the summary (e.g. after a change to the bundling).
      const summaryFile = join(DIR, 'results.json');
      const measured = await (await import('./bundles.ts')).measureBundles();
      const current = existsSync(summaryFile)
        ? (JSON.parse(readFileSync(summaryFile, 'utf8')) as Record<string, unknown>)
        : {};
      const refreshed: Record<string, unknown> = { ...current, ...bundleSummary(measured) };
      // The goals judged again: the bundle goals on these figures, the others on the summary's.
      refreshed.goals = goalChecks(refreshed);
      await writeCommittedJson(summaryFile, refreshed);
      console.log(`refreshed bundles and goals in ${summaryFile}`);
      continue;
    }
    try {
      const started = Date.now();
      const figures = await module.run({ quick: process.argv.includes('--quick') });
      printFigures(figures);
      writeFileSync(
        join(DIR, 'results', `${name}.json`),
        JSON.stringify({ name, at: new Date().toISOString(), ms: Date.now() - started, figures }, null, 2),
      );
    } catch (error) {
      failures += 1;
      console.error(`  failed: ${(error as Error).message}`);
    }
  }
  return failures > 0 ? 1 : 0;
}

function printFigures(figures: Record<string, unknown>): void {
  const width = Math.max(...Object.keys(figures).map((key) => key.length));
  for (const [key, value] of Object.entries(figures))
    console.log(`  ${key.padEnd(width)}  ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
}

/** The `bundles` and `bundleBudget` parts of the summary, printed as a table. */
function bundleSummary(measured: Awaited<ReturnType<typeof import('./bundles.ts').measureBundles>>): {
  bundles: unknown[];
  bundleBudget: Record<string, unknown>;
} {
  const lean = measured.bundles.filter((bundle) => bundle.class === 'lean');
  const bundleBudget = {
    lean: '<= 300 KB and <= 50 ms cold import (wall) over bare Node (no image or model code)',
    bareNodeMs: measured.bareNodeMs,
    leanWithinBudget: `${lean.filter((bundle) => bundle.withinBudget).length}/${lean.length}`,
    leanWithinSizeBudget: `${lean.filter((bundle) => bundle.withinSizeBudget).length}/${lean.length}`,
    floors: measured.floors.map(({ name, sizeBytes, coldImportMs, coldImportCpuMs }) => ({
      name,
      sizeBytes,
      coldImportMs,
      coldImportCpuMs,
    })),
    measuredAt: new Date().toISOString(),
    loadAverage: loadavg().map((value) => round(value, 2)),
  };
  for (const bundle of measured.bundles)
    console.log(
      `  ${bundle.name.padEnd(62)} ${bundle.class.padEnd(5)} ${String(Math.round(bundle.sizeBytes / 1024)).padStart(5)} KB ${bundle.importError ?? `+${bundle.coldImportMs} ms wall +${bundle.coldImportCpuMs} ms CPU`}${bundle.withinBudget === false ? '  OVER BUDGET' : ''}`,
    );
  for (const floor of measured.floors)
    console.log(
      `  ${`floor: ${floor.name}`.padEnd(62)} lean  ${String(Math.round(floor.sizeBytes / 1024)).padStart(5)} KB +${floor.coldImportMs} ms wall +${floor.coldImportCpuMs} ms CPU`,
    );
  const { floors: _floors, ...figures } = bundleBudget;
  printFigures(figures);
  return {
    bundles: measured.bundles.map((bundle) => ({
      name: bundle.name,
      entry: bundle.entry,
      class: bundle.class,
      sizeBytes: bundle.sizeBytes,
      coldImportMs: bundle.coldImportMs,
      coldImportCpuMs: bundle.coldImportCpuMs,
      ...(bundle.importError ? { importError: bundle.importError } : {}),
      withinBudget: bundle.withinBudget,
    })),
    bundleBudget,
  };
}

/** Runs an ES module `script` in a fresh `node --import tsx` process from the repository; returns its stdout. */
function runModule(script: string, what: string): string {
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`${what} failed: ${run.stderr.slice(-1000)}`);
  return run.stdout;
}

/** A cold in-process synth of both stacks (bundling skipped, as `kyc local` does) in a fresh Node process. */
function coldSynth(cacheDir: string): number {
  const script = `
    const { synthesizeTemplates } = await import(${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'local/runtime/synth.ts')).href)});
    const { resolveConfig } = await import(${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'lib/config.ts')).href)});
    await synthesizeTemplates({ repoRoot: ${JSON.stringify(`${REPO_ROOT}/`)}, dataDir: ${JSON.stringify(cacheDir)}, cacheDir: ${JSON.stringify(cacheDir)}, config: resolveConfig({}) });`;
  const started = performance.now();
  runModule(script, 'synth');
  return (performance.now() - started) / 1000;
}

/** Start of `kyc local` in a fresh process (cached templates): time to ready and memory of the whole tree. */
function localStart(): Record<string, unknown> {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(DIR, 'local-runtime.ts')], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: process.env,
  });
  const line = run.stdout.split('\n').find((text) => text.startsWith('{'));
  if (run.status !== 0 || !line) throw new Error(`local start failed: ${run.stderr.slice(-1000)}`);
  const result = JSON.parse(line) as { processReadyMs: number; rssMb: number; timingsMs: Record<string, number> };
  return {
    readyMs: result.processReadyMs,
    runtimeReadyMs: result.timingsMs.total,
    rssMb: result.rssMb,
    how:
      'a fresh `node --import tsx` process starts the runtime on cached templates; readyMs = process start to the first ' +
      'API answer, runtimeReadyMs = startRuntime() alone; rssMb = RSS of the process and all its children (DynamoDB ' +
      'Local JVM included) from /proc, after the first API call',
  };
}

/**
 * The quality gate against a bare decode: `measureGateSpeed` of `bench/quality.ts`, the same
 * measure as `npm run bench -- quality`. It runs the gate's bundle in a process of its own, so
 * this one's heap and idle workers after the end-to-end phase (timed here, the gate once read
 * 1.75-2.0x) and its TypeScript loader do not weigh on it.
 */
async function qualitySpeed(runs: number): Promise<Record<string, unknown>> {
  const { measureGateSpeed } = await import('./quality.ts');
  return { ...(await measureGateSpeed({ runs })) };
}

/** CompareFaces as the local Rekognition does it: detect both faces, compare the embeddings. */
async function faceCompare(runs: number): Promise<Record<string, number>> {
  const { loadFaceEngine } = await import('../local/face-engine/index.ts');
  const { loadSampleImages } = await import('../local/demo/sample-images.ts');
  const engine = await loadFaceEngine();
  const images = await loadSampleImages();
  const person = images.person(1);
  const sharp = (await import('sharp')).default;
  // A different file each run (the same pixels, its own EXIF note): the engine remembers images
  // it has seen by content, and this measures an analysis, not a memory hit.
  const variant = (image: Buffer, run: number) =>
    sharp(image)
      .withMetadata({ exif: { IFD0: { ImageDescription: `bench run ${run}` } } })
      .toBuffer();
  const [selfieImage, documentImage] = [await images.selfie(person), await images.document(person)];
  const times: number[] = [];
  let similarity = 0;
  for (let run = 0; run <= runs; run += 1) {
    const [selfie, document] = [await variant(selfieImage, run), await variant(documentImage, run)];
    const started = performance.now();
    const [a] = await engine.detect(selfie);
    const [b] = await engine.detect(document);
    if (a && b) similarity = engine.similarity(a.embedding, b.embedding);
    if (run > 0) times.push(performance.now() - started);
  }
  return {
    p50Ms: round(percentile(times, 0.5)),
    p95Ms: round(percentile(times, 0.95)),
    runs,
    similarity: round(similarity),
  };
}

/** Retention and tiering as the synthesized templates configure them. */
function storagePlan(stacks: readonly SynthesizedStack[], evidenceYears: number): UsageFile['storagePlan'] {
  let archiveAfterDays = 0;
  let logRetentionDays = 0;
  for (const stack of stacks) {
    for (const resource of Object.values(stack.template.Resources ?? {})) {
      const properties = resource?.Properties ?? {};
      if (resource?.Type === 'AWS::S3::Bucket' && archiveAfterDays === 0) {
        const rules =
          (properties.LifecycleConfiguration as { Rules?: { Transitions?: { TransitionInDays?: number }[] }[] })
            ?.Rules ?? [];
        const days = rules
          .flatMap((rule) => rule.Transitions ?? [])
          .map((transition) => transition.TransitionInDays ?? 0);
        if (days.length > 0) archiveAfterDays = Math.min(...days);
      }
      if (resource?.Type === 'AWS::Logs::LogGroup' && typeof properties.RetentionInDays === 'number')
        logRetentionDays = Math.max(logRetentionDays, properties.RetentionInDays);
    }
  }
  return { years: evidenceYears, archiveAfterDays, logRetentionDays };
}

/** `--verifications=N`: the load pass's size (50; 8 with --quick). */
const verificationsArg = process.argv.find((arg) => arg.startsWith('--verifications='));

/** Phases of the summary, in the order they run; `--phases=synth,bundles` runs only those. */
const PHASES = ['faces', 'start', 'e2e', 'synth', 'bundles', 'quality'] as const;

async function summary(quick: boolean, only?: ReadonlySet<string>): Promise<number> {
  const file =
    process.env.KYC_BENCH_RESULTS ?? (quick ? join(DIR, 'results', 'summary-quick.json') : join(DIR, 'results.json'));
  // With --phases, the other phases' figures stay as the last run left them.
  const previous = only && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  const results: Record<string, unknown> = {
    ...previous,
    at: new Date().toISOString(),
    quick,
    machine: machine(),
    ...(only ? { phasesOfThisRun: [...only], previousRunAt: previous.at } : {}),
  };
  const started = Date.now();
  // Written after every phase (complete: false until the end), so an interrupted run keeps what it measured.
  const save = (complete: boolean): void => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ ...results, complete }, null, 2)}\n`);
  };
  const phase = async <T>(name: (typeof PHASES)[number], body: () => Promise<T> | T): Promise<T | undefined> => {
    if (only && !only.has(name)) return undefined;
    save(false);
    console.log(`\n== ${name}`);
    const t = Date.now();
    try {
      const value = await body();
      console.log(`  (${round((Date.now() - t) / 1000)} s)`);
      return value;
    } catch (error) {
      console.error(`  failed: ${(error as Error).stack ?? String(error)}`);
      results.failures = [
        ...((results.failures as string[] | undefined) ?? []),
        `${name}: ${(error as Error).message}`,
      ];
      return undefined;
    }
  };

  const cacheDir = mkdtempSync(join(tmpdir(), 'kyc-bench-synth-'));
  process.env.KYC_SYNTH_CACHE_DIR = cacheDir;
  try {
    const faces = await phase('faces', () => faceCompare(quick ? 3 : 10));
    if (faces) {
      results.faceCompare = {
        ...faces,
        how: 'local engine: detect the selfie face and the document face, compare embeddings',
      };
      printFigures(faces);
    }

    const start = await phase('start', async () => {
      // Templates cached first: the figure is a start on cached templates, as every start after the first.
      const { synthesizeTemplates } = await import('../local/runtime/synth.ts');
      const { resolveConfig } = await import('../lib/config.ts');
      await synthesizeTemplates({ repoRoot: `${REPO_ROOT}/`, dataDir: cacheDir, config: resolveConfig({}) });
      return localStart();
    });
    if (start) {
      results.localStart = start;
      printFigures(start);
    }

    const e2e = await phase('e2e', async () =>
      (await import('./e2e.ts')).runE2e({
        verifications: verificationsArg ? Number(verificationsArg.split('=')[1]) : quick ? 8 : 50,
        clients: 4,
        log: (line) => console.log(`  ${line}`),
      }),
    );
    if (e2e) {
      results.e2e = e2e.e2e;
      printFigures(e2e.e2e as unknown as Record<string, unknown>);
      const { synthesizeTemplates } = await import('../local/runtime/synth.ts');
      const { resolveConfig } = await import('../lib/config.ts');
      const config = resolveConfig({});
      const { stacks } = await synthesizeTemplates({ repoRoot: `${REPO_ROOT}/`, dataDir: cacheDir, config });
      const m = results.machine as { cores: number; cpu: string; loadAverage: number[] };
      const usage: UsageFile = {
        ...e2e.usage,
        machine: `${m.cores} cores (${m.cpu}), load average ${m.loadAverage.join(' ')} at the start of the run`,
        storagePlan: storagePlan(stacks, config.retention.evidenceYears),
      };
      if (!quick) writeFileSync(DEFAULT_USAGE, `${JSON.stringify(usage, null, 2)}\n`);
      const prices = priceTableSchema.parse(JSON.parse(readFileSync(DEFAULT_PRICES, 'utf8')));
      const costs = costReport(prices, usage);
      const of = (path: string) => costs.find((cost) => cost.path === path);
      results.cost = {
        approvedBasicUsd: round(of('approvedBasic')?.totalExcludingLivenessUsd ?? Number.NaN, 5),
        approvedBasicWithLivenessUsd: round(of('approvedBasic')?.totalUsd ?? Number.NaN, 5),
        rejectedUsd: round(of('rejectedAfterChecks')?.totalExcludingLivenessUsd ?? Number.NaN, 5),
        rejectedAtGateUsd: round(of('rejectedAtGate')?.totalExcludingLivenessUsd ?? Number.NaN, 5),
        manualReviewUsd: round(of('manualReview')?.totalExcludingLivenessUsd ?? Number.NaN, 5),
        advancedUsd: round(of('advanced')?.totalExcludingLivenessUsd ?? Number.NaN, 5),
        storage5yUsd: round(of('approvedBasic')?.storageUsd ?? Number.NaN, 6),
        livenessUsd: round(of('approvedBasic')?.livenessUsd ?? Number.NaN, 4),
        how: 'npx kyc cost: prices from local/cost/prices-eu-west-1.json, usage metered in this run (excluding liveness unless named)',
        outcomes: e2e.metered,
      };
      printFigures(results.cost as Record<string, unknown>);
    }
    const seconds = await phase('synth', () => {
      const fresh = mkdtempSync(join(tmpdir(), 'kyc-bench-cold-synth-'));
      try {
        return coldSynth(fresh);
      } finally {
        rmSync(fresh, { recursive: true, force: true });
      }
    });
    if (seconds !== undefined) {
      results.synth = {
        seconds: round(seconds),
        how: 'cold in-process synth of both stacks in a fresh Node process, bundling skipped (what kyc local does); a deploy adds esbuild per function (see bundles)',
      };
      printFigures(results.synth as Record<string, unknown>);
    }

    const bundles = await phase('bundles', async () => (await import('./bundles.ts')).measureBundles({ quick }));
    if (bundles) Object.assign(results, bundleSummary(bundles));

    const quality = await phase('quality', async () => qualitySpeed(quick ? 8 : 25));
    if (quality) {
      results.qualityGate = {
        ...quality,
        how: `${String(quality.how)}; in a fresh process; precision and recall: npm run bench -- quality`,
      };
      printFigures(results.qualityGate as Record<string, unknown>);
    }
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
  const [one, five, fifteen] = loadavg();
  results.machine = {
    ...(results.machine as object),
    loadAverageAtEnd: [round(one ?? 0, 2), round(five ?? 0, 2), round(fifteen ?? 0, 2)],
    bareNodeStartMsAtEnd: bareNodeStartMs(5),
  };
  results.seconds = round((Date.now() - started) / 1000);
  // Against the figures of this run and, with --phases, of the runs before it.
  results.goals = goalChecks(results);
  console.log('\n== goals');
  for (const { goal, measured, met, floor } of results.goals as ReturnType<typeof goalChecks>)
    console.log(
      `  ${(met === undefined ? '-' : met ? 'met' : 'NOT MET').padEnd(8)} ${goal}: ${measured}${floor ? ` (floor: ${floor})` : ''}`,
    );
  await writeCommittedJson(file, { ...results, complete: true });
  console.log(`\nwrote ${file} (${results.seconds} s)`);
  return results.failures ? 1 : 0;
}

const names = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const phasesArg = process.argv.find((arg) => arg.startsWith('--phases='));
const only = phasesArg ? new Set(phasesArg.slice('--phases='.length).split(',')) : undefined;
const unknown = [...(only ?? [])].filter((name) => !(PHASES as readonly string[]).includes(name));
if (unknown.length > 0) {
  console.error(`unknown phase ${unknown.join(', ')}: one of ${PHASES.join(', ')}`);
  process.exitCode = 2;
} else {
  process.exitCode = names.length > 0 ? await runNamed(names) : await summary(process.argv.includes('--quick'), only);
}
