import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateSigningKey, type LocalSigningKey } from '../../../local/runtime/auth/local-signing-key.ts';
import { SignJWT } from 'jose';
import { LOCAL_TOKEN_ALGORITHM } from '../../../local/runtime/auth/local-signing-key.ts';
import {
  issueLocalToken,
  LOCAL_TOKEN_CLIENT_ID,
  LOCAL_TOKEN_ISSUER,
} from '../../../local/runtime/auth/local-tokens.ts';
import { API_CORS } from '../../../lib/api-cors.ts';
import { PortUnavailableError, startApiServer, type ApiServer } from '../../../local/runtime/http/api-server.ts';
import type { HttpRouteDefinition } from '../../../local/runtime/http/route-matcher.ts';

const FIXTURE = 'test/unit/runtime/fixtures/echo-handler.ts';
const ROUTES: HttpRouteDefinition[] = [
  { method: 'POST', path: '/v1/things/{id}', entry: FIXTURE, exportName: 'echo', roles: ['user'] },
  { method: 'GET', path: '/v1/plain', entry: FIXTURE, exportName: 'plain', roles: [], public: true },
  { method: 'GET', path: '/v1/binary', entry: FIXTURE, exportName: 'binary', roles: [], public: true },
  { method: 'GET', path: '/v1/broken', entry: FIXTURE, exportName: 'broken', roles: [], public: true },
  { method: 'GET', path: '/v1/slow', entry: FIXTURE, exportName: 'slow', roles: [], public: true },
  { method: 'GET', path: '/v1/missing', entry: FIXTURE, exportName: 'nope', roles: [], public: true },
  { method: 'GET', path: '/v1/review', entry: FIXTURE, exportName: 'echo', roles: ['compliance_reviewer'] },
];

const dataDir = mkdtempSync(join(tmpdir(), 'kyc-api-'));
let key: LocalSigningKey;
let api: ApiServer;

/** A request with exactly the given Host/Origin headers (fetch does not let a caller set Host). */
function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolveResponse, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolveResponse({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    request.on('error', reject);
    request.end();
  });
}

const rawGet = (port: number, path: string, headers: Record<string, string>) => rawRequest(port, 'GET', path, headers);
const errors: string[] = [];

beforeAll(async () => {
  key = await loadOrCreateSigningKey(dataDir);
  const webDir = join(dataDir, 'web');
  mkdirSync(webDir);
  writeFileSync(join(webDir, 'index.html'), '<h1>upload</h1>');
  mkdirSync(join(webDir, 'console'));
  writeFileSync(join(webDir, 'console', 'index.html'), '<h1>console</h1>');
  writeFileSync(join(dataDir, 'openapi.json'), '{"openapi":"3.1.0"}');
  writeFileSync(join(dataDir, 'secret.txt'), 'do not serve');
  api = await startApiServer({
    routes: ROUTES,
    repoRoot: resolve('.'),
    signingKey: key,
    region: 'eu-west-1',
    port: 0,
    webDir,
    staticHeaders: (path) =>
      path.startsWith('/console') ? { 'content-security-policy': "default-src 'none'" } : undefined,
    openApiFile: join(dataDir, 'openapi.json'),
    integrationTimeoutMs: 200,
    bodyIdleTimeoutMs: 300,
    onHandlerError: (routeKey) => errors.push(routeKey),
  });
});

afterAll(async () => {
  await api.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const bearer = async (role: 'user' | 'compliance_reviewer' = 'user'): Promise<string> =>
  `Bearer ${await issueLocalToken(key, { userId: 'alice', role })}`;

describe('startApiServer: API Gateway HTTP API emulation', () => {
  it('invokes the handler with a payload 2.0 event and the verified claims', async () => {
    // Act
    const response = await fetch(`${api.url}/v1/things/42?q=1`, {
      method: 'POST',
      headers: { authorization: await bearer(), 'content-type': 'application/json', cookie: 'c=1' },
      body: JSON.stringify({ hello: 'there' }),
    });

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('x-function')).toBe('kyc-echo-handler');
    expect(response.headers.get('set-cookie')).toBe('session=abc; HttpOnly');
    expect(await response.json()).toMatchObject({
      routeKey: 'POST /v1/things/{id}',
      pathParameters: { id: '42' },
      queryStringParameters: { q: '1' },
      cookies: ['c=1'],
      body: '{"hello":"there"}',
      isBase64Encoded: false,
      claims: { sub: 'alice', 'cognito:groups': '[user]', iss: 'urn:serverless-kyc:local' },
      stage: '$default',
    });
  });

  it.each([
    ['no token', undefined, 401, 'UNAUTHORIZED'],
    ['a malformed token', 'Bearer x.y.z', 401, 'UNAUTHORIZED'],
    ['a Basic header', 'Basic YTpi', 401, 'UNAUTHORIZED'],
  ])('answers %s with 401 JSON', async (_label, authorization, status, code) => {
    // Act
    const response = await fetch(`${api.url}/v1/things/1`, {
      method: 'POST',
      headers: authorization ? { authorization } : {},
    });

    // Assess
    expect(response.status).toBe(status);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await response.json()).toMatchObject({ code });
  });

  it('refuses an ID token signed with the runtime key (the API accepts access tokens only)', async () => {
    // Prepare
    const idToken = await new SignJWT({ 'cognito:groups': ['admin'], token_use: 'id' })
      .setProtectedHeader({ alg: LOCAL_TOKEN_ALGORITHM, kid: key.keyId })
      .setSubject('mallory')
      .setIssuer(LOCAL_TOKEN_ISSUER)
      .setAudience(LOCAL_TOKEN_CLIENT_ID)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key.privateKey);

    // Act
    const response = await fetch(`${api.url}/v1/things/1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${idToken}` },
    });

    // Assess
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      code: 'UNAUTHORIZED',
      message: 'Invalid token: only access tokens are accepted (token_use must be access)',
    });
  });

  it('answers huge headers with 431 { code, message }', async () => {
    // Act
    const response = await fetch(`${api.url}/v1/plain`, { headers: { 'x-padding': 'a'.repeat(20_000) } });

    // Assess
    expect(response.status).toBe(431);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({
      code: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
      message: 'Request header fields are too large',
    });
  });

  it('answers an unparsable request with 400 { code, message }', async () => {
    // Act
    const raw = await new Promise<string>((resolveRaw, rejectRaw) => {
      const socket = connect(api.port, '127.0.0.1', () => socket.write('NOT A REQUEST\r\n\r\n'));
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString()));
      socket.on('end', () => resolveRaw(received));
      socket.on('error', rejectRaw);
    });

    // Assess
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toEqual({
      code: 'BAD_REQUEST',
      message: 'The request could not be parsed',
    });
  });

  it('answers a body that stops arriving with 408 { code, message } and closes the connection', async () => {
    // Prepare
    const authorization = await bearer();

    // Act: 100 bytes announced, 9 sent, then silence.
    const started = Date.now();
    const raw = await new Promise<string>((resolveRaw, rejectRaw) => {
      const socket = connect(api.port, '127.0.0.1', () =>
        socket.write(
          `POST /v1/things/t-1 HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: ${authorization}\r\n` +
            'content-type: application/json\r\ncontent-length: 100\r\n\r\n{"a":"bc"',
        ),
      );
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString()));
      socket.on('end', () => resolveRaw(received));
      socket.on('error', rejectRaw);
    });

    // Assess
    expect(raw).toMatch(/^HTTP\/1\.1 408 /);
    expect(raw.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toEqual({
      code: 'REQUEST_TIMEOUT',
      message: 'The request body did not arrive in time',
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('leaves role checks to the handler, as API Gateway does', async () => {
    // Act
    const response = await fetch(`${api.url}/v1/review`, { headers: { authorization: await bearer('user') } });

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ claims: { 'cognito:groups': '[user]' } });
  });

  it.each([
    ['/v1/plain', 200, 'application/json', '{"hello":"world"}'],
    ['/v1/binary', 200, 'image/png', '\u0001\u0002\u0003'],
    ['/v1/broken', 500, 'application/json', '{"code":"INTERNAL_ERROR","message":"Internal Server Error"}'],
    ['/v1/missing', 500, 'application/json', '{"code":"INTERNAL_ERROR","message":"Internal Server Error"}'],
    ['/v1/slow', 503, 'application/json', '{"code":"SERVICE_UNAVAILABLE","message":"Service Unavailable"}'],
    ['/v1/nowhere', 404, 'application/json', '{"code":"NOT_FOUND","message":"Not Found"}'],
  ])('GET %s -> %i', async (path, status, contentType, body) => {
    // Act
    const response = await fetch(`${api.url}${path}`);

    // Assess
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe(contentType);
    expect(await response.text()).toBe(body);
  });

  it('never leaks handler error details and reports them to the runtime', async () => {
    // Act
    const response = await fetch(`${api.url}/v1/broken`);

    // Assess
    expect(await response.text()).not.toContain('secret internal detail');
    expect(errors).toContain('GET /v1/broken');
  });

  it.each([
    ['/', 200, '<h1>upload</h1>'],
    ['/openapi.json', 200, '{"openapi":"3.1.0"}'],
    ['/../secret.txt', 404, undefined],
    ['/%2e%2e/secret.txt', 404, undefined],
  ])('serves local route %s -> %i', async (path, status, body) => {
    // Act
    const response = await fetch(`${api.url}${path}`);

    // Assess
    expect(response.status).toBe(status);
    if (body !== undefined) expect(await response.text()).toBe(body);
  });

  it('redirects a folder without its slash to the folder (relative links resolve)', async () => {
    // Act
    const response = await fetch(`${api.url}/console`, { redirect: 'manual' });

    // Assess
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toBe('/console/');
  });

  it('adds the static headers of a path to its files only', async () => {
    // Act
    const console = await fetch(`${api.url}/console/`);
    const page = await fetch(`${api.url}/`);

    // Assess
    expect(await console.text()).toBe('<h1>console</h1>');
    expect(console.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(page.headers.get('content-security-policy')).toBeNull();
  });

  it('answers GET /health', async () => {
    // Act
    const response = await fetch(`${api.url}/health`);

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok' });
  });

  it('mints a token at /_local/token that the API accepts', async () => {
    // Prepare
    const minted = (await (await fetch(`${api.url}/_local/token?user=bob&role=user`)).json()) as { token: string };

    // Act
    const response = await fetch(`${api.url}/v1/things/1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${minted.token}` },
    });

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ claims: { sub: 'bob' } });
  });

  it.each([
    ['user=&role=user', 400],
    ['user=bob&role=king', 400],
  ])('refuses /_local/token?%s', async (query, status) => {
    // Act
    const response = await fetch(`${api.url}/_local/token?${query}`);

    // Assess
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it.each(['support', 'compliance_reviewer', 'compliance_approver', 'admin'])(
    'refuses to mint a %s token over HTTP (staff tokens come from kyc token)',
    async (role) => {
      // Act
      const response = await fetch(`${api.url}/_local/token?user=mallory&role=${role}`);

      // Assess
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ code: 'FORBIDDEN' });
    },
  );

  it.each([
    ['a foreign Host (DNS rebinding)', { host: 'attacker.example:80' }],
    ['a foreign Origin (cross-site page)', { origin: 'http://attacker.example' }],
    ['another loopback port as Origin', { origin: 'http://127.0.0.1:1' }],
  ])('refuses /_local/token with %s', async (_name, headers) => {
    // Act
    const { status, body } = await rawGet(api.port, '/_local/token?user=bob&role=user', headers);

    // Assess
    expect(status).toBe(403);
    expect(JSON.parse(body)).toMatchObject({ code: 'FORBIDDEN' });
  });

  it.each([
    ['localhost', { host: 'localhost' }],
    ['its own origin', { origin: 'ORIGIN' }],
  ])('answers /_local/token for %s', async (_name, headers) => {
    // Prepare
    const sent = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name, value === 'ORIGIN' ? api.url : value]),
    );

    // Act
    const { status } = await rawGet(api.port, '/_local/token?user=bob&role=user', sent);

    // Assess
    expect(status).toBe(200);
  });

  it('refuses a busy port with PortUnavailableError', async () => {
    // Act
    const second = startApiServer({ routes: [], repoRoot: '.', signingKey: key, region: 'eu-west-1', port: api.port });

    // Assess
    await expect(second).rejects.toBeInstanceOf(PortUnavailableError);
  });
});

describe('startApiServer: CORS for the allowed origins, as the HTTP API with corsPreflight', () => {
  const allowed = 'http://localhost:5173';
  let corsApi: ApiServer;

  beforeAll(async () => {
    corsApi = await startApiServer({
      routes: ROUTES,
      repoRoot: resolve('.'),
      signingKey: key,
      region: 'eu-west-1',
      port: 0,
      allowedOrigins: [allowed],
    });
  });

  afterAll(async () => {
    await corsApi.close();
  });

  const preflight = (origin: string, path = '/v1/things/1') =>
    rawRequest(corsApi.port, 'OPTIONS', path, {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type',
    });

  it('answers a preflight from an allowed origin with 204 and the rule, before any token check', async () => {
    // Act
    const { status, headers, body } = await preflight(allowed);

    // Assess
    expect(status).toBe(204);
    expect(body).toBe('');
    expect(headers['content-length']).toBeUndefined();
    expect(headers).toMatchObject({
      'access-control-allow-origin': allowed,
      'access-control-allow-methods': API_CORS.allowMethods.join(','),
      'access-control-allow-headers': API_CORS.allowHeaders.join(','),
      'access-control-max-age': String(API_CORS.maxAgeSeconds),
      vary: 'origin',
    });
  });

  it('answers a preflight for an unknown route too (API Gateway answers them all)', async () => {
    // Act
    const { status, headers } = await preflight(allowed, '/v1/nowhere');

    // Assess
    expect(status).toBe(204);
    expect(headers['access-control-allow-origin']).toBe(allowed);
  });

  it.each([
    ['another site', 'http://attacker.example'],
    ['another port of the allowed host', 'http://localhost:5174'],
    ['the allowed origin with a path', `${allowed}/`],
  ])('gives a preflight from %s no CORS header, so the browser refuses', async (_name, origin) => {
    // Act
    const { status, headers } = await preflight(origin);

    // Assess
    expect(status).toBe(204);
    expect(headers['access-control-allow-origin']).toBeUndefined();
    expect(headers['access-control-allow-methods']).toBeUndefined();
  });

  it('names the allowed origin on answers, errors included, and exposes Retry-After', async () => {
    // Act
    const ok = await rawRequest(corsApi.port, 'POST', '/v1/things/1', {
      origin: allowed,
      authorization: await bearer(),
    });
    const unauthorized = await rawRequest(corsApi.port, 'POST', '/v1/things/1', { origin: allowed });
    const notFound = await rawGet(corsApi.port, '/v1/nowhere', { origin: allowed });

    // Assess
    expect(ok.status).toBe(200);
    expect(unauthorized.status).toBe(401);
    expect(notFound.status).toBe(404);
    for (const answer of [ok, unauthorized, notFound]) {
      expect(answer.headers['access-control-allow-origin']).toBe(allowed);
      expect(answer.headers['access-control-expose-headers']).toBe('retry-after');
      expect(answer.headers.vary).toBe('origin');
    }
  });

  it('adds nothing to a request without Origin or from another origin', async () => {
    // Act
    const plain = await rawGet(corsApi.port, '/v1/plain', {});
    const foreign = await rawGet(corsApi.port, '/v1/plain', { origin: 'http://attacker.example' });

    // Assess
    expect(plain.status).toBe(200);
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
    expect(foreign.status).toBe(200);
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('mints user tokens at /_local/token for an allowed origin, not for others', async () => {
    // Act
    const fromAllowed = await rawGet(corsApi.port, '/_local/token?user=bob&role=user', { origin: allowed });
    const fromOther = await rawGet(corsApi.port, '/_local/token?user=bob&role=user', { origin: 'http://localhost:1' });
    const staff = await rawGet(corsApi.port, '/_local/token?user=bob&role=admin', { origin: allowed });

    // Assess
    expect(fromAllowed.status).toBe(200);
    expect(fromAllowed.headers['access-control-allow-origin']).toBe(allowed);
    expect(fromOther.status).toBe(403);
    expect(staff.status).toBe(403);
  });

  it('answers no preflight when no origin is allowed (no CORS, as without corsPreflight)', async () => {
    // Act: the first server has no allowed origins
    const { status, headers, body } = await rawRequest(api.port, 'OPTIONS', '/v1/things/1', {
      origin: allowed,
      'access-control-request-method': 'POST',
    });

    // Assess
    expect(status).toBe(404);
    expect(JSON.parse(body)).toMatchObject({ code: 'NOT_FOUND' });
    expect(headers['access-control-allow-origin']).toBeUndefined();
  });
});
