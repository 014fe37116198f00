/**
 * Parses a JSON request body into `event.parsedBody`, with a size cap. A body that is too big
 * gives 413, one that is not declared as JSON 415, one that does not parse 400.
 *
 * @example
 * ```ts
 * middy(handler).use(jsonBody({ maxBytes: 16 * 1024 }));
 * ```
 */
import type { MiddlewareObj, Request } from '@middy/core';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from './http-errors.ts';
import { headerValue, type KycHttpEvent } from './types.ts';

export interface JsonBodyOptions {
  /** Largest accepted body in bytes (16 KiB). */
  readonly maxBytes?: number;
}

const defaults = { maxBytes: 16 * 1024 };

export function jsonBody(options: JsonBodyOptions = {}): MiddlewareObj<KycHttpEvent> {
  const { maxBytes } = { ...defaults, ...options };

  const jsonBodyMiddlewareBefore = (request: Request<KycHttpEvent>): void => {
    const event = request.event;
    const raw: unknown = event.body;
    if (raw === undefined || raw === null || raw === '') {
      event.parsedBody = undefined;
      return;
    }
    if (typeof raw !== 'string') throw new BadRequestError('INVALID_JSON', 'Request body is not valid JSON');
    // Check the encoded length first so a huge base64 body is never decoded.
    if (raw.length > (event.isBase64Encoded ? Math.ceil((maxBytes * 4) / 3) + 4 : maxBytes * 4)) {
      throw new PayloadTooLargeError(maxBytes);
    }
    const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
    if (bytes.length > maxBytes) throw new PayloadTooLargeError(maxBytes);
    const contentType = headerValue(event, 'content-type');
    if (!contentType || !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType.trim())) {
      throw new UnsupportedMediaTypeError();
    }
    try {
      event.parsedBody = JSON.parse(bytes.toString('utf8')) as unknown;
    } catch (error) {
      throw new BadRequestError('INVALID_JSON', 'Request body is not valid JSON', { cause: error });
    }
  };

  return { name: 'jsonBody', before: jsonBodyMiddlewareBefore };
}
