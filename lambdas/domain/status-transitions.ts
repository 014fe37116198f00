/**
 * Which verification status may follow which, and why (PRODUCT §1, §4). Every writer of a
 * status (intake, workflow, review API, cooldown expiry, support) asks `assertTransition`
 * first, so an impossible jump (say `rejected` -> `approved` without a new attempt) is refused
 * instead of stored.
 *
 *   awaiting_upload --uploads_complete--> processing --automatic_decision--> approved
 *                                             |                              rejected
 *                                             |                              cooldown (3rd consecutive failure)
 *                                             +--automatic_decision--> manual_review --review_decision--> approved | rejected | cooldown
 *   rejected --resubmission--> awaiting_upload            (user starts a new attempt)
 *   rejected --uploads_complete--> processing             (the new attempt's uploads are all in)
 *   cooldown --cooldown_ended--> awaiting_upload | manual_review
 *   approved --support_reset--> awaiting_upload           (only way out of approved; audited)
 *
 * @example
 * ```ts
 * assertTransition(record.status, 'approved', 'review_decision'); // throws InvalidTransitionError if not allowed
 * ```
 */
import type { VerificationStatus } from './verification.ts';

/** What moves a verification from one status to another. */
export type TransitionCause =
  /** Every required slot of the current attempt has been uploaded and accepted by intake. */
  | 'uploads_complete'
  /** The workflow's decision policy decided without a person. */
  | 'automatic_decision'
  /** A compliance reviewer decided a manual-review task. */
  | 'review_decision'
  /** The user starts a new attempt after a rejection. */
  | 'resubmission'
  /** The cooldown period has passed (scheduled expiry or lazy check on the next request). */
  | 'cooldown_ended'
  /** Support reopened an approved verification (PRODUCT §1); must be audited with actor and reason. */
  | 'support_reset';

export const TRANSITION_CAUSES = [
  'uploads_complete',
  'automatic_decision',
  'review_decision',
  'resubmission',
  'cooldown_ended',
  'support_reset',
] as const satisfies readonly TransitionCause[];

/** One allowed edge of the status graph. */
export interface Transition {
  readonly from: VerificationStatus;
  readonly to: VerificationStatus;
  readonly cause: TransitionCause;
  /** True for transitions that only a named person may make and that need their own audit event. */
  readonly privileged: boolean;
}

const edge = (from: VerificationStatus, to: VerificationStatus, cause: TransitionCause): Transition => ({
  from,
  to,
  cause,
  privileged: cause === 'support_reset',
});

/** Every allowed transition. Anything not listed is refused. */
export const TRANSITIONS: readonly Transition[] = [
  edge('awaiting_upload', 'processing', 'uploads_complete'),
  edge('processing', 'approved', 'automatic_decision'),
  edge('processing', 'rejected', 'automatic_decision'),
  edge('processing', 'manual_review', 'automatic_decision'),
  edge('processing', 'cooldown', 'automatic_decision'),
  edge('manual_review', 'approved', 'review_decision'),
  edge('manual_review', 'rejected', 'review_decision'),
  edge('manual_review', 'cooldown', 'review_decision'),
  edge('rejected', 'awaiting_upload', 'resubmission'),
  edge('rejected', 'processing', 'uploads_complete'),
  edge('cooldown', 'awaiting_upload', 'cooldown_ended'),
  edge('cooldown', 'manual_review', 'cooldown_ended'),
  edge('approved', 'awaiting_upload', 'support_reset'),
];

/** A status change that the status graph does not allow. */
export class InvalidTransitionError extends Error {
  public readonly from: VerificationStatus;
  public readonly to: VerificationStatus;
  /** Named `transitionCause` because `Error.cause` means the underlying error. */
  public readonly transitionCause: TransitionCause;

  public constructor(from: VerificationStatus, to: VerificationStatus, cause: TransitionCause) {
    const allowed = allowedTransitions(from)
      .map((transition) => `${transition.to} (${transition.cause})`)
      .join(', ');
    super(`cannot move a verification from ${from} to ${to} by ${cause}; allowed from ${from}: ${allowed || 'none'}`);
    this.name = 'InvalidTransitionError';
    this.from = from;
    this.to = to;
    this.transitionCause = cause;
  }
}

/** The transitions allowed out of a status. */
export function allowedTransitions(from: VerificationStatus): Transition[] {
  return TRANSITIONS.filter((transition) => transition.from === from);
}

/** The matching transition, or `undefined` when the change is not allowed. */
export function findTransition(
  from: VerificationStatus,
  to: VerificationStatus,
  cause: TransitionCause,
): Transition | undefined {
  return TRANSITIONS.find(
    (transition) => transition.from === from && transition.to === to && transition.cause === cause,
  );
}

/** True when `from` -> `to` is allowed for `cause`. */
export function canTransition(from: VerificationStatus, to: VerificationStatus, cause: TransitionCause): boolean {
  return findTransition(from, to, cause) !== undefined;
}

/**
 * Returns the allowed transition, or throws `InvalidTransitionError`. Callers write the new
 * status with a condition on the old one (optimistic concurrency), so a race cannot sneak
 * past this check.
 *
 * @example
 * ```ts
 * const transition = assertTransition('approved', 'awaiting_upload', 'support_reset');
 * if (transition.privileged) await audit.append({ action: 'verification.reset', actor, reason, ... });
 * ```
 */
export function assertTransition(from: VerificationStatus, to: VerificationStatus, cause: TransitionCause): Transition {
  const transition = findTransition(from, to, cause);
  if (!transition) throw new InvalidTransitionError(from, to, cause);
  return transition;
}
