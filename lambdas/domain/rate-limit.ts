/**
 * Attempt rate limit and cooldown rules (PRODUCT §4), as pure functions over one user's state.
 *
 * - Rolling window: at most `attemptsPerWindow` attempts in the last `windowSeconds`
 *   (more than 5 submissions within an hour is unusual and throttled) -> `RATE_LIMITED`.
 * - Consecutive failures: after `failuresBeforeCooldown` failed attempts in a row, new attempts
 *   are refused until `cooldownUntil` (24 hours) -> `COOLDOWN_ACTIVE`. A pass resets the count.
 * - Document switching: `documentSwitchesForRiskFlag` distinct document types inside the window
 *   raise the `document_switching` risk flag; while it is raised, a cooldown lasts
 *   `riskCooldownMultiplier` times longer. A pass clears the flag.
 * - Idempotent per attempt id: deciding twice for the same attempt id counts once, and an
 *   outcome is recorded once per attempt id.
 *
 * The store (`adapters/aws/rate-limit-store.ts`) reads the state, calls these functions and
 * writes the result with a conditional write, so the rules stay free of I/O.
 *
 * @example
 * ```ts
 * const decision = decideAttempt(emptyRateLimitState(), { attemptId: 'a1', documentType: 'passport', now }, limits);
 * if (decision.allowed) save(decision.state);
 * ```
 */
import type { RateLimitConfig, RouteQuota } from '../../lib/config.ts';
import type { DocumentType } from './verification.ts';

/** Risk flag raised by frequent document-type switching (PRODUCT §4). */
export const DOCUMENT_SWITCHING_FLAG = 'document_switching';

/** Outcome ids kept for idempotency of `recordOutcome`; older ones cannot be replayed within a window anyway. */
const MAX_REMEMBERED_OUTCOMES = 50;

export interface AttemptEntry {
  readonly attemptId: string;
  /** Epoch milliseconds. */
  readonly at: number;
  readonly documentType: DocumentType;
}

export interface RateLimitState {
  /** Attempts inside the rolling window, oldest first. */
  readonly attempts: readonly AttemptEntry[];
  readonly consecutiveFailures: number;
  /** Epoch milliseconds until which attempts are refused; absent when no cooldown applies. */
  readonly cooldownUntil?: number;
  readonly riskFlags: readonly string[];
  /** Attempt ids whose outcome has been recorded (bounded), for idempotent `recordOutcome`. */
  readonly recordedOutcomes: readonly string[];
  /** Set when a cooldown was imposed; the next attempt after it may go to manual review. */
  readonly cooledDown: boolean;
}

export type RateLimitRefusalCode = 'RATE_LIMITED' | 'COOLDOWN_ACTIVE';

export type AttemptDecision =
  | { readonly allowed: true; readonly duplicate: boolean; readonly state: RateLimitState }
  | { readonly allowed: false; readonly code: RateLimitRefusalCode; readonly retryAfterSeconds: number };

export interface AttemptRequest {
  readonly attemptId: string;
  readonly documentType: DocumentType;
  readonly now: Date;
}

export type AttemptOutcome = 'passed' | 'failed';

export interface OutcomeRequest {
  readonly attemptId: string;
  readonly outcome: AttemptOutcome;
  readonly now: Date;
}

/** State of a user with no history. */
export function emptyRateLimitState(): RateLimitState {
  return { attempts: [], consecutiveFailures: 0, riskFlags: [], recordedOutcomes: [], cooledDown: false };
}

/** Attempts still inside the rolling window at `nowMs`. */
export function attemptsInWindow(state: RateLimitState, nowMs: number, limits: RateLimitConfig): AttemptEntry[] {
  const windowStart = nowMs - limits.windowSeconds * 1000;
  return state.attempts.filter((entry) => entry.at > windowStart);
}

/**
 * Decides whether a new attempt may start. Refusals carry the code and how long to wait;
 * an allowed attempt returns the state to store. A repeated attempt id is allowed without
 * being counted again (`duplicate: true`), even while limits apply, so a client retry after a
 * lost response gets its attempt back.
 */
export function decideAttempt(
  state: RateLimitState,
  request: AttemptRequest,
  limits: RateLimitConfig,
): AttemptDecision {
  const nowMs = request.now.getTime();
  if (state.attempts.some((entry) => entry.attemptId === request.attemptId)) {
    return { allowed: true, duplicate: true, state };
  }
  if (state.cooldownUntil !== undefined && state.cooldownUntil > nowMs) {
    return { allowed: false, code: 'COOLDOWN_ACTIVE', retryAfterSeconds: secondsUntil(state.cooldownUntil, nowMs) };
  }
  const recent = attemptsInWindow(state, nowMs, limits);
  if (recent.length >= limits.attemptsPerWindow) {
    // The window frees a slot when the oldest counted attempt leaves it.
    const freedAt = (recent[recent.length - limits.attemptsPerWindow]?.at ?? nowMs) + limits.windowSeconds * 1000;
    return { allowed: false, code: 'RATE_LIMITED', retryAfterSeconds: secondsUntil(freedAt, nowMs) };
  }
  const attempts = [...recent, { attemptId: request.attemptId, at: nowMs, documentType: request.documentType }];
  const distinctTypes = new Set(attempts.map((entry) => entry.documentType)).size;
  const riskFlags =
    distinctTypes >= limits.documentSwitchesForRiskFlag && !state.riskFlags.includes(DOCUMENT_SWITCHING_FLAG)
      ? [...state.riskFlags, DOCUMENT_SWITCHING_FLAG]
      : state.riskFlags;
  const expired = state.cooldownUntil !== undefined && state.cooldownUntil <= nowMs;
  const next: RateLimitState = {
    ...state,
    attempts,
    riskFlags,
    ...(expired ? { cooldownUntil: undefined } : {}),
  };
  return { allowed: true, duplicate: false, state: withoutUndefined(next) };
}

/**
 * Records the outcome of a finished attempt: a failure counts towards the cooldown, a pass
 * resets the count and clears the risk flag. Recording the same attempt twice changes nothing.
 */
export function recordAttemptOutcome(
  state: RateLimitState,
  request: OutcomeRequest,
  limits: RateLimitConfig,
): { state: RateLimitState; changed: boolean } {
  if (state.recordedOutcomes.includes(request.attemptId)) return { state, changed: false };
  const recordedOutcomes = [...state.recordedOutcomes, request.attemptId].slice(-MAX_REMEMBERED_OUTCOMES);
  if (request.outcome === 'passed') {
    const next: RateLimitState = {
      ...state,
      consecutiveFailures: 0,
      riskFlags: state.riskFlags.filter((flag) => flag !== DOCUMENT_SWITCHING_FLAG),
      recordedOutcomes,
      cooledDown: false,
    };
    return { state: next, changed: true };
  }
  const failures = state.consecutiveFailures + 1;
  if (failures >= limits.failuresBeforeCooldown) {
    return {
      state: {
        ...state,
        consecutiveFailures: 0,
        cooldownUntil: request.now.getTime() + cooldownSeconds(state, limits) * 1000,
        recordedOutcomes,
        cooledDown: true,
      },
      changed: true,
    };
  }
  return { state: { ...state, consecutiveFailures: failures, recordedOutcomes }, changed: true };
}

/** Cooldown length in seconds for this state: longer while the document-switching flag is raised. */
export function cooldownSeconds(state: RateLimitState, limits: RateLimitConfig): number {
  const multiplier = state.riskFlags.includes(DOCUMENT_SWITCHING_FLAG) ? limits.riskCooldownMultiplier : 1;
  return Math.round(limits.cooldownSeconds * multiplier);
}

/**
 * Epoch seconds after which the stored state may be forgotten (DynamoDB TTL): the latest of
 * the window after the last activity, the end of a cooldown, and a full cooldown length after
 * the last activity (so consecutive failures are remembered at least that long).
 */
export function stateExpiresAt(state: RateLimitState, nowMs: number, limits: RateLimitConfig): number {
  const lastAttempt = state.attempts.reduce((latest, entry) => Math.max(latest, entry.at), nowMs);
  const horizon = Math.max(limits.windowSeconds, limits.cooldownSeconds * limits.riskCooldownMultiplier) * 1000;
  return Math.ceil(Math.max(lastAttempt + horizon, state.cooldownUntil ?? 0) / 1000);
}

function secondsUntil(untilMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil((untilMs - nowMs) / 1000));
}

function withoutUndefined(state: RateLimitState): RateLimitState {
  if (state.cooldownUntil !== undefined) return state;
  const { cooldownUntil: _omit, ...rest } = state;
  return rest;
}

/** Outcome of `decideCreation`: the creation times to store, or how long to wait. */
export type CreationDecision =
  | { readonly allowed: true; readonly createdAt: readonly number[] }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

/**
 * Whether a user may create another verification now: at most
 * `limits.verificationsPerWindow` creations in the rolling `limits.windowSeconds`. `createdAt`
 * are the epoch milliseconds of earlier creations (older ones are dropped).
 *
 * @example
 * ```ts
 * decideCreation([], Date.now(), config.rateLimits); // { allowed: true, createdAt: [now] }
 * ```
 */
export function decideCreation(
  createdAt: readonly number[],
  nowMs: number,
  limits: Pick<RateLimitConfig, 'verificationsPerWindow' | 'windowSeconds'>,
): CreationDecision {
  const windowMs = limits.windowSeconds * 1000;
  const recent = createdAt.filter((at) => at > nowMs - windowMs && at <= nowMs).sort((a, b) => a - b);
  if (recent.length >= limits.verificationsPerWindow) {
    const freedAt = (recent[recent.length - limits.verificationsPerWindow] ?? nowMs) + windowMs;
    return { allowed: false, retryAfterSeconds: secondsUntil(freedAt, nowMs) };
  }
  return { allowed: true, createdAt: [...recent, nowMs] };
}

/** The fixed window a request at `nowMs` counts in, and what a refusal tells the caller. */
export interface RouteWindow {
  /** Store key of the counter: `ROUTE#<route>#<userId>#<window start, epoch seconds>`. */
  readonly key: string;
  /** Epoch seconds at which the window ends (the counter's TTL; a new window starts then). */
  readonly endsAt: number;
  /** Whole seconds until the window ends (at least 1): the `retryAfterSeconds` of a refusal. */
  readonly retryAfterSeconds: number;
}

/**
 * The fixed window of a per-user route quota. Windows are aligned to multiples of
 * `windowSeconds` since the epoch, so every request of one user in the same window increments
 * the same counter (one atomic conditional update, no read); a refused request is not counted.
 * A burst at a window boundary may see up to twice `requests` within `windowSeconds`, which is
 * the accepted price of a single-write check.
 *
 * @example
 * ```ts
 * routeWindow('documentView', 'user-1', Date.parse('2026-01-01T00:00:30Z'), { requests: 30, windowSeconds: 60 });
 * // { key: 'ROUTE#documentView#user-1#1767225600', endsAt: 1767225660, retryAfterSeconds: 30 }
 * ```
 */
export function routeWindow(route: string, userId: string, nowMs: number, quota: RouteQuota): RouteWindow {
  const windowMs = quota.windowSeconds * 1000;
  const startMs = Math.floor(nowMs / windowMs) * windowMs;
  const endMs = startMs + windowMs;
  return {
    key: `ROUTE#${route}#${userId}#${startMs / 1000}`,
    endsAt: endMs / 1000,
    retryAfterSeconds: secondsUntil(endMs, nowMs),
  };
}
