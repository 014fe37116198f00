// The console's API client: bearer token, Accept-Language, JSON in and out, and every failure
// as an ApiError with the API's `{ code, message }` (PRODUCT §7). Never logs tokens or bodies.

/** A refused or failed API call: HTTP status plus the API's error code and message. */
export class ApiError extends Error {
  constructor(/** @type {number} */ status, /** @type {string} */ code, /** @type {string} */ message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * The query string of an object, leaving out empty values.
 *
 * @example
 * queryString({ status: 'manual_review', queue: '' }); // '?status=manual_review'
 */
export function queryString(/** @type {Record<string, string | number | undefined>} */ params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * A client for the API at `baseUrl` ('' = this page's origin).
 *
 * @example
 * const api = createApi({ baseUrl: '', token: () => token, language: () => 'en' });
 * const { items } = await api.get('/v1/cases?status=manual_review');
 */
export function createApi(
  /** @type {{ baseUrl: string, token: () => string | undefined, language: () => string,
   *   onUnauthorized?: () => void, fetcher?: typeof fetch }} */ options,
) {
  const fetcher = options.fetcher ?? globalThis.fetch.bind(globalThis);
  async function call(/** @type {string} */ method, /** @type {string} */ path, /** @type {unknown} */ body) {
    /** @type {Record<string, string>} */
    const headers = { accept: 'application/json', 'accept-language': options.language() };
    const token = options.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response;
    try {
      response = await fetcher(`${options.baseUrl.replace(/\/$/, '')}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new ApiError(0, 'NETWORK_ERROR', 'The API could not be reached');
    }
    const text = await response.text();
    let parsed;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = {};
    }
    if (!response.ok) {
      if (response.status === 401) options.onUnauthorized?.();
      throw new ApiError(
        response.status,
        typeof parsed.code === 'string' ? parsed.code : `HTTP_${response.status}`,
        typeof parsed.message === 'string' ? parsed.message : response.statusText || 'Request failed',
      );
    }
    return { status: response.status, body: parsed };
  }
  return {
    /** GET a JSON body. */
    async get(/** @type {string} */ path) {
      return (await call('GET', path, undefined)).body;
    },
    /** POST a JSON body; returns `{ status, body }` (some routes answer 200 or 202). */
    post(/** @type {string} */ path, /** @type {unknown} */ body = {}) {
      return call('POST', path, body);
    },
  };
}
