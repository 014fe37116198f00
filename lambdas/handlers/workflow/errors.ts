/** Errors of the workflow steps; their `name` is the ASL error the state machine sees. */

/** A record the step needs does not exist (deleted, or a defect upstream). */
export class WorkflowRecordNotFoundError extends Error {
  constructor(
    public readonly what: string,
    public readonly verificationId: string,
  ) {
    super(`${what} of verification ${verificationId} not found`);
    this.name = 'WorkflowRecordNotFoundError';
  }
}

/** Evidence a check needs is missing from the attempt (e.g. no accepted selfie). */
export class MissingEvidenceError extends Error {
  constructor(
    public readonly slot: string,
    public readonly attemptId: string,
  ) {
    super(`No accepted ${slot} in the vault for attempt ${attemptId}`);
    this.name = 'MissingEvidenceError';
  }
}

/** The verification is not in a status this step may change (stale or duplicate execution). */
export class UnexpectedStatusError extends Error {
  constructor(
    public readonly verificationId: string,
    public readonly status: string,
    public readonly step: string,
  ) {
    super(`Verification ${verificationId} is ${status}; ${step} cannot proceed`);
    this.name = 'UnexpectedStatusError';
  }
}

/** The document number is already claimed by another user at approval time. */
export class DocumentAlreadyClaimedError extends Error {
  constructor(public readonly verificationId: string) {
    super(`The document of verification ${verificationId} is claimed by another account`);
    this.name = 'DocumentAlreadyClaimedError';
  }
}

/**
 * The attempt is under manual review: an execution started for it now is a review execution
 * (`<attempt>-rv<n>`, the reconciler's re-arm of a review whose token was lost, or its hand-on of
 * a decision nothing carried out). The state machine catches it like any failed step into
 * `AwaitReview`, which re-arms the attempt's review task with a new token (or hands its recorded
 * decision on); nothing of the attempt is processed again.
 */
export class ReviewPendingError extends Error {
  constructor(
    public readonly verificationId: string,
    public readonly attemptId: string,
  ) {
    super(`Attempt ${attemptId} of verification ${verificationId} is under manual review`);
    this.name = 'ReviewPendingError';
  }
}

/**
 * The attempt is no longer the live one: a newer attempt superseded it, or the verification is
 * approved and frozen. The state machine ends such an execution in `StaleAttempt`, deciding nothing.
 */
export class StaleAttemptError extends Error {
  constructor(
    public readonly verificationId: string,
    public readonly attemptId: string,
    public readonly reason: 'verification_frozen' | 'attempt_closed',
  ) {
    super(`Attempt ${attemptId} of verification ${verificationId} is not live (${reason})`);
    this.name = 'StaleAttemptError';
  }
}
