/**
 * The reason catalog's texts for `UNDERAGE` (a date of birth under `applicants.minimumAge` when a
 * verification is created), in every language, apart from the rest of the catalog: verification
 * creation describes this one code and must not carry every language's texts of every other
 * (like the 429 codes, `too-many-requests.ts`). The language files take the entry from here, so
 * each text exists once; `tsc` refuses a language of `languages.ts` without it.
 *
 * @example
 * ```ts
 * describeUnderage('zh-CN'); // { code: 'UNDERAGE', message: '未达到最低年龄', tip: '…' }
 * ```
 */
import { DEFAULT_LANGUAGE, isLanguage, type Language } from './languages.ts';
import type { DescribedReason, ReasonText } from './types.ts';

/** The texts of `UNDERAGE`, per language. */
export const UNDERAGE_TEXTS: Readonly<Record<Language, ReasonText>> = {
  en: {
    message: 'Below the minimum age',
    tip: 'You must have reached the minimum age to verify your identity. Check that your date of birth is entered correctly (YYYY-MM-DD).',
  },
  'zh-CN': {
    message: '未达到最低年龄',
    tip: '您必须达到最低年龄才能进行身份认证。请检查出生日期是否填写正确。',
  },
};

/** `UNDERAGE` with its message and tip in the negotiated language (the default for anything else). */
export function describeUnderage(language: string | undefined): DescribedReason {
  const { message, tip } = UNDERAGE_TEXTS[isLanguage(language) ? language : DEFAULT_LANGUAGE];
  return { code: 'UNDERAGE', message, tip };
}
