/**
 * The quality gate's speed against a bare decode, as a program of its own:
 * `node <bundle> <image> <runs>` prints one JSON line (`GateSpeed`). `measureGateSpeed`
 * (`bench/quality.ts`) bundles this file with the deployment's esbuild settings and runs it in a
 * plain Node process, as Lambda runs the on-upload bundle. Not through tsx: a TypeScript loader's
 * hooks move each module's source between threads, and the first such transfer detaches an
 * ArrayBuffer, after which V8 checks for detachment on every typed-array access in that process;
 * the gate's JavaScript (all typed-array loops) then ran about a quarter slower than in its bundle.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { DEFAULT_CONFIG } from '../lib/config.ts';
import { runQualityGate } from '../lambdas/quality/gate.ts';
import { percentile, round, timed } from './support/stats.ts';

/** The gate's speed against a bare decode, in the names `bench/results.json` uses under `qualityGate`. */
export interface GateSpeed {
  readonly megapixels: number;
  readonly runs: number;
  /** Gate wall-clock p50 / p95 (ms) and the bare full decode's, interleaved in the same run. */
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly decodeP50Ms: number;
  readonly decodeP95Ms: number;
  /** Gate p50 / decode p50, wall-clock (the goal: <= 1.0). */
  readonly ratioToDecode: number;
  /** The same in process CPU time, which other jobs on a shared machine do not inflate. */
  readonly cpuP50Ms: number;
  readonly decodeCpuP50Ms: number;
  readonly cpuRatioToDecode: number;
  readonly imagesPerSecond: number;
  /** The gate's own split (wall p50): its one decode (shrink-on-load, luma) and the blur measure. */
  readonly stages: { readonly decodeMs: number; readonly blurMs: number };
  readonly peakRssMb: number;
  /** The Node process the gate ran in: its version and flags (no `--import` of a loader). */
  readonly process: { readonly node: string; readonly execArgv: readonly string[] };
  readonly how: string;
}

/**
 * Times the gate on `bytes` (slot `document_front`, a passport, no face detection) against a
 * bare full `sharp` decode, one sharp thread, `runs` of each interleaved after three warm-ups.
 */
export async function timeGate(bytes: Buffer, runs: number): Promise<GateSpeed> {
  sharp.concurrency(1); // one core, as on a 1-vCPU slice of a Lambda
  const { width = 0, height = 0 } = await sharp(bytes).metadata();
  const gate = () =>
    runQualityGate(bytes, { slot: 'document_front', documentType: 'passport', config: DEFAULT_CONFIG });
  // The decoded pixels are dropped at once: held until the next gate run, their 36 MB were
  // reclaimed during it (gate p50 4-8 ms higher).
  const decode = async (): Promise<void> => {
    await sharp(bytes).raw().toBuffer();
  };
  for (let i = 0; i < 3; i++) {
    await gate();
    await decode();
  }
  let peakRss = process.memoryUsage().rss;
  const gateWall: number[] = [];
  const gateCpu: number[] = [];
  const decodeWall: number[] = [];
  const decodeCpu: number[] = [];
  const decodeStage: number[] = [];
  const blurStage: number[] = [];
  for (let i = 0; i < runs; i++) {
    const g = await timed(gate);
    gateWall.push(g.wallMs);
    gateCpu.push(g.cpuMs);
    decodeStage.push(g.value.metrics.decodeMs ?? 0);
    blurStage.push(g.value.metrics.blurMs ?? 0);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const d = await timed(decode);
    decodeWall.push(d.wallMs);
    decodeCpu.push(d.cpuMs);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const p50 = percentile(gateWall, 0.5);
  return {
    megapixels: round((width * height) / 1e6),
    runs,
    p50Ms: round(p50),
    p95Ms: round(percentile(gateWall, 0.95)),
    decodeP50Ms: round(percentile(decodeWall, 0.5)),
    decodeP95Ms: round(percentile(decodeWall, 0.95)),
    ratioToDecode: round(p50 / percentile(decodeWall, 0.5), 2),
    cpuP50Ms: round(percentile(gateCpu, 0.5)),
    decodeCpuP50Ms: round(percentile(decodeCpu, 0.5)),
    cpuRatioToDecode: round(percentile(gateCpu, 0.5) / percentile(decodeCpu, 0.5), 2),
    imagesPerSecond: round(1000 / p50),
    stages: { decodeMs: percentile(decodeStage, 0.5), blurMs: percentile(blurStage, 0.5) },
    peakRssMb: round(peakRss / 1024 / 1024),
    process: { node: process.version, execArgv: process.execArgv },
    how:
      `${width}x${height} JPEG, slot document_front, face detection excluded; sharp.concurrency(1); ` +
      `${runs} gate runs interleaved with bare sharp(bytes).raw() decodes after 3 warm-ups; CPU = process user+system; ` +
      'the gate bundled with the deployment esbuild settings, in a plain Node process (no TypeScript loader), as on Lambda',
  };
}

const [image, runs] = process.argv.slice(2);
if (image && runs) {
  console.log(JSON.stringify(await timeGate(await readFile(image), Number(runs))));
}
