import { describe, expect, it } from 'vitest';
import { codedLength, convolutionalEncode, viterbiDecode } from '../../../lambdas/watermark/convolutional-code.ts';
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

  it('rejects too few soft values', () => {
    // Prepare / Act / Assess
    expect(() => viterbiDecode([1, 1], 96)).toThrow(RangeError);
  });
});
