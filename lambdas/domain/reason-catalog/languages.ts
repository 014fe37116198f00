/**
 * The languages the reason catalog speaks, and which one fits a caller's `Accept-Language`
 * (RFC 9110 §12.5.4, RFC 4647 lookup). Apart from the texts (`index.ts`), so a handler that only
 * negotiates the language of its error messages does not carry every language's catalog.
 *
 * @example
 * ```ts
 * negotiateLanguage('zh-Hans;q=0.9, en;q=0.5'); // 'zh-CN'
 * ```
 */
interface LanguageEntry {
  /**
   * Lower-case language tags this language serves. A requested range matches when it, or a
   * prefix of it cut at a subtag boundary (RFC 4647 §3.4 lookup), is listed here.
   */
  readonly serves: readonly string[];
  /** Lower-case ranges (and everything under them) this language must never serve. */
  readonly neverServes?: readonly string[];
}

/** Every supported language. The first entry is the default. */
const LANGUAGE_REGISTRY = {
  en: { serves: ['en'] },
  'zh-CN': {
    serves: ['zh', 'zh-cn', 'zh-sg', 'zh-my', 'zh-hans'],
    // Traditional script (Taiwan, Hong Kong, Macau) is a different written language: those
    // ranges fall through to the caller's next choice rather than receive Simplified text.
    neverServes: ['zh-hant', 'zh-tw', 'zh-hk', 'zh-mo'],
  },
} as const satisfies Record<string, LanguageEntry>;

/** A language the catalog has texts for (BCP 47 tag as returned in `Content-Language`). */
export type Language = keyof typeof LANGUAGE_REGISTRY;

/** Every supported language, default first. */
export const SUPPORTED_LANGUAGES = Object.keys(LANGUAGE_REGISTRY) as readonly Language[];

/** The language used when the caller states no acceptable supported language. */
export const DEFAULT_LANGUAGE: Language = 'en';

/** At most this many ranges of one header are considered (a guard against abusive headers). */
const MAX_RANGES = 32;

/** RFC 9110 §12.4.2 qvalue: "0" [ "." 0*3DIGIT ] / "1" [ "." 0*3("0") ]. */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;
/** RFC 4647 language-range: "*" or 1*8ALPHA *("-" 1*8alphanum). */
const LANGUAGE_RANGE = /^(?:\*|[a-z]{1,8}(?:-[a-z0-9]{1,8})*)$/;

/** True when `value` names a supported language exactly (case-sensitive, as in the registry). */
export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && Object.hasOwn(LANGUAGE_REGISTRY, value);
}

/** True when `range` equals `tag` or starts with `tag` followed by a subtag boundary. */
function isUnder(range: string, tag: string): boolean {
  return range === tag || range.startsWith(`${tag}-`);
}

function languageForRange(range: string): Language | undefined {
  if (range === '*') return DEFAULT_LANGUAGE;
  for (const language of SUPPORTED_LANGUAGES) {
    const entry: LanguageEntry = LANGUAGE_REGISTRY[language];
    if (entry.neverServes?.some((excluded) => isUnder(range, excluded))) continue;
    // RFC 4647 lookup: try the range, then drop subtags from the end ("zh-hans-cn" -> "zh-hans" -> "zh").
    for (let candidate = range; candidate !== ''; candidate = candidate.replace(/-?[^-]*$/, '')) {
      if (entry.serves.includes(candidate)) return language;
    }
  }
  return undefined;
}

interface WeightedRange {
  readonly range: string;
  readonly q: number;
  readonly position: number;
}

function parseAcceptLanguage(header: string): WeightedRange[] {
  const ranges: WeightedRange[] = [];
  for (const [position, item] of header.split(',').slice(0, MAX_RANGES).entries()) {
    const [rawRange = '', ...params] = item.split(';').map((part) => part.trim());
    const range = rawRange.toLowerCase();
    if (!LANGUAGE_RANGE.test(range)) continue;
    let q = 1;
    let malformed = false;
    for (const param of params) {
      const match = /^q\s*=\s*(.*)$/i.exec(param);
      if (!match) continue; // unknown parameters are ignored
      const value = match[1] ?? '';
      if (!QVALUE.test(value)) malformed = true;
      else q = Number(value);
    }
    if (!malformed) ranges.push({ range, q, position });
  }
  return ranges;
}

/**
 * Picks the supported language that best fits an `Accept-Language` header (RFC 9110 §12.5.4):
 * ranges are tried by descending q-value, ties in the order written; `q=0` means "not
 * acceptable"; malformed ranges are skipped. Chinese ranges for Simplified script or the
 * regions that use it (`zh`, `zh-CN`, `zh-Hans`, `zh-Hans-CN`, `zh-SG`) give `zh-CN`;
 * Traditional-script ranges (`zh-TW`, `zh-HK`, `zh-Hant`) are not served by it. No header,
 * or nothing supported, gives `en`.
 *
 * @example
 * ```ts
 * negotiateLanguage('fr-CH, fr;q=0.9, zh;q=0.8, en;q=0.7'); // 'zh-CN'
 * negotiateLanguage(undefined); // 'en'
 * ```
 */
export function negotiateLanguage(acceptLanguage: string | undefined): Language {
  if (!acceptLanguage) return DEFAULT_LANGUAGE;
  const ranked = parseAcceptLanguage(acceptLanguage)
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q || a.position - b.position);
  for (const { range } of ranked) {
    const language = languageForRange(range);
    if (language) return language;
  }
  return DEFAULT_LANGUAGE;
}
