/**
 * Builds the event API Gateway HTTP APIs send to a Lambda integration with payload format 2.0
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html):
 * lower-cased headers with repeated values joined by commas, cookies split out, repeated query
 * parameters joined by commas, text bodies as UTF-8 and anything else base64-encoded, and the
 * JWT authorizer's claims under `requestContext.authorizer.jwt.claims` with every value a
 * string (arrays as `[a b]`, exactly as API Gateway serializes them).
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyEventV2 } from 'aws-lambda';

export interface IncomingRequest {
  readonly method: string;
  /** Path and query as received, e.g. `/v1/verifications/abc?x=1`. */
  readonly url: string;
  /** Raw header pairs as Node gives them (`IncomingMessage.rawHeaders`). */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
}

export interface EventContext {
  readonly routeKey: string;
  readonly pathParameters: Record<string, string>;
  /** Verified claims, or undefined on a public route. */
  readonly claims?: Record<string, unknown>;
  readonly domainName: string;
  readonly now?: Date;
}

/** Account and API ids the local runtime reports in request contexts. */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_API_ID = 'local';

const TEXT_CONTENT_TYPE =
  /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded|[a-z0-9.+-]+\+json|[a-z0-9.+-]+\+xml)\b)/i;

/** Whether API Gateway passes a body of this content type as text (otherwise base64). */
export function isTextContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && TEXT_CONTENT_TYPE.test(contentType.trim());
}

/** API Gateway's serialization of one claim value: strings as is, arrays as `[a b]`, the rest via String(). */
export function serializeClaim(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => serializeClaim(item)).join(' ')}]`;
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function collectHeaders(rawHeaders: readonly string[]): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = rawHeaders[i + 1] ?? '';
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((cookie) => cookie.trim())
          .filter(Boolean),
      );
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  return { headers, cookies };
}

function collectQuery(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  }
  return query;
}

function formatRequestTime(now: Date): string {
  // API Gateway's `time` format: 12/Mar/2020:19:03:58 +0000
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (value: number): string => value.toString().padStart(2, '0');
  return `${pad(now.getUTCDate())}/${months[now.getUTCMonth()]}/${now.getUTCFullYear()}:${pad(now.getUTCHours())}:${pad(
    now.getUTCMinutes(),
  )}:${pad(now.getUTCSeconds())} +0000`;
}

/**
 * The payload 2.0 event for one request.
 *
 * @example
 * ```ts
 * const event = buildHttpApiEvent(request, { routeKey: 'GET /v1/verifications/{id}', pathParameters: { id }, domainName: '127.0.0.1' });
 * ```
 */
export function buildHttpApiEvent(
  request: IncomingRequest,
  context: EventContext,
): APIGatewayProxyEventV2 | APIGatewayProxyEventV2WithJWTAuthorizer {
  const now = context.now ?? new Date();
  const questionMark = request.url.indexOf('?');
  const rawPath = questionMark === -1 ? request.url : request.url.slice(0, questionMark);
  const rawQueryString = questionMark === -1 ? '' : request.url.slice(questionMark + 1);
  const { headers, cookies } = collectHeaders(request.rawHeaders);
  const queryStringParameters = collectQuery(rawQueryString);
  const hasBody = request.body.length > 0;
  const asText = isTextContentType(headers['content-type']);
  const requestContext = {
    accountId: LOCAL_ACCOUNT_ID,
    apiId: LOCAL_API_ID,
    domainName: context.domainName,
    domainPrefix: context.domainName.split('.')[0] ?? context.domainName,
    http: {
      method: request.method.toUpperCase(),
      path: rawPath,
      protocol: 'HTTP/1.1',
      sourceIp: request.sourceIp,
      userAgent: headers['user-agent'] ?? '',
    },
    requestId: randomUUID(),
    routeKey: context.routeKey,
    stage: '$default',
    time: formatRequestTime(now),
    timeEpoch: now.getTime(),
  };
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: context.routeKey,
    rawPath,
    rawQueryString,
    headers,
    requestContext,
    isBase64Encoded: hasBody && !asText,
    ...(cookies.length > 0 ? { cookies } : {}),
    ...(queryStringParameters ? { queryStringParameters } : {}),
    ...(Object.keys(context.pathParameters).length > 0 ? { pathParameters: context.pathParameters } : {}),
    ...(hasBody ? { body: asText ? request.body.toString('utf8') : request.body.toString('base64') } : {}),
  };
  if (!context.claims) return event;
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(context.claims)) claims[name] = serializeClaim(value);
  return {
    ...event,
    requestContext: {
      ...requestContext,
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims, scopes: [] } },
    },
  } as APIGatewayProxyEventV2WithJWTAuthorizer;
}
