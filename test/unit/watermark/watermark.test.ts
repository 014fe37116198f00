/**
 * The forensic watermark under every distortion the issue names, with the measured bit error
 * rate of the coded bits (before error correction) printed per image and transformation.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCESS_ID_BYTES,
  accessIdDigest,
  accessIdFromHex,
  accessIdToHex,
  analyseWatermark,
  codedPayload,
  detectWatermark,
  embedWatermark,
  InvalidAccessIdError,
  SYNC_THRESHOLD,
  WatermarkImageError,
} from '../../../lambdas/watermark/index.ts';
import {
  bitErrorRate,
  documentRendition,
  hmacKey,
  selfiePhoto,
  TRANSFORMATIONS,
} from '../../support/watermark-images.ts';

const key = hmacKey('watermark unit test key');
const otherKey = hmacKey('another deployment');

interface Marked {
  readonly name: string;
  readonly original: Buffer;
  readonly marked: Buffer;
  readonly psnrDb: number;
  readonly accessId: Uint8Array;
}

const marked: Marked[] = [];
const rows: string[] = [];

beforeAll(async () => {
  const sources = [
    { name: 'selfie 720 px (jpeg)', image: await selfiePhoto(720), format: 'jpeg' as const },
    { name: 'document 1400 px (png in, jpeg out)', image: await documentRendition(1400), format: 'jpeg' as const },
  ];
  for (const [index, source] of sources.entries()) {
    const accessId = accessIdFromHex(index === 0 ? '0123456789abcdef' : 'fedcba9876543210');
    const { image, psnrDb } = await embedWatermark(source.image, accessId, key, { format: source.format });
    marked.push({ name: source.name, original: source.image, marked: image, psnrDb, accessId });
  }
});

afterAll(() => {
  if (rows.length > 0) console.info(`watermark bit error rates (coded bits, before correction):\n${rows.join('\n')}`);
});

describe('embedWatermark', () => {
  it('keeps the marked image within 38 dB PSNR of its input, same size, JPEG', async () => {
    // Prepare / Act: embedded in beforeAll
    // Assess
    for (const item of marked) {
      expect(item.psnrDb).toBeGreaterThanOrEqual(38);
      const before = await sharp(item.original).metadata();
      const after = await sharp(item.marked).metadata();
      expect(after.format).toBe('jpeg');
      expect([after.width, after.height]).toEqual([before.width, before.height]);
    }
  });

  it('writes PNG on request, alpha kept', async () => {
    // Prepare
    const withAlpha = await sharp(await selfiePhoto(400))
      .ensureAlpha(0.8)
      .png()
      .toBuffer();

    // Act
    const { image, psnrDb } = await embedWatermark(withAlpha, accessIdFromHex('00000000000000ff'), key, {
      format: 'png',
    });

    // Assess
    const meta = await sharp(image).metadata();
    expect(meta.format).toBe('png');
    expect(meta.hasAlpha).toBe(true);
    expect(psnrDb).toBeGreaterThanOrEqual(38);
    expect((await detectWatermark(image, key))?.accessId).toEqual(accessIdFromHex('00000000000000ff'));
  });

  it('rejects an access id of the wrong length and an undecodable image', async () => {
    // Prepare
    const image = await selfiePhoto(200);

    // Act / Assess
    await expect(embedWatermark(image, new Uint8Array(4), key)).rejects.toBeInstanceOf(InvalidAccessIdError);
    await expect(
      embedWatermark(Buffer.from('not an image'), new Uint8Array(ACCESS_ID_BYTES), key),
    ).rejects.toBeInstanceOf(WatermarkImageError);
    await expect(detectWatermark(Buffer.from('not an image'), key)).rejects.toBeInstanceOf(WatermarkImageError);
  });
});

describe('detectWatermark', () => {
  it.each(TRANSFORMATIONS.map((transformation) => [transformation.name, transformation] as const))(
    'recovers the access id after: %s',
    async (_name, transformation) => {
      for (const item of marked) {
        // Prepare
        const distorted = await transformation.apply(item.marked);
        const coded = await codedPayload(item.accessId, key);

        // Act
        const analysis = await analyseWatermark(distorted, key);
        const found = await detectWatermark(distorted, key);

        // Assess
        const ber = bitErrorRate(analysis.soft, coded);
        rows.push(
          `  ${item.name.padEnd(36)} ${transformation.name.padEnd(44)} BER ${(ber * 100).toFixed(1).padStart(5)} %  sync ${analysis.syncScore.toFixed(1)}`,
        );
        expect(found, `${item.name}: ${transformation.name}`).not.toBeNull();
        expect(accessIdToHex(found?.accessId ?? new Uint8Array(ACCESS_ID_BYTES))).toBe(accessIdToHex(item.accessId));
        expect(found?.syncScore).toBeGreaterThanOrEqual(SYNC_THRESHOLD);
        expect(ber).toBeLessThan(0.2);
      }
    },
  );

  it('attributes nothing under another key, nor the unmarked originals', async () => {
    for (const item of marked) {
      // Prepare / Act
      const foreign = await detectWatermark(item.marked, otherKey);
      const original = await detectWatermark(item.original, key);

      // Assess
      expect(foreign).toBeNull();
      expect(original).toBeNull();
    }
  });
});

describe('access id helpers', () => {
  it('round-trips 16 hex digits and rejects anything else', () => {
    // Prepare / Act / Assess
    expect(accessIdToHex(accessIdFromHex('0123456789ABCDEF'))).toBe('0123456789abcdef');
    expect(() => accessIdFromHex('0123')).toThrow(InvalidAccessIdError);
    expect(() => accessIdFromHex('0123456789abcdeg')).toThrow(InvalidAccessIdError);
    expect(accessIdDigest('01JD6Q7M3K9Z8XW2V4T5R6S7Y8')).toHaveLength(ACCESS_ID_BYTES);
    expect(accessIdDigest('a')).toEqual(accessIdDigest('a'));
  });
});
