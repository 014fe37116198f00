import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import {
  DOCUMENT_SWITCHING_FLAG,
  decideAttempt,
  emptyRateLimitState,
  recordAttemptOutcome,
  stateExpiresAt,
  type RateLimitState,
} from '../../../lambdas/domain/rate-limit.ts';
import type { DocumentType } from '../../../lambdas/domain/verification.ts';

const limits = DEFAULT_CONFIG.rateLimits;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);

function withAttempts(offsets: readonly number[], documentType: DocumentType = 'passport'): RateLimitState {
  return {
    ...emptyRateLimitState(),
    attempts: offsets.map((offset, index) => ({ attemptId: `a${index}`, at: T0 + offset * 1000, documentType })),
  };
}

describe('decideAttempt', () => {
  it.each([
    { name: 'no history', offsets: [], now: 0, allowed: true },
    { name: '4 attempts in the window', offsets: [0, 10, 20, 30], now: 40, allowed: true },
    { name: '5 attempts in the window', offsets: [0, 10, 20, 30, 40], now: 50, allowed: false, retry: 3550 },
    { name: '5 attempts, the oldest just left the window', offsets: [0, 10, 20, 30, 40], now: 3600, allowed: true },
    { name: '6 stored, 5 in the window', offsets: [-4000, 0, 10, 20, 30], now: 40, allowed: true },
  ])('$name -> allowed $allowed', ({ offsets, now, allowed, retry }) => {
    // Prepare
    const state = withAttempts(offsets);

    // Act
    const decision = decideAttempt(state, { attemptId: 'new', documentType: 'passport', now: at(now) }, limits);

    // Assess
    expect(decision.allowed).toBe(allowed);
    if (!decision.allowed) {
      expect(decision.code).toBe('RATE_LIMITED');
      expect(decision.retryAfterSeconds).toBe(retry);
    } else {
      expect(decision.duplicate).toBe(false);
      expect(decision.state.attempts.at(-1)?.attemptId).toBe('new');
      expect(decision.state.attempts.every((entry) => entry.at > at(now).getTime() - 3600_000)).toBe(true);
    }
  });

  it('counts a repeated attempt id once, even when the window is full', () => {
    // Prepare
    const state = withAttempts([0, 10, 20, 30, 40]);

    // Act
    const decision = decideAttempt(state, { attemptId: 'a2', documentType: 'passport', now: at(50) }, limits);

    // Assess
    expect(decision).toEqual({ allowed: true, duplicate: true, state });
  });

  it.each([
    { name: 'active cooldown', cooldownAt: 100, now: 40, allowed: false, retry: 60 },
    { name: 'cooldown ends this instant', cooldownAt: 100, now: 100, allowed: true },
    { name: 'cooldown over', cooldownAt: 100, now: 500, allowed: true },
  ])('$name -> allowed $allowed', ({ cooldownAt, now, allowed, retry }) => {
    // Prepare
    const state: RateLimitState = { ...emptyRateLimitState(), cooldownUntil: T0 + cooldownAt * 1000 };

    // Act
    const decision = decideAttempt(state, { attemptId: 'x', documentType: 'id_card', now: at(now) }, limits);

    // Assess
    expect(decision.allowed).toBe(allowed);
    if (!decision.allowed) expect(decision).toMatchObject({ code: 'COOLDOWN_ACTIVE', retryAfterSeconds: retry });
    else expect(decision.state.cooldownUntil).toBeUndefined();
  });

  it.each([
    { types: ['passport', 'passport'] as DocumentType[], flagged: false },
    { types: ['passport', 'id_card'] as DocumentType[], flagged: false },
    { types: ['passport', 'id_card', 'driving_licence'] as DocumentType[], flagged: true },
  ])('document types $types -> risk flag $flagged', ({ types, flagged }) => {
    // Prepare
    let state = emptyRateLimitState();

    // Act
    types.forEach((documentType, index) => {
      const decision = decideAttempt(state, { attemptId: `t${index}`, documentType, now: at(index) }, limits);
      if (!decision.allowed) throw new Error('unexpected refusal');
      state = decision.state;
    });

    // Assess
    expect(state.riskFlags.includes(DOCUMENT_SWITCHING_FLAG)).toBe(flagged);
  });
});

describe('recordAttemptOutcome', () => {
  it.each([
    { outcomes: ['failed'], failures: 1, cooldown: undefined },
    { outcomes: ['failed', 'failed'], failures: 2, cooldown: undefined },
    { outcomes: ['failed', 'failed', 'failed'], failures: 0, cooldown: 86_400 },
    { outcomes: ['failed', 'failed', 'passed'], failures: 0, cooldown: undefined },
    { outcomes: ['failed', 'passed', 'failed', 'failed'], failures: 2, cooldown: undefined },
  ] as const)('$outcomes -> $failures failures, cooldown $cooldown s', ({ outcomes, failures, cooldown }) => {
    // Prepare
    let state = emptyRateLimitState();

    // Act
    outcomes.forEach((outcome, index) => {
      state = recordAttemptOutcome(state, { attemptId: `o${index}`, outcome, now: at(0) }, limits).state;
    });

    // Assess
    expect(state.consecutiveFailures).toBe(failures);
    expect(state.cooldownUntil).toBe(cooldown === undefined ? undefined : T0 + cooldown * 1000);
  });

  it('records the same attempt only once', () => {
    // Prepare
    const once = recordAttemptOutcome(emptyRateLimitState(), { attemptId: 'o', outcome: 'failed', now: at(0) }, limits);

    // Act
    const twice = recordAttemptOutcome(once.state, { attemptId: 'o', outcome: 'failed', now: at(1) }, limits);

    // Assess
    expect(twice.changed).toBe(false);
    expect(twice.state.consecutiveFailures).toBe(1);
  });

  it('makes the cooldown longer while the document-switching flag is raised', () => {
    // Prepare
    let state: RateLimitState = { ...emptyRateLimitState(), riskFlags: [DOCUMENT_SWITCHING_FLAG] };

    // Act
    for (const id of ['f1', 'f2', 'f3']) {
      state = recordAttemptOutcome(state, { attemptId: id, outcome: 'failed', now: at(0) }, limits).state;
    }

    // Assess
    expect(state.cooldownUntil).toBe(T0 + limits.cooldownSeconds * limits.riskCooldownMultiplier * 1000);
    expect(state.cooledDown).toBe(true);
  });
});

describe('stateExpiresAt', () => {
  it('outlives both the window and an active cooldown', () => {
    // Prepare
    const state: RateLimitState = { ...withAttempts([0]), cooldownUntil: T0 + 10 * 86_400_000 };

    // Act
    const expiresAt = stateExpiresAt(state, T0, limits);

    // Assess
    expect(expiresAt).toBe((T0 + 10 * 86_400_000) / 1000);
    expect(stateExpiresAt(withAttempts([0]), T0, limits)).toBe(T0 / 1000 + 2 * 86_400);
  });
});
