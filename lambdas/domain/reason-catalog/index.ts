/**
 * The reason catalog: a user-facing message and a fix tip for every reason code, per language
 * (PRODUCT §2, §7). Reason codes stay machine-readable in data; text is chosen only when a
 * response is written, from the caller's `Accept-Language`.
 *
 * Adding a language = one file with a `ReasonCatalog` (e.g. `de.ts`), one entry in
 * `LANGUAGE_REGISTRY` (`languages.ts`), one in `CATALOGS` below and one in
 * `TOO_MANY_REQUESTS_TEXTS` (`too-many-requests.ts`: the 429 codes' texts, kept apart so every
 * handler can answer 429 without carrying the whole catalog). `tsc` refuses a file that misses
 * a code, and a language without a catalog.
 *
 * @example
 * ```ts
 * const lang = negotiateLanguage('zh-Hans;q=0.9, en;q=0.5'); // 'zh-CN'
 * describeReasons(['PHOTO_TOO_BLURRY'], lang);
 * // [{ code: 'PHOTO_TOO_BLURRY', message: '照片太模糊', tip: '请握稳手机…' }]
 * ```
 */
import type { ReasonCode } from '../reason-codes.ts';
import { en } from './en.ts';
import type { Language } from './languages.ts';
import type { DescribedReason, ReasonCatalog } from './types.ts';
import { zhCN } from './zh-CN.ts';

export type { DescribedReason, ReasonCatalog, ReasonText } from './types.ts';
export { DEFAULT_LANGUAGE, isLanguage, negotiateLanguage, SUPPORTED_LANGUAGES, type Language } from './languages.ts';

/** Each language's texts; `tsc` refuses a language of `languages.ts` without its catalog. */
const CATALOGS: Readonly<Record<Language, ReasonCatalog>> = { en, 'zh-CN': zhCN };

/**
 * The message and fix tip of one reason code in one language.
 *
 * @example
 * ```ts
 * describeReason('REFLECTION_DETECTED', 'en');
 * // { code: 'REFLECTION_DETECTED', message: 'Reflection detected', tip: 'Switch off the flash…' }
 * ```
 */
export function describeReason(code: ReasonCode, language: Language): DescribedReason {
  const { message, tip } = CATALOGS[language][code];
  return { code, message, tip };
}

/**
 * Describes several reason codes in one language, keeping their order and dropping repeats.
 *
 * @example
 * ```ts
 * describeReasons(['PHOTO_TOO_BLURRY', 'DOCUMENT_TILTED'], negotiateLanguage(headers['accept-language']));
 * ```
 */
export function describeReasons(codes: readonly ReasonCode[], language: Language): DescribedReason[] {
  return [...new Set(codes)].map((code) => describeReason(code, language));
}

/** The whole catalog of one language (for the OpenAPI document, the CLI and the web page). */
export function catalogFor(language: Language): ReasonCatalog {
  return CATALOGS[language];
}
