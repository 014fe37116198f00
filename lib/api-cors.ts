/**
 * The public API's CORS rule, for the origins of `allowedOrigins` (none: no CORS at all, so a
 * browser page on another origin cannot call the API). One rule for both sides: the HTTP API's
 * `corsPreflight` in AWS (`lib/constructs/api.ts`) and the local API (`kyc local
 * --allow-origin`), so a frontend that works against one works against the other. No CDK import:
 * the local runtime reads it too.
 *
 * @example
 * ```ts
 * API_CORS.allowHeaders; // ['authorization', 'content-type', 'accept-language', 'idempotency-key']
 * ```
 */
export const API_CORS = {
  /** The API's routes are GET and POST; OPTIONS for the preflight itself. */
  allowMethods: ['GET', 'POST', 'OPTIONS'],
  /** The bearer token, the JSON body, the language of reasons, and idempotent retries. */
  allowHeaders: ['authorization', 'content-type', 'accept-language', 'idempotency-key'],
  /** A 429's `Retry-After`, which a page shows as the wait. */
  exposeHeaders: ['retry-after'],
  /** How long a browser may keep a preflight's answer. */
  maxAgeSeconds: 600,
} as const;
