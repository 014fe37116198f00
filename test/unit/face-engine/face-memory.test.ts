import { describe, expect, it, vi } from 'vitest';
import { FaceMemory, type AnalysisParts } from '../../../local/face-engine/face-memory.ts';

interface Face {
  readonly id: string;
  readonly embedding: number[];
}

const image = (byte: number): Uint8Array => new Uint8Array([byte, byte, byte]);
const faceOf = (name: string, embeddings: boolean): Face => ({ id: name, embedding: embeddings ? [1, 2] : [] });

/** Parts of an analysis: boxes only, with embeddings, with liveness scores, with both. */
const BOXES: AnalysisParts = { embeddings: false, liveness: false };
const EMBEDDINGS: AnalysisParts = { embeddings: true, liveness: false };
const LIVENESS: AnalysisParts = { embeddings: false, liveness: true };
const BOTH: AnalysisParts = { embeddings: true, liveness: true };

/** An analysis that records what it was asked. */
function analyser(name: string) {
  return vi.fn(async (parts: AnalysisParts) => [faceOf(name, parts.embeddings)]);
}

describe('FaceMemory', () => {
  it('analyses an image once, and once more only when embeddings are wanted after boxes', async () => {
    // Prepare
    const memory = new FaceMemory<Face>(8);
    const analyse = analyser('a');

    // Act
    const boxes = await memory.recall(image(1), BOXES, analyse);
    const boxesAgain = await memory.recall(image(1), BOXES, analyse);
    const withEmbeddings = await memory.recall(image(1), EMBEDDINGS, analyse);
    const boxesAfter = await memory.recall(image(1), BOXES, analyse);

    // Assess: boxes do not answer an embedding request; faces with embeddings answer both.
    expect(analyse.mock.calls).toEqual([[BOXES], [EMBEDDINGS]]);
    expect(boxes).toEqual([faceOf('a', false)]);
    expect(boxesAgain).toBe(boxes);
    expect(withEmbeddings).toEqual([faceOf('a', true)]);
    expect(boxesAfter).toBe(withEmbeddings);
  });

  it('shares one running analysis between concurrent requests for the same content', async () => {
    // Prepare
    const memory = new FaceMemory<Face>(8);
    const analyse = analyser('a');

    // Act: two copies of the same bytes, asked at once.
    const [first, second] = await Promise.all([
      memory.recall(image(7), EMBEDDINGS, analyse),
      memory.recall(Uint8Array.from(image(7)), EMBEDDINGS, analyse),
    ]);

    // Assess
    expect(analyse).toHaveBeenCalledTimes(1);
    expect(second).toBe(first);
  });

  it('does not remember a failed analysis: the next request analyses again', async () => {
    // Prepare
    const memory = new FaceMemory<Face>(8);
    const failing = vi.fn(async () => {
      throw new Error('worker stopped');
    });
    const analyse = analyser('a');

    // Act
    await expect(memory.recall(image(2), EMBEDDINGS, failing)).rejects.toThrow('worker stopped');
    const faces = await memory.recall(image(2), EMBEDDINGS, analyse);

    // Assess
    expect(failing).toHaveBeenCalledTimes(1);
    expect(analyse).toHaveBeenCalledTimes(1);
    expect(faces).toEqual([faceOf('a', true)]);
    expect(memory.size).toBe(1);
  });

  it('forgets the least recently used image beyond its capacity', async () => {
    // Prepare
    const memory = new FaceMemory<Face>(2);
    const analyse = analyser('a');
    await memory.recall(image(1), EMBEDDINGS, analyse);
    await memory.recall(image(2), EMBEDDINGS, analyse);
    await memory.recall(image(1), EMBEDDINGS, analyse); // image 1 is now the most recent

    // Act
    await memory.recall(image(3), EMBEDDINGS, analyse); // evicts image 2
    await memory.recall(image(1), EMBEDDINGS, analyse);
    await memory.recall(image(2), EMBEDDINGS, analyse);

    // Assess: 1, 2, 3 analysed once each, then 2 again after it was forgotten.
    expect(analyse).toHaveBeenCalledTimes(4);
    expect(memory.size).toBe(2);
  });

  it('answers a request from an analysis with at least the parts it wants, and analyses again for more', async () => {
    // Prepare
    const memory = new FaceMemory<Face>(8);
    const analyse = analyser('a');

    // Act: embeddings first; then liveness scores (not in it); then anything (in the fullest)
    const withEmbeddings = await memory.recall(image(5), EMBEDDINGS, analyse);
    const scored = await memory.recall(image(5), LIVENESS, analyse);
    const both = await memory.recall(image(5), BOTH, analyse);
    const answers = await Promise.all(
      [BOXES, EMBEDDINGS, LIVENESS, BOTH].map((parts) => memory.recall(image(5), parts, analyse)),
    );

    // Assess: the embeddings analysis answers neither liveness request; what each asked is what ran
    expect(analyse.mock.calls).toEqual([[EMBEDDINGS], [LIVENESS], [BOTH]]);
    expect(scored).not.toBe(withEmbeddings);
    expect(answers[0]).toBe(both);
    expect(answers[1]).toBe(both);
    expect(answers[2]).toBe(both);
    expect(answers[3]).toBe(both);
  });

  it('answers from faces it was told about, with or without embeddings, without analysing', async () => {
    // Prepare
    const memory = new FaceMemory<Face>(8);
    const analyse = analyser('a');
    memory.remember(image(9), [faceOf('told', true)]);

    // Act
    const withEmbeddings = await memory.recall(image(9), EMBEDDINGS, analyse);
    const boxes = await memory.recall(image(9), BOXES, analyse);

    // Assess
    expect(analyse).not.toHaveBeenCalled();
    expect(withEmbeddings).toEqual([faceOf('told', true)]);
    expect(boxes).toEqual([faceOf('told', true)]);
  });
});
