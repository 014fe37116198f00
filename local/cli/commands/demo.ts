/**
 * `kyc demo [--api-url URL] [--data-dir DIR]`: drives every scenario of the product through the
 * HTTP API like a frontend would, against a running runtime (`--api-url`) or one it starts
 * itself with accelerated time, and prints each scenario's outcome. Exit 0 only when every
 * scenario gave its expected outcome.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseCommandArgs } from '../args.ts';
import { EXIT, UsageError, type CliIo } from '../io.ts';

export const DEMO_USAGE = `Usage: kyc demo [--api-url URL] [--data-dir DIR]

Runs the demo scenarios (happy path, face mismatch, blurry document then a fixed resubmission,
three failures -> cooldown, duplicate identity -> manual review -> approved by a reviewer)
against the local runtime at --api-url, or against one it starts itself (fresh data folder,
accelerated time) when --api-url is not given. With --api-url, --data-dir names that runtime's
data folder (default .local-data): the reviewer's staff token is signed with its key, as
\`npx kyc token\` does (the runtime mints only user tokens over HTTP). Exit code 0 when every scenario gave its
expected outcome, 1 otherwise.`;

/** Runs `kyc demo`; resolves to the exit code. */
export async function demoCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, {
    'api-url': { type: 'string' },
    'data-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.out(DEMO_USAGE);
    return EXIT.ok;
  }
  const apiUrl = values['api-url'];
  if (apiUrl !== undefined && !/^https?:\/\/[^/]+/.test(apiUrl))
    throw new UsageError('--api-url must be an http(s) URL');
  const { runScenarios } = await import('../../demo/scenarios.ts');
  const { loadOrCreateSigningKey } = await import('../../runtime/auth/local-signing-key.ts');
  if (apiUrl) {
    // The reviewer's staff token is signed with the running runtime's key, as `kyc token` does.
    const signingKey = await loadOrCreateSigningKey(resolve(io.cwd, values['data-dir'] ?? '.local-data'));
    const results = await runScenarios({
      apiUrl: apiUrl.replace(/\/$/, ''),
      signingKey,
      report: (line) => io.out(line),
    });
    return results.every((result) => result.passed) ? EXIT.ok : EXIT.failure;
  }
  const { startRuntime } = await import('../../runtime/runtime.ts');
  const ownDataDir = values['data-dir'] === undefined;
  const dataDir = ownDataDir ? mkdtempSync(join(tmpdir(), 'kyc-demo-')) : resolve(io.cwd, values['data-dir'] ?? '');
  io.err(`Starting a local runtime for the demo (data in ${dataDir}, time x0.001) ...`);
  const runtime = await startRuntime({ port: 0, dataDir, timeScale: 0.001, log: (line) => io.err(`[local] ${line}`) });
  try {
    io.err(`Runtime ready in ${runtime.timings.total} ms at ${runtime.apiUrl}`);
    const signingKey = await loadOrCreateSigningKey(dataDir);
    const results = await runScenarios({ apiUrl: runtime.apiUrl, signingKey, report: (line) => io.out(line) });
    return results.every((result) => result.passed) ? EXIT.ok : EXIT.failure;
  } finally {
    await runtime.stop();
    if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}
