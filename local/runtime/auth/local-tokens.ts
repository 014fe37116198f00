/**
 * Local bearer tokens shaped like Cognito ID tokens (`sub`, `cognito:groups`, `token_use`),
 * minted by `kyc token` and checked by the local API like API Gateway's JWT authorizer checks
 * Cognito's: signature, issuer, audience, expiry. Local mode only.
 */
import { SignJWT, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { ROLES, type Role } from '../../../lambdas/domain/verification.ts';
import { LOCAL_TOKEN_ALGORITHM, type LocalSigningKey } from './local-signing-key.ts';

/** Issuer of local tokens (in AWS: `https://cognito-idp.<region>.amazonaws.com/<poolId>`). */
export const LOCAL_TOKEN_ISSUER = 'urn:serverless-kyc:local';
/** Audience of local tokens (in AWS: the user pool app client id). */
export const LOCAL_TOKEN_AUDIENCE = 'serverless-kyc-local';
/** Default lifetime of a local token in seconds (Cognito ID tokens default to one hour; local work runs longer). */
export const DEFAULT_TOKEN_TTL_SECONDS = 12 * 60 * 60;

/** The claims a handler needs, as the authorizer verified them. */
export type VerifiedClaims = JWTPayload & { 'cognito:groups'?: string[]; token_use?: string };

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
  return new SignJWT({ 'cognito:groups': [input.role], token_use: 'id', 'cognito:username': input.userId })
    .setProtectedHeader({ alg: LOCAL_TOKEN_ALGORITHM, kid: key.keyId, typ: 'JWT' })
    .setSubject(input.userId)
    .setIssuer(LOCAL_TOKEN_ISSUER)
    .setAudience(LOCAL_TOKEN_AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + (input.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS))
    .sign(key.privateKey);
}

/**
 * Verifies a local token as API Gateway's JWT authorizer would (signature, `iss`, `aud`,
 * `exp`, `nbf`), throwing `InvalidTokenError` otherwise.
 */
export async function verifyLocalToken(key: LocalSigningKey, token: string, now?: Date): Promise<VerifiedClaims> {
  try {
    const { payload } = await jwtVerify(token, key.publicKey, {
      issuer: LOCAL_TOKEN_ISSUER,
      audience: LOCAL_TOKEN_AUDIENCE,
      algorithms: [LOCAL_TOKEN_ALGORITHM],
      requiredClaims: ['sub', 'exp'],
      ...(now ? { currentDate: now } : {}),
    });
    return payload as VerifiedClaims;
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new InvalidTokenError('the token has expired', { cause: error });
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      throw new InvalidTokenError(`claim ${error.claim} is not valid`, { cause: error });
    }
    throw new InvalidTokenError('the token is malformed or not signed by this runtime', { cause: error });
  }
}
