/**
 * Turns any error into a JSON `{code, message}` response. `HttpError`s below 500 reach the
 * client with their message, details and headers; anything else is logged (name and message
 * only, never the request) and answered with a generic 500 `INTERNAL_ERROR`. No stack trace
 * ever reaches the client.
 *
 * @example
 * ```ts
 * middy(handler).use(httpErrorHandler());
 * ```
 */
import type { MiddlewareObj, Request } from '@middy/core';
import { logger } from '../../shared/logger.ts';
import { HttpError } from './http-errors.ts';
import { jsonResponse, type KycHttpEvent } from './types.ts';

export const INTERNAL_ERROR_MESSAGE = 'The request could not be completed; please retry later';

export function httpErrorHandler(): MiddlewareObj<KycHttpEvent> {
  const httpErrorHandlerMiddlewareOnError = (request: Request<KycHttpEvent>): void => {
    const error = request.error;
    if (error instanceof HttpError && error.statusCode >= 400 && error.statusCode < 500) {
      if (error.statusCode !== 404) logger.info('request refused', { status: error.statusCode, code: error.code });
      request.response = jsonResponse(
        error.statusCode,
        { ...error.details, code: error.code, message: error.message },
        { ...error.headers },
      );
      return;
    }
    logger.error('request failed', {
      errorName: error instanceof Error ? error.name : typeof error,
      errorMessage: error instanceof Error ? error.message : undefined,
    });
    request.response = jsonResponse(500, { code: 'INTERNAL_ERROR', message: INTERNAL_ERROR_MESSAGE });
  };

  return { name: 'httpErrorHandler', onError: httpErrorHandlerMiddlewareOnError };
}
