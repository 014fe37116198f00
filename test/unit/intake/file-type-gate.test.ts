import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import { composeGates, fileTypeGate, sniffType } from '../../../lambdas/handlers/events/file-type-gate.ts';
import type { QualityGate } from '../../../lambdas/ports/quality-gate.ts';
import type { Slot } from '../../../lambdas/domain/verification.ts';

const gate = fileTypeGate(DEFAULT_CONFIG.uploads);

async function image(width: number, height: number, format: 'jpeg' | 'png'): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 90, g: 120, b: 150 } } })
    .toFormat(format)
    .toBuffer();
}

/** A PNG whose header claims `width` x `height` pixels (a decompression bomb), with a tiny body. */
function pngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const pdf = (complete: boolean) =>
  Buffer.from(`%PDF-1.7\n1 0 obj\n<<>>\nendobj\n${complete ? '%%EOF\n' : ''}`, 'latin1');

describe('sniffType', () => {
  it.each([
    { bytes: [0xff, 0xd8, 0xff, 0xe0], type: 'image/jpeg' },
    { bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], type: 'image/png' },
    { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d, 0x31], type: 'application/pdf' },
    { bytes: [0x47, 0x49, 0x46, 0x38], type: undefined },
    { bytes: [], type: undefined },
  ])('$type', ({ bytes, type }) => {
    // Act + Assess
    expect(sniffType(Uint8Array.from(bytes))).toBe(type);
  });
});

describe('fileTypeGate', () => {
  it.each([
    { name: 'JPEG selfie', make: () => image(800, 600, 'jpeg'), slot: 'selfie', reasons: [] },
    { name: 'PNG document', make: () => image(1200, 800, 'png'), slot: 'document_front', reasons: [] },
    { name: 'PDF proof of address', make: async () => pdf(true), slot: 'proof_of_address', reasons: [] },
    { name: 'PDF selfie', make: async () => pdf(true), slot: 'selfie', reasons: ['UNSUPPORTED_FORMAT'] },
    { name: 'truncated PDF', make: async () => pdf(false), slot: 'proof_of_address', reasons: ['FILE_CORRUPT'] },
    { name: 'GIF', make: async () => Buffer.from('GIF89a....'), slot: 'selfie', reasons: ['UNSUPPORTED_FORMAT'] },
    {
      name: 'JPEG magic then garbage',
      make: async () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(500, 1)]),
      slot: 'selfie',
      reasons: ['FILE_CORRUPT'],
    },
    { name: 'tiny image', make: () => image(300, 200, 'jpeg'), slot: 'selfie', reasons: ['IMAGE_DIMENSIONS_INVALID'] },
    {
      name: 'pixel bomb',
      make: async () => pngClaiming(100_000, 100_000),
      slot: 'document_front',
      reasons: ['IMAGE_DIMENSIONS_INVALID'],
    },
  ] as const)('$name -> $reasons', async ({ make, slot, reasons }) => {
    // Prepare
    const bytes = await make();

    // Act
    const verdict = await gate(bytes, { slot: slot as Slot, documentType: 'passport' });

    // Assess
    expect(verdict.reasons).toEqual(reasons);
    expect(verdict.accepted).toBe(reasons.length === 0);
    expect(verdict.processors).toEqual(['intake-file-checks']);
  });
});

describe('composeGates', () => {
  it('stops at the first rejection and merges what ran', async () => {
    // Prepare
    const calls: string[] = [];
    const pass: QualityGate = async () => {
      calls.push('pass');
      return { accepted: true, reasons: [], metrics: { a: 1 }, processors: ['one'], detectedType: 'image/jpeg' };
    };
    const reject: QualityGate = async () => {
      calls.push('reject');
      return { accepted: false, reasons: ['PHOTO_TOO_BLURRY'], metrics: { b: 2 }, processors: ['two'] };
    };
    const never: QualityGate = async () => {
      calls.push('never');
      return { accepted: true, reasons: [], metrics: {} };
    };

    // Act
    const verdict = await composeGates(
      pass,
      reject,
      never,
    )(Buffer.alloc(1), { slot: 'selfie', documentType: 'passport' });

    // Assess
    expect(calls).toEqual(['pass', 'reject']);
    expect(verdict).toEqual({
      accepted: false,
      reasons: ['PHOTO_TOO_BLURRY'],
      metrics: { a: 1, b: 2 },
      processors: ['one', 'two'],
      detectedType: 'image/jpeg',
    });
  });
});
