import { describe, expect, it } from 'vitest';
import {
  codedLength,
  convolutionalEncode,
  listViterbiDecode,
  viterbiDecode,
} from '../../../lambdas/watermark/convolutional-code.ts';
import { prng } from '../../../scripts/fixtures/raster.ts';

function randomBits(count: number, random: () => number): Uint8Array {
  return Uint8Array.from({ length: count }, () => (random() < 0.5 ? 0 : 1));
}

/** Standard normal deviate (Box-Muller). */
function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

describe('convolutional code (K = 7, rate 1/2) with soft Viterbi decoding', () => {
  it('encodes 96 message bits into 204 coded bits and decodes them back without noise', () => {
    // Prepare
    const message = randomBits(96, prng(1));

    // Act
    const coded = convolutionalEncode(message);
    const decoded = viterbiDecode(
      Array.from(coded, (bit) => (bit ? -1 : 1)),
      96,
    );

    // Assess
    expect(coded).toHaveLength(codedLength(96));
    expect(codedLength(96)).toBe(204);
    expect(Array.from(decoded)).toEqual(Array.from(message));
  });

  it.each([
    { sigma: 0.6, maxMessageErrors: 0 },
    { sigma: 0.7, maxMessageErrors: 0 },
  ])('corrects the raw errors of a Gaussian channel (sigma $sigma)', ({ sigma, maxMessageErrors }) => {
    // Prepare
    const random = prng(7);
    let rawErrors = 0;
    let messageErrors = 0;
    let total = 0;

    // Act
    for (let trial = 0; trial < 40; trial += 1) {
      const message = randomBits(96, random);
      const soft = Array.from(convolutionalEncode(message), (bit) => (bit ? -1 : 1) + sigma * gaussian(random));
      rawErrors += soft.filter((value, i) => (value < 0 ? 1 : 0) !== convolutionalEncode(message)[i]).length;
      total += soft.length;
      const decoded = viterbiDecode(soft, 96);
      if (decoded.some((bit, i) => bit !== message[i])) messageErrors += 1;
    }

    // Assess: the channel flips several percent of the coded bits, the decoder none of the messages
    expect(rawErrors / total).toBeGreaterThan(0.04);
    expect(messageErrors).toBeLessThanOrEqual(maxMessageErrors);
  });

  it('lists the sent message among its 16 best where the single best path is wrong (sigma 0.8)', () => {
    // Prepare
    const random = prng(11);
    let bestWrong = 0;
    let notListed = 0;

    // Act
    for (let trial = 0; trial < 300; trial += 1) {
      const message = randomBits(96, random);
      const soft = Array.from(convolutionalEncode(message), (bit) => (bit ? -1 : 1) + 0.8 * gaussian(random));
      const list = listViterbiDecode(soft, 96, 16);
      const same = (candidate: Uint8Array): boolean => candidate.every((bit, i) => bit === message[i]);
      expect(Array.from(list[0] as Uint8Array)).toEqual(Array.from(viterbiDecode(soft, 96)));
      expect(new Set(list.map((candidate) => candidate.join(''))).size).toBe(list.length);
      if (!same(list[0] as Uint8Array)) bestWrong += 1;
      if (!list.some(same)) notListed += 1;
    }

    // Assess: measured 18 best paths wrong of 300, none missing from the list
    expect(bestWrong).toBeGreaterThan(5);
    expect(notListed).toBeLessThanOrEqual(bestWrong / 4);
  });

  it('lists every message when asked for more than exist (3 message bits: 8)', () => {
    // Prepare
    const soft = Array.from(convolutionalEncode([1, 0, 1]), (bit) => (bit ? -1 : 1));

    // Act
    const list = listViterbiDecode(soft, 3, 20);

    // Assess
    expect(list).toHaveLength(8);
    expect(Array.from(list[0] as Uint8Array)).toEqual([1, 0, 1]);
    expect(new Set(list.map((candidate) => candidate.join(''))).size).toBe(8);
    expect(() => listViterbiDecode(soft, 3, 0)).toThrow(RangeError);
  });

  it('rejects too few soft values', () => {
    // Prepare / Act / Assess
    expect(() => viterbiDecode([1, 1], 96)).toThrow(RangeError);
  });
});
