/**
 * Threshold tuning on the sweep's `tune` family (never on the `assert` family the tests use):
 * runs the gate on every case (or `--sample N`) and prints, per blur class, the measured
 * `blurMm` / `blurFaceRatio` range and the threshold halfway (geometric mean) between the
 * sharpest blurry case and the blurriest sharp one.
 *
 * `npx tsx scripts/sweep/tune.ts [--sample 40]`
 */
import { runQualityGate } from '../../lambdas/quality/gate.ts';
import { knownFaces, sampleCases, SWEEP_CONFIG, sweepCases } from './cases.ts';

const args = process.argv.slice(2);
const sampleAt = args.indexOf('--sample');
const all = sweepCases('tune').filter((c) => c.label === 'sharp' || c.label === 'blurry');
const onlyAt = args.indexOf('--only');
const pool = onlyAt >= 0 ? all.filter((c) => c.id.includes(args[onlyAt + 1] as string)) : all;
const cases = sampleAt >= 0 ? sampleCases(pool, Number(args[sampleAt + 1]), 11) : pool;
const values: Record<string, { sharp: number[]; blurry: number[] }> = {
  blurMm: { sharp: [], blurry: [] },
  blurFaceRatio: { sharp: [], blurry: [] },
};
for (const c of cases) {
  const shot = await c.render();
  const verdict = await runQualityGate(shot.bytes, {
    slot: c.slot,
    documentType: c.documentType,
    config: SWEEP_CONFIG,
    ...(c.slot === 'selfie' ? { faceDetector: knownFaces(shot.faces) } : {}),
  });
  const key = c.slot === 'selfie' ? 'blurFaceRatio' : 'blurMm';
  const value = verdict.metrics[key] ?? NaN;
  (values[key] as { sharp: number[]; blurry: number[] })[c.label as 'sharp' | 'blurry'].push(value);
  console.log(
    `${c.id.padEnd(92)} ${key}=${String(value).padEnd(7)} px=${verdict.metrics.blurSigmaPixels} edges=${verdict.metrics.blurEdges} scale=${verdict.metrics.blurScale} ${verdict.reasons.join(',')} ${verdict.metrics.gateMs}ms`,
  );
}
for (const [key, { sharp, blurry }] of Object.entries(values)) {
  if (sharp.length === 0 || blurry.length === 0) continue;
  const worstSharp = Math.max(...sharp);
  const bestBlurry = Math.min(...blurry);
  console.log(
    `${key}: sharp max ${worstSharp}, blurry min ${bestBlurry}, suggested threshold ${Math.sqrt(worstSharp * bestBlurry).toFixed(4)}`,
  );
}
