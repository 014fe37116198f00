/**
 * The response headers of the compliance console (`web/console/`): a strict Content Security
 * Policy without inline scripts or styles, no framing, no referrer, no powerful features. One
 * definition for every host of the console: the local runtime sends these headers for
 * `/console/*`, and a CloudFront response headers policy in AWS takes the same values.
 * The reference upload page (`web/index.html`) gets its own, as strict, below
 * ({@link uploadPageSecurityHeaders}).
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

/** The sources a page of ours may use beyond its own origin, by directive. */
export interface PolicySources {
  /** `img-src` beyond `'self'`. */
  readonly img: readonly string[];
  /** `connect-src` beyond `'self'`. */
  readonly connect: readonly string[];
  /** `media-src`, when the page plays anything (the camera's preview); absent: none. */
  readonly media?: readonly string[];
}

/**
 * The Content-Security-Policy every page of ours shares: its own scripts and styles only (no
 * inline code, no eval), no framing, no form posts, no plugins, no `<base>`; `sources` adds what a
 * page needs besides. The sources are taken as given (CDK tokens included): callers with URLs
 * pass them through `originOf` first.
 *
 * @example
 * ```ts
 * contentSecurityPolicy({ img: ['data:'], connect: ['https://kyc.auth.eu-west-1.amazoncognito.com'] });
 * ```
 */
export function contentSecurityPolicy(sources: PolicySources): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    ["img-src 'self'", ...sources.img].join(' '),
    ...(sources.media ? [["media-src 'self'", ...sources.media].join(' ')] : []),
    ["connect-src 'self'", ...sources.connect].join(' '),
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

const originsOf = (urls: readonly string[] | undefined): string[] => [...new Set((urls ?? []).map(originOf))];

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
  return contentSecurityPolicy({
    img: ['data:', ...originsOf(options.imageOrigins)],
    connect: originsOf(options.connectOrigins),
  });
}

/** The headers every page of ours sends besides its policy and permissions. */
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
};

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
    ...PAGE_HEADERS,
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
  };
}

/** Options of {@link uploadPageSecurityHeaders}. */
export interface UploadPageHeaderOptions {
  /** Origins the page uploads to with presigned POSTs (the intake bucket's S3 endpoint). */
  readonly uploadOrigins?: readonly string[];
}

/**
 * The reference upload page's Content-Security-Policy: its own scripts and styles only (no
 * inline code, no eval); API calls to its own origin; uploads to the intake bucket's origin;
 * the camera's frames stay in the page (`blob:`/`data:` images, `mediastream:` video); no
 * framing, no form posts elsewhere, no plugins. Identity documents pass through this page: an
 * injected script must have nowhere to load from and nowhere to send them.
 *
 * @example
 * ```ts
 * uploadPageContentSecurityPolicy({ uploadOrigins: ['http://127.0.0.1:4569'] });
 * // "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; ..."
 * ```
 */
export function uploadPageContentSecurityPolicy(options: UploadPageHeaderOptions = {}): string {
  return contentSecurityPolicy({
    img: ['data:', 'blob:'],
    media: ['blob:', 'mediastream:'],
    connect: originsOf(options.uploadOrigins),
  });
}

/**
 * Every security header of an upload page response: the console's, except that the page may
 * use the camera (its liveness step) on its own origin.
 *
 * @example
 * ```ts
 * uploadPageSecurityHeaders({ uploadOrigins: [s3Endpoint] })['permissions-policy']; // "camera=(self), ..."
 * ```
 */
export function uploadPageSecurityHeaders(options: UploadPageHeaderOptions = {}): Record<string, string> {
  return {
    'content-security-policy': uploadPageContentSecurityPolicy(options),
    ...PAGE_HEADERS,
    'permissions-policy': 'camera=(self), microphone=(), geolocation=(), payment=(), usb=()',
  };
}
