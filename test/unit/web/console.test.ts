import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { REVIEW_REASON_CODES } from '../../../lambdas/handlers/http/review-decision.ts';
import {
  consoleContentSecurityPolicy,
  consoleSecurityHeaders,
  uploadPageSecurityHeaders,
} from '../../../lib/console-security-headers.ts';

// web/console is plain JavaScript without type declarations: load it by non-literal specifiers.
const AUTH_MODULE: string = '../../../web/console/auth.js';
const FORMAT_MODULE: string = '../../../web/console/format.js';
const I18N_MODULE: string = '../../../web/console/i18n.js';
const CHARTS_MODULE: string = '../../../web/console/charts.js';
const API_MODULE: string = '../../../web/console/api.js';
const PAGE_REASONS_MODULE: string = '../../../web/reasons.js';
const CONSOLE_REASONS_MODULE: string = '../../../web/console/reasons.js';

type CognitoConfig = { mode: 'cognito'; domain: string; clientId: string; redirectUri: string; scopes?: string[] };
const auth = (await import(AUTH_MODULE)) as {
  PKCE_KEY: string;
  base64Url(bytes: Uint8Array): string;
  createCodeVerifier(random?: { getRandomValues(bytes: Uint8Array): Uint8Array }): string;
  codeChallenge(verifier: string): Promise<string>;
  authorizeUrl(config: CognitoConfig, request: { challenge: string; state: string }): string;
  tokenRequestBody(config: CognitoConfig, grant: { code: string; verifier: string }): URLSearchParams;
  beginCognitoSignIn(config: CognitoConfig, storage: Storage): Promise<string>;
  completeCognitoSignIn(
    config: CognitoConfig,
    location: URL,
    storage: Storage,
    fetcher: typeof fetch,
  ): Promise<string | undefined>;
  logoutUrl(config: unknown): string | undefined;
  sessionOf(token: string): { userId: string; name: string; roles: string[]; expiresAt?: number } | undefined;
  tokenFromFragment(hash: string): readonly [string, string] | undefined;
};
const format = (await import(FORMAT_MODULE)) as {
  slaState(dueAt: string | undefined, now: number): { state: string; ms: number };
  slaText(dueAt: string | undefined, language: string, now: number): string;
  formatDuration(ms: number, language: string): string;
  describeReason(code: string, language: string): { code: string; message: string; tip: string };
  parseIdList(text: string): string[];
  REVIEW_REASON_CODES: string[];
};
const i18n = (await import(I18N_MODULE)) as {
  LANGUAGES: readonly string[];
  MESSAGES: Record<string, Record<string, string>>;
  t(language: string, key: string, params?: Record<string, string | number>): string;
  pickLanguage(preferred: readonly string[]): string;
};
const charts = (await import(CHARTS_MODULE)) as {
  barChartModel(
    data: { label: string; value: number; text: string }[],
    options?: { width?: number; labelWidth?: number; max?: number },
  ): { width: number; height: number; plotWidth: number; bars: { width: number; y: number }[] };
  columnChartModel(
    data: { label: string; values: number[]; text: string }[],
    options?: { width?: number; height?: number },
  ): { max: number; baseline: number; columns: { x: number; segments: { y: number; height: number }[] }[] };
};
const api = (await import(API_MODULE)) as {
  queryString(params: Record<string, string | number | undefined>): string;
  createApi(options: {
    baseUrl: string;
    token: () => string | undefined;
    language: () => string;
    onUnauthorized?: () => void;
    fetcher?: typeof fetch;
  }): {
    get(path: string): Promise<unknown>;
    post(path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  };
  ApiError: new (...args: never[]) => Error & { status: number; code: string };
};

const COGNITO: CognitoConfig = {
  mode: 'cognito',
  domain: 'kyc-console.auth.eu-west-1.amazoncognito.com',
  clientId: 'client123',
  redirectUri: 'https://console.example.com/console/',
};

/** An in-memory Storage, as sessionStorage behaves. */
function memoryStorage(): Storage {
  const data = new Map<string, string>();
  return {
    get length() {
      return data.size;
    },
    clear: () => data.clear(),
    getItem: (key) => data.get(key) ?? null,
    key: (index) => [...data.keys()][index] ?? null,
    removeItem: (key) => void data.delete(key),
    setItem: (key, value) => void data.set(key, value),
  };
}

/** An unsigned JWT with the given claims (the console only reads claims; the API verifies). */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'ES256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

describe('console sign-in: PKCE (RFC 7636)', () => {
  it('derives the S256 challenge of the RFC 7636 appendix B example', async () => {
    // Act
    const challenge = await auth.codeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');

    // Assess
    expect(challenge).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes 43-character base64url verifiers from 32 random bytes, a new one each time', () => {
    // Act
    const verifiers = Array.from({ length: 50 }, () => auth.createCodeVerifier(webcrypto));

    // Assess
    for (const verifier of verifiers) expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(verifiers).size).toBe(50);
    expect(auth.base64Url(new Uint8Array([251, 255]))).toBe('-_8');
  });

  it('builds the hosted-UI authorize URL of a code flow with an S256 challenge', () => {
    // Act
    const url = new URL(auth.authorizeUrl(COGNITO, { challenge: 'abc', state: 'xyz' }));

    // Assess
    expect(url.origin).toBe('https://kyc-console.auth.eu-west-1.amazoncognito.com');
    expect(url.pathname).toBe('/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client123',
      redirect_uri: 'https://console.example.com/console/',
      scope: 'openid email',
      state: 'xyz',
      code_challenge: 'abc',
      code_challenge_method: 'S256',
    });
  });

  it('trades the code and the stored verifier for the access token, once, after checking the state', async () => {
    // Prepare
    const storage = memoryStorage();
    const authorize = new URL(await auth.beginCognitoSignIn(COGNITO, storage));
    const stored = JSON.parse(storage.getItem(auth.PKCE_KEY) ?? '{}') as { verifier: string; state: string };
    const requests: { url: string; body: string }[] = [];
    const fetcher = (async (url: string, init: RequestInit) => {
      requests.push({ url, body: String(init.body) });
      return new Response(JSON.stringify({ access_token: 'access.jwt', id_token: 'id.jwt', token_type: 'Bearer' }));
    }) as unknown as typeof fetch;
    const back = new URL(`${COGNITO.redirectUri}?code=the-code&state=${authorize.searchParams.get('state')}`);

    // Act
    const token = await auth.completeCognitoSignIn(COGNITO, back, storage, fetcher);

    // Assess
    expect(authorize.searchParams.get('code_challenge')).toBe(await auth.codeChallenge(stored.verifier));
    expect(token).toBe('access.jwt');
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url).toBe('https://kyc-console.auth.eu-west-1.amazoncognito.com/oauth2/token');
    expect(Object.fromEntries(new URLSearchParams(requests[0]?.body))).toEqual({
      grant_type: 'authorization_code',
      client_id: 'client123',
      code: 'the-code',
      redirect_uri: COGNITO.redirectUri,
      code_verifier: stored.verifier,
    });
    expect(storage.getItem(auth.PKCE_KEY)).toBeNull();
  });

  it.each([
    ['a foreign state', '?code=c&state=forged', 'STATE_MISMATCH'],
    ['an error answer', '?error=access_denied&error_description=denied', 'ACCESS_DENIED'],
  ])('refuses %s without calling the token endpoint', async (_label, query, code) => {
    // Prepare
    const storage = memoryStorage();
    await auth.beginCognitoSignIn(COGNITO, storage);
    let calls = 0;
    const fetcher = (async () => {
      calls += 1;
      return new Response('{}');
    }) as unknown as typeof fetch;

    // Act
    const outcome = auth.completeCognitoSignIn(COGNITO, new URL(`${COGNITO.redirectUri}${query}`), storage, fetcher);

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'SignInError', code });
    expect(calls).toBe(0);
  });

  it('says when the token endpoint refuses the code', async () => {
    // Prepare
    const storage = memoryStorage();
    const state = new URL(await auth.beginCognitoSignIn(COGNITO, storage)).searchParams.get('state');
    const fetcher = (async () =>
      new Response(JSON.stringify({ error: 'invalid_grant' }), { status: 400 })) as unknown as typeof fetch;

    // Act
    const outcome = auth.completeCognitoSignIn(
      COGNITO,
      new URL(`${COGNITO.redirectUri}?code=c&state=${state}`),
      storage,
      fetcher,
    );

    // Assess
    await expect(outcome).rejects.toMatchObject({ code: 'INVALID_GRANT' });
  });

  it('logs out through the hosted UI only when a logout URI is configured', () => {
    // Assess
    expect(auth.logoutUrl({ mode: 'local' })).toBeUndefined();
    expect(auth.logoutUrl(COGNITO)).toBeUndefined();
    expect(auth.logoutUrl({ ...COGNITO, logoutUri: 'https://console.example.com/console/' })).toBe(
      'https://kyc-console.auth.eu-west-1.amazoncognito.com/logout?client_id=client123&logout_uri=https%3A%2F%2Fconsole.example.com%2Fconsole%2F',
    );
  });
});

describe('console sign-in: tokens', () => {
  it('reads subject, staff roles and expiry from the token claims', () => {
    // Prepare
    const token = jwt({
      sub: 'rev-1',
      username: 'rev-1',
      'cognito:groups': ['compliance_reviewer', 'other'],
      exp: 2_000_000_000,
    });

    // Act
    const session = auth.sessionOf(token);

    // Assess
    expect(session).toEqual({
      userId: 'rev-1',
      name: 'rev-1',
      roles: ['compliance_reviewer'],
      expiresAt: 2_000_000_000_000,
    });
  });

  it.each(['', 'not a token', 'a.b', jwt({ username: 'no-subject' })])('refuses %j', (token) => {
    // Assess
    expect(auth.sessionOf(token)).toBeUndefined();
  });

  it.each([
    ['#token=abc', 'abc', ''],
    ['#token=abc&x=1', 'abc', '#x=1'],
    ['#/queue', undefined, undefined],
  ])('takes the token out of the fragment %s', (hash, token, rest) => {
    // Act
    const found = auth.tokenFromFragment(hash);

    // Assess
    expect(found?.[0]).toBe(token);
    expect(found?.[1]).toBe(rest);
  });
});

describe('console formatting', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');

  it.each([
    ['2026-03-04T15:00:00Z', 'ok', 'due in 3 d 3 h', '3 天 3 小时后到期'],
    ['2026-03-01T14:30:00Z', 'soon', 'due in 2 h 30 min', '2 小时 30 分钟后到期'],
    ['2026-03-01T11:59:15Z', 'overdue', 'overdue by 45 s', '已超时 45 秒'],
    ['2026-02-27T12:00:00Z', 'overdue', 'overdue by 2 d', '已超时 2 天'],
    [undefined, 'none', 'no SLA', '无 SLA'],
  ])('SLA due %s: %s, "%s", "%s"', (dueAt, state, english, chinese) => {
    // Assess
    expect(format.slaState(dueAt, now).state).toBe(state);
    expect(format.slaText(dueAt, 'en', now)).toBe(english);
    expect(format.slaText(dueAt, 'zh-CN', now)).toBe(chinese);
  });

  it('describes reasons in the reviewer language from the generated catalog copy', () => {
    // Assess
    expect(format.describeReason('PHOTO_TOO_BLURRY', 'en').message).toBe('Photo too blurry');
    expect(format.describeReason('PHOTO_TOO_BLURRY', 'zh-CN').message).toMatch(/[\u4e00-\u9fff]/);
    expect(format.describeReason('SOMETHING_NEW', 'en')).toEqual({
      code: 'SOMETHING_NEW',
      message: 'SOMETHING_NEW',
      tip: '',
    });
  });

  it('carries its own copy of the reason catalog, exactly as generated (npx tsx scripts/web/reason-catalog.ts)', async () => {
    // Prepare: the page's copy, itself checked against the catalog in camera.test.ts
    const page = (await import(PAGE_REASONS_MODULE)) as { REASONS: unknown };
    const console = (await import(CONSOLE_REASONS_MODULE)) as { REASONS: unknown };

    // Assess
    expect(console.REASONS).toEqual(page.REASONS);
  });

  it('offers exactly the reason codes the decision route accepts', () => {
    // Assess
    expect([...format.REVIEW_REASON_CODES].sort()).toEqual([...REVIEW_REASON_CODES].sort());
  });

  it('splits export id lists on lines, commas and spaces, without duplicates', () => {
    // Assess
    expect(format.parseIdList(' a,b\n\nc  a; d ')).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('console UI strings', () => {
  const englishKeys = Object.keys(i18n.MESSAGES.en ?? {}).sort();
  const placeholders = (text: string): string[] => (text.match(/\{\w+\}/g) ?? []).sort();

  it.each(i18n.LANGUAGES)('%s has every key of English with the same placeholders, none empty', (language) => {
    // Prepare
    const messages = i18n.MESSAGES[language] ?? {};

    // Assess
    expect(Object.keys(messages).sort()).toEqual(englishKeys);
    for (const key of englishKeys) {
      expect(messages[key]?.trim(), key).not.toBe('');
      expect(placeholders(messages[key] ?? ''), key).toEqual(placeholders(i18n.MESSAGES.en?.[key] ?? ''));
    }
  });

  it('picks Chinese for zh browsers and English otherwise', () => {
    // Assess
    expect(i18n.pickLanguage(['zh-TW', 'en'])).toBe('zh-CN');
    expect(i18n.pickLanguage(['de-DE', 'en-GB'])).toBe('en');
    expect(i18n.pickLanguage(['fr'])).toBe('en');
    expect(i18n.t('zh-CN', 'queue.page', { page: 2 })).toBe('第 2 页');
  });
});

describe('console charts', () => {
  it('draws bars proportional to the values, stacked without overlap', () => {
    // Act
    const model = charts.barChartModel(
      [
        { label: 'a', value: 10, text: '10' },
        { label: 'b', value: 5, text: '5' },
        { label: 'c', value: 0, text: '0' },
      ],
      { width: 400, labelWidth: 100 },
    );

    // Assess
    expect(model.plotWidth).toBe(400 - 100 - 40);
    expect(model.bars.map((bar) => bar.width)).toEqual([model.plotWidth, model.plotWidth / 2, 0]);
    const ys = model.bars.map((bar) => bar.y);
    expect(ys).toEqual([...ys].sort((a, b) => a - b));
    expect(model.height).toBeGreaterThan(ys.at(-1) ?? 0);
  });

  it('leaves room right of the bars for long value texts', () => {
    // Act
    const model = charts.barChartModel([{ label: 'standard', value: 14, text: '14 (2 overdue)' }], {
      width: 400,
      labelWidth: 100,
    });

    // Assess
    expect(model.plotWidth).toBe(400 - 100 - ('14 (2 overdue)'.length * 7 + 10));
  });

  it('scales rates against a fixed maximum and clamps values above it', () => {
    // Act
    const model = charts.barChartModel(
      [
        { label: 'half', value: 0.5, text: '50%' },
        { label: 'over', value: 2, text: '200%' },
      ],
      { width: 400, labelWidth: 100, max: 1 },
    );

    // Assess
    expect(model.bars.map((bar) => bar.width)).toEqual([model.plotWidth / 2, model.plotWidth]);
  });
});

describe('console column chart', () => {
  it('stacks each day bottom up against the tallest day, left to right', () => {
    // Act
    const model = charts.columnChartModel(
      [
        { label: '03-01', values: [3, 1], text: '' },
        { label: '03-02', values: [0, 0], text: '' },
        { label: '03-03', values: [1, 1], text: '' },
      ],
      { width: 300, height: 180 },
    );

    // Assess
    expect(model.max).toBe(4);
    const [first, empty, third] = model.columns;
    expect(first!.segments[0]!.y + first!.segments[0]!.height).toBeCloseTo(model.baseline, 0);
    expect(first!.segments[1]!.y + first!.segments[1]!.height).toBeCloseTo(first!.segments[0]!.y, 0);
    expect(first!.segments[0]!.height).toBeCloseTo(3 * first!.segments[1]!.height, 0);
    expect(empty!.segments.map((segment) => segment.height)).toEqual([0, 0]);
    expect(third!.segments[0]!.height * 2).toBeCloseTo(third!.segments[0]!.height + third!.segments[1]!.height, 0);
    expect(model.columns.map((column) => column.x)).toEqual(
      [...model.columns.map((column) => column.x)].sort((a, b) => a - b),
    );
  });
});

describe('console API client', () => {
  it('sends the bearer token and language, and turns error bodies into ApiError { status, code }', async () => {
    // Prepare
    const seen: Headers[] = [];
    const fetcher = (async (_url: string, init: RequestInit) => {
      seen.push(new Headers(init.headers));
      return new Response(
        JSON.stringify({ code: 'REVIEW_ALREADY_DECIDED', message: 'Another reviewer decided first' }),
        {
          status: 409,
        },
      );
    }) as unknown as typeof fetch;
    const client = api.createApi({
      baseUrl: 'https://api.example',
      token: () => 'tok',
      language: () => 'zh-CN',
      fetcher,
    });

    // Act
    const outcome = client.post('/v1/reviews/v1/decision', { decision: 'approve', note: 'ok' });

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'ApiError', status: 409, code: 'REVIEW_ALREADY_DECIDED' });
    expect(seen[0]?.get('authorization')).toBe('Bearer tok');
    expect(seen[0]?.get('accept-language')).toBe('zh-CN');
    expect(api.queryString({ status: 'manual_review', queue: '', limit: 25, cursor: undefined })).toBe(
      '?status=manual_review&limit=25',
    );
  });

  it('signs out on 401', async () => {
    // Prepare
    let signedOut = 0;
    const fetcher = (async () =>
      new Response('{"code":"UNAUTHORIZED","message":"expired"}', { status: 401 })) as unknown as typeof fetch;
    const client = api.createApi({
      baseUrl: '',
      token: () => 'tok',
      language: () => 'en',
      fetcher,
      onUnauthorized: () => (signedOut += 1),
    });

    // Act
    const outcome = client.get('/v1/cases');

    // Assess
    await expect(outcome).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(signedOut).toBe(1);
  });
});

/** A Content-Security-Policy as `{ directive: [sources] }`. */
const directivesOf = (policy: string): Record<string, string[]> =>
  Object.fromEntries(
    policy.split('; ').map((directive) => {
      const [name, ...values] = directive.split(' ');
      return [name, values];
    }),
  );

describe('console security headers', () => {
  it('allows scripts and styles of its own origin only, images from the renditions origin, no framing', () => {
    // Act
    const headers = consoleSecurityHeaders({
      imageOrigins: ['http://127.0.0.1:4569/bucket/key?X-Amz-Signature=1'],
      connectOrigins: ['https://kyc.auth.eu-west-1.amazoncognito.com'],
    });

    // Assess
    const directives = directivesOf(headers['content-security-policy']!);
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['style-src']).toEqual(["'self'"]);
    expect(directives['img-src']).toEqual(["'self'", 'data:', 'http://127.0.0.1:4569']);
    expect(directives['connect-src']).toEqual(["'self'", 'https://kyc.auth.eu-west-1.amazoncognito.com']);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['referrer-policy']).toBe('no-referrer');
  });

  it('refuses an origin that is not http(s)', () => {
    // Assess
    expect(() => consoleContentSecurityPolicy({ imageOrigins: ['javascript:alert(1)'] })).toThrow(TypeError);
    expect(() => uploadPageSecurityHeaders({ uploadOrigins: ['data:text/html,x'] })).toThrow(TypeError);
  });

  it('lets the upload page upload to the intake origin and use the camera, and nothing else', () => {
    // Act
    const headers = uploadPageSecurityHeaders({ uploadOrigins: ['http://127.0.0.1:4569/kyc-intake?x=1'] });

    // Assess
    const directives = directivesOf(headers['content-security-policy']!);
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['connect-src']).toEqual(["'self'", 'http://127.0.0.1:4569']);
    expect(directives['img-src']).toEqual(["'self'", 'data:', 'blob:']);
    expect(directives['form-action']).toEqual(["'none'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(headers['permissions-policy']).toMatch(/^camera=\(self\), microphone=\(\)/);
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['referrer-policy']).toBe('no-referrer');
  });
});
