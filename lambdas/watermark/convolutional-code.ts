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
  const steps = messageBits + MEMORY;
  if (soft.length < steps * 2) throw new RangeError(`expected ${steps * 2} soft values, got ${soft.length}`);
  let metric = new Float64Array(STATES).fill(Number.NEGATIVE_INFINITY);
  metric[0] = 0;
  let next = new Float64Array(STATES);
  const decisions = new Uint8Array(steps * STATES); // input bit that reached each state
  const previous = new Uint8Array(steps * STATES); // state it came from
  for (let step = 0; step < steps; step += 1) {
    next.fill(Number.NEGATIVE_INFINITY);
    const s0 = soft[2 * step] as number;
    const s1 = soft[2 * step + 1] as number;
    const maxInput = step < messageBits ? 1 : 0;
    for (let state = 0; state < STATES; state += 1) {
      const base = metric[state] as number;
      if (base === Number.NEGATIVE_INFINITY) continue;
      for (let input = 0; input <= maxInput; input += 1) {
        const pair = OUTPUTS[state * 2 + input] as number;
        const branch = (pair & 2 ? -s0 : s0) + (pair & 1 ? -s1 : s1);
        const to = nextState(state, input);
        const candidate = base + branch;
        if (candidate > (next[to] as number)) {
          next[to] = candidate;
          decisions[step * STATES + to] = input;
          previous[step * STATES + to] = state;
        }
      }
    }
    [metric, next] = [next, metric];
  }
  const bits = new Uint8Array(steps);
  let state = 0; // zero-terminated
  for (let step = steps - 1; step >= 0; step -= 1) {
    bits[step] = decisions[step * STATES + state] as number;
    state = previous[step * STATES + state] as number;
  }
  return bits.slice(0, messageBits);
}
