/**
 * Composes the shared HTTP middlewares around a handler function, in this order:
 * error mapping (outermost), caller identity and role check (unless the route is public),
 * path parameters (the OpenAPI id pattern, before any AWS call), JSON body, language.
 *
 * @example
 * ```ts
 * export const handler = httpHandler(routeFor('GET', '/health'), async () => jsonResponse(200, { status: 'ok' }));
 * ```
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { negotiateLanguage } from '../../../domain/reason-catalog/languages.ts';
import type { Role } from '../../../domain/verification.ts';
import { acceptLanguage } from './accept-language.ts';
import { callerIdentity } from './caller-identity.ts';
import { httpErrorHandler } from './error-handler.ts';
import { jsonBody } from './json-body.ts';
import { pathParameters } from './path-parameters.ts';
import type { HttpResult, KycHttpEvent } from './types.ts';

export interface HttpHandlerOptions {
  /** Largest JSON body accepted (16 KiB). */
  readonly maxBodyBytes?: number;
  /** Language negotiation (the reason catalog's `negotiateLanguage`). */
  readonly negotiate?: (acceptLanguage: string | undefined) => string;
}

export type HttpFunction = (event: KycHttpEvent, context: Context) => Promise<HttpResult>;

export function httpHandler(
  route: { readonly roles: readonly Role[]; readonly public?: boolean },
  fn: HttpFunction,
  options: HttpHandlerOptions = {},
) {
  const handler = middy<KycHttpEvent, HttpResult>(fn).use(httpErrorHandler());
  if (!route.public) handler.use(callerIdentity({ roles: route.roles }));
  return handler
    .use(pathParameters())
    .use(jsonBody(options.maxBodyBytes === undefined ? {} : { maxBytes: options.maxBodyBytes }))
    .use(acceptLanguage({ negotiate: options.negotiate ?? negotiateLanguage }));
}
