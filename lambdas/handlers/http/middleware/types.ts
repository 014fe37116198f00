/**
 * The HTTP event as the handlers see it after the middlewares ran: the API Gateway v2 event
 * (JWT authorizer) plus the parsed body, the caller and the negotiated language.
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Role } from '../../../domain/verification.ts';

/** Who is calling: the JWT subject and the roles granted by Cognito groups. */
export interface Caller {
  readonly userId: string;
  readonly roles: readonly Role[];
}

export type KycHttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer & {
  /** Parsed JSON body (`undefined` when the request has none); set by `jsonBody`. */
  parsedBody?: unknown;
  /** Set by `callerIdentity`. */
  caller?: Caller;
  /** Language tag for user-facing messages; set by `acceptLanguage`. */
  language?: string;
};

export type HttpResult = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
};

/** A JSON response with the standard headers. */
export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/** Case-insensitive header lookup that tolerates a missing or malformed headers object. */
export function headerValue(event: { headers?: unknown }, name: string): string | undefined {
  const headers = event.headers;
  if (!headers || typeof headers !== 'object') return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() === wanted && typeof value === 'string') return value;
  }
  return undefined;
}
