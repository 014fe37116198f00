/**
 * Parses a JSON request body into `event.parsedBody`, with a size cap. A body that is too big
 * gives 413, one that is not declared as JSON 415, one that does not parse 400, and so does one
 * that names a member twice in one object (`JSON.parse` would keep the last quietly, another
 * parser the first: the same body must not say two things).
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
    const text = bytes.toString('utf8');
    try {
      event.parsedBody = JSON.parse(text) as unknown;
    } catch (error) {
      throw new BadRequestError('INVALID_JSON', 'Request body is not valid JSON', { cause: error });
    }
    if (hasDuplicateKey(text)) {
      throw new BadRequestError('INVALID_JSON', 'Request body names the same member twice in one object');
    }
  };

  return { name: 'jsonBody', before: jsonBodyMiddlewareBefore };
}

/**
 * Whether a JSON text (one `JSON.parse` accepts) names a member twice in one object, comparing
 * names as decoded (`"a"` and `"\u0061"` are the same name).
 *
 * @example
 * ```ts
 * hasDuplicateKey('{"a":1,"b":{"a":2}}'); // false
 * hasDuplicateKey('{"a":1,"\\u0061":2}'); // true
 * ```
 */
export function hasDuplicateKey(text: string): boolean {
  // One frame per open object or array; an object's frame holds its names so far, and whether
  // the next string is a name (after `{` or after `,` within the object).
  const frames: { names: Set<string> | undefined; nameNext: boolean }[] = [];
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    const frame = frames[frames.length - 1];
    if (char === '"') {
      let end = index + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (frame?.names && frame.nameNext) {
        const name = JSON.parse(text.slice(index, end + 1)) as string;
        if (frame.names.has(name)) return true;
        frame.names.add(name);
        frame.nameNext = false;
      }
      index = end;
    } else if (char === '{') {
      frames.push({ names: new Set(), nameNext: true });
    } else if (char === '[') {
      frames.push({ names: undefined, nameNext: false });
    } else if (char === '}' || char === ']') {
      frames.pop();
    } else if (char === ',' && frame?.names) {
      frame.nameNext = true;
    }
  }
  return false;
}
