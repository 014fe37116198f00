/**
 * The keyed layout of the watermark tile: which of the GRID x GRID cells carry the sync pattern
 * and which carry payload chips, the sync signs, the spreading signs of the payload chips and the
 * payload scrambling bits. Everything is drawn from a keystream seeded by the watermark key's MAC
 * over a fixed label, so nobody without the key can read, forge or target the pattern, and two
 * deployments with different keys never recognise each other's marks.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { codedLength } from './convolutional-code.ts';

/** Cells per tile side. */
export const GRID = 32;
/** Cells in one tile. */
export const CELLS = GRID * GRID;
/** Cells that carry the (payload-independent) sync pattern; the rest carry payload chips. */
export const SYNC_CELLS = 384;
/** Bytes of the keyed tag appended to the access id (truncated MAC). */
export const TAG_BYTES = 4;

/** Keyed MAC, as in the public `WatermarkKey`. */
export interface MacKey {
  mac(data: Uint8Array): Promise<Uint8Array>;
}

export interface TileLayout {
  /** Per cell: +1 / -1 for a sync cell, 0 for a payload cell. */
  readonly sync: Int8Array;
  /** Per cell: spreading sign +1 / -1 of a payload cell, 0 for a sync cell. */
  readonly spread: Int8Array;
  /** Per cell: index of the coded bit a payload cell carries, -1 for a sync cell. */
  readonly codedIndex: Int16Array;
  /** Bits XOR-ed onto the message before coding. */
  readonly scramble: Uint8Array;
  /** Number of message bits (access id + tag). */
  readonly messageBits: number;
  /** Number of coded bits. */
  readonly codedBits: number;
}

const PATTERN_LABEL = 'serverless-kyc/watermark/v1/pattern';
const TAG_LABEL = 'serverless-kyc/watermark/v1/tag';

/** Deterministic keystream (AES-256-CTR over zeros) seeded by `seed`. */
function keystream(seed: Uint8Array, bytes: number): Uint8Array {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return new Uint8Array(cipher.update(Buffer.alloc(bytes)));
}

/** Builds the layout from a seed (pure; the seed is the key's MAC over a fixed label). */
export function layoutFromSeed(seed: Uint8Array, messageBits: number): TileLayout {
  const codedBits = codedLength(messageBits);
  const stream = keystream(seed, CELLS * 4 + CELLS + messageBits);
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const order = Array.from({ length: CELLS }, (_, i) => i);
  for (let i = CELLS - 1; i > 0; i -= 1) {
    const j = view.getUint32(i * 4) % (i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const sync = new Int8Array(CELLS);
  const spread = new Int8Array(CELLS);
  const codedIndex = new Int16Array(CELLS).fill(-1);
  order.forEach((cell, rank) => {
    const sign = (stream[CELLS * 4 + cell] as number) & 1 ? 1 : -1;
    if (rank < SYNC_CELLS) sync[cell] = sign;
    else {
      spread[cell] = sign;
      codedIndex[cell] = (rank - SYNC_CELLS) % codedBits;
    }
  });
  const scramble = stream.slice(CELLS * 5, CELLS * 5 + messageBits).map((byte) => byte & 1);
  return { sync, spread, codedIndex, scramble, messageBits, codedBits };
}

const layouts = new WeakMap<MacKey, Map<number, Promise<TileLayout>>>();

/** The layout for `key` (one MAC call per key object and message size, then cached). */
export function layoutFor(key: MacKey, messageBits: number): Promise<TileLayout> {
  let perKey = layouts.get(key);
  if (!perKey) {
    perKey = new Map();
    layouts.set(key, perKey);
  }
  let layout = perKey.get(messageBits);
  if (!layout) {
    layout = key.mac(new TextEncoder().encode(PATTERN_LABEL)).then((seed) => layoutFromSeed(seed, messageBits));
    layout.catch(() => perKey.delete(messageBits));
    perKey.set(messageBits, layout);
  }
  return layout;
}

/** Truncated keyed tag over an access id. */
export async function accessTag(key: MacKey, accessId: Uint8Array): Promise<Uint8Array> {
  const label = new TextEncoder().encode(TAG_LABEL);
  const data = new Uint8Array(label.length + accessId.length);
  data.set(label);
  data.set(accessId, label.length);
  const mac = await key.mac(data);
  if (mac.length < TAG_BYTES) throw new RangeError('watermark key MAC is shorter than the tag');
  return mac.slice(0, TAG_BYTES);
}

/** Bytes to bits, most significant bit first. */
export function toBits(bytes: Uint8Array): Uint8Array {
  const bits = new Uint8Array(bytes.length * 8);
  bytes.forEach((byte, i) => {
    for (let b = 0; b < 8; b += 1) bits[i * 8 + b] = (byte >> (7 - b)) & 1;
  });
  return bits;
}

/** Bits (most significant first) to bytes. */
export function fromBits(bits: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((bit, i) => {
    if (bit) bytes[i >> 3] = (bytes[i >> 3] as number) | (1 << (7 - (i & 7)));
  });
  return bytes;
}
