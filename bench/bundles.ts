/**
 * Size and cold import time of every Lambda function the CDK app builds, bundled with the
 * deployment's esbuild settings from the templates the local runtime synthesizes (cached in
 * `$KYC_SYNTH_CACHE_DIR`). Budget of a `lean` function (no image or model code): <= 300 KB and
 * <= 50 ms cold import over a bare Node start.
 *
 * Run alone: `npm run bench -- bundles` (add `--quick` for one import run per function).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stop as stopEsbuild } from 'esbuild';
import { resolveConfig } from '../lib/config.ts';
import { bundlingExternals } from '../lib/bundling/lambda-bundle.ts';
import { synthesizeTemplates } from '../local/runtime/synth.ts';
import { appFunctions, bundleFunction, bundleProgram, coldImport, type BundleClass } from './support/bundles.ts';
import { LEAN_BUDGET } from './support/goals.ts';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface BundleFigure {
  readonly name: string;
  readonly entry: string;
  readonly class: BundleClass;
  readonly memoryMb: number;
  readonly sizeBytes: number;
  readonly sourceMapBytes: number;
  /** Import time over a bare Node start (median of nine back-to-back pairs); `null` when the bundle fails to import (see `importError`). */
  readonly coldImportMs: number | null;
  /** CPU time of the import over a bare Node start's (user + system); steadier than wall time on a busy machine. */
  readonly coldImportCpuMs: number | null;
  readonly importError?: string;
  /** Lean functions: size and wall-time cold import both within `LEAN_BUDGET`; image functions: `null`. */
  readonly withinBudget: boolean | null;
  readonly withinSizeBudget: boolean | null;
  readonly largest: string;
}

/**
 * A floor: the least a lean function can weigh with the app's stack (bundled AWS SDK v3, the
 * Powertools Logger, middy), a handler in `bench/floor/` built and measured like a function.
 */
export interface FloorFigure {
  readonly name: string;
  readonly entry: string;
  readonly sizeBytes: number;
  readonly coldImportMs: number;
  readonly coldImportCpuMs: number;
}

/** The floors measured in every bundles run, least first (each built as a function is). */
const FLOORS: readonly { readonly name: string; readonly entry: string }[] = [
  { name: 'Powertools Logger + middy only', entry: 'bench/floor/logger-only.ts' },
  { name: 'one DynamoDB read', entry: 'bench/floor/dynamodb-read.ts' },
  { name: 'one S3 read + one DynamoDB read', entry: 'bench/floor/s3-dynamodb.ts' },
  { name: "one DynamoDB read through the SDK's document client", entry: 'bench/floor/sdk-dynamodb-read.ts' },
];

/** Pairs of a bare Node start and an import measured per function (`coldImport`): the median pair counts. */
const IMPORT_RUNS = 9;

/** Bundles and measures every function and the floors; `quick`: one pair each instead of nine. */
export async function measureBundles(options: { quick?: boolean } = {}): Promise<{
  bundles: BundleFigure[];
  floors: FloorFigure[];
  bareNodeMs: number;
}> {
  const work = mkdtempSync(join(tmpdir(), 'kyc-bench-bundles-'));
  try {
    const { stacks } = await synthesizeTemplates({ repoRoot: REPO_ROOT, dataDir: work, config: resolveConfig({}) });
    // Every bundle is built first, and esbuild's service stopped, so that no build runs beside
    // the timed imports on the two cores.
    const fns = appFunctions(stacks);
    const builds = [];
    for (const [index, fn] of fns.entries())
      builds.push(await bundleFunction(REPO_ROOT, fn, join(work, String(index))));
    const floorFiles: string[] = [];
    for (const [index, floor] of FLOORS.entries()) {
      floorFiles.push(
        await bundleProgram(REPO_ROOT, floor.entry, join(work, `floor-${index}`), [], bundlingExternals(false)),
      );
    }
    await stopEsbuild();
    const bundles: BundleFigure[] = [];
    const bare: number[] = [];
    for (const [index, fn] of fns.entries()) {
      const built = builds[index] as (typeof builds)[number];
      let coldImportMs: number | null = null;
      let coldImportCpuMs: number | null = null;
      let importError: string | undefined;
      try {
        const { bareMs, overMs, overCpuMs } = coldImport(built.file, fn.environment, options.quick ? 1 : IMPORT_RUNS);
        bare.push(bareMs);
        coldImportMs = Math.round(Math.max(0, overMs));
        coldImportCpuMs = Math.round(Math.max(0, overCpuMs));
      } catch (error) {
        importError = (error as Error).message.split('\n').find((line) => line.startsWith('Error')) ?? 'import failed';
      }
      bundles.push({
        name: fn.name,
        entry: fn.entry,
        class: built.bundleClass,
        memoryMb: fn.memoryMb,
        sizeBytes: built.sizeBytes,
        sourceMapBytes: built.sourceMapBytes,
        coldImportMs,
        coldImportCpuMs,
        ...(importError ? { importError } : {}),
        withinSizeBudget: built.bundleClass === 'lean' ? built.sizeBytes <= LEAN_BUDGET.sizeBytes : null,
        withinBudget:
          built.bundleClass === 'lean'
            ? built.sizeBytes <= LEAN_BUDGET.sizeBytes &&
              coldImportMs !== null &&
              coldImportMs <= LEAN_BUDGET.coldImportMs
            : null,
        largest: built.composition
          .slice(0, 3)
          .map((part) => `${part.source} ${Math.round(part.bytes / 1024)} KB`)
          .join(', '),
      });
    }
    const floors: FloorFigure[] = [];
    for (const [index, floor] of FLOORS.entries()) {
      const file = floorFiles[index] as string;
      const { bareMs, overMs, overCpuMs } = coldImport(file, {}, options.quick ? 1 : IMPORT_RUNS);
      bare.push(bareMs);
      floors.push({
        name: floor.name,
        entry: floor.entry,
        sizeBytes: statSync(file).size,
        coldImportMs: Math.round(Math.max(0, overMs)),
        coldImportCpuMs: Math.round(Math.max(0, overCpuMs)),
      });
    }
    bare.sort((a, b) => a - b);
    return { bundles, floors, bareNodeMs: Math.round(bare[Math.floor(bare.length / 2)] ?? 0) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `npm run bench -- bundles`: flat figures per function. */
export async function run(options: { quick?: boolean } = {}): Promise<Record<string, unknown>> {
  const { bundles, floors, bareNodeMs } = await measureBundles(options);
  const lean = bundles.filter((bundle) => bundle.class === 'lean');
  return {
    bareNodeMs,
    ...Object.fromEntries(
      floors.map((floor) => [
        `floor: ${floor.name}`,
        `${Math.round(floor.sizeBytes / 1024)} KB, +${floor.coldImportMs} ms wall, +${floor.coldImportCpuMs} ms CPU`,
      ]),
    ),
    functions: bundles.length,
    leanWithinBudget: `${lean.filter((bundle) => bundle.withinBudget).length}/${lean.length}`,
    leanWithinSizeBudget: `${lean.filter((bundle) => bundle.withinSizeBudget).length}/${lean.length}`,
    ...Object.fromEntries(
      bundles.map((bundle) => [
        bundle.name,
        `${bundle.class} ${Math.round(bundle.sizeBytes / 1024)} KB, ${bundle.importError ?? `+${bundle.coldImportMs} ms wall, +${bundle.coldImportCpuMs} ms CPU`} (${bundle.largest})`,
      ]),
    ),
  };
}
