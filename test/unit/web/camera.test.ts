import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { describeReason, SUPPORTED_LANGUAGES } from '../../../lambdas/domain/reason-catalog/index.ts';
import { REASON_CODES } from '../../../lambdas/domain/reason-codes.ts';
import { inspectMetadata } from '../../../lambdas/quality/metadata.ts';

// web/ is plain JavaScript without type declarations: load it by non-literal specifiers.
const PRECHECKS: string = '../../../web/prechecks.js';
const EXIF: string = '../../../web/exif.js';
const REASONS_MODULE: string = '../../../web/reasons.js';
interface Pixels {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}
const { precheckFrame, CARD_GUIDE } = (await import(PRECHECKS)) as {
  precheckFrame(
    pixels: Pixels,
    kind: 'document' | 'selfie',
    faces?: { faces: number; largestFaceShare?: number },
  ): string[];
  CARD_GUIDE: { left: number; top: number; width: number; height: number };
};
const { withCameraExif } = (await import(EXIF)) as {
  withCameraExif(jpeg: Uint8Array, fields: { make: string; model: string; software: string }): Uint8Array;
};
const { REASONS } = (await import(REASONS_MODULE)) as { REASONS: Record<string, Record<string, unknown>> };

const WIDTH = 640;
const HEIGHT = 360;

/** RGBA pixels painted by `paint(x, y) -> [r, g, b]`. */
function pixels(paint: (x: number, y: number) => readonly [number, number, number]): Pixels {
  const data = new Uint8ClampedArray(WIDTH * HEIGHT * 4);
  for (let y = 0; y < HEIGHT; y++)
    for (let x = 0; x < WIDTH; x++) {
      const [r, g, b] = paint(x, y);
      data.set([r, g, b, 255], (y * WIDTH + x) * 4);
    }
  return { data, width: WIDTH, height: HEIGHT };
}

/** Fine texture (sharp detail everywhere) around a base grey level. */
const texture = (x: number, y: number, base: number): number => base + (((x * 7 + y * 13) % 5) - 2) * 12;

/** A light card filling the guide on a dark, textured table. */
const documentFrame = pixels((x, y) => {
  const inside =
    x > CARD_GUIDE.left * WIDTH &&
    x < (CARD_GUIDE.left + CARD_GUIDE.width) * WIDTH &&
    y > CARD_GUIDE.top * HEIGHT &&
    y < (CARD_GUIDE.top + CARD_GUIDE.height) * HEIGHT;
  const value = texture(x, y, inside ? 210 : 60);
  return [value, value, value];
});

/** A skin-coloured face in the oval on a grey wall. */
const faceFrame = pixels((x, y) => {
  const inOval = ((x - WIDTH / 2) / (0.15 * WIDTH)) ** 2 + ((y - HEIGHT / 2) / (0.35 * HEIGHT)) ** 2 <= 1;
  const grain = texture(x, y, 0) / 2;
  return inOval ? [205 + grain, 150 + grain, 120 + grain] : [140 + grain, 140 + grain, 140 + grain];
});

describe('camera pre-checks (web/prechecks.js)', () => {
  it.each([
    ['a document filling the guide', documentFrame, 'document', []],
    ['a face in the oval', faceFrame, 'selfie', []],
    ['a face instead of a document', faceFrame, 'document', ['DOCUMENT_NOT_FULLY_VISIBLE']],
    [
      'an empty wall as a selfie',
      pixels((x, y) => [texture(x, y, 140), texture(x, y, 140), texture(x, y, 140)]),
      'selfie',
      ['NO_FACE_DETECTED'],
    ],
    [
      'a dark, flat frame',
      pixels(() => [20, 20, 20]),
      'selfie',
      ['BACKGROUND_TOO_DARK', 'PHOTO_TOO_BLURRY', 'NO_FACE_DETECTED'],
    ],
    [
      'a smooth gradient (out of focus)',
      pixels((x) => [100 + x / 8, 100 + x / 8, 100 + x / 8]),
      'selfie',
      ['PHOTO_TOO_BLURRY', 'NO_FACE_DETECTED'],
    ],
  ] as const)('%s', (_name, frame, kind, expected) => {
    // Act
    const codes = precheckFrame(frame, kind);

    // Assess
    expect(codes).toEqual(expected);
  });

  it('judges exposure on the guide when the room around the subject is dark, as the server does', () => {
    // Prepare: a well-lit face in the oval, dark hair and a dark room around it (frame mean ~ 45).
    const darkRoom = pixels((x, y) => {
      const inOval = ((x - WIDTH / 2) / (0.15 * WIDTH)) ** 2 + ((y - HEIGHT / 2) / (0.35 * HEIGHT)) ** 2 <= 1;
      const grain = texture(x, y, 0) / 2;
      return inOval ? [205 + grain, 150 + grain, 120 + grain] : [25 + grain, 25 + grain, 25 + grain];
    });
    const underExposed = pixels((x, y) => {
      const inOval = ((x - WIDTH / 2) / (0.15 * WIDTH)) ** 2 + ((y - HEIGHT / 2) / (0.35 * HEIGHT)) ** 2 <= 1;
      const grain = texture(x, y, 0) / 2;
      return inOval ? [60 + grain, 40 + grain, 30 + grain] : [15 + grain, 15 + grain, 15 + grain];
    });

    // Act / Assess
    expect(precheckFrame(darkRoom, 'selfie', { faces: 1, largestFaceShare: 0.3 })).toEqual([]);
    expect(precheckFrame(underExposed, 'selfie', { faces: 1, largestFaceShare: 0.3 })).toEqual(['BACKGROUND_TOO_DARK']);
  });

  it.each([
    [0, ['NO_FACE_DETECTED']],
    [2, ['MULTIPLE_FACES']],
  ] as const)('trusts the browser FaceDetector when it reports %i faces', (faces, expected) => {
    // Act
    const codes = precheckFrame(faceFrame, 'selfie', { faces, largestFaceShare: 0.3 });

    // Assess
    expect(codes).toEqual(expected);
  });

  it('every hint code is in the shared catalog', () => {
    // Assess
    for (const code of ['BACKGROUND_TOO_DARK', 'PHOTO_TOO_BLURRY', 'DOCUMENT_NOT_FULLY_VISIBLE', 'NO_FACE_DETECTED'])
      expect(REASON_CODES).toContain(code);
  });
});

describe('web/reasons.js', () => {
  it.each(SUPPORTED_LANGUAGES)(
    'has exactly the catalog texts in %s (regenerate: npx tsx scripts/web/reason-catalog.ts)',
    (language) => {
      // Prepare
      const expected = Object.fromEntries(REASON_CODES.map((code) => [code, describeReason(code, language)]));

      // Assess
      expect(REASONS[language]).toEqual(expected);
    },
  );
});

describe('camera EXIF (web/exif.js)', () => {
  it('makes a 1280 x 720 canvas JPEG read as a camera photo, not an edit', async () => {
    // Prepare: a JPEG as a canvas encodes it (no metadata)
    const jpeg = await sharp({ create: { width: 1280, height: 720, channels: 3, background: '#888' } })
      .jpeg()
      .toBuffer();
    const before = await inspectMetadata(jpeg, { width: 1280, height: 720 });

    // Act
    const tagged = Buffer.from(
      withCameraExif(new Uint8Array(jpeg), {
        make: 'Web camera',
        model: 'Integrated Camera (04f2:b6d9)',
        software: 'serverless-kyc reference page',
      }),
    );
    const after = await inspectMetadata(tagged, { width: 1280, height: 720 });

    // Assess
    // Without it, a webcam-sized JPEG is left to its pixels (screenshot or camera frame).
    expect(before).toMatchObject({ reasons: [], hasCamera: false, screenOrCameraFrame: true });
    expect(after).toMatchObject({ reasons: [], hasCamera: true, screenOrCameraFrame: false });
    expect(await sharp(tagged).metadata()).toMatchObject({ width: 1280, height: 720, format: 'jpeg' });
  });

  it('leaves anything that is not a JPEG unchanged', () => {
    // Prepare
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);

    // Act
    const result = withCameraExif(png, { make: 'a', model: 'b', software: 'c' });

    // Assess
    expect(result).toBe(png);
  });
});
