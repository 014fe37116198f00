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
import { localTexture } from '../../../lambdas/watermark/signal.ts';
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

  it('changes the smooth areas of a photo by less than one grey level (root mean square)', async () => {
    // Prepare
    const item = marked[0] as Marked;
    const decode = async (image: Buffer): Promise<Float32Array> =>
      Float32Array.from(await sharp(image).greyscale().raw().toBuffer());
    const { width = 0, height = 0 } = await sharp(item.original).metadata();
    const before = await decode(item.original);

    // Act
    const after = await decode(item.marked);

    // Assess: where the photo has no fine texture, the pattern stays below visibility
    const texture = localTexture({ data: before, width, height });
    let smooth = 0;
    let squares = 0;
    for (let i = 0; i < before.length; i += 1) {
      if ((texture[i] as number) >= 0.5) continue;
      smooth += 1;
      squares += ((after[i] as number) - (before[i] as number)) ** 2;
    }
    expect(smooth / before.length).toBeGreaterThan(0.2);
    expect(Math.sqrt(squares / smooth)).toBeLessThan(1);
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

describe('a rendered document card', { timeout: 120_000 }, () => {
  it('spends the PSNR budget it leaves, so a copy halved and re-encoded at q60 keeps most coded bits', async () => {
    // Prepare: two cards (flat renders, not the cards above) under four keys and access ids each
    const cards = [await documentRendition(2000, 1), await documentRendition(2000, 2)];
    const trials = cards.flatMap((card, cardIndex) =>
      [0, 1, 2, 3].map((n) => ({
        card,
        key: hmacKey(`card ${cardIndex} key ${n}`),
        accessId: accessIdDigest(`${cardIndex}:${n}`),
      })),
    );
    const results: { psnrDb: number; bitErrors: number; found: boolean }[] = [];

    // Act
    for (const trial of trials) {
      const { image, psnrDb } = await embedWatermark(trial.card, trial.accessId, trial.key);
      const { width = 0 } = await sharp(image).metadata();
      const leaked = await sharp(image)
        .resize({ width: Math.round(width / 2) })
        .jpeg({ quality: 60 })
        .toBuffer();
      const analysis = await analyseWatermark(leaked, trial.key);
      results.push({
        psnrDb,
        bitErrors: bitErrorRate(analysis.soft, await codedPayload(trial.accessId, trial.key)),
        found: analysis.accessId !== null && accessIdToHex(analysis.accessId) === accessIdToHex(trial.accessId),
      });
    }

    // Assess: within the PSNR floor, every copy decodes, with a margin to what the code corrects
    // (marked at the photographs' amplitude the same copies averaged 11.6 % bit errors)
    const meanBitErrors = results.reduce((sum, result) => sum + result.bitErrors, 0) / results.length;
    rows.push(`  card 2000 px, 50 % + q60, ${results.length} keys: mean ${(100 * meanBitErrors).toFixed(1)} %`);
    for (const result of results) expect(result.psnrDb).toBeGreaterThanOrEqual(38.5);
    expect(results.filter((result) => !result.found)).toEqual([]);
    expect(meanBitErrors).toBeLessThan(0.1);
  });
});

describe('detectWatermark', { timeout: 120_000 }, () => {
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
