/**
 * Builds every Lambda function of the synthesized app exactly as a deployment bundles it (the
 * esbuild settings of `KycFunction`, `lambdaBuildOptions`), and measures each bundle: its size and
 * how long a fresh Node process takes to import it, over a bare Node start measured alongside.
 *
 * The functions come from the templates the local runtime synthesizes (`local/runtime/synth.ts`,
 * bundling skipped there): each `AWS::Lambda::Function` carries `kyc:entry` (its source) and,
 * when it ships native packages, `kyc:nodeModules`.
 */
import { existsSync, mkdirSync, realpathSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { bundlingExternals, lambdaBuildOptions } from '../../lib/bundling/lambda-bundle.ts';
import { nodeRun } from './node-process.ts';
import type { SynthesizedStack } from '../../local/runtime/synth.ts';

/** One function of the app, as the template describes it. */
export interface AppFunction {
  /** Logical id without the hash CDK appends, e.g. `ApiGetV1VerificationsIdFunction`. */
  readonly name: string;
  /** Source file relative to the repository, e.g. `lambdas/handlers/http/health.ts`. */
  readonly entry: string;
  readonly memoryMb: number;
  /** Packages installed beside the bundle instead of bundled (e.g. `sharp`). */
  readonly nodeModules: readonly string[];
  /** Modules the bundle leaves out (`kyc:externalModules`, see `bundlingExternals`). */
  readonly externalModules: readonly string[];
  /** Environment variables with literal values (unresolved references left out). */
  readonly environment: Readonly<Record<string, string>>;
}

/** Size budget class of a function: `image` bundles sharp or image/model code; `lean` is every other. */
export type BundleClass = 'lean' | 'image';

/** Source folders whose presence in a bundle makes it an image/model function. */
const IMAGE_CODE = ['lambdas/quality/', 'lambdas/watermark/', 'lambdas/rendition/', 'node_modules/exifr/'];

/**
 * The functions of the synthesized stacks, in template order.
 *
 * @example
 * ```ts
 * const { stacks } = await synthesizeTemplates({ repoRoot, dataDir, config });
 * for (const fn of appFunctions(stacks)) console.log(fn.name, fn.entry);
 * ```
 */
export function appFunctions(stacks: readonly SynthesizedStack[]): AppFunction[] {
  const functions: AppFunction[] = [];
  for (const stack of stacks) {
    for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
      if (resource?.Type !== 'AWS::Lambda::Function') continue;
      const entry = resource.Metadata?.['kyc:entry'];
      if (typeof entry !== 'string') continue;
      const variables = ((resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables ?? {}) as Record<string, unknown>;
      functions.push({
        name: logicalId.replace(/[0-9A-F]{8}$/, ''),
        entry,
        memoryMb: Number(resource.Properties?.MemorySize ?? 128),
        nodeModules: (resource.Metadata?.['kyc:nodeModules'] as string[] | undefined) ?? [],
        externalModules:
          (resource.Metadata?.['kyc:externalModules'] as string[] | undefined) ?? bundlingExternals(true),
        environment: Object.fromEntries(
          Object.entries(variables).filter((pair): pair is [string, string] => typeof pair[1] === 'string'),
        ),
      });
    }
  }
  return functions;
}

export interface BuiltBundle {
  readonly file: string;
  readonly sizeBytes: number;
  readonly sourceMapBytes: number;
  readonly bundleClass: BundleClass;
  /** Bytes in the output per package (or per source folder), largest first. */
  readonly composition: readonly { readonly source: string; readonly bytes: number }[];
}

function compositionOf(output: Metafile['outputs'][string] | undefined): { source: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    const source = pkg ?? path.split('/').slice(0, 2).join('/');
    totals.set(source, (totals.get(source) ?? 0) + input.bytesInOutput);
  }
  return [...totals].map(([source, bytes]) => ({ source, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/** Links `nodeModules` into `<outDir>/node_modules`, so a bundle there imports them as on Lambda. */
function linkNodeModules(repoRoot: string, owner: string, nodeModules: readonly string[], outDir: string): void {
  const require = createRequire(join(repoRoot, 'package.json'));
  for (const name of nodeModules) {
    const installed = (require.resolve.paths(name) ?? [])
      .map((folder) => join(folder, name))
      .find((folder) => existsSync(join(folder, 'package.json')));
    if (!installed) throw new Error(`${owner}: node module ${name} is not installed`);
    const target = join(outDir, 'node_modules', name);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(realpathSync(installed), target, 'dir');
  }
}

function builtBundle(fn: AppFunction, file: string, output: Metafile['outputs'][string] | undefined): BuiltBundle {
  const inputs = Object.keys(output?.inputs ?? {});
  const image = fn.nodeModules.length > 0 || inputs.some((input) => IMAGE_CODE.some((code) => input.includes(code)));
  return {
    file,
    sizeBytes: statSync(file).size,
    sourceMapBytes: statSync(`${file}.map`).size,
    bundleClass: image ? 'image' : 'lean',
    composition: compositionOf(output),
  };
}

/**
 * Bundles one function into `<outDir>/index.mjs` with the deployment's esbuild settings; its
 * `nodeModules` are linked into `<outDir>/node_modules` so the bundle imports as on Lambda.
 */
export async function bundleFunction(repoRoot: string, fn: AppFunction, outDir: string): Promise<BuiltBundle> {
  const { file, metafile } = await bundleEntry(repoRoot, fn.entry, outDir, fn, fn.name);
  const output = Object.entries(metafile?.outputs ?? {}).find(([path]) => path.endsWith('.mjs'))?.[1];
  return builtBundle(fn, file, output);
}

/**
 * Bundles a bench program (any entry file) into `<outDir>/index.mjs` as a deployment bundles a
 * function, with `nodeModules` linked beside it: timed code then runs as Lambda runs it, in plain
 * Node from esbuild output, not through a TypeScript loader. `externalModules` as a function's
 * (`bundlingExternals`; default: those of a function with the S3 client). Returns the bundle's path.
 *
 * @example
 * ```ts
 * const file = await bundleProgram(repoRoot, 'bench/gate-speed.ts', outDir, ['sharp']);
 * spawnSync(process.execPath, [file]);
 * ```
 */
export async function bundleProgram(
  repoRoot: string,
  entry: string,
  outDir: string,
  nodeModules: readonly string[],
  externalModules: readonly string[] = bundlingExternals(true),
): Promise<string> {
  return (await bundleEntry(repoRoot, entry, outDir, { nodeModules, externalModules })).file;
}

/** What a bundle leaves out: the packages linked beside it, and the modules no one installs. */
type Outside = Pick<AppFunction, 'nodeModules' | 'externalModules'>;

/** `entry` bundled into `<outDir>/index.mjs` with the deployment's settings, `nodeModules` linked beside it. */
async function bundleEntry(
  repoRoot: string,
  entry: string,
  outDir: string,
  { nodeModules, externalModules }: Outside,
  owner = entry,
): Promise<{ file: string; metafile: Metafile | undefined }> {
  const file = join(outDir, 'index.mjs');
  const result = await build({
    ...lambdaBuildOptions(repoRoot, { nodeModules, externalModules }),
    entryPoints: [join(repoRoot, entry)],
    outfile: file,
  });
  linkNodeModules(repoRoot, owner, nodeModules, outDir);
  return { file, metafile: result.metafile };
}

/**
 * Bundles several functions in one esbuild run per set of external modules (one output per
 * function, each as `bundleFunction` builds it alone): `<outDir>/<index>/index.mjs`, in the
 * order given. Faster than one build per function when many are built at once (the bundle tests).
 *
 * @example
 * ```ts
 * const [health, metrics] = await bundleFunctions(repoRoot, [healthFn, metricsFn], outDir);
 * console.log(health.sizeBytes, metrics.composition[0]);
 * ```
 */
export async function bundleFunctions(
  repoRoot: string,
  fns: readonly AppFunction[],
  outDir: string,
): Promise<BuiltBundle[]> {
  // One run per set of external modules (a function with the S3 client keeps the event-stream codec).
  const groups = new Map<string, { index: number; fn: AppFunction }[]>();
  fns.forEach((fn, index) => {
    const key = JSON.stringify([...fn.externalModules].sort());
    groups.set(key, [...(groups.get(key) ?? []), { index, fn }]);
  });
  const outputs: [string, Metafile['outputs'][string]][] = [];
  for (const [key, members] of groups) {
    const result = await build({
      ...lambdaBuildOptions(repoRoot, {
        nodeModules: [...new Set(members.flatMap(({ fn }) => fn.nodeModules))],
        externalModules: JSON.parse(key) as string[],
      }),
      entryPoints: Object.fromEntries(members.map(({ index, fn }) => [`${index}/index`, join(repoRoot, fn.entry)])),
      outdir: outDir,
      outExtension: { '.js': '.mjs' },
    });
    outputs.push(...Object.entries(result.metafile?.outputs ?? {}));
  }
  return fns.map((fn, index) => {
    const dir = join(outDir, String(index));
    const file = join(dir, 'index.mjs');
    linkNodeModules(repoRoot, fn.name, fn.nodeModules, dir);
    return builtBundle(fn, file, outputs.find(([path]) => resolve(repoRoot, path) === file)?.[1]);
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * A fresh Node process that imports `file` (with the function's literal environment and
 * `NODE_OPTIONS`, as Lambda starts it) against a bare Node start with the same environment, in
 * `runs` back-to-back pairs: the medians of each (wall and CPU time), and the median of the
 * pairs' differences (`overMs`, `overCpuMs`). A pair's two processes run a few milliseconds apart
 * and see the same machine load, so its difference cancels the slow spells of a shared machine
 * that two independent medians keep (on this 2-core VM, a bare start varies from 35 to 90 ms
 * within the hour).
 *
 * @example
 * ```ts
 * const { overMs } = coldImport(bundle.file, fn.environment, 9);
 * console.log(`cold import over bare Node: ${overMs} ms`);
 * ```
 */
export function coldImport(
  file: string,
  environment: Readonly<Record<string, string>>,
  runs: number,
): { importMs: number; bareMs: number; importCpuMs: number; bareCpuMs: number; overMs: number; overCpuMs: number } {
  const env = { AWS_REGION: 'eu-west-1', ...environment };
  const importScript = `await import(${JSON.stringify(pathToFileURL(file).href)});`;
  const imports: { wallMs: number; cpuMs: number }[] = [];
  const bare: { wallMs: number; cpuMs: number }[] = [];
  for (let run = 0; run < runs; run += 1) {
    // Alternate which comes first, so that neither always follows the other's cache effects.
    if (run % 2 === 0) {
      bare.push(nodeRun('', env));
      imports.push(nodeRun(importScript, env));
    } else {
      imports.push(nodeRun(importScript, env));
      bare.push(nodeRun('', env));
    }
  }
  const pairs = imports.map((run, index) => ({
    wallMs: run.wallMs - (bare[index] as { wallMs: number }).wallMs,
    cpuMs: run.cpuMs - (bare[index] as { cpuMs: number }).cpuMs,
  }));
  return {
    importMs: median(imports.map((run) => run.wallMs)),
    bareMs: median(bare.map((run) => run.wallMs)),
    importCpuMs: median(imports.map((run) => run.cpuMs)),
    bareCpuMs: median(bare.map((run) => run.cpuMs)),
    overMs: median(pairs.map((pair) => pair.wallMs)),
    overCpuMs: median(pairs.map((pair) => pair.cpuMs)),
  };
}
