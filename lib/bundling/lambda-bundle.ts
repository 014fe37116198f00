/**
 * How every Lambda function is bundled: esbuild's settings, the modules a bundle leaves out,
 * and what the AWS SDK v3 and the MRZ parser bring along that a function never runs:
 *
 * - **The SDK's schemas, tree-shaken** ({@link sdkSchemaTreeShaking}). Each client keeps the
 *   schema of every operation of its service in one module (`dist-es/schemas/schemas_0.js`:
 *   137 KB of source for S3), written as arrays whose traits are objects with computed keys
 *   (`{ [_h]: ["GET", "/{Key+}?x-id=GetObject", 200] }`, `_h` a module constant). esbuild cannot
 *   tell that such a key has no side effect, so it keeps every schema: 66 KB of the S3 client's
 *   schemas in a function that only reads objects. The plugin writes each constant's string into
 *   the computed keys it names (`{ ["http"]: ... }`), which is the same object, and esbuild then
 *   drops the schemas no code reaches. Errors the SDK registers stay (their registration is
 *   code that runs), as does every schema a kept one names.
 * - **Credentials from the environment only** ({@link LAMBDA_CREDENTIALS}). Lambda hands every
 *   function its role's credentials in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
 *   `AWS_SESSION_TOKEN`, which the default chain's first link reads. The rest of the chain
 *   (container and instance metadata, shared files, SSO, web identity, processes) is never
 *   reached on Lambda; the bundle takes `lambdas/adapters/aws/lambda-credentials.ts` in its place.
 * - **Each client's manifest, as its version** ({@link sdkClientVersionOnly}): a client imports
 *   its `package.json` (about 2 KB) for the version in its user agent, and nothing else of it.
 * - **mrz's state table as its codes** ({@link mrzStateCodesOnly}): the MRZ parser checks an
 *   issuing state's code against a table of codes and country names and never reads a name.
 * - **The endpoint cache's LRU over a `Map`** ({@link MAP_LRU_CACHE}): the DynamoDB client builds
 *   an endpoint-discovery cache on `mnemonist`'s LRU cache (about 7 KB with `obliterator`), of
 *   which it uses five methods.
 *
 * `NodejsFunction` bundles with esbuild's command line, which takes no plugins, so `KycFunction`
 * rebuilds its bundle with this module after that step ({@link rebuildCommand}); `npm run bench`
 * and the bundle tests build with {@link lambdaBuildOptions} too, so what they measure is what
 * a deployment ships. Run as a program it builds one function:
 * `node --import tsx lib/bundling/lambda-bundle.ts <entry> <outfile> '<external modules as JSON>'`.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Plugin } from 'esbuild';

/** esbuild settings of every function (ESM with a `createRequire` banner, minified, source map beside it). */
export const LAMBDA_ESBUILD = {
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
} as const;

/**
 * Modules of the SDK's default credential chain that a Lambda function never loads (see the
 * module comment): with {@link LAMBDA_CREDENTIALS} in the chain's place no bundle reaches them,
 * and they stay external in case a package imports one directly.
 */
export const SDK_MODULES_UNUSED_ON_LAMBDA: readonly string[] = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-login',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/token-providers',
];

/**
 * The SDK's event-stream codec (about 15 KB). Only the S3 client imports it as it loads (its
 * `SelectObjectContent` answers in an event stream); every other client the functions use
 * (DynamoDB, KMS, Rekognition, Step Functions, EventBridge) reaches it only through a dynamic
 * `import()` in the protocol's event-stream serializer, which none of their operations calls,
 * since none of them has an event-stream member. So a function without the S3 client leaves it
 * out of its bundle; a function with it keeps it (`KycFunctionProps.s3Client`), or its bundle
 * would not load. The app's functions call S3 through `lambdas/adapters/aws/s3-rest-client.ts`,
 * not the S3 client, so every one of them leaves the codec out. `test/unit/bundles/bundle-budget.test.ts` builds every function of the
 * synthesized app with its own settings and imports each with nothing beside it.
 */
export const SDK_EVENT_STREAM_CODEC = '@smithy/core/event-streams';

/**
 * The modules a function's bundle leaves out: those no Lambda function loads, and the SDK's
 * event-stream codec unless the function uses the S3 client.
 *
 * @example
 * ```ts
 * bundlingExternals(false); // [...SDK_MODULES_UNUSED_ON_LAMBDA, '@smithy/core/event-streams']
 * ```
 */
export function bundlingExternals(s3Client: boolean): string[] {
  return [...SDK_MODULES_UNUSED_ON_LAMBDA, ...(s3Client ? [] : [SDK_EVENT_STREAM_CODEC])];
}

/** What a Lambda bundle imports instead of `@aws-sdk/credential-provider-node`, relative to the repository. */
export const LAMBDA_CREDENTIALS = 'lambdas/adapters/aws/lambda-credentials.ts';

/** What a bundle imports instead of `mnemonist/lru-cache` (the DynamoDB client's endpoint cache). */
export const MAP_LRU_CACHE = 'lambdas/adapters/aws/map-lru-cache.ts';

/** What a bundle with the S3 client imports instead of the event-stream codec ({@link sdkS3Trims}). */
export const NO_EVENT_STREAMS = 'lambdas/adapters/aws/no-event-streams.ts';

/** What a bundle imports instead of `@aws-sdk/signature-v4-multi-region` ({@link sdkS3Trims}). */
export const S3_SIGV4_SIGNER = 'lambdas/adapters/aws/s3-sigv4-signer.ts';

/**
 * esbuild plugin: two parts of the S3 client no function uses, replaced by modules that refuse
 * them with a clear error (each module says why). `@aws-sdk/signature-v4-multi-region` becomes
 * {@link S3_SIGV4_SIGNER}: SigV4 as before, no SigV4a branch for multi-region access points
 * (about 3 KB). With `replaceEventStreams` (a bundle with the S3 client, which would otherwise
 * bundle the codec whole), `@smithy/core/event-streams` becomes {@link NO_EVENT_STREAMS} (about
 * 15 KB). The signer module itself still imports the package's other exports.
 */
export function sdkS3Trims(repoRoot: string, { replaceEventStreams }: { replaceEventStreams: boolean }): Plugin {
  const signer = join(repoRoot, S3_SIGV4_SIGNER);
  return {
    name: 'sdk-s3-trims',
    setup(builder) {
      builder.onResolve({ filter: /^@aws-sdk\/signature-v4-multi-region$/ }, (args) =>
        args.importer === signer ? undefined : { path: signer },
      );
      if (replaceEventStreams) {
        builder.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, () => ({
          path: join(repoRoot, NO_EVENT_STREAMS),
        }));
      }
    },
  };
}

/** The schema modules of the SDK's clients (`@aws-sdk/client-<service>/dist-es/schemas/schemas_<n>.js`). */
export const SDK_SCHEMA_MODULE = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;

/**
 * A schema module's source with each computed key that names a string constant of the module
 * (`const _h = "http";` ... `{ [_h]: x }`) given that string instead (`{ ["http"]: x }`): the
 * same objects, which esbuild can then drop when nothing uses them. Keys naming anything else
 * stay as they are. `inlined` counts the keys rewritten.
 *
 * @example
 * ```ts
 * inlineSchemaKeys('const _h = "http";\nexport var A = [{ [_h]: 1 }];').code;
 * // 'const _h = "http";\nexport var A = [{ ["http"]: 1 }];'
 * ```
 */
export function inlineSchemaKeys(source: string): { code: string; inlined: number } {
  const constants = new Map<string, string>();
  for (const match of source.matchAll(/^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm)) {
    constants.set(match[1] as string, match[2] as string);
  }
  let inlined = 0;
  const code = source.replace(/([{,]\s*)\[(_\w+)\]:/g, (whole, before: string, name: string) => {
    const value = constants.get(name);
    if (value === undefined) return whole;
    inlined += 1;
    return `${before}[${value}]:`;
  });
  return { code, inlined };
}

/**
 * esbuild plugin: loads the SDK's schema modules through {@link inlineSchemaKeys}, so a bundle
 * keeps only the schemas its operations reach (S3 GetObject alone: about 55 KB less).
 */
export function sdkSchemaTreeShaking(): Plugin {
  return {
    name: 'sdk-schema-tree-shaking',
    setup(builder) {
      builder.onLoad({ filter: SDK_SCHEMA_MODULE }, async (args) => ({
        contents: inlineSchemaKeys(await readFile(args.path, 'utf8')).code,
        loader: 'js',
      }));
    },
  };
}

/** The manifests of the SDK's clients, which each client imports for its version (`@aws-sdk/client-<service>/package.json`). */
export const SDK_CLIENT_MANIFEST = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]package\.json$/;

/**
 * esbuild plugin: a client's `package.json` as its name and version only. Each client imports
 * its whole manifest (scripts, dependencies, about 2 KB) and reads `version` alone, for the
 * user agent it sends.
 */
export function sdkClientVersionOnly(): Plugin {
  return {
    name: 'sdk-client-version-only',
    setup(builder) {
      builder.onLoad({ filter: SDK_CLIENT_MANIFEST }, async (args) => {
        const { name, version } = JSON.parse(await readFile(args.path, 'utf8')) as { name: string; version: string };
        return { contents: JSON.stringify({ name, version }), loader: 'json' };
      });
    },
  };
}

/** mrz's table of document issuing states (`mrz/lib/generated/states.js`: ICAO code to country name). */
export const MRZ_STATES_MODULE = /[\\/]mrz[\\/]lib[\\/]generated[\\/]states\.js$/;

/**
 * mrz's state table as its codes alone, each mapped to `true`: the source of the module esbuild
 * loads in its place (the names weigh about 5 KB). The parser only looks a code up to refuse one
 * it does not know (`mrz/lib/parsers/parseState.js`) and never reads a name; no function imports
 * the table (`states`) itself. Throws when the table is not the `"<code>": "<name>",` list it was.
 *
 * @example
 * ```ts
 * mrzStateCodes('const states = {\n    "AFG": "Afghanistan",\n    "D": "Germany"\n};\nexport default states;');
 * // 'export default Object.freeze({"AFG":true,"D":true});'
 * ```
 */
export function mrzStateCodes(source: string): string {
  const codes = [...source.matchAll(/^\s*"([A-Z<]{1,3})": "[^"\n]*",?$/gm)].map((match) => match[1] as string);
  const entries = source.match(/^\s*"[^"\n]*":/gm)?.length ?? 0;
  if (codes.length === 0 || codes.length !== entries || !/export default states;/.test(source)) {
    throw new Error('mrz/lib/generated/states.js is not the table of codes and names it was: see mrzStateCodes');
  }
  return `export default Object.freeze(${JSON.stringify(Object.fromEntries(codes.map((code) => [code, true])))});`;
}

/** esbuild plugin: loads mrz's state table through {@link mrzStateCodes}. */
export function mrzStateCodesOnly(): Plugin {
  return {
    name: 'mrz-state-codes-only',
    setup(builder) {
      builder.onLoad({ filter: MRZ_STATES_MODULE }, async (args) => ({
        contents: mrzStateCodes(await readFile(args.path, 'utf8')),
        loader: 'js',
      }));
    },
  };
}

/** What a bundle leaves out: packages installed beside it, and modules no one installs. */
export interface LambdaOutside {
  /** Packages installed into the asset's `node_modules` (e.g. `sharp`). */
  readonly nodeModules: readonly string[];
  /** Modules left out ({@link bundlingExternals}). */
  readonly externalModules: readonly string[];
}

/**
 * esbuild options of a deployment bundle, less its entries and output.
 *
 * @example
 * ```ts
 * await build({ ...lambdaBuildOptions(root, { nodeModules: [], externalModules: bundlingExternals(false) }),
 *   entryPoints: ['lambdas/handlers/http/health.ts'], outfile: 'out/index.mjs' });
 * ```
 */
export function lambdaBuildOptions(repoRoot: string, { nodeModules, externalModules }: LambdaOutside): BuildOptions {
  return {
    absWorkingDir: repoRoot,
    bundle: true,
    platform: 'node',
    minify: LAMBDA_ESBUILD.minify,
    sourcemap: LAMBDA_ESBUILD.sourcemap,
    format: LAMBDA_ESBUILD.format,
    target: LAMBDA_ESBUILD.target,
    mainFields: [...LAMBDA_ESBUILD.mainFields],
    banner: { js: LAMBDA_ESBUILD.banner },
    external: [...externalModules, ...nodeModules],
    alias: {
      '@aws-sdk/credential-provider-node': join(repoRoot, LAMBDA_CREDENTIALS),
      'mnemonist/lru-cache': join(repoRoot, MAP_LRU_CACHE),
    },
    plugins: [
      sdkSchemaTreeShaking(),
      sdkClientVersionOnly(),
      mrzStateCodesOnly(),
      // A bundle that leaves the codec out (no S3 client) never imports it statically: nothing to replace.
      sdkS3Trims(repoRoot, { replaceEventStreams: !externalModules.includes(SDK_EVENT_STREAM_CODEC) }),
    ],
    metafile: true,
    logLevel: 'error',
  };
}

/** A word for `bash -c`, quoted. */
function shellWord(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The shell command (`NodejsFunction`'s `afterBundling` hook) that rebuilds a function's bundle
 * in `outputDir` with this module, over the one esbuild's command line wrote.
 *
 * @example
 * ```ts
 * afterBundling: (inputDir, outputDir) => [rebuildCommand(inputDir, outputDir, 'lambdas/handlers/http/health.ts', [])],
 * ```
 */
export function rebuildCommand(
  inputDir: string,
  outputDir: string,
  entry: string,
  externals: readonly string[],
): string {
  return [
    `cd ${shellWord(inputDir)} &&`,
    'node --import tsx lib/bundling/lambda-bundle.ts',
    shellWord(entry),
    shellWord(`${outputDir}/index.mjs`),
    shellWord(JSON.stringify(externals)),
  ].join(' ');
}

/** Builds `entry` into `outfile` as a deployment ships it; `externals` are every module left out. */
export async function bundleLambda(entry: string, outfile: string, externals: readonly string[]): Promise<void> {
  await build({
    ...lambdaBuildOptions(process.cwd(), { nodeModules: [], externalModules: externals }),
    metafile: false,
    entryPoints: [resolve(entry)],
    outfile: resolve(outfile),
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [entry, outfile, externals] = process.argv.slice(2);
  if (entry === undefined || outfile === undefined) {
    process.stderr.write('usage: lambda-bundle.ts <entry> <outfile> [external modules as JSON]\n');
    process.exit(2);
  }
  await bundleLambda(entry, outfile, JSON.parse(externals ?? '[]') as string[]);
}
