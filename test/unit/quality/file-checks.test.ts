/**
 * The file-level checks of the quality gate (formerly a separate intake gate): type by magic
 * number, the slot's allowed types, PDF completeness, header dimensions before any decode.
 * Only the file-level codes are asserted here; the pixel checks have their own tests.
 */
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import type { ReasonCode } from '../../../lambdas/domain/reason-codes.ts';
import type { Slot } from '../../../lambdas/domain/verification.ts';
import { runQualityGate } from '../../../lambdas/quality/gate.ts';

/** The size floor is about photo resolution; these files are tiny on purpose. */
const config = { ...DEFAULT_CONFIG, uploads: { ...DEFAULT_CONFIG.uploads, minFileBytes: 1 } };
const FILE_CODES: ReadonlySet<ReasonCode> = new Set([
  'UNSUPPORTED_FORMAT',
  'FILE_CORRUPT',
  'IMAGE_DIMENSIONS_INVALID',
  'FILE_TOO_LARGE',
  'FILE_TOO_SMALL',
]);

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

describe('quality gate file checks', () => {
  it.each([
    { name: 'JPEG selfie', make: () => image(800, 600, 'jpeg'), slot: 'selfie', codes: [], type: 'image/jpeg' },
    { name: 'PNG document', make: () => image(1200, 800, 'png'), slot: 'document_front', codes: [], type: 'image/png' },
    {
      name: 'PDF proof of address',
      make: async () => pdf(true),
      slot: 'proof_of_address',
      codes: [],
      type: 'application/pdf',
    },
    {
      name: 'PDF selfie',
      make: async () => pdf(true),
      slot: 'selfie',
      codes: ['UNSUPPORTED_FORMAT'],
      type: 'application/pdf',
    },
    {
      name: 'truncated PDF',
      make: async () => pdf(false),
      slot: 'proof_of_address',
      codes: ['FILE_CORRUPT'],
      type: 'application/pdf',
    },
    { name: 'GIF', make: async () => Buffer.from('GIF89a....'), slot: 'selfie', codes: ['UNSUPPORTED_FORMAT'] },
    {
      name: 'JPEG magic then garbage',
      make: async () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(500, 1)]),
      slot: 'selfie',
      codes: ['FILE_CORRUPT'],
      type: 'image/jpeg',
    },
    {
      name: 'tiny image',
      make: () => image(300, 200, 'jpeg'),
      slot: 'selfie',
      codes: ['IMAGE_DIMENSIONS_INVALID'],
      type: 'image/jpeg',
    },
    {
      name: 'pixel bomb',
      make: async () => pngClaiming(100_000, 100_000),
      slot: 'document_front',
      codes: ['IMAGE_DIMENSIONS_INVALID'],
      type: 'image/png',
    },
  ] as const)('$name -> $codes', async ({ make, slot, codes, ...rest }) => {
    // Prepare
    const bytes = await make();

    // Act
    const verdict = await runQualityGate(bytes, { slot: slot as Slot, documentType: 'passport', config });

    // Assess
    expect(verdict.reasons.filter((code) => FILE_CODES.has(code))).toEqual(codes);
    expect(verdict.detectedType).toBe('type' in rest ? rest.type : undefined);
    expect(verdict.processors).toEqual(['quality-gate']);
    if (codes.length > 0) expect(verdict.accepted).toBe(false);
  });

  it('refuses a pixel bomb from the header alone, in milliseconds', async () => {
    // Prepare
    const bytes = pngClaiming(60_000, 60_000);

    // Act
    const started = performance.now();
    const verdict = await runQualityGate(bytes, { slot: 'document_front', documentType: 'passport', config });

    // Assess
    expect(verdict.reasons).toEqual(['IMAGE_DIMENSIONS_INVALID']);
    expect(verdict.metrics.decodeMs).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
