/**
 * The reason catalog's texts for the two codes a 429 answers with (`RATE_LIMITED`,
 * `COOLDOWN_ACTIVE`), in every language, apart from the rest of the catalog: every HTTP handler
 * can answer 429 (attempt and verification creation, route quotas), but most only negotiate the
 * language of their errors and must not carry every language's texts (`languages.ts`). The
 * language files (`en.ts`, `zh-CN.ts`) take these two entries from here, so each text exists
 * once; `tsc` refuses a language of `languages.ts` without them.
 *
 * @example
 * ```ts
 * describeTooManyRequests('COOLDOWN_ACTIVE', 'zh-CN');
 * // { code: 'COOLDOWN_ACTIVE', message: '认证已暂停', tip: '多次认证未通过后…' }
 * ```
 */
import type { RateLimitRefusalCode } from '../rate-limit.ts';
import { DEFAULT_LANGUAGE, isLanguage, type Language } from './languages.ts';
import type { DescribedReason, ReasonText } from './types.ts';

/** The texts of the 429 codes, per language. */
export const TOO_MANY_REQUESTS_TEXTS: Readonly<Record<Language, Readonly<Record<RateLimitRefusalCode, ReasonText>>>> = {
  en: {
    RATE_LIMITED: {
      message: 'Too many attempts',
      tip: 'Please wait a while before trying again, and check the reasons given for your last attempt first.',
    },
    COOLDOWN_ACTIVE: {
      message: 'Verification temporarily paused',
      tip: 'After several unsuccessful attempts, verification is paused for a while. Wait until the cooldown ends, then try again with new photos.',
    },
  },
  'zh-CN': {
    RATE_LIMITED: {
      message: '尝试次数过多',
      tip: '请稍等一段时间后再试，并先查看上次提交未通过的原因。',
    },
    COOLDOWN_ACTIVE: {
      message: '认证已暂停',
      tip: '多次认证未通过后，系统会暂停认证一段时间。请等待冷却期结束后，使用新拍摄的照片重试。',
    },
  },
};

/**
 * The texts of `RATE_LIMITED` when a per-user route quota refuses (`KycConfig.routeQuotas`: staff
 * document views, exports, case and support reads, the applicant's data package), per language.
 * The catalog's own texts speak of verification attempts, which these routes are not.
 */
export const ROUTE_QUOTA_TEXTS: Readonly<Record<Language, ReasonText>> = {
  en: {
    message: 'Too many requests',
    tip: 'This action allows only so many requests per person in a given time. Wait for the time given in retryAfterSeconds (the Retry-After header), then try again.',
  },
  'zh-CN': {
    message: '请求过于频繁',
    tip: '此操作在一定时间内对每人有请求次数限制。请等待 retryAfterSeconds（Retry-After 响应头）所示的时间后再试。',
  },
};

/** The message and tip of a route quota's 429 (`RATE_LIMITED`) in the negotiated language. */
export function describeRouteQuotaRefusal(language: string | undefined): DescribedReason {
  const { message, tip } = ROUTE_QUOTA_TEXTS[isLanguage(language) ? language : DEFAULT_LANGUAGE];
  return { code: 'RATE_LIMITED', message, tip };
}

/**
 * The message and fix tip of a 429 code in the negotiated language (`event.language`); anything
 * that is not a supported language gives the default.
 */
export function describeTooManyRequests(code: RateLimitRefusalCode, language: string | undefined): DescribedReason {
  const { message, tip } = TOO_MANY_REQUESTS_TEXTS[isLanguage(language) ? language : DEFAULT_LANGUAGE][code];
  return { code, message, tip };
}
