/**
 * Errors a handler throws to answer with a specific 4xx. Only `HttpError`s below 500 reach the
 * client with their message (middy's exposure rule); anything else becomes a generic 500.
 * Messages must never contain personal data: they are shown to the caller and logged.
 *
 * @example
 * ```ts
 * throw new NotFoundError('verification not found', { cause: error });
 * ```
 */
import { STAFF_REFUSAL_MESSAGES, type StaffRefusal } from '../../../domain/four-eyes.ts';
import type { RateLimitRefusalCode } from '../../../domain/rate-limit.ts';
import { describeTooManyRequests } from '../../../domain/reason-catalog/too-many-requests.ts';
import type { DescribedReason } from '../../../domain/reason-catalog/types.ts';

export class HttpError extends Error {
  /** Extra members of the JSON body (e.g. `retryAfterSeconds`). */
  public readonly details: Readonly<Record<string, unknown>>;
  /** Extra response headers (e.g. `Retry-After`). */
  public readonly headers: Readonly<Record<string, string>>;

  public constructor(
    public readonly statusCode: number,
    public readonly code: string,
    message: string,
    options: { details?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpError';
    this.details = options.details ?? {};
    this.headers = options.headers ?? {};
  }
}

type Options = { cause?: unknown; details?: Record<string, unknown> };

/** 400: the request is malformed or fails validation. */
export class BadRequestError extends HttpError {
  public constructor(code: string, message: string, options: Options = {}) {
    super(400, code, message, options);
    this.name = 'BadRequestError';
  }
}

/** 401: no caller identity on the request. */
export class UnauthorizedError extends HttpError {
  public constructor(message = 'Authentication required', options: Options = {}) {
    super(401, 'UNAUTHORIZED', message, options);
    this.name = 'UnauthorizedError';
  }
}

/** 403: the caller's roles do not allow this route. */
export class ForbiddenError extends HttpError {
  public constructor(message = 'Not allowed for your role', options: Options = {}) {
    super(403, 'FORBIDDEN', message, options);
    this.name = 'ForbiddenError';
  }
}

/** 403: a four-eyes rule refuses the staff action (`OWN_VERIFICATION`, `SELF_APPROVAL_FORBIDDEN`). */
export class FourEyesError extends HttpError {
  public constructor(code: StaffRefusal) {
    super(403, code, STAFF_REFUSAL_MESSAGES[code]);
    this.name = 'FourEyesError';
  }
}

/** 404: not found, or not the caller's (owners must not learn that other ids exist). */
export class NotFoundError extends HttpError {
  public constructor(message = 'Not found', options: Options = {}) {
    super(404, 'NOT_FOUND', message, options);
    this.name = 'NotFoundError';
  }
}

/** 409: the resource is in a state that forbids the request. */
export class ConflictError extends HttpError {
  public constructor(code: string, message: string, options: Options = {}) {
    super(409, code, message, options);
    this.name = 'ConflictError';
  }
}

/** 413: the body is bigger than the route accepts. */
export class PayloadTooLargeError extends HttpError {
  public constructor(maxBytes: number) {
    super(413, 'PAYLOAD_TOO_LARGE', `Request body exceeds ${maxBytes} bytes`, { details: { maxBytes } });
    this.name = 'PayloadTooLargeError';
  }
}

/** 415: a body that is not JSON. */
export class UnsupportedMediaTypeError extends HttpError {
  public constructor() {
    super(415, 'UNSUPPORTED_MEDIA_TYPE', 'Request body must be application/json');
    this.name = 'UnsupportedMediaTypeError';
  }
}

/**
 * 429: rate limited or in cooldown. The body carries the reason catalog's `message` and `tip`
 * for the code in the negotiated language (`event.language`; PRODUCT §7), `retryAfterSeconds`,
 * and a `Retry-After` header. Only the two codes' texts are bundled (`too-many-requests.ts`),
 * not the whole catalog.
 */
export class TooManyRequestsError extends HttpError {
  /**
   * `code` with its reason catalog texts in `language`; `described` gives other texts of the
   * same code instead (a route quota's, `describeRouteQuotaRefusal`).
   */
  public constructor(
    code: RateLimitRefusalCode,
    retryAfterSeconds: number,
    language: string | undefined,
    described: DescribedReason = describeTooManyRequests(code, language),
  ) {
    const { message, tip } = described;
    super(429, code, message, {
      details: { tip, retryAfterSeconds },
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
    this.name = 'TooManyRequestsError';
  }
}
