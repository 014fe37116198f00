/**
 * What the face engine found in recently seen images, by content (SHA-256), with or without the
 * embeddings. One upload is looked at by several operations (the quality gate's DetectFaces,
 * CompareFaces, the duplicate search, the liveness comparison) and the engine is deterministic,
 * so each image needs analysing once. Faces with embeddings also answer a request without them.
 * Least recently used first out; a failed analysis is not remembered.
 */
import { createHash } from 'node:crypto';
import { RecentlyUsed } from '../../lambdas/domain/recently-used.ts';

/** The key of an image's faces: `<sha256>:e` with embeddings, `<sha256>:b` boxes and scores only. */
type Key = `${string}:${'e' | 'b'}`;

export class FaceMemory<Face> {
  private readonly faces: RecentlyUsed<Key, Promise<Face[]>>;

  /** @param capacity distinct analyses kept (one image may hold two: with and without embeddings) */
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
   * const faces = await memory.recall(image, false, (embeddings) => engine.detect(image, { embeddings }));
   * ```
   */
  recall(image: Uint8Array, embeddings: boolean, analyse: (embeddings: boolean) => Promise<Face[]>): Promise<Face[]> {
    const digest = FaceMemory.digest(image);
    const keys: Key[] = embeddings ? [`${digest}:e`] : [`${digest}:e`, `${digest}:b`];
    for (const key of keys) {
      const known = this.faces.get(key);
      if (known) return known;
    }
    const key = keys[keys.length - 1] as Key;
    const running = analyse(embeddings);
    this.faces.set(key, running);
    running.catch(() => {
      if (this.faces.peek(key) === running) this.faces.delete(key);
    });
    return running;
  }

  /** Remembers faces (with embeddings) known without the models, e.g. those of an image's re-encoding. */
  remember(image: Uint8Array, faces: readonly Face[]): void {
    this.faces.set(`${FaceMemory.digest(image)}:e`, Promise.resolve([...faces]));
  }

  /** Distinct analyses remembered (for tests). */
  get size(): number {
    return this.faces.size;
  }

  private static digest(image: Uint8Array): string {
    return createHash('sha256').update(image).digest('hex');
  }
}
