/**
 * Reads the caller from the API Gateway v2 JWT authorizer context
 * (`requestContext.authorizer.jwt.claims`): `sub` is the user id, `cognito:groups` the roles.
 *
 * Only Cognito **access tokens** are accepted (`token_use` = `access`): the authorizer checks
 * signature, issuer, expiry and that `client_id` is our app client; an ID token (`token_use`
 * = `id`, same issuer, `aud` = the client) would pass the authorizer, so it is refused here
 * with 401.
 *
 * Group claims are parsed exactly as an HTTP API passes them: an array claim becomes the
 * string `[a b]` (elements joined by one space), any other claim is one string. Cognito group
 * names cannot contain whitespace, so splitting on spaces inside brackets is exact; commas are
 * never separators, and a role is granted only for a group named exactly like it (a group
 * `user,admin` or a claim `x admin` grants nothing). A caller in no known group has the `user`
 * role. Then checks the route's allowed roles (401 without identity, 403 when no role matches).
 *
 * @example
 * ```ts
 * middy(handler).use(callerIdentity({ roles: ['user'] }));
 * ```
 */
import type { MiddlewareObj, Request } from '@middy/core';
import { ROLES, type Role } from '../../../domain/verification.ts';
import { ForbiddenError, UnauthorizedError } from './http-errors.ts';
import type { Caller, KycHttpEvent } from './types.ts';

export interface CallerIdentityOptions {
  /** Roles allowed on the route; empty or absent means any authenticated caller. */
  readonly roles?: readonly Role[];
}

/** The only token type the API accepts (`token_use` claim). */
export const ACCEPTED_TOKEN_USE = 'access';

/**
 * Parses the `cognito:groups` claim as API Gateway passes it: `[a b]` for an array, otherwise
 * one group. Anything that is not a string (API Gateway never passes one) is no group.
 *
 * @example
 * ```ts
 * parseGroups('[support admin]'); // ['support', 'admin']
 * parseGroups('user,admin');      // ['user,admin'] (one group, no known role)
 * ```
 */
export function parseGroups(claim: unknown): string[] {
  if (typeof claim !== 'string') return [];
  if (claim.startsWith('[') && claim.endsWith(']')) {
    return claim
      .slice(1, -1)
      .split(' ')
      .filter((group) => group.length > 0);
  }
  return claim.length > 0 ? [claim] : [];
}

function claimsOf(event: KycHttpEvent): Record<string, unknown> | undefined {
  const claims: unknown = (event as { requestContext?: { authorizer?: { jwt?: { claims?: unknown } } } }).requestContext
    ?.authorizer?.jwt?.claims;
  return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : undefined;
}

/** The caller of an event, or `undefined` when the authorizer context carries no subject or the token is not an access token. */
export function callerFromEvent(event: KycHttpEvent): Caller | undefined {
  const record = claimsOf(event);
  if (!record) return undefined;
  if (record.token_use !== ACCEPTED_TOKEN_USE) return undefined;
  const sub = record.sub;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256) return undefined;
  const groups = parseGroups(record['cognito:groups']);
  const roles = ROLES.filter((role) => groups.includes(role));
  return { userId: sub, roles: roles.length > 0 ? roles : ['user'] };
}

export function callerIdentity(options: CallerIdentityOptions = {}): MiddlewareObj<KycHttpEvent> {
  const allowed = options.roles ?? [];

  const callerIdentityMiddlewareBefore = (request: Request<KycHttpEvent>): void => {
    const claims = claimsOf(request.event);
    if (claims && claims.token_use !== undefined && claims.token_use !== ACCEPTED_TOKEN_USE) {
      throw new UnauthorizedError('Only access tokens are accepted');
    }
    const caller = callerFromEvent(request.event);
    if (!caller) throw new UnauthorizedError();
    if (allowed.length > 0 && !caller.roles.some((role) => allowed.includes(role))) throw new ForbiddenError();
    request.event.caller = caller;
  };

  return { name: 'callerIdentity', before: callerIdentityMiddlewareBefore };
}
