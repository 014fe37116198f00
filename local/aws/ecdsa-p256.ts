/**
 * ECDSA on NIST P-256 over a precomputed digest (KMS `MessageType: DIGEST`).
 *
 * `node:crypto` always hashes the message it signs, so it cannot sign or verify a digest the
 * caller already computed. This is textbook ECDSA (SEC 1 §4.1) in Jacobian coordinates with
 * BigInt; signatures are DER `SEQUENCE { r INTEGER, s INTEGER }` as KMS returns them. RAW
 * messages are still signed by `node:crypto`; the test suite cross-checks both paths. Not
 * constant-time: fine for a local stand-in, never for production keys.
 */
import { randomBytes } from 'node:crypto';

const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const G: Point = {
  x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
  z: 1n,
};

interface Point {
  x: bigint;
  y: bigint;
  /** Jacobian Z; 0 is the point at infinity. */
  z: bigint;
}

const mod = (a: bigint, m: bigint): bigint => ((a % m) + m) % m;

function invert(a: bigint, m: bigint): bigint {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return mod(oldS, m);
}

function double(p: Point): Point {
  if (p.z === 0n || p.y === 0n) return { x: 0n, y: 1n, z: 0n };
  const delta = mod(p.z * p.z, P);
  const gamma = mod(p.y * p.y, P);
  const beta = mod(p.x * gamma, P);
  const alpha = mod(3n * (p.x - delta) * (p.x + delta), P);
  const x = mod(alpha * alpha - 8n * beta, P);
  const z = mod((p.y + p.z) ** 2n - gamma - delta, P);
  const y = mod(alpha * (4n * beta - x) - 8n * gamma * gamma, P);
  return { x, y, z };
}

function add(p: Point, q: Point): Point {
  if (p.z === 0n) return q;
  if (q.z === 0n) return p;
  const z1z1 = mod(p.z * p.z, P);
  const z2z2 = mod(q.z * q.z, P);
  const u1 = mod(p.x * z2z2, P);
  const u2 = mod(q.x * z1z1, P);
  const s1 = mod(p.y * q.z * z2z2, P);
  const s2 = mod(q.y * p.z * z1z1, P);
  const h = mod(u2 - u1, P);
  const r = mod(s2 - s1, P);
  if (h === 0n) return r === 0n ? double(p) : { x: 0n, y: 1n, z: 0n };
  const hh = mod(h * h, P);
  const hhh = mod(h * hh, P);
  const v = mod(u1 * hh, P);
  const x = mod(r * r - hhh - 2n * v, P);
  const y = mod(r * (v - x) - s1 * hhh, P);
  return { x, y, z: mod(p.z * q.z * h, P) };
}

function multiply(point: Point, scalar: bigint): Point {
  let result: Point = { x: 0n, y: 1n, z: 0n };
  let addend = point;
  for (let k = scalar; k > 0n; k >>= 1n) {
    if (k & 1n) result = add(result, addend);
    addend = double(addend);
  }
  return result;
}

function affineX(p: Point): bigint {
  const zInv = invert(p.z, P);
  return mod(p.x * zInv * zInv, P);
}

const toBigInt = (bytes: Uint8Array): bigint =>
  bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);

function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

function encodeDer(r: bigint, s: bigint): Buffer {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

function decodeDer(signature: Uint8Array): { r: bigint; s: bigint } | undefined {
  const bytes = Buffer.from(signature);
  if (bytes[0] !== 0x30 || bytes[1] !== bytes.length - 2) return undefined;
  const read = (offset: number): { value: bigint; next: number } | undefined => {
    if (bytes[offset] !== 0x02) return undefined;
    const length = bytes[offset + 1] ?? 0;
    if (length === 0 || offset + 2 + length > bytes.length) return undefined;
    return { value: toBigInt(bytes.subarray(offset + 2, offset + 2 + length)), next: offset + 2 + length };
  };
  const r = read(2);
  const s = r && read(r.next);
  if (!r || !s || s.next !== bytes.length) return undefined;
  return { r: r.value, s: s.value };
}

/** The digest as the integer `z` of SEC 1 (left-most 256 bits). */
function digestInteger(digest: Uint8Array): bigint {
  return toBigInt(digest.length > 32 ? digest.subarray(0, 32) : digest);
}

/**
 * Signs a digest with a P-256 private scalar `d` (32 bytes, big-endian); returns DER.
 *
 * @example
 * const der = signDigestP256(privateScalar, createHash('sha256').update(message).digest());
 */
export function signDigestP256(privateScalar: Uint8Array, digest: Uint8Array): Buffer {
  const d = toBigInt(privateScalar);
  const z = digestInteger(digest);
  for (;;) {
    const k = toBigInt(randomBytes(32));
    if (k === 0n || k >= N) continue;
    const r = mod(affineX(multiply(G, k)), N);
    if (r === 0n) continue;
    const s = mod(invert(k, N) * (z + r * d), N);
    if (s === 0n) continue;
    return encodeDer(r, s);
  }
}

/** Verifies a DER signature over a digest with the public point (x, y) (32 bytes each). */
export function verifyDigestP256(
  publicX: Uint8Array,
  publicY: Uint8Array,
  digest: Uint8Array,
  signature: Uint8Array,
): boolean {
  const parsed = decodeDer(signature);
  if (!parsed) return false;
  const { r, s } = parsed;
  if (r <= 0n || r >= N || s <= 0n || s >= N) return false;
  const w = invert(s, N);
  const u1 = mod(digestInteger(digest) * w, N);
  const u2 = mod(r * w, N);
  const q: Point = { x: toBigInt(publicX), y: toBigInt(publicY), z: 1n };
  const point = add(multiply(G, u1), multiply(q, u2));
  if (point.z === 0n) return false;
  return mod(affineX(point), N) === r;
}
