/**
 * Local bearer tokens shaped like Cognito access tokens (`sub`, `cognito:groups`,
 * `token_use: access`, `client_id`, `scope`, no `aud`), minted by `kyc token` and checked by
 * the local API like API Gateway's JWT authorizer checks Cognito's: signature, issuer, expiry,
 * and the audience rule (`aud` or `client_id` must be the app client). The API accepts access
 * tokens only, so the local authorizer also refuses any other `token_use` (in AWS the handlers
 * do, see `caller-identity.ts`): an ID token signed by the right key still gets 401.
 * Local mode only.
 */
import { SignJWT, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { ROLES, type Role } from '../../../lambdas/domain/verification.ts';
import { LOCAL_TOKEN_ALGORITHM, type LocalSigningKey } from './local-signing-key.ts';

/** Issuer of local tokens (in AWS: `https://cognito-idp.<region>.amazonaws.com/<poolId>`). */
export const LOCAL_TOKEN_ISSUER = 'urn:serverless-kyc:local';
/** App client id of local tokens (in AWS: the user pool app client id, the authorizer's audience). */
export const LOCAL_TOKEN_CLIENT_ID = 'serverless-kyc-local';
/** The token type the API accepts (Cognito `token_use`). */
export const ACCEPTED_TOKEN_USE = 'access';
/** Default lifetime of a local token in seconds (Cognito ID tokens default to one hour; local work runs longer). */
export const DEFAULT_TOKEN_TTL_SECONDS = 12 * 60 * 60;

/** The claims a handler needs, as the authorizer verified them. */
export type VerifiedClaims = JWTPayload & { 'cognito:groups'?: string[]; token_use?: string; client_id?: string };

/** A bearer token the local authorizer refuses; `reason` is safe to show the caller. */
export class InvalidTokenError extends Error {
  constructor(
    public readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Invalid token: ${reason}`, options);
    this.name = 'InvalidTokenError';
  }
}

export interface IssueTokenInput {
  readonly userId: string;
  readonly role: Role;
  readonly ttlSeconds?: number;
  readonly now?: Date;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/**
 * Signs a local token for a user in one role.
 *
 * @example
 * ```ts
 * const token = await issueLocalToken(key, { userId: 'alice', role: 'user' });
 * await fetch(url, { headers: { authorization: `Bearer ${token}` } });
 * ```
 */
export async function issueLocalToken(key: LocalSigningKey, input: IssueTokenInput): Promise<string> {
  const issuedAt = Math.floor((input.now ?? new Date()).getTime() / 1000);
  return new SignJWT({
    'cognito:groups': [input.role],
    token_use: ACCEPTED_TOKEN_USE,
    client_id: LOCAL_TOKEN_CLIENT_ID,
    scope: 'aws.cognito.signin.user.admin',
    username: input.userId,
  })
    .setProtectedHeader({ alg: LOCAL_TOKEN_ALGORITHM, kid: key.keyId, typ: 'JWT' })
    .setSubject(input.userId)
    .setIssuer(LOCAL_TOKEN_ISSUER)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + (input.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS))
    .sign(key.privateKey);
}

/**
 * Verifies a local token as API Gateway's JWT authorizer would (signature, `iss`, `exp`,
 * `nbf`, `iat` not in the future, and `aud` or `client_id` equal to the app client), then
 * requires `token_use` = `access`; throws `InvalidTokenError` otherwise.
 */
export async function verifyLocalToken(key: LocalSigningKey, token: string, now?: Date): Promise<VerifiedClaims> {
  let payload: VerifiedClaims;
  try {
    ({ payload } = await jwtVerify<VerifiedClaims>(token, key.publicKey, {
      issuer: LOCAL_TOKEN_ISSUER,
      algorithms: [LOCAL_TOKEN_ALGORITHM],
      requiredClaims: ['sub', 'exp'],
      ...(now ? { currentDate: now } : {}),
    }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new InvalidTokenError('the token has expired', { cause: error });
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      throw new InvalidTokenError(`claim ${error.claim} is not valid`, { cause: error });
    }
    throw new InvalidTokenError('the token is malformed or not signed by this runtime', { cause: error });
  }
  // jose checks only that `iat` is a number; the authorizer also wants it in the past.
  if (typeof payload.iat === 'number' && payload.iat > Math.floor((now ?? new Date()).getTime() / 1000)) {
    throw new InvalidTokenError('claim iat is not valid');
  }
  const audiences = [payload.aud, payload.client_id].flat().filter((value) => typeof value === 'string');
  if (!audiences.includes(LOCAL_TOKEN_CLIENT_ID)) throw new InvalidTokenError('claim aud is not valid');
  if (payload.token_use !== ACCEPTED_TOKEN_USE) {
    throw new InvalidTokenError('only access tokens are accepted (token_use must be access)');
  }
  return payload;
}
