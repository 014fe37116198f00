import { describe, expect, it } from 'vitest';

// web/ is plain JavaScript without type declarations: load it by a non-literal specifier.
const I18N_MODULE: string = '../../../web/i18n.js';
const i18n = (await import(I18N_MODULE)) as {
  LANGUAGES: readonly string[];
  MESSAGES: Record<string, Record<string, string>>;
  COUNTRIES: Record<string, string>;
  detectLanguage(preferences: readonly string[]): string;
  translate(language: string, key: string, params?: Record<string, string | number>): string;
  countryOptions(language: string): { code: string; name: string }[];
  formatDuration(seconds: number, language: string): string;
};

const englishKeys = Object.keys(i18n.MESSAGES.en ?? {}).sort();
const placeholders = (text: string): string[] => (text.match(/\{\w+\}/g) ?? []).sort();

describe('upload page UI strings', () => {
  it('offers exactly the languages it has strings for', () => {
    // Assess
    expect(Object.keys(i18n.MESSAGES)).toEqual([...i18n.LANGUAGES]);
  });

  it.each(i18n.LANGUAGES)('%s has every key of English, no more, none empty', (language) => {
    // Prepare
    const messages = i18n.MESSAGES[language] ?? {};
    // Assess
    expect(Object.keys(messages).sort()).toEqual(englishKeys);
    expect(Object.entries(messages).filter(([, text]) => text.trim() === '')).toEqual([]);
  });

  it.each(englishKeys)('zh-CN "%s" is Chinese with the same placeholders', (key) => {
    // Prepare
    const english = i18n.MESSAGES.en?.[key] ?? '';
    const chinese = i18n.MESSAGES['zh-CN']?.[key] ?? '';
    // Assess
    expect(chinese).toMatch(/[\u4e00-\u9fff]/);
    expect(placeholders(chinese)).toEqual(placeholders(english));
  });

  it.each([
    [['zh-CN', 'en'], 'zh-CN'],
    [['zh'], 'zh-CN'],
    [['zh-Hans-SG'], 'zh-CN'],
    [['zh-TW', 'en-US'], 'en'],
    [['fr-FR', 'de'], 'en'],
    [['en-GB', 'zh-CN'], 'en'],
    [[], 'en'],
  ])('detects %j as %s', (preferences, expected) => {
    // Act + Assess
    expect(i18n.detectLanguage(preferences)).toBe(expected);
  });

  it('fills placeholders and falls back to English, then to the key', () => {
    // Act + Assess
    expect(i18n.translate('zh-CN', 'upload.uploading', { percent: 42 })).toBe('正在上传… 42%');
    expect(i18n.translate('en', 'error.code', {})).toBe('Error code: {code}');
    expect(i18n.translate('en', 'no.such.key')).toBe('no.such.key');
  });

  it.each(i18n.LANGUAGES)('names every nationality in %s, sorted, with ISO alpha-3 codes', (language) => {
    // Act
    const options = i18n.countryOptions(language);
    // Assess
    expect(options).toHaveLength(Object.keys(i18n.COUNTRIES).length);
    expect(options.every(({ code }) => /^[A-Z]{3}$/.test(code))).toBe(true);
    expect(options.every(({ name }) => name.length > 1 && !/^[A-Z]{2}$/.test(name))).toBe(true);
    expect(new Set(options.map(({ code }) => code)).size).toBe(options.length);
  });

  it.each([
    ['GBR', 'en', 'United Kingdom'],
    ['CHN', 'zh-CN', '中国'],
    ['DEU', 'zh-CN', '德国'],
    ['USA', 'en', 'United States'],
  ])('%s is called %s in %s', (code, language, name) => {
    // Act + Assess
    expect(i18n.countryOptions(language).find((option) => option.code === code)?.name).toBe(name);
  });

  it.each([
    [1800, 'en', '30 minutes'],
    [86_400, 'en', '24 hours'],
    [45, 'en', '45 seconds'],
    [0.2, 'en', '1 second'],
    [3600, 'zh-CN', '60分钟'],
    [86_400, 'zh-CN', '24小时'],
  ])('formats a wait of %s s in %s as %s', (seconds, language, text) => {
    // Act + Assess
    expect(i18n.formatDuration(seconds, language)).toBe(text);
  });
});
