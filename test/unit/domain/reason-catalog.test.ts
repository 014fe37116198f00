import { describe, expect, it } from 'vitest';
import { REASON_CODES } from '../../../lambdas/domain/reason-codes.ts';
import type { ReasonCatalog } from '../../../lambdas/domain/reason-catalog/index.ts';
import {
  DEFAULT_LANGUAGE,
  SUPPORTED_LANGUAGES,
  catalogFor,
  describeReason,
  describeReasons,
  isLanguage,
  negotiateLanguage,
} from '../../../lambdas/domain/reason-catalog/index.ts';

const everyCodeInEveryLanguage = SUPPORTED_LANGUAGES.flatMap((language) =>
  REASON_CODES.map((code) => [language, code] as const),
);

describe('reason catalog', () => {
  it('supports English (default) and Simplified Chinese', () => {
    // Assess
    expect(SUPPORTED_LANGUAGES).toEqual(['en', 'zh-CN']);
    expect(DEFAULT_LANGUAGE).toBe('en');
  });

  it.each(everyCodeInEveryLanguage)('%s has a message and a tip for %s', (language, code) => {
    // Act
    const described = describeReason(code, language);
    // Assess
    expect(described.code).toBe(code);
    expect(described.message.trim()).not.toBe('');
    expect(described.tip.trim()).not.toBe('');
    expect(described.tip).not.toBe(described.message);
  });

  it('refuses, at compile time, a language file that misses a code or invents one', () => {
    // @ts-expect-error a catalog without every reason code does not compile
    const incomplete: ReasonCatalog = { PHOTO_TOO_BLURRY: { message: 'm', tip: 't' } };
    const invented: ReasonCatalog = {
      ...catalogFor('en'),
      // @ts-expect-error a catalog with a code that does not exist does not compile
      NOT_A_REASON: { message: 'm', tip: 't' },
    };
    // Assess (at run time the objects are what they are; the check above is tsc's)
    expect(Object.keys(incomplete)).toHaveLength(1);
    expect(Object.keys(invented)).toHaveLength(REASON_CODES.length + 1);
  });

  it.each(SUPPORTED_LANGUAGES)('%s has no texts for codes that do not exist', (language) => {
    // Assess
    expect(Object.keys(catalogFor(language)).sort()).toEqual([...REASON_CODES].sort());
  });

  it.each(REASON_CODES)('zh-CN text for %s is Chinese, with no English words leaking in', (code) => {
    // Act
    const { message, tip } = describeReason(code, 'zh-CN');
    // Assess: the only Latin words allowed are format and unit names.
    const latinWords = `${message} ${tip}`.match(/[A-Za-z]+/g) ?? [];
    expect(latinWords.filter((word) => !['JPEG', 'PNG', 'PDF', 'MB'].includes(word))).toEqual([]);
    expect(message).toMatch(/[\u4e00-\u9fff]/);
    expect(tip).toMatch(/[\u4e00-\u9fff]/);
  });

  it.each(SUPPORTED_LANGUAGES)('%s texts are all different from one another', (language) => {
    // Prepare
    const texts = REASON_CODES.map((code) => describeReason(code, language).message);
    // Assess
    expect(new Set(texts).size).toBe(texts.length);
  });

  it.each([
    ['PHOTO_TOO_BLURRY', 'Photo too blurry'],
    ['REFLECTION_DETECTED', 'Reflection detected'],
    ['DOCUMENT_NOT_FULLY_VISIBLE', 'Document not fully visible'],
    ['BACKGROUND_TOO_DARK', 'Background too dark'],
    ['FACE_NOT_MATCH', 'Face not match'],
    ['LIVENESS_CHECK_FAILED', 'Liveness check failed'],
    ['DOCUMENT_EXPIRED', 'Document expired'],
    ['INFORMATION_MISMATCH', 'Information mismatch'],
  ] as const)('%s reads "%s" in English, as PRODUCT §2 words it', (code, message) => {
    // Assess
    expect(describeReason(code, 'en').message).toBe(message);
  });

  it.each([
    ['DOCUMENT_TILTED', /flat on a dark, plain surface.*directly above/],
    ['DOCUMENT_NOT_FULLY_VISIBLE', /all four corners/],
    ['REFLECTION_DETECTED', /flash/],
    ['BACKGROUND_TOO_DARK', /face a window/],
    ['FACE_OBSTRUCTED', /sunglasses, hat or mask/],
    ['IMAGE_EDITED', /original photo/],
    ['FILE_TOO_LARGE', /JPEG or PNG under 10 MB/],
  ] as const)('%s gives a concrete tip', (code, tip) => {
    // Assess
    expect(describeReason(code, 'en').tip).toMatch(tip);
  });

  it.each(SUPPORTED_LANGUAGES)('%s cooldown tip states no exact time (the API adds retryAfterSeconds)', (language) => {
    // Act
    const { tip } = describeReason('COOLDOWN_ACTIVE', language);
    // Assess
    expect(tip).not.toMatch(/\d/);
  });

  it('describes several codes in order, without repeats', () => {
    // Act
    const reasons = describeReasons(['PHOTO_TOO_BLURRY', 'FACE_NOT_MATCH', 'PHOTO_TOO_BLURRY'], 'zh-CN');
    // Assess
    expect(reasons).toEqual([
      { code: 'PHOTO_TOO_BLURRY', message: '照片太模糊', tip: expect.any(String) },
      { code: 'FACE_NOT_MATCH', message: '人脸不匹配', tip: expect.any(String) },
    ]);
  });

  it.each([
    ['en', true],
    ['zh-CN', true],
    ['zh-cn', false],
    ['fr', false],
    ['toString', false],
    [undefined, false],
  ])('isLanguage(%j) is %s', (value, expected) => {
    // Assess
    expect(isLanguage(value)).toBe(expected);
  });
});

describe('negotiateLanguage', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['en', 'en'],
    ['en-GB', 'en'],
    ['zh', 'zh-CN'],
    ['zh-CN', 'zh-CN'],
    ['ZH-cn', 'zh-CN'],
    ['zh-Hans', 'zh-CN'],
    ['zh-Hans-CN', 'zh-CN'],
    ['zh-SG', 'zh-CN'],
    ['zh-TW', 'en'],
    ['zh-HK', 'en'],
    ['zh-Hant', 'en'],
    ['zh-Hant-TW, zh-CN;q=0.5', 'zh-CN'],
    ['fr', 'en'],
    ['*', 'en'],
    ['fr-CH, fr;q=0.9, zh;q=0.8, en;q=0.7', 'zh-CN'],
    ['en;q=0.5, zh-CN;q=0.9', 'zh-CN'],
    ['en;q=0.9, zh-CN;q=0.9', 'en'],
    ['zh-CN;q=0.9, en;q=0.9', 'zh-CN'],
    ['zh-CN;q=0, en', 'en'],
    ['zh-CN, en;q=0', 'zh-CN'],
    ['zh;q=1.000', 'zh-CN'],
    ['zh;Q=0.8, en;q=0.7', 'zh-CN'],
    ['zh ; q = 0.8 , en;q=0.7', 'zh-CN'],
    ['zh;q=1.5, en', 'en'],
    ['zh;q=0.1234, en;q=0.1', 'en'],
    ['zh;q=abc, en;q=0.1', 'en'],
    ['zh;level=1;q=0.8, en;q=0.5', 'zh-CN'],
    ['<script>, zh', 'zh-CN'],
    [',,,;;;', 'en'],
    ['de-DE, fr', 'en'],
  ])('Accept-Language %j -> %s', (header, expected) => {
    // Act + Assess
    expect(negotiateLanguage(header)).toBe(expected);
  });

  it('looks at a bounded number of ranges of an abusive header', () => {
    // Prepare
    const header = `${Array.from({ length: 10_000 }, () => 'xx').join(',')}, zh`;
    // Act + Assess
    expect(negotiateLanguage(header)).toBe('en');
  });
});
