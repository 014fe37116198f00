import { describe, expect, it } from 'vitest';
import {
  grow,
  looksLikeMrz,
  MRZ_FALLBACK_BAND,
  redactionPlan,
  thumbnailIsClean,
  type FoundTextLine,
} from '../../../lambdas/domain/redaction.ts';
import { pixelRect } from '../../../lambdas/rendition/redacted-thumbnail.ts';

const PORTRAIT = { box: { left: 0.1, top: 0.2, width: 0.2, height: 0.3 }, confidence: 99 };
const line = (text: string, top: number, left = 0.45): FoundTextLine => ({
  text,
  box: { left, top, width: 0.3, height: 0.03 },
});
const PASSPORT_LINES = [
  line('PASSPORT GBR', 0.05, 0.05),
  line('ANNA', 0.25),
  line('910023757', 0.45),
  line('P<GBRMARTIN<<ANNA<<<<<<<<<<<<<<<<<<<<<<<<<<<', 0.74, 0.03),
  line('9100237576GBR8104063F3304064<<<<<<<<<<<<<<06', 0.81, 0.03),
];

describe('looksLikeMrz', () => {
  it.each([
    ['P<GBRMARTIN<<ANNA<<<<<<<<<<<<<<<<<<<<<<<<<<<', true],
    ['9100237576GBR8104063F3304064<<<<<<<<<<<<<<06', true],
    ['I<UTOD231458907<<<<<<<<<<<<<<<', true],
    ['P<GBRTANAKA<<KENJ]I<<<<<<<<<', true],
    ['Date of birth', false],
    ['SUPPORT sam 2026-11-30T10:00:00.000Z 0123456789abcdef', false],
    ['PASSPORT GBR', false],
  ])('%s -> %s', (text, expected) => {
    // Act / Assess
    expect(looksLikeMrz(text)).toBe(expected);
  });
});

describe('redactionPlan', () => {
  it('blurs the portrait with a margin, masks every text line and the MRZ band to the foot of the page', () => {
    // Act
    const plan = redactionPlan({
      slot: 'document_front',
      documentType: 'passport',
      faces: [PORTRAIT],
      lines: PASSPORT_LINES,
    });

    // Assess
    expect(plan.wholeImage).toBe(false);
    expect(plan.fallbacks).toEqual([]);
    expect(plan.blur).toEqual([grow(PORTRAIT.box, 0.4, 0.4)]);
    expect(plan.blur[0]).toMatchObject({ left: expect.closeTo(0.02, 5), top: expect.closeTo(0.08, 5) });
    expect(plan.mask).toHaveLength(PASSPORT_LINES.length + 1);
    const band = plan.mask.at(-1)!;
    expect(band).toMatchObject({ left: 0, width: 1 });
    expect(band.top).toBeCloseTo(0.71, 5);
    expect(band.top + band.height).toBeCloseTo(1, 9);
    // Every line, the document number's included, lies inside its mask.
    for (const [index, found] of PASSPORT_LINES.entries()) {
      const mask = plan.mask[index]!;
      expect(mask.left).toBeLessThanOrEqual(found.box.left);
      expect(mask.top).toBeLessThan(found.box.top);
      expect(mask.left + mask.width).toBeGreaterThanOrEqual(found.box.left + found.box.width);
      expect(mask.top + mask.height).toBeGreaterThan(found.box.top + found.box.height);
    }
  });

  it('masks the bottom band of a passport page whose MRZ was not read', () => {
    // Act
    const plan = redactionPlan({
      slot: 'document_front',
      documentType: 'passport',
      faces: [PORTRAIT],
      lines: PASSPORT_LINES.slice(0, 3),
    });

    // Assess
    expect(plan.fallbacks).toEqual(['no_mrz_found']);
    expect(plan.mask.at(-1)).toEqual({ left: 0, top: 1 - MRZ_FALLBACK_BAND, width: 1, height: MRZ_FALLBACK_BAND });
  });

  it('adds no band to a driving licence front without an MRZ', () => {
    // Act
    const plan = redactionPlan({
      slot: 'document_front',
      documentType: 'driving_licence',
      faces: [PORTRAIT],
      lines: PASSPORT_LINES.slice(0, 3),
    });

    // Assess
    expect(plan.fallbacks).toEqual([]);
    expect(plan.mask).toHaveLength(3);
  });

  it.each([
    ['no face above the confidence floor', [{ ...PORTRAIT, confidence: 30 }], PASSPORT_LINES, ['no_face_found']],
    ['no text at all', [PORTRAIT], [], ['no_text_found']],
    ['neither', [], [line('  ', 0.1)], ['no_face_found', 'no_text_found']],
  ])('pixelates the whole image when it finds %s', (_case, found, lines, fallbacks) => {
    // Act
    const plan = redactionPlan({ slot: 'document_front', documentType: 'passport', faces: found, lines });

    // Assess
    expect(plan).toEqual({ blur: [], mask: [], wholeImage: true, fallbacks });
  });
});

describe('thumbnailIsClean', () => {
  it.each([
    ['nothing found', true, [], []],
    ['OCR noise only', true, [], ['i', '|', 'Ee']],
    ['a face', false, [{ ...PORTRAIT, confidence: 60 }], []],
    ['an MRZ fragment', false, [], ['P<GBRMARTIN<<ANNA<<<<<<<']],
    ['a readable word', false, [], ['MARTIN']],
  ] as const)('%s: clean = %s', (_case, clean, found, texts) => {
    // Act / Assess
    expect(thumbnailIsClean({ faces: found, lines: texts.map((text) => line(text, 0.5)) })).toBe(clean);
  });
});

describe('pixelRect', () => {
  it('covers the fractional box outward and stays inside the image', () => {
    // Act / Assess
    expect(pixelRect({ left: 0.1, top: 0.5, width: 0.25, height: 0.6 }, 1000, 700)).toEqual({
      left: 100,
      top: 350,
      width: 250,
      height: 350,
    });
    expect(pixelRect({ left: 0.1004, top: 0, width: 0.2, height: 0.1 }, 1000, 700)).toMatchObject({
      left: 100,
      width: 201,
    });
    expect(pixelRect({ left: 1, top: 1, width: 0, height: 0 }, 100, 100)).toEqual({
      left: 99,
      top: 99,
      width: 1,
      height: 1,
    });
  });
});
