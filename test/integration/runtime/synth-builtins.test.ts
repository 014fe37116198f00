import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Runs an ES module `script` in a Node process outside the test runner (aws-cdk-lib hooks the
 * built-ins only there: no NODE_ENV=test, no CDK_NO_PERF_BUILTINS); expects it to succeed and
 * returns the last line it printed.
 */
function lastLineOutsideTests(script: string): string {
  const env = { ...process.env };
  delete env.NODE_ENV;
  delete env.CDK_NO_PERF_BUILTINS;
  delete env.VITEST;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(run.status, run.stderr.slice(-2000)).toBe(0);
  return run.stdout.trim().split('\n').at(-1) ?? '';
}

describe('local synthesis', () => {
  it("leaves the runtime process's fs and child_process functions as Node made them", () => {
    // Prepare: a process outside the test runner (aws-cdk-lib hooks the built-ins there only), and
    // the modules as CommonJS code sees them (s3rver, fs-extra: their require('fs') is what it patches)
    const dataDir = mkdtempSync(join(tmpdir(), 'kyc-synth-builtins-'));
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const fs = require('node:fs');
      const childProcess = require('node:child_process');
      const before = { readFileSync: fs.readFileSync, writeFileSync: fs.writeFileSync, spawn: childProcess.spawn };
      const { synthesizeTemplates } = await import(${JSON.stringify(join(REPO_ROOT, 'local/runtime/synth.ts'))});
      const { resolveConfig } = await import(${JSON.stringify(join(REPO_ROOT, 'lib/config.ts'))});
      const result = await synthesizeTemplates({ repoRoot: ${JSON.stringify(REPO_ROOT)}, dataDir: ${JSON.stringify(dataDir)}, cacheDir: ${JSON.stringify(join(dataDir, 'cache'))}, config: resolveConfig({}) });
      const fsMod = require('node:fs');
      const cpMod = require('node:child_process');
      console.log(JSON.stringify({
        cached: result.cached,
        stacks: result.stacks.length,
        replaced: [fsMod.readFileSync !== before.readFileSync, fsMod.writeFileSync !== before.writeFileSync, cpMod.spawn !== before.spawn],
      }));`;
    try {
      // Act
      const line = lastLineOutsideTests(script);

      // Assess
      expect(JSON.parse(line)).toEqual({ cached: false, stacks: expect.any(Number), replaced: [false, false, false] });
      expect((JSON.parse(line) as { stacks: number }).stacks).toBeGreaterThan(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 150_000);

  it("leaves them as Node made them in the e2e benchmark's process too, which loads the CDK constructs first", () => {
    // Prepare: the benchmark's module imports the functions' bundle settings (aws-cdk-lib) at once
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const before = require('node:fs').readFileSync;
      await import(${JSON.stringify(join(REPO_ROOT, 'bench/e2e.ts'))});
      await import('aws-cdk-lib');
      console.log(JSON.stringify({ replaced: require('node:fs').readFileSync !== before }));`;

    // Act
    const line = lastLineOutsideTests(script);

    // Assess
    expect(JSON.parse(line)).toEqual({ replaced: false });
  }, 150_000);
});
