/**
 * The blur margin on frames larger than the sweep's 12 MP: the `assert` family's 2,400 px
 * documents (sharp and blurred) upscaled with their frame by `scale` (lanczos3, JPEG q90), so
 * the gate's first decode takes another shrink (x1.25: 5000 px, 1/3; x1.5: 6000 px, 1/4) and
 * still measures the document on that frame. Prints each case's `blurMm` and the margin.
 *
 * `npx tsx scripts/sweep/frame-sizes.ts [scale, default 1.5]`
 */
import sharp from 'sharp';
import { runQualityGate } from '../../lambdas/quality/gate.ts';
import { SWEEP_CONFIG, sweepCases } from './cases.ts';

const scale = Number(process.argv[2] ?? 1.5);
const cases = sweepCases('assert').filter(
  (c) => c.slot !== 'selfie' && c.axes.width === '2400' && (c.label === 'sharp' || c.label === 'blurry'),
);
const readings: Record<'sharp' | 'blurry', number[]> = { sharp: [], blurry: [] };
for (const c of cases) {
  const shot = await c.render();
  const bytes = await sharp(shot.bytes)
    .resize(Math.round(shot.width * scale), Math.round(shot.height * scale), { kernel: 'lanczos3' })
    .jpeg({ quality: 90 })
    .toBuffer();
  const verdict = await runQualityGate(bytes, { slot: c.slot, documentType: c.documentType, config: SWEEP_CONFIG });
  const blurMm = verdict.metrics.blurMm ?? Number.NaN;
  readings[c.label as 'sharp' | 'blurry'].push(blurMm);
  console.log(`${c.id.padEnd(84)} blurMm=${blurMm} scale=${verdict.metrics.blurScale} ${verdict.reasons.join(',')}`);
}
console.log(`x${scale}: sharp max ${Math.max(...readings.sharp)} mm, blurry min ${Math.min(...readings.blurry)} mm`);
