/**
 * Benchmark of the embedded runtime: time to ready (cold synth vs cached templates) and the
 * resident memory of everything it runs (this Node process plus DynamoDB Local's JVM), after
 * the first API call. Run: `npx tsx bench/local-runtime.ts [--cold]`. Prints one JSON line.
 */
import '../local/polyfills.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRuntime } from '../local/runtime/runtime.ts';
import { treeRssMb } from './support/process-tree.ts';

const cold = process.argv.includes('--cold');
const dataDir = mkdtempSync(join(tmpdir(), 'kyc-bench-'));
if (!cold) process.env.KYC_SYNTH_CACHE_DIR ??= join(tmpdir(), 'kyc-e2e-synth-cache');
else process.env.KYC_SYNTH_CACHE_DIR = join(dataDir, 'synth-cache');
const runtime = await startRuntime({ port: 0, dataDir });
const token = (await (await fetch(`${runtime.apiUrl}/_local/token?user=bench&role=user`)).json()) as { token: string };
const health = await fetch(`${runtime.apiUrl}/v1/verifications/none`, {
  headers: { authorization: `Bearer ${token.token}` },
});
const result = {
  cold,
  /** Milliseconds from this process's start (Node and tsx loading included) to the first API answer. */
  processReadyMs: Math.round(performance.now()),
  timingsMs: runtime.timings,
  firstCallStatus: health.status,
  rssMb: treeRssMb(process.pid),
  loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
};
await runtime.stop();
rmSync(dataDir, { recursive: true, force: true });
console.log(JSON.stringify(result));
