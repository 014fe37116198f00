/**
 * The local HTTP API: an emulation of an API Gateway HTTP API with a JWT authorizer in front of
 * Lambda integrations (payload format 2.0), plus the local-only conveniences a developer needs:
 * the OpenAPI document, the upload page, a token endpoint and a health check. `/_local/*`
 * answers only loopback `Host`s and this server's own `Origin` (no DNS rebinding, no cross-site
 * minting), and `/_local/token` mints `user` tokens only unless `devTokens` is set.
 *
 *   request ──> local routes (/health, /openapi.json, /_local/token, static web/)
 *          └──> route table ──> JWT authorizer (iss, aud, exp, signature) ──> handler
 *
 * What API Gateway does and this does too: most-specific route matching, 404 for unknown
 * routes, 401 for a missing or invalid bearer token, 413 above 10 MB, a 30 s integration
 * timeout (503), 500 without details when the handler fails, and CORS for `allowedOrigins`
 * only (`API_CORS`: preflights answered before any route or token, the allowed origin named
 * on every answer, errors included). Like API Gateway's JWT authorizer
 * it does not check roles (Cognito groups are not scopes): each handler checks the route's
 * roles itself from the `cognito:groups` claim, here as in AWS.
 */
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import { buildHttpApiEvent } from './api-gateway-event.ts';
import { errorResponse, INTERNAL_ERROR, toHttpResponse, type HttpResponse } from './api-gateway-result.ts';
import { RouteTable, type HttpRouteDefinition } from './route-matcher.ts';
import { serveStatic } from './static-files.ts';
import { InvalidTokenError, isRole, issueLocalToken, verifyLocalToken } from '../auth/local-tokens.ts';
import type { LocalSigningKey } from '../auth/local-signing-key.ts';
import { HandlerTimeoutError, invokeHandler, loadHandler } from '../lambda/handler-loader.ts';
import { API_CORS } from '../../../lib/api-cors.ts';

/** API Gateway's request payload quota (10 MB). */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** API Gateway HTTP API's maximum integration timeout. */
export const INTEGRATION_TIMEOUT_MS = 30_000;

export interface ApiServerOptions {
  readonly routes: readonly HttpRouteDefinition[];
  /** Repository root, against which route entries are resolved. */
  readonly repoRoot: string;
  readonly signingKey: LocalSigningKey;
  readonly region: string;
  readonly host?: string;
  readonly port: number;
  /** Served at `/openapi.json` when given. */
  readonly openApiFile?: string;
  /** Served at `/` when given. */
  readonly webDir?: string;
  /** Extra response headers for a static file under `webDir` (e.g. the console's CSP), by URL path. */
  readonly staticHeaders?: (urlPath: string) => Readonly<Record<string, string>> | undefined;
  /** Extra facts for `GET /health` (when the route table has no health route). */
  readonly health?: () => Record<string, unknown>;
  /** Called with each failure of a handler (for the runtime's log); never with PII. */
  readonly onHandlerError?: (routeKey: string, error: unknown) => void;
  readonly integrationTimeoutMs?: number;
  /**
   * Local-only routes forwarded to another local server, e.g. the liveness completion route of
   * the Rekognition stand-in, so the upload page and `kyc demo` reach it on the API's origin.
   */
  /** Wraps each handler invocation (the runtime sets the route's own function environment). */
  readonly aroundInvocation?: (route: HttpRouteDefinition, invoke: () => Promise<unknown>) => Promise<unknown>;
  readonly localProxies?: readonly { readonly prefix: string; readonly target: string }[];
  /**
   * Let `/_local/token` mint staff-role tokens over HTTP (`kyc local --dev-tokens`; false: only
   * `user` tokens, what the upload page needs; staff tokens come from `kyc token`).
   */
  readonly devTokens?: boolean;
  /**
   * Browser origins (scheme, host and port) that may call the API cross-origin, as the HTTP
   * API's CORS configuration in AWS (`allowedOrigins`; default none: no preflight is answered
   * and no CORS header is sent). These origins may also use `/_local/token`.
   */
  readonly allowedOrigins?: readonly string[];
  /** A request body idle this long is answered 408 `REQUEST_TIMEOUT` (default BODY_IDLE_TIMEOUT_MS). */
  readonly bodyIdleTimeoutMs?: number;
}

export interface ApiServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The port is taken or cannot be bound. */
export class PortUnavailableError extends Error {
  constructor(
    public readonly host: string,
    public readonly port: number,
    options?: { cause?: unknown },
  ) {
    super(`Port ${port} on ${host} is already in use (or not allowed)`, options);
    this.name = 'PortUnavailableError';
  }
}

/** How long a request body may go without a byte before the request is answered 408 (API Gateway also gives up on a stalled client). */
export const BODY_IDLE_TIMEOUT_MS = 10_000;

/**
 * The request's body; `too-large` past MAX_REQUEST_BYTES (read to the end and dropped), or
 * `timed-out` when no byte came for `idleMs` (a client that announced more than it sends).
 */
function readBody(request: IncomingMessage, idleMs: number): Promise<Buffer | 'too-large' | 'timed-out'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    let timer = setTimeout(() => resolve('timed-out'), idleMs);
    request.on('data', (chunk: Buffer) => {
      clearTimeout(timer);
      timer = setTimeout(() => resolve('timed-out'), idleMs);
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => {
      clearTimeout(timer);
      resolve(tooLarge ? 'too-large' : Buffer.concat(chunks));
    });
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** The answer to a body that could not be read whole. */
function unreadBody(why: 'too-large' | 'timed-out'): HttpResponse {
  if (why === 'too-large') return errorResponse(413, 'PAYLOAD_TOO_LARGE', 'Request body exceeds 10 MB');
  const answer = errorResponse(408, 'REQUEST_TIMEOUT', 'The request body did not arrive in time');
  return { ...answer, headers: { ...answer.headers, connection: 'close' } };
}

function send(response: ServerResponse, result: HttpResponse): void {
  const headers: Record<string, string | string[]> = { ...result.headers };
  if (result.cookies.length > 0) headers['set-cookie'] = [...result.cookies];
  // A 204 has no body and names no length (RFC 9110, 8.6).
  if (result.statusCode !== 204) headers['content-length'] = String(result.body.length);
  response.writeHead(result.statusCode, headers);
  response.end(result.body);
}

function json(statusCode: number, value: unknown): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    cookies: [],
    body: Buffer.from(JSON.stringify(value)),
  };
}

/**
 * Answers a request Node's HTTP parser refused before any handler saw it (headers above
 * Node's 16 KiB limit -> 431, anything else unparsable -> 400) with the API's JSON error
 * shape instead of Node's bare status line, then closes the connection.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'REQUEST_HEADER_FIELDS_TOO_LARGE', 'Request header fields are too large']
      : [400, 'BAD_REQUEST', 'The request could not be parsed'];
  const body = JSON.stringify({ code, message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncache-control: no-store\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** Host names that can only be this machine (never a DNS name an attacker could point here). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Why a request to a `/_local/*` route is refused, or undefined when it may go on: its `Host`
 * must be a loopback name (a DNS-rebinding page sends its own host name) and its `Origin`, when
 * present, this server's own or one the operator allowed (`allowedOrigins`): a cross-site page
 * sends its origin with every fetch.
 */
export function localRouteRefusal(
  headers: IncomingMessage['headers'],
  port: number,
  allowedOrigins: readonly string[] = [],
): string | undefined {
  const host = (headers.host ?? '').toLowerCase();
  const hostName = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  if (!LOOPBACK_HOSTS.has(hostName)) return 'Local routes answer only requests addressed to a loopback host';
  const origin = headers.origin;
  if (origin !== undefined) {
    const own = [...LOOPBACK_HOSTS].map((name) => `http://${name}:${port}`);
    if (!own.includes(origin.toLowerCase()) && !allowedOrigins.includes(origin)) {
      return "Local routes answer only requests from this server's own origin or an allowed origin";
    }
  }
  return undefined;
}

/**
 * The CORS answer to a request from a browser page on another origin, as API Gateway's HTTP
 * API gives it with `corsPreflight` set: `preflight` (an OPTIONS request with `Origin` and
 * `Access-Control-Request-Method`) is answered at once with 204, whatever the route; every
 * other request goes on, and `headers` are added to its answer. An origin not in
 * `allowedOrigins` gets no CORS header, so the browser keeps the answer from the page. With no
 * allowed origin at all there is no CORS (undefined), as without `corsPreflight` in AWS.
 *
 * @example
 * ```ts
 * corsFor('OPTIONS', { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' }, ['http://localhost:5173']);
 * // { preflight: true, headers: { 'access-control-allow-origin': 'http://localhost:5173', ... } }
 * ```
 */
export function corsFor(
  method: string,
  headers: IncomingMessage['headers'],
  allowedOrigins: readonly string[],
): { readonly preflight: boolean; readonly headers: Readonly<Record<string, string>> } | undefined {
  const origin = headers.origin;
  if (allowedOrigins.length === 0 || origin === undefined) return undefined;
  const preflight = method === 'OPTIONS' && headers['access-control-request-method'] !== undefined;
  // The answer depends on the Origin: a cache must not give one origin's answer to another.
  const vary = { vary: 'origin' };
  if (!allowedOrigins.includes(origin)) return { preflight, headers: vary };
  if (!preflight) {
    return {
      preflight,
      headers: {
        ...vary,
        'access-control-allow-origin': origin,
        'access-control-expose-headers': API_CORS.exposeHeaders.join(','),
      },
    };
  }
  return {
    preflight,
    headers: {
      ...vary,
      'access-control-allow-origin': origin,
      'access-control-allow-methods': API_CORS.allowMethods.join(','),
      'access-control-allow-headers': API_CORS.allowHeaders.join(','),
      'access-control-max-age': String(API_CORS.maxAgeSeconds),
    },
  };
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Starts the local API on `host:port` (port 0 picks a free one).
 *
 * @example
 * ```ts
 * const api = await startApiServer({ routes: HTTP_ROUTES, repoRoot, signingKey, region: 'eu-west-1', port: 3000 });
 * console.log(api.url); // http://127.0.0.1:3000
 * await api.close();
 * ```
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const host = options.host ?? '127.0.0.1';
  const table = new RouteTable(options.routes);
  const timeoutMs = options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
  const bodyIdleMs = options.bodyIdleTimeoutMs ?? BODY_IDLE_TIMEOUT_MS;
  const allowedOrigins = options.allowedOrigins ?? [];
  let domainName = host;
  let port = options.port;

  async function localRoute(method: string, url: URL): Promise<HttpResponse | undefined> {
    if (method !== 'GET' && method !== 'HEAD') return undefined;
    if (url.pathname === '/health' && !table.match(method, '/health')) {
      return json(200, { status: 'ok', ...(options.health?.() ?? {}) });
    }
    if (url.pathname === '/openapi.json' && options.openApiFile) {
      const body = await readFile(options.openApiFile);
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [], body };
    }
    if (url.pathname === '/_local/token') {
      const user = url.searchParams.get('user') ?? '';
      const role = url.searchParams.get('role') ?? 'user';
      if (!/^[A-Za-z0-9._@:-]{1,128}$/.test(user)) {
        return errorResponse(
          400,
          'INVALID_REQUEST',
          'Query parameter user must be 1-128 characters of [A-Za-z0-9._@:-]',
        );
      }
      if (!isRole(role)) return errorResponse(400, 'INVALID_REQUEST', `Unknown role ${role}`);
      if (role !== 'user' && !options.devTokens) {
        return errorResponse(
          403,
          'FORBIDDEN',
          `Role ${role} tokens are issued by \`npx kyc token\` only (or start \`kyc local --dev-tokens\`)`,
        );
      }
      const token = await issueLocalToken(options.signingKey, { userId: user, role });
      return json(200, { token, tokenType: 'Bearer', user, role });
    }
    if (options.webDir && !url.pathname.startsWith('/v1/') && !url.pathname.startsWith('/_local/')) {
      const file = await serveStatic(options.webDir, url.pathname);
      const extra = file && options.staticHeaders?.(url.pathname);
      return file && extra ? { ...file, headers: { ...file.headers, ...extra } } : file;
    }
    return undefined;
  }

  async function proxy(request: IncomingMessage, target: string, rawUrl: string): Promise<HttpResponse> {
    const body = await readBody(request, bodyIdleMs);
    if (typeof body === 'string') return unreadBody(body);
    const contentType = request.headers['content-type'];
    const authorization = request.headers.authorization;
    const response = await fetch(`${target}${rawUrl}`, {
      method: request.method ?? 'GET',
      // The bearer token goes along: the target decides who may use the route.
      headers: {
        ...(contentType ? { 'content-type': contentType } : {}),
        ...(authorization ? { authorization } : {}),
      },
      ...(body.length > 0 ? { body: new Uint8Array(body) } : {}),
    });
    return {
      statusCode: response.status,
      headers: { 'content-type': response.headers.get('content-type') ?? 'application/json' },
      cookies: [],
      body: Buffer.from(await response.arrayBuffer()),
    };
  }

  async function handle(request: IncomingMessage): Promise<HttpResponse> {
    const method = (request.method ?? 'GET').toUpperCase();
    const rawUrl = request.url ?? '/';
    const url = new URL(rawUrl, 'http://local');
    if (url.pathname.startsWith('/_local/')) {
      const refusal = localRouteRefusal(request.headers, port, allowedOrigins);
      if (refusal) return errorResponse(403, 'FORBIDDEN', refusal);
    }
    const forward = options.localProxies?.find((candidate) => url.pathname.startsWith(candidate.prefix));
    if (forward) return proxy(request, forward.target, rawUrl);
    const local = await localRoute(method, url);
    if (local) return local;
    const match = table.match(method, url.pathname);
    if (!match) return errorResponse(404, 'NOT_FOUND', 'Not Found');
    let claims: Record<string, unknown> | undefined;
    if (!match.route.public) {
      const token = bearerToken(request.headers.authorization);
      const challenge = { 'www-authenticate': 'Bearer' };
      if (!token) return errorResponse(401, 'UNAUTHORIZED', 'Missing bearer token', challenge);
      try {
        claims = await verifyLocalToken(options.signingKey, token);
      } catch (error) {
        if (error instanceof InvalidTokenError) return errorResponse(401, 'UNAUTHORIZED', error.message, challenge);
        throw error;
      }
    }
    const body = await readBody(request, bodyIdleMs);
    if (typeof body === 'string') return unreadBody(body);
    const event = buildHttpApiEvent(
      {
        method,
        url: rawUrl,
        rawHeaders: request.rawHeaders,
        body,
        sourceIp: request.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      },
      { routeKey: match.routeKey, pathParameters: match.pathParameters, domainName, ...(claims ? { claims } : {}) },
    );
    try {
      const handler = await loadHandler(options.repoRoot, match.route.entry, match.route.exportName);
      const invoke = (): Promise<unknown> =>
        invokeHandler(handler, event, { functionName: functionNameOf(match.route), timeoutMs, region: options.region });
      const result = await (options.aroundInvocation ? options.aroundInvocation(match.route, invoke) : invoke());
      return toHttpResponse(result);
    } catch (error) {
      options.onHandlerError?.(match.routeKey, error);
      if (error instanceof HandlerTimeoutError) return errorResponse(503, 'SERVICE_UNAVAILABLE', 'Service Unavailable');
      return INTERNAL_ERROR();
    }
  }

  const server: Server = createServer((request, response) => {
    const cors = corsFor((request.method ?? 'GET').toUpperCase(), request.headers, allowedOrigins);
    const withCors = (result: HttpResponse): HttpResponse =>
      cors ? { ...result, headers: { ...result.headers, ...cors.headers } } : result;
    if (cors?.preflight) {
      // Drain what a preflight may carry; it never reaches a route, a token check or a handler.
      request.resume();
      send(response, withCors({ statusCode: 204, headers: {}, cookies: [], body: Buffer.alloc(0) }));
      return;
    }
    handle(request).then(
      (result) => send(response, withCors(request.method === 'HEAD' ? { ...result, body: Buffer.alloc(0) } : result)),
      (error: unknown) => {
        options.onHandlerError?.(`${request.method} ${request.url}`, error);
        if (!response.headersSent) send(response, withCors(INTERNAL_ERROR()));
      },
    );
  });
  // Longer than the clients' idle timeout (undici: 4 s), so the server never closes a socket a
  // client is about to reuse (a "fetch failed" when the face engine keeps the event loop busy).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on('clientError', answerClientError);

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        error.code === 'EADDRINUSE' || error.code === 'EACCES'
          ? new PortUnavailableError(host, options.port, { cause: error })
          : error,
      );
    };
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  domainName = `${host}:${port}`;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The Lambda function name a route's handler reports, derived from its entry file. */
export function functionNameOf(route: HttpRouteDefinition): string {
  const base = route.entry.split('/').pop() ?? route.entry;
  return `kyc-${base.replace(/\.[cm]?[jt]s$/, '')}`;
}
