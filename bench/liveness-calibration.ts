/**
 * Calibration check of the local Face Liveness stand-in (`local/face-engine/liveness-score.ts`):
 * challenge frames of the ten sample people (`local/demo/liveness-frames.ts`) as a live person
 * turning their head, as a still photo held up to the camera, and as a video replayed on a
 * phone screen, judged by the real offline engine. The knots were set on the even-numbered
 * people (the tuning split); the odd-numbered ones are the check split. Prints a confusion
 * matrix per split with the deployed bands: approve >= 85, review 60-85, reject < 60 or FAILED.
 *
 *   npx tsx bench/liveness-calibration.ts      (or: npm run bench -- liveness-calibration)
 */
import { fileURLToPath } from 'node:url';
import { challengeFrames, type FrameKind } from '../local/demo/liveness-frames.ts';
import { loadFaceEngine } from '../local/face-engine/index.ts';
import { judgeChallenge } from '../local/face-engine/liveness-score.ts';
import { resolveConfig } from '../lib/config.ts';

type Outcome = 'approve' | 'review' | 'reject';
const KINDS: readonly FrameKind[] = ['live', 'static', 'replay'];

export async function run(): Promise<Record<string, unknown>> {
  const { livenessApprove, livenessReject } = resolveConfig().identity;
  const engine = await loadFaceEngine();
  const matrices: Record<string, Record<FrameKind, Record<Outcome, number>>> = {};
  const raw: Record<string, Record<FrameKind, string[]>> = {};
  for (const split of ['tune', 'check'] as const) {
    matrices[split] = Object.fromEntries(KINDS.map((kind) => [kind, { approve: 0, review: 0, reject: 0 }])) as Record<
      FrameKind,
      Record<Outcome, number>
    >;
    raw[split] = { live: [], static: [], replay: [] };
  }
  for (let index = 0; index < 10; index++) {
    const split = index % 2 === 0 ? 'tune' : 'check';
    for (const kind of KINDS) {
      const frames = await challengeFrames(index, { kind, seed: index * 100 + 1 });
      // As a local session judges them: the engine's liveness models run on every frame.
      const { verdict } = await judgeChallenge(engine, frames);
      const confidence = verdict.status === 'FAILED' ? -1 : (verdict.confidence ?? 0);
      const outcome: Outcome =
        confidence >= livenessApprove ? 'approve' : confidence >= livenessReject ? 'review' : 'reject';
      matrices[split]![kind][outcome] += 1;
      raw[split]![kind].push(
        `${index}:${verdict.status === 'FAILED' ? `FAILED(${verdict.finding})` : `${confidence.toFixed(1)}${verdict.finding ? `(${verdict.finding})` : ''} raw=${verdict.evidence.rawScore}`}`,
      );
    }
  }
  return {
    bands: `approve >= ${livenessApprove}, reject < ${livenessReject}`,
    tune: matrices.tune,
    check: matrices.check,
    perPersonTune: raw.tune,
    perPersonCheck: raw.check,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const figures = await run();
  for (const [key, value] of Object.entries(figures)) console.log(key, JSON.stringify(value));
}
