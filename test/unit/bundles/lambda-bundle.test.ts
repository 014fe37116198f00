import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build, transform } from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  bundlingExternals,
  inlineSchemaKeys,
  lambdaBuildOptions,
  rebuildCommand,
  SDK_CLIENT_MANIFEST,
  SDK_SCHEMA_MODULE,
} from '../../../lib/bundling/lambda-bundle.ts';
import packageJson from '../../../package.json' with { type: 'json' };

const require = createRequire(import.meta.url);

/** The schema modules of every SDK client the app depends on. */
function schemaModules(): { client: string; file: string }[] {
  return Object.keys(packageJson.dependencies)
    .filter((name) => name.startsWith('@aws-sdk/client-'))
    .flatMap((client) => {
      const folder = join(dirname(require.resolve(`${client}/package.json`)), 'dist-es', 'schemas');
      return readdirSync(folder)
        .filter((name) => /^schemas_\d+\.js$/.test(name))
        .map((name) => ({ client, file: join(folder, name) }));
    });
}

describe('inlineSchemaKeys', () => {
  it('writes the string of a module constant into each computed key that names it', () => {
    // Prepare
    const source = [
      'const _h = "http";',
      'const _e = "error";',
      'export var A = [9, { [_h]: ["GET", "/"], [_e]: 1 }];',
    ].join('\n');

    // Act
    const { code, inlined } = inlineSchemaKeys(source);

    // Assess
    expect(inlined).toBe(2);
    expect(code).toContain('export var A = [9, { ["http"]: ["GET", "/"], ["error"]: 1 }];');
  });

  it('leaves keys naming anything but a string constant, and arrays that are not keys', () => {
    // Prepare: a number constant, a let, an import, and an array element holding a constant.
    const source = [
      'import { _i } from "./x";',
      'const _n = 5;',
      'let _l = "let";',
      'const _s = "s";',
      'export var B = [{ [_n]: 1, [_l]: 2, [_i]: 3 }, [_s], _s ? [_s] : 0];',
    ].join('\n');

    // Act
    const { code, inlined } = inlineSchemaKeys(source);

    // Assess
    expect(inlined).toBe(0);
    expect(code).toBe(source);
  });

  it('rewrites every installed client schema module to valid code with the same constants, none shadowed', async () => {
    // Prepare
    const modules = schemaModules();
    expect(modules.length).toBeGreaterThanOrEqual(8);

    for (const { client, file } of modules) {
      const source = readFileSync(file, 'utf8');

      // Act
      const { code, inlined } = inlineSchemaKeys(source);

      // Assess: keys were rewritten, none naming a string constant is left, the code parses,
      // and each inlined constant is declared once and never bound again (no parameter, no
      // other declaration), so the key named that very string.
      expect(inlined, client).toBeGreaterThan(0);
      const constants = new Set([...source.matchAll(/^const (_\w+) = "/gm)].map((match) => match[1]));
      const leftKeys = [...code.matchAll(/[{,]\s*\[(_\w+)\]:/g)].map((match) => match[1]);
      expect(
        leftKeys.filter((name) => constants.has(name)),
        client,
      ).toEqual([]);
      await expect(transform(code, { loader: 'js', format: 'esm' }), client).resolves.toBeDefined();
      const parameters = new Set(
        [...source.matchAll(/\(([^()]*)\)\s*=>|\b(\w+)\s*=>|\bfunction\s*\w*\s*\(([^)]*)\)/g)].flatMap((match) =>
          (match[1] ?? match[2] ?? match[3] ?? '').split(',').map((parameter) => parameter.trim()),
        ),
      );
      for (const name of constants) {
        const declarations = source.match(new RegExp(`\\b(?:const|let|var|function|class)\\s+${name}\\b`, 'g'));
        expect(declarations?.length, `${client} ${name}`).toBe(1);
        expect(parameters.has(name as string), `${client} ${name}`).toBe(false);
      }
    }
  }, 60_000);

  it('matches exactly the client schema modules', () => {
    // Assess
    expect(SDK_SCHEMA_MODULE.test('/x/node_modules/@aws-sdk/client-s3/dist-es/schemas/schemas_0.js')).toBe(true);
    expect(SDK_SCHEMA_MODULE.test('C:\\x\\node_modules\\@aws-sdk\\client-kms\\dist-es\\schemas\\schemas_1.js')).toBe(
      true,
    );
    expect(SDK_SCHEMA_MODULE.test('/x/node_modules/@aws-sdk/client-s3/dist-es/S3Client.js')).toBe(false);
    expect(SDK_SCHEMA_MODULE.test('/x/node_modules/@aws-sdk/core/dist-es/schemas/schemas_0.js')).toBe(false);
    expect(SDK_CLIENT_MANIFEST.test('/x/node_modules/@aws-sdk/client-kms/package.json')).toBe(true);
    expect(SDK_CLIENT_MANIFEST.test('/x/node_modules/@aws-sdk/core/package.json')).toBe(false);
  });
});

describe('lambdaBuildOptions', () => {
  /** A one-operation S3 handler built with the deployment's options, with or without the schema plugin. */
  async function s3Bundle(plugins: boolean): Promise<{ bytes: number; code: string }> {
    const options = lambdaBuildOptions(process.cwd(), { nodeModules: [], externalModules: bundlingExternals(true) });
    const result = await build({
      ...options,
      plugins: plugins ? options.plugins : [],
      stdin: {
        contents:
          "import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';\n" +
          "export const handler = () => new S3Client({}).send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }));",
        resolveDir: process.cwd(),
        loader: 'ts',
      },
      sourcemap: false,
      write: false,
      outfile: 'out.mjs',
    });
    const code = result.outputFiles[0]?.text ?? '';
    return { bytes: Buffer.byteLength(code), code };
  }

  it('drops the schemas of operations a function does not call, keeping its own and the registered errors', async () => {
    // Act
    const [shaken, whole] = await Promise.all([s3Bundle(true), s3Bundle(false)]);

    // Assess
    expect(whole.bytes - shaken.bytes).toBeGreaterThan(40 * 1024);
    expect(whole.code.includes('PutBucketLifecycleConfiguration'), 'PutBucketLifecycleConfiguration').toBe(true);
    expect(shaken.code.includes('PutBucketLifecycleConfiguration'), 'PutBucketLifecycleConfiguration').toBe(false);
    expect(shaken.code.includes('x-id=GetObject'), 'x-id=GetObject').toBe(true);
    expect(shaken.code.includes('NoSuchKey'), 'NoSuchKey').toBe(true);
  }, 60_000);

  it("carries each client's name and version, not its whole package.json", async () => {
    // Act
    const [shaken, whole] = await Promise.all([s3Bundle(true), s3Bundle(false)]);
    const version = (require('@aws-sdk/client-s3/package.json') as { version: string }).version;

    // Assess: the version the user agent sends stays; the manifest's scripts go.
    expect(shaken.code.includes(`version:"${version}"`), version).toBe(true);
    expect(whole.code.includes('downlevel-dts'), 'downlevel-dts').toBe(true);
    expect(shaken.code.includes('downlevel-dts'), 'downlevel-dts').toBe(false);
  }, 60_000);

  it('leaves out the event-stream codec and SigV4a of the S3 client, for modules that refuse them by name', async () => {
    // Act
    const [trimmed, whole] = await Promise.all([s3Bundle(true), s3Bundle(false)]);

    // Assess: the codec's message framing and the SigV4a branch's error text go; the refusals come in.
    expect(whole.code.includes(':message-type'), ':message-type').toBe(true);
    expect(trimmed.code.includes(':message-type'), ':message-type').toBe(false);
    expect(whole.code.includes('Neither CRT nor JS SigV4a'), 'SigV4a branch').toBe(true);
    expect(trimmed.code.includes('Neither CRT nor JS SigV4a'), 'SigV4a branch').toBe(false);
    expect(trimmed.code.includes('EventStreamsNotBundledError'), 'EventStreamsNotBundledError').toBe(true);
    expect(trimmed.code.includes('SigV4aNotBundledError'), 'SigV4aNotBundledError').toBe(true);
  }, 60_000);

  it('takes credentials from the environment alone: no container or instance-metadata provider', async () => {
    // Act
    const { code } = await s3Bundle(true);

    // Assess
    expect(code.includes('AWS_ACCESS_KEY_ID'), 'AWS_ACCESS_KEY_ID').toBe(true);
    expect(code.includes('AWS_CONTAINER_CREDENTIALS'), 'AWS_CONTAINER_CREDENTIALS').toBe(false);
    expect(code.includes('fromInstanceMetadata'), 'fromInstanceMetadata').toBe(false);
  }, 60_000);
});

describe('rebuildCommand', () => {
  it('quotes every path and the external modules for the shell', () => {
    // Act
    const command = rebuildCommand("/work/it's here", '/out dir', 'lambdas/handlers/http/health.ts', ['sharp']);

    // Assess
    expect(command).toBe(
      "cd '/work/it'\\''s here' && node --import tsx lib/bundling/lambda-bundle.ts " +
        "'lambdas/handlers/http/health.ts' '/out dir/index.mjs' '[\"sharp\"]'",
    );
  });
});
