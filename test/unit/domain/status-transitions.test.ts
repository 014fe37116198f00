import { describe, expect, it } from 'vitest';
import {
  InvalidTransitionError,
  TRANSITIONS,
  TRANSITION_CAUSES,
  allowedTransitions,
  assertTransition,
  canTransition,
  type TransitionCause,
} from '../../../lambdas/domain/status-transitions.ts';
import { VERIFICATION_STATUSES, type VerificationStatus } from '../../../lambdas/domain/verification.ts';

const ALLOWED: [VerificationStatus, VerificationStatus, TransitionCause][] = [
  ['awaiting_upload', 'processing', 'uploads_complete'],
  ['processing', 'approved', 'automatic_decision'],
  ['processing', 'rejected', 'automatic_decision'],
  ['processing', 'manual_review', 'automatic_decision'],
  ['processing', 'cooldown', 'automatic_decision'],
  ['manual_review', 'approved', 'review_decision'],
  ['manual_review', 'rejected', 'review_decision'],
  ['manual_review', 'cooldown', 'review_decision'],
  ['rejected', 'awaiting_upload', 'resubmission'],
  ['rejected', 'processing', 'uploads_complete'],
  ['cooldown', 'awaiting_upload', 'cooldown_ended'],
  ['cooldown', 'manual_review', 'cooldown_ended'],
  ['approved', 'awaiting_upload', 'support_reset'],
];

const key = (from: string, to: string, cause: string): string => `${from}->${to}:${cause}`;
const allowedKeys = new Set(ALLOWED.map(([from, to, cause]) => key(from, to, cause)));
const REFUSED = VERIFICATION_STATUSES.flatMap((from) =>
  VERIFICATION_STATUSES.flatMap((to) =>
    TRANSITION_CAUSES.filter((cause) => !allowedKeys.has(key(from, to, cause))).map(
      (cause) => [from, to, cause] as [VerificationStatus, VerificationStatus, TransitionCause],
    ),
  ),
);

describe('status transitions', () => {
  it('allow exactly the listed edges', () => {
    // Assess
    expect(TRANSITIONS.map((t) => key(t.from, t.to, t.cause)).sort()).toEqual([...allowedKeys].sort());
  });

  it.each(ALLOWED)('%s -> %s by %s is allowed', (from, to, cause) => {
    // Act
    const transition = assertTransition(from, to, cause);
    // Assess
    expect(transition).toEqual({ from, to, cause, privileged: cause === 'support_reset' });
    expect(canTransition(from, to, cause)).toBe(true);
  });

  it.each(REFUSED)('%s -> %s by %s is refused', (from, to, cause) => {
    // Act + Assess
    expect(canTransition(from, to, cause)).toBe(false);
    expect(() => assertTransition(from, to, cause)).toThrow(InvalidTransitionError);
  });

  it.each([
    ['approved', 'awaiting_upload', 'resubmission'],
    ['approved', 'awaiting_upload', 'cooldown_ended'],
    ['approved', 'rejected', 'review_decision'],
    ['approved', 'processing', 'uploads_complete'],
  ] as const)('an approved verification reopens only by a support reset, not %s -> %s by %s', (from, to, cause) => {
    // Act + Assess
    expect(() => assertTransition(from, to, cause)).toThrow(InvalidTransitionError);
  });

  it('marks only the support reset as privileged', () => {
    // Assess
    expect(TRANSITIONS.filter((t) => t.privileged)).toEqual([
      { from: 'approved', to: 'awaiting_upload', cause: 'support_reset', privileged: true },
    ]);
  });

  it('carries context and lists what is allowed in the error', () => {
    // Act
    let error: unknown;
    try {
      assertTransition('rejected', 'approved', 'automatic_decision');
    } catch (caught) {
      error = caught;
    }
    // Assess
    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect(error).toMatchObject({
      name: 'InvalidTransitionError',
      from: 'rejected',
      to: 'approved',
      transitionCause: 'automatic_decision',
      message: expect.stringContaining('awaiting_upload (resubmission), processing (uploads_complete)'),
    });
  });

  it.each(VERIFICATION_STATUSES)('%s has a way out (no dead ends)', (status) => {
    // Assess
    expect(allowedTransitions(status).length).toBeGreaterThan(0);
  });
});
