/**
 * Turns what a Lambda handler returned into the HTTP response API Gateway would send, following
 * the payload 2.0 rules: a result with `statusCode` is used as is (`headers`, `cookies`, `body`,
 * `isBase64Encoded`); any other value becomes a 200 JSON response of that value; a handler
 * that throws or returns something unserializable gives a 500 without details.
 */
export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly cookies: readonly string[];
  readonly body: Buffer;
}

/** The error body every local gateway error uses (PRODUCT §7: `{ code, message }`). */
export function errorResponse(
  statusCode: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    cookies: [],
    body: Buffer.from(JSON.stringify({ code, message })),
  };
}

/** API Gateway's answer when the integration fails (throws, times out or returns garbage). */
export const INTERNAL_ERROR = (): HttpResponse => errorResponse(500, 'INTERNAL_ERROR', 'Internal Server Error');

function isStructured(value: unknown): value is {
  statusCode: number;
  headers?: Record<string, unknown>;
  cookies?: unknown;
  body?: unknown;
  isBase64Encoded?: unknown;
} {
  return value !== null && typeof value === 'object' && 'statusCode' in value;
}

/**
 * Maps a handler result to a response.
 *
 * @example
 * ```ts
 * toHttpResponse({ statusCode: 201, body: '{"ok":true}' }).statusCode; // 201
 * toHttpResponse({ ok: true }).headers['content-type']; // 'application/json'
 * ```
 */
export function toHttpResponse(result: unknown): HttpResponse {
  if (!isStructured(result)) {
    if (result === undefined) return { statusCode: 200, headers: {}, cookies: [], body: Buffer.alloc(0) };
    const body = typeof result === 'string' ? result : JSON.stringify(result);
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from(body) };
  }
  const statusCode = Number(result.statusCode);
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return INTERNAL_ERROR();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (value !== undefined && value !== null) headers[name.toLowerCase()] = String(value);
  }
  const cookies = Array.isArray(result.cookies) ? result.cookies.map((cookie) => String(cookie)) : [];
  let body = Buffer.alloc(0);
  if (result.body !== undefined && result.body !== null) {
    if (typeof result.body !== 'string') return INTERNAL_ERROR();
    body = result.isBase64Encoded === true ? Buffer.from(result.body, 'base64') : Buffer.from(result.body, 'utf8');
  }
  return { statusCode, headers, cookies, body };
}
