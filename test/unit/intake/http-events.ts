/** Builders of API Gateway v2 (JWT authorizer) events and a Lambda context for handler tests. */
import type { Context } from 'aws-lambda';
import type { KycHttpEvent } from '../../../lambdas/handlers/http/middleware/types.ts';

export interface EventOptions {
  method?: string;
  path?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  userId?: string;
  /** An array is rendered as API Gateway passes it (`[a b]`); anything else is passed as is. */
  groups?: unknown;
  /** `token_use` claim (`access`); `null` leaves it out. */
  tokenUse?: string | null;
  pathParameters?: Record<string, string>;
  anonymous?: boolean;
}

export function httpEvent(options: EventOptions = {}): KycHttpEvent {
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const claims: Record<string, unknown> = { sub: options.userId ?? 'user-1' };
  if (options.tokenUse !== null) claims.token_use = options.tokenUse ?? 'access';
  if (options.groups !== undefined) {
    claims['cognito:groups'] = Array.isArray(options.groups) ? `[${options.groups.join(' ')}]` : options.groups;
  }
  return {
    version: '2.0',
    routeKey: `${options.method ?? 'GET'} ${options.path ?? '/'}`,
    rawPath: options.path ?? '/',
    rawQueryString: '',
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: {
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        protocol: 'HTTP/1.1',
        sourceIp: '192.0.2.10',
        userAgent: 'vitest',
      },
      requestId: 'req-1',
      routeKey: `${options.method ?? 'GET'} ${options.path ?? '/'}`,
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 0,
      authorizer: options.anonymous
        ? (undefined as never)
        : { principalId: '', integrationLatency: 0, jwt: { claims: claims as Record<string, string>, scopes: [] } },
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
}

export const lambdaContext = {
  functionName: 'test',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

export function parse(result: { body?: string }): Record<string, unknown> {
  return JSON.parse(result.body ?? '{}') as Record<string, unknown>;
}
