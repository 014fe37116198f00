/**
 * The response headers of the compliance console (`web/console/`): a strict Content Security
 * Policy without inline scripts or styles, no framing, no referrer, no powerful features. One
 * definition for every host of the console: the local runtime sends these headers for
 * `/console/*`, and a CloudFront response headers policy in AWS takes the same values.
 *
 * What the console needs, and nothing more:
 * - scripts and styles: its own origin (`script-src 'self'`; no inline code, no eval);
 * - API calls: its own origin, plus the API and the Cognito hosted UI's token endpoint when
 *   they live on other origins (`connect-src`);
 * - images: watermarked renditions and support thumbnails behind presigned URLs of the
 *   renditions bucket (`img-src` with that bucket's origin), and `data:` for inline thumbnails.
 */

export interface ConsoleHeaderOptions {
  /** Origins the console calls besides its own: the API (when elsewhere), the Cognito domain. */
  readonly connectOrigins?: readonly string[];
  /** Origins of presigned image URLs (the renditions bucket's S3 endpoint). */
  readonly imageOrigins?: readonly string[];
}

/** `https://host:port/path` -> `https://host:port`; throws on anything that is not an http(s) URL. */
function originOf(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new TypeError(`Not an http(s) origin: ${url}`);
  }
  return parsed.origin;
}

/**
 * The console's Content-Security-Policy value.
 *
 * @example
 * ```ts
 * consoleContentSecurityPolicy({ imageOrigins: ['http://127.0.0.1:4569'] });
 * // "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: http://127.0.0.1:4569; ..."
 * ```
 */
export function consoleContentSecurityPolicy(options: ConsoleHeaderOptions = {}): string {
  const images = [...new Set((options.imageOrigins ?? []).map(originOf))];
  const connect = [...new Set((options.connectOrigins ?? []).map(originOf))];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    ["img-src 'self' data:", ...images].join(' '),
    ["connect-src 'self'", ...connect].join(' '),
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

/**
 * Every security header of a console response.
 *
 * @example
 * ```ts
 * consoleSecurityHeaders({ imageOrigins: [s3Endpoint] })['content-security-policy'];
 * ```
 */
export function consoleSecurityHeaders(options: ConsoleHeaderOptions = {}): Record<string, string> {
  return {
    'content-security-policy': consoleContentSecurityPolicy(options),
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
  };
}
