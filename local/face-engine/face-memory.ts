/**
 * What the face engine found in recently seen images, by content (SHA-256), with or without the
 * embeddings and the liveness scores. One upload is looked at by several operations (the quality
 * gate's DetectFaces, CompareFaces, the duplicate search, the liveness comparison) and the engine
 * is deterministic, so each image needs analysing once. An analysis answers every request that
 * wants no more than it computed (faces with embeddings also answer a request without them).
 * Least recently used first out; a failed analysis is not remembered.
 */
import { createHash } from 'node:crypto';
import { RecentlyUsed } from '../../lambdas/domain/recently-used.ts';

/** What an analysis computes beyond boxes, pose and quality. */
export interface AnalysisParts {
  /** The faces' embeddings (what comparisons need). */
  readonly embeddings: boolean;
  /** The liveness and anti-spoofing scores (what a Face Liveness frame needs). */
  readonly liveness: boolean;
}

/** The key of an image's faces: `<sha256>:` then `e` with embeddings or `-`, then `l` with liveness scores or `-`. */
type Key = `${string}:${'e' | '-'}${'l' | '-'}`;

const keyOf = (digest: string, parts: AnalysisParts): Key =>
  `${digest}:${parts.embeddings ? 'e' : '-'}${parts.liveness ? 'l' : '-'}`;

/**
 * The parts a detection asks for: embeddings unless told otherwise, liveness scores only when
 * asked (the defaults of the local Rekognition's `DetectOptions`).
 */
export function analysisParts(options: { readonly embeddings?: boolean; readonly liveness?: boolean }): AnalysisParts {
  return { embeddings: options.embeddings ?? true, liveness: options.liveness ?? false };
}

/** Everything an analysis can compute. */
const FULL_ANALYSIS: AnalysisParts = { embeddings: true, liveness: true };

/** Every combination of parts, the fullest first. */
const ALL_PARTS: readonly AnalysisParts[] = [
  FULL_ANALYSIS,
  { embeddings: true, liveness: false },
  { embeddings: false, liveness: true },
  { embeddings: false, liveness: false },
];

export class FaceMemory<Face> {
  private readonly faces: RecentlyUsed<Key, Promise<Face[]>>;

  /** @param capacity distinct analyses kept (one image may hold several, with different parts) */
  constructor(capacity: number) {
    this.faces = new RecentlyUsed(capacity);
  }

  /**
   * The faces of `image`: remembered, or from `analyse` (which is then remembered while it runs,
   * so concurrent requests for one image share one analysis).
   *
   * @example
   * ```ts
   * const memory = new FaceMemory<EngineFace>(64);
   * const wanted = { embeddings: false, liveness: false };
   * const faces = await memory.recall(image, wanted, (parts) => engine.analyse(image, parts));
   * ```
   */
  recall(
    image: Uint8Array,
    wanted: AnalysisParts,
    analyse: (parts: AnalysisParts) => Promise<Face[]>,
  ): Promise<Face[]> {
    const digest = FaceMemory.digest(image);
    for (const parts of ALL_PARTS) {
      if ((wanted.embeddings && !parts.embeddings) || (wanted.liveness && !parts.liveness)) continue;
      const known = this.faces.get(keyOf(digest, parts));
      if (known) return known;
    }
    const key = keyOf(digest, wanted);
    const running = analyse(wanted);
    this.faces.set(key, running);
    running.catch(() => {
      if (this.faces.peek(key) === running) this.faces.delete(key);
    });
    return running;
  }

  /**
   * Remembers faces known without the models, e.g. those of an image's re-encoding, as an
   * analysis with `parts` (embeddings and liveness scores unless told otherwise).
   */
  remember(image: Uint8Array, faces: readonly Face[], parts: AnalysisParts = FULL_ANALYSIS): void {
    this.faces.set(keyOf(FaceMemory.digest(image), parts), Promise.resolve([...faces]));
  }

  /** Distinct analyses remembered (for tests). */
  get size(): number {
    return this.faces.size;
  }

  private static digest(image: Uint8Array): string {
    return createHash('sha256').update(image).digest('hex');
  }
}
