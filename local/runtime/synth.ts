/**
 * Synthesizes the CDK app in-process with bundling skipped (the local runtime runs handler
 * sources directly) and caches the templates in the data folder, keyed by a hash of everything
 * that shapes them: `lib/`, `bin/`, `cdk.json`, the domain and environment modules `lib/`
 * imports, the list of handler files, and the configuration. A cache hit skips loading
 * aws-cdk-lib entirely, which is most of the runtime's start time.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { KycConfig } from '../../lib/config.ts';

/** A CloudFormation template as JSON. */
export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource | undefined>;
  readonly Outputs?: Record<string, { Value?: unknown; Export?: { Name?: unknown } } | undefined>;
  readonly [other: string]: unknown;
}

export interface CfnResource {
  readonly Type?: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly [other: string]: unknown;
}

export interface SynthesizedStack {
  readonly stackName: string;
  readonly template: CfnTemplate;
}

/**
 * The environment `dataResourceEnvironment` gives functions (table and bucket names, key ARNs,
 * bus name), as unresolved CloudFormation values of the data stack. The runtime resolves it to
 * local names, so handlers get their variables even before any function is in the template.
 */
export interface DataEnvironment {
  readonly stackName: string;
  readonly variables: Readonly<Record<string, unknown>>;
}

interface CacheContent {
  readonly stacks: readonly SynthesizedStack[];
  readonly dataEnvironment?: DataEnvironment;
}

export interface SynthResult extends CacheContent {
  readonly stacks: readonly SynthesizedStack[];
  /** Whether the templates came from the cache. */
  readonly cached: boolean;
  readonly hash: string;
  readonly durationMs: number;
}

/** Synthesis failed (a construct threw, or the configuration is invalid). */
export class LocalSynthError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalSynthError';
  }
}

const HASHED_FOLDERS = ['lib', 'bin', 'lambdas/domain', 'lambdas/adapters/aws/environment.ts'];
const HASHED_FILES = ['cdk.json'];

function listFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? listFiles(join(path, entry.name)) : [join(path, entry.name)]))
    .sort();
}

/** Hash of the sources that determine the templates for `config`. */
export function templateSourceHash(repoRoot: string, config: KycConfig): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(config));
  for (const file of [...HASHED_FOLDERS.flatMap((folder) => listFiles(join(repoRoot, folder))), ...HASHED_FILES]) {
    const absolute = file.startsWith(repoRoot) ? file : join(repoRoot, file);
    if (!existsSync(absolute)) continue;
    hash.update(relative(repoRoot, absolute));
    hash.update(readFileSync(absolute));
  }
  // Handler files only matter by name (constructs refuse a missing entry); their content does not shape templates.
  for (const file of listFiles(join(repoRoot, 'lambdas/handlers'))) hash.update(relative(repoRoot, file));
  return hash.digest('hex').slice(0, 24);
}

/**
 * The templates of every stack of the app for `config`, from `<dataDir>/synth-cache/` when the
 * sources are unchanged, else synthesized now (and cached).
 *
 * @example
 * ```ts
 * const { stacks, cached } = await synthesizeTemplates({ repoRoot, dataDir: '.local-data', config });
 * ```
 */
export async function synthesizeTemplates(input: {
  readonly repoRoot: string;
  readonly dataDir: string;
  readonly config: KycConfig;
  /** Where cached templates live (`$KYC_SYNTH_CACHE_DIR`, else `<dataDir>/synth-cache`). */
  readonly cacheDir?: string;
}): Promise<SynthResult> {
  const started = Date.now();
  const hash = templateSourceHash(input.repoRoot, input.config);
  const cacheDir = input.cacheDir ?? process.env.KYC_SYNTH_CACHE_DIR ?? join(input.dataDir, 'synth-cache');
  const cacheFile = join(cacheDir, `${hash}.json`);
  if (existsSync(cacheFile)) {
    try {
      const content = JSON.parse(readFileSync(cacheFile, 'utf8')) as CacheContent;
      return { ...content, cached: true, hash, durationMs: Date.now() - started };
    } catch {
      // A torn cache file is rebuilt below.
    }
  }
  const content = await synthesizeNow(input.repoRoot, input.dataDir, input.config);
  writeCache(cacheDir, cacheFile, content);
  return { ...content, cached: false, hash, durationMs: Date.now() - started };
}

/** Best effort: a cache that cannot be written only costs the next start a synthesis. */
function writeCache(cacheDir: string, cacheFile: string, content: CacheContent): void {
  try {
    mkdirSync(cacheDir, { recursive: true });
    const temporary = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(content));
    renameSync(temporary, cacheFile);
    for (const name of readdirSync(cacheDir)) {
      const file = join(cacheDir, name);
      if (file !== cacheFile && name.endsWith('.json')) rmSync(file, { force: true });
    }
  } catch {
    // Another process may be writing the same cache; the templates in hand are still valid.
  }
}

async function synthesizeNow(repoRoot: string, dataDir: string, config: KycConfig): Promise<CacheContent> {
  // aws-cdk-lib wraps every function of `fs` and `child_process` in its own timers for the rest
  // of the process (outside tests) unless told not to; the runtime serves for hours after this.
  process.env.CDK_NO_PERF_BUILTINS ??= '1';
  const [{ App }, { buildKycApp }, { dataResourceEnvironment }] = await Promise.all([
    import('aws-cdk-lib'),
    import('../../lib/kyc-app.ts'),
    import('../../lib/stacks/data-stack.ts'),
  ]);
  const cdkJson = JSON.parse(readFileSync(join(repoRoot, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const outdir = join(dataDir, 'cdk.out');
  rmSync(outdir, { recursive: true, force: true });
  try {
    const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
    const { dataStack } = buildKycApp(app, config);
    const variables = dataStack.resolve(dataResourceEnvironment(dataStack.resources)) as Record<string, unknown>;
    const assembly = app.synth();
    return {
      stacks: assembly.stacks.map((stack) => ({ stackName: stack.stackName, template: stack.template as CfnTemplate })),
      dataEnvironment: { stackName: dataStack.stackName, variables },
    };
  } catch (error) {
    throw new LocalSynthError(`CDK synthesis failed: ${(error as Error).message}`, { cause: error });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
