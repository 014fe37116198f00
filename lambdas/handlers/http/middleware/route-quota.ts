/**
 * Per-user quota on an expensive route (`KycConfig.routeQuotas`): counts the authenticated
 * caller's request in the rate-limit table before any work is done, and answers 429
 * `{ code: "RATE_LIMITED", message, tip, retryAfterSeconds }` (a route quota's message and tip,
 * `describeRouteQuotaRefusal`, in the caller's language) with a `Retry-After` header when the caller's window is full. Used after `httpHandler`'s middlewares, so it runs after
 * `callerIdentity` (the quota is per user id, never per IP) and before the handler's work.
 *
 * @example
 * ```ts
 * httpHandler(route, fn).use(routeQuota({ name: 'documentView', quotas: () => deps().routeQuotas, config: () => deps().config }));
 * ```
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { KycConfig } from '../../../../lib/config.ts';
import { describeRouteQuotaRefusal } from '../../../domain/reason-catalog/too-many-requests.ts';
import type { RouteQuotaName, RouteQuotas } from '../../../ports/route-quota.ts';
import { TooManyRequestsError, UnauthorizedError } from './http-errors.ts';
import type { KycHttpEvent } from './types.ts';

export interface RouteQuotaOptions {
  /** Which quota of `config.routeQuotas` the route counts against. */
  readonly name: RouteQuotaName;
  /** The quota store; `undefined` (handlers built with test doubles that leave it out) counts nothing. */
  readonly quotas: () => RouteQuotas | undefined;
  /** The resolved configuration holding the quota. */
  readonly config: () => KycConfig;
  /** Current time (the system clock). */
  readonly now?: () => Date;
}

export function routeQuota(options: RouteQuotaOptions): MiddlewareObj<KycHttpEvent> {
  const routeQuotaMiddlewareBefore = async (request: Request<KycHttpEvent>): Promise<void> => {
    const quotas = options.quotas();
    if (!quotas) return;
    const caller = request.event.caller;
    if (!caller) throw new UnauthorizedError();
    const quota = options.config().routeQuotas[options.name];
    const decision = await quotas.take(options.name, caller.userId, quota, options.now?.() ?? new Date());
    if (!decision.allowed) {
      const { language } = request.event;
      throw new TooManyRequestsError(
        'RATE_LIMITED',
        decision.retryAfterSeconds,
        language,
        describeRouteQuotaRefusal(language),
      );
    }
  };
  return { name: 'routeQuota', before: routeQuotaMiddlewareBefore };
}
