// Sign-in for the compliance console.
//
// Local runtime: a bearer token from `npx kyc token --user <id> --role <role>`, pasted into the
// sign-in field or handed over as `#token=<jwt>` in the URL (the fragment never reaches a
// server; the page removes it from the address bar at once).
// AWS: the Cognito hosted UI with the OAuth 2.0 authorization code flow and PKCE (RFC 7636):
// the page keeps a random code verifier, sends its S256 challenge to /oauth2/authorize, and
// trades the returned code plus the verifier for tokens at /oauth2/token (public client, no
// secret). The access token is the bearer token the API's JWT authorizer accepts.
//
// The token lives in sessionStorage only (gone when the tab closes) and is never logged.

/** sessionStorage keys. */
export const TOKEN_KEY = 'kyc.console.token';
export const PKCE_KEY = 'kyc.console.pkce';

/** Roles the console knows, from the token's `cognito:groups`. */
export const STAFF_ROLES = /** @type {const} */ (['support', 'compliance_reviewer', 'compliance_approver', 'admin']);

/**
 * @typedef {{ mode: 'local' } | { mode: 'cognito', domain: string, clientId: string, redirectUri: string,
 *   scopes?: string[], logoutUri?: string }} AuthConfig
 * @typedef {{ userId: string, name: string, roles: string[], expiresAt: number | undefined }} Session
 */

/** Base64url without padding, as RFC 7636 asks. */
export function base64Url(/** @type {Uint8Array} */ bytes) {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * A PKCE code verifier: 32 random bytes as 43 base64url characters (RFC 7636 §4.1).
 *
 * @example
 * const verifier = createCodeVerifier(); // 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
 */
export function createCodeVerifier(random = globalThis.crypto) {
  return base64Url(random.getRandomValues(new Uint8Array(32)));
}

/**
 * The S256 code challenge of a verifier: base64url(SHA-256(verifier)) (RFC 7636 §4.2).
 *
 * @example
 * await codeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'); // 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
 */
export async function codeChallenge(/** @type {string} */ verifier, subtle = globalThis.crypto.subtle) {
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

/** The hosted UI's origin, `https://` added when the configuration gives a bare domain. */
export function cognitoOrigin(/** @type {string} */ domain) {
  const withScheme = /^https?:\/\//.test(domain) ? domain : `https://${domain}`;
  return new URL(withScheme).origin;
}

/**
 * The hosted UI's /oauth2/authorize URL for a code flow with PKCE.
 *
 * @example
 * authorizeUrl({ mode: 'cognito', domain: 'kyc.auth.eu-west-1.amazoncognito.com', clientId: 'abc',
 *   redirectUri: 'https://console.example/console/' }, { challenge: 'E9M…', state: 'xyz' });
 */
export function authorizeUrl(
  /** @type {Extract<AuthConfig, { mode: 'cognito' }>} */ config,
  /** @type {{ challenge: string, state: string }} */ request,
) {
  const url = new URL('/oauth2/authorize', cognitoOrigin(config.domain));
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('redirect_uri', config.redirectUri);
  url.searchParams.set('scope', (config.scopes ?? ['openid', 'email']).join(' '));
  url.searchParams.set('state', request.state);
  url.searchParams.set('code_challenge', request.challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return url.toString();
}

/** The form body of the token request that trades a code and its verifier for tokens. */
export function tokenRequestBody(
  /** @type {Extract<AuthConfig, { mode: 'cognito' }>} */ config,
  /** @type {{ code: string, verifier: string }} */ grant,
) {
  return new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: config.clientId,
    code: grant.code,
    redirect_uri: config.redirectUri,
    code_verifier: grant.verifier,
  });
}

/** Thrown when the hosted UI's answer cannot be used; `code` is shown with the message. */
export class SignInError extends Error {
  constructor(/** @type {string} */ code, /** @type {string} */ message) {
    super(message);
    this.name = 'SignInError';
    this.code = code;
  }
}

/**
 * Starts the hosted-UI sign-in: keeps verifier and state in sessionStorage, returns the URL to go to.
 */
export async function beginCognitoSignIn(
  /** @type {Extract<AuthConfig, { mode: 'cognito' }>} */ config,
  storage = globalThis.sessionStorage,
) {
  const verifier = createCodeVerifier();
  const state = createCodeVerifier();
  storage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  return authorizeUrl(config, { challenge: await codeChallenge(verifier), state });
}

/**
 * Finishes the hosted-UI sign-in when the page was opened with `?code=&state=`: checks the state
 * against the stored one (CSRF), trades the code for tokens and returns the access token.
 * Returns undefined when the URL carries no code.
 */
export async function completeCognitoSignIn(
  /** @type {Extract<AuthConfig, { mode: 'cognito' }>} */ config,
  /** @type {URL} */ location,
  storage = globalThis.sessionStorage,
  fetcher = globalThis.fetch,
) {
  const error = location.searchParams.get('error');
  if (error) throw new SignInError(error.toUpperCase(), location.searchParams.get('error_description') ?? error);
  const code = location.searchParams.get('code');
  if (!code) return undefined;
  const stored = storage.getItem(PKCE_KEY);
  storage.removeItem(PKCE_KEY);
  /** @type {{ verifier?: string, state?: string }} */
  const pending = stored ? JSON.parse(stored) : {};
  if (!pending.verifier || pending.state !== location.searchParams.get('state')) {
    throw new SignInError('STATE_MISMATCH', 'The sign-in answer does not belong to this browser tab');
  }
  const response = await fetcher(new URL('/oauth2/token', cognitoOrigin(config.domain)).toString(), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: tokenRequestBody(config, { code, verifier: pending.verifier }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok || typeof body.access_token !== 'string') {
    throw new SignInError(
      String(body.error ?? 'TOKEN_EXCHANGE_FAILED').toUpperCase(),
      'The sign-in could not be completed',
    );
  }
  return /** @type {string} */ (body.access_token);
}

/** The hosted UI's logout URL (ends the Cognito session too), or undefined without a logout URI. */
export function logoutUrl(/** @type {AuthConfig} */ config) {
  if (config.mode !== 'cognito' || !config.logoutUri) return undefined;
  const url = new URL('/logout', cognitoOrigin(config.domain));
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('logout_uri', config.logoutUri);
  return url.toString();
}

/**
 * Reads a JWT's claims without verifying it (the API verifies every request); undefined when
 * the text is not a JWT.
 */
export function decodeClaims(/** @type {string} */ token) {
  const parts = token.trim().split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (char) => char.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? /** @type {Record<string, unknown>} */ (claims) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Who a token says the caller is: `sub`, the staff roles among `cognito:groups`, and its expiry
 * (ms since the epoch). Undefined for text that is not a JWT or has no subject.
 *
 * @example
 * sessionOf(token); // { userId: 'rev-1', name: 'rev-1', roles: ['compliance_reviewer'], expiresAt: 1767225600000 }
 */
export function sessionOf(/** @type {string} */ token) {
  const claims = decodeClaims(token);
  if (!claims || typeof claims.sub !== 'string') return undefined;
  const groups = Array.isArray(claims['cognito:groups']) ? claims['cognito:groups'].map(String) : [];
  /** @type {Session} */
  const session = {
    userId: claims.sub,
    name: typeof claims.username === 'string' ? claims.username : claims.sub,
    roles: STAFF_ROLES.filter((role) => groups.includes(role)),
    expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : undefined,
  };
  return session;
}

/** True when the session's token has expired at `now`. */
export function isExpired(/** @type {Session} */ session, now = Date.now()) {
  return session.expiresAt !== undefined && session.expiresAt <= now;
}

/**
 * Takes `#token=<jwt>` out of the URL fragment: returns the token and the fragment without it
 * (`#token=abc&/queue` -> `['abc', '']`), or undefined when there is none.
 */
export function tokenFromFragment(/** @type {string} */ hash) {
  const text = hash.replace(/^#/, '');
  const params = new URLSearchParams(text.includes('token=') ? text : '');
  const token = params.get('token');
  if (!token) return undefined;
  params.delete('token');
  const rest = params.toString();
  return /** @type {const} */ ([token, rest ? `#${rest}` : '']);
}
