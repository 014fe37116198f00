/**
 * Port: per-user quotas on expensive routes (document views, exports, case reads, support look-ups,
 * the applicant's data package).
 *
 * @example
 * ```ts
 * const decision = await quotas.take('documentView', caller.userId, config.routeQuotas.documentView, now);
 * if (!decision.allowed) throw new TooManyRequestsError('RATE_LIMITED', decision.retryAfterSeconds, event.language);
 * ```
 */
import type { RouteQuota } from '../../lib/config.ts';

/** Names of the quotas in `KycConfig.routeQuotas`. */
export type RouteQuotaName =
  'documentView' | 'exportCreate' | 'exportApprove' | 'caseRead' | 'supportView' | 'subjectAccess';

export type RouteQuotaDecision =
  | { readonly allowed: true; readonly remaining: number }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

export interface RouteQuotas {
  /** Counts one call of `route` by `userId`, or refuses it (not counted) when the window is full. */
  take(route: RouteQuotaName, userId: string, quota: RouteQuota, now: Date): Promise<RouteQuotaDecision>;
}
