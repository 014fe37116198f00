/**
 * Picks the language for user-facing messages from `Accept-Language` into `event.language`.
 *
 * @example
 * ```ts
 * middy(handler).use(acceptLanguage({ negotiate: negotiateLanguage }));
 * ```
 */
import type { MiddlewareObj, Request } from '@middy/core';
import { headerValue, type KycHttpEvent } from './types.ts';

export interface AcceptLanguageOptions {
  /** Maps an `Accept-Language` header (or none) to a supported language tag. */
  readonly negotiate: (acceptLanguage: string | undefined) => string;
}

/** Longest header considered; anything beyond is ignored rather than parsed. */
const MAX_HEADER_LENGTH = 512;

export function acceptLanguage(options: AcceptLanguageOptions): MiddlewareObj<KycHttpEvent> {
  const acceptLanguageMiddlewareBefore = (request: Request<KycHttpEvent>): void => {
    const header = headerValue(request.event, 'accept-language')?.slice(0, MAX_HEADER_LENGTH);
    request.event.language = options.negotiate(header);
  };
  return { name: 'acceptLanguage', before: acceptLanguageMiddlewareBefore };
}
