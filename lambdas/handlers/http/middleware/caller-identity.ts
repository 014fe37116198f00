/**
 * Reads the caller from the API Gateway v2 JWT authorizer context
 * (`requestContext.authorizer.jwt.claims`): `sub` is the user id, `cognito:groups` the roles.
 * HTTP APIs pass array claims as strings such as `[support admin]`; a real array, a JSON array
 * string and comma- or space-separated strings are accepted too. A caller in no known group
 * has the `user` role. Then checks the route's allowed roles (401 without identity, 403 when
 * no role matches).
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

/** Parses the `cognito:groups` claim in any of the shapes API Gateway and Cognito produce. */
export function parseGroups(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((group): group is string => typeof group === 'string');
  if (typeof claim !== 'string') return [];
  const trimmed = claim.trim();
  if (trimmed.startsWith('[') && trimmed.endsWith(']')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed)) return parsed.filter((group): group is string => typeof group === 'string');
    } catch {
      // `[a b]`: the HTTP API rendering of a string array, not JSON.
    }
    return splitGroups(trimmed.slice(1, -1));
  }
  return splitGroups(trimmed);
}

function splitGroups(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((group) => group.replace(/^"|"$/g, ''))
    .filter((group) => group.length > 0);
}

/** The caller of an event, or `undefined` when the authorizer context carries no subject. */
export function callerFromEvent(event: KycHttpEvent): Caller | undefined {
  const claims: unknown = (event as { requestContext?: { authorizer?: { jwt?: { claims?: unknown } } } }).requestContext
    ?.authorizer?.jwt?.claims;
  if (!claims || typeof claims !== 'object') return undefined;
  const record = claims as Record<string, unknown>;
  const sub = record.sub;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256) return undefined;
  const groups = parseGroups(record['cognito:groups']);
  const roles = ROLES.filter((role) => groups.includes(role));
  return { userId: sub, roles: roles.length > 0 ? roles : ['user'] };
}

export function callerIdentity(options: CallerIdentityOptions = {}): MiddlewareObj<KycHttpEvent> {
  const allowed = options.roles ?? [];

  const callerIdentityMiddlewareBefore = (request: Request<KycHttpEvent>): void => {
    const caller = callerFromEvent(request.event);
    if (!caller) throw new UnauthorizedError();
    if (allowed.length > 0 && !caller.roles.some((role) => allowed.includes(role))) throw new ForbiddenError();
    request.event.caller = caller;
  };

  return { name: 'callerIdentity', before: callerIdentityMiddlewareBefore };
}
