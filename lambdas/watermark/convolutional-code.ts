/**
 * Rate-1/2 convolutional code, constraint length 7 (the NASA/CCSDS generator pair 171, 133
 * octal), zero-terminated, with a soft-decision Viterbi decoder. It protects the watermark
 * payload: the detector reads each coded bit as a signed correlation ("soft" value), and the
 * decoder picks the message whose code word agrees best with those values, which corrects far
 * more errors than hard decisions would (about 2 dB of gain on a Gaussian channel).
 */

const CONSTRAINT = 7;
const MEMORY = CONSTRAINT - 1;
const STATES = 1 << MEMORY;
const GENERATORS = [0o171, 0o133] as const;

function parity(value: number): number {
  let v = value;
  v ^= v >> 4;
  v ^= v >> 2;
  v ^= v >> 1;
  return v & 1;
}

/** Output pair (two bits, first in bit 1) for every (state, input) as `OUTPUTS[state * 2 + input]`. */
const OUTPUTS = (() => {
  const table = new Uint8Array(STATES * 2);
  for (let state = 0; state < STATES; state += 1) {
    for (let input = 0; input < 2; input += 1) {
      const register = (input << MEMORY) | state;
      table[state * 2 + input] = (parity(register & GENERATORS[0]) << 1) | parity(register & GENERATORS[1]);
    }
  }
  return table;
})();

const nextState = (state: number, input: number): number => ((input << MEMORY) | state) >> 1;

/** Number of coded bits for a message of `messageBits` bits (tail included). */
export function codedLength(messageBits: number): number {
  return (messageBits + MEMORY) * 2;
}

/**
 * Encodes message bits (0/1) into coded bits (0/1), appending the zero tail.
 *
 * @example
 * const coded = convolutionalEncode([1, 0, 1]); // 18 bits
 */
export function convolutionalEncode(bits: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(codedLength(bits.length));
  let state = 0;
  for (let i = 0; i < bits.length + MEMORY; i += 1) {
    const input = i < bits.length ? (bits[i] as number) & 1 : 0;
    const pair = OUTPUTS[state * 2 + input] as number;
    out[2 * i] = pair >> 1;
    out[2 * i + 1] = pair & 1;
    state = nextState(state, input);
  }
  return out;
}

/**
 * Soft-decision Viterbi decoding. `soft[i] > 0` means coded bit `i` is more likely 0, `< 0` more
 * likely 1; the magnitude is the confidence. Returns the `messageBits` decoded message bits.
 *
 * @example
 * const soft = Array.from(convolutionalEncode([1, 0, 1]), (bit) => (bit ? -1 : 1));
 * viterbiDecode(soft, 3); // Uint8Array [1, 0, 1]
 */
export function viterbiDecode(soft: ArrayLike<number>, messageBits: number): Uint8Array {
  return listViterbiDecode(soft, messageBits, 1)[0] as Uint8Array;
}

/**
 * List Viterbi decoding (the parallel list Viterbi algorithm): the `listSize` most likely
 * messages, most likely first, all distinct. With a check on the message (the watermark's keyed
 * tag) the decoder tries them in turn and keeps the first that verifies: "CRC-aided" list
 * decoding, which recovers messages whose single best path is wrong by a few coded bits, at the
 * price of `listSize` times the chance that a wrong message passes the check.
 *
 * @example
 * const candidates = listViterbiDecode(soft, 96, 16); // up to 16 messages, best first
 */
export function listViterbiDecode(soft: ArrayLike<number>, messageBits: number, listSize: number): Uint8Array[] {
  const steps = messageBits + MEMORY;
  if (soft.length < steps * 2) throw new RangeError(`expected ${steps * 2} soft values, got ${soft.length}`);
  if (!Number.isInteger(listSize) || listSize < 1) throw new RangeError('list size must be a positive integer');
  const L = listSize;
  // Per state, up to L path metrics (best first); -Infinity marks an empty entry.
  let metric = new Float64Array(STATES * L).fill(Number.NEGATIVE_INFINITY);
  metric[0] = 0;
  let next = new Float64Array(STATES * L);
  // Per step and (state, rank): the predecessor's state and rank.
  const fromState = new Uint8Array(steps * STATES * L);
  const fromRank = new Uint16Array(steps * STATES * L);
  for (let step = 0; step < steps; step += 1) {
    next.fill(Number.NEGATIVE_INFINITY);
    const s0 = soft[2 * step] as number;
    const s1 = soft[2 * step + 1] as number;
    const reachable = step < messageBits ? STATES : STATES >> 1; // the tail feeds zeros
    for (let to = 0; to < reachable; to += 1) {
      const input = to >> (MEMORY - 1);
      const a = ((to << 1) & (STATES - 1)) as number; // predecessors a and a + 1
      const branchA = branchMetric(OUTPUTS[a * 2 + input] as number, s0, s1);
      const branchB = branchMetric(OUTPUTS[(a + 1) * 2 + input] as number, s0, s1);
      // Merge the two predecessors' sorted lists into the best L.
      let i = 0;
      let j = 0;
      for (let rank = 0; rank < L; rank += 1) {
        const ma = i < L ? (metric[a * L + i] as number) + branchA : Number.NEGATIVE_INFINITY;
        const mb = j < L ? (metric[(a + 1) * L + j] as number) + branchB : Number.NEGATIVE_INFINITY;
        if (ma === Number.NEGATIVE_INFINITY && mb === Number.NEGATIVE_INFINITY) break;
        const slot = (step * STATES + to) * L + rank;
        if (ma >= mb) {
          next[to * L + rank] = ma;
          fromState[slot] = a;
          fromRank[slot] = i;
          i += 1;
        } else {
          next[to * L + rank] = mb;
          fromState[slot] = a + 1;
          fromRank[slot] = j;
          j += 1;
        }
      }
    }
    [metric, next] = [next, metric];
  }
  const messages: Uint8Array[] = [];
  for (let rank = 0; rank < L && metric[rank] !== Number.NEGATIVE_INFINITY; rank += 1) {
    const bits = new Uint8Array(steps);
    let state = 0; // zero-terminated
    let r = rank;
    for (let step = steps - 1; step >= 0; step -= 1) {
      bits[step] = state >> (MEMORY - 1);
      const slot = (step * STATES + state) * L + r;
      state = fromState[slot] as number;
      r = fromRank[slot] as number;
    }
    messages.push(bits.slice(0, messageBits));
  }
  return messages;
}

function branchMetric(pair: number, s0: number, s1: number): number {
  return (pair & 2 ? -s0 : s0) + (pair & 1 ? -s1 : s1);
}
