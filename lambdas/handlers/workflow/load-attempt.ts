/**
 * Workflow step 1: loads the attempt's context (level, document type, failure count, whether it
 * follows a cooldown), moves the attempt to `processing` and audits the start. Output: ids and
 * flags only (`AttemptContext`).
 *
 * Only the live attempt is processed: a frozen (approved) verification, or an attempt that is no
 * longer awaiting upload or processing (e.g. `superseded` by a newer one), is refused with
 * `StaleAttemptError` (audited), which ends the execution without a decision. An attempt under
 * manual review is refused with `ReviewPendingError`, which the workflow routes into the review
 * (the reconciler's review executions `<attempt>-rv<n>` take this way).
 */
import { AFTER_COOLDOWN_FLAG } from '../../domain/decision-policy.ts';
import { auditLog, workflowRuntime, workflowStore, type WorkflowDeps } from './deps.ts';
import { ReviewPendingError, StaleAttemptError, UnexpectedStatusError, WorkflowRecordNotFoundError } from './errors.ts';
import type { AttemptContext, WorkflowState } from './state.ts';
import { changeStatus, requireVerification } from './support.ts';
import { subjectOf, workflowTask } from './task.ts';

/** The ports the step takes. */
export type LoadAttemptDeps = Pick<WorkflowDeps, 'store' | 'audit' | 'functionName'>;

export async function loadAttemptStep(state: WorkflowState, deps: LoadAttemptDeps): Promise<AttemptContext> {
  const { verificationId, attemptId } = state;
  const [current, attempt] = await Promise.all([
    requireVerification(deps, verificationId),
    deps.store.getAttempt(verificationId, attemptId),
  ]);
  let verification = current;
  if (!attempt) throw new WorkflowRecordNotFoundError(`attempt ${attemptId}`, verificationId);
  if (!verification.frozen && verification.status === 'manual_review' && attempt.status === 'manual_review') {
    throw new ReviewPendingError(verificationId, attemptId);
  }
  const stale =
    verification.frozen || verification.status === 'approved'
      ? ('verification_frozen' as const)
      : attempt.status !== 'awaiting_upload' && attempt.status !== 'processing'
        ? ('attempt_closed' as const)
        : undefined;
  if (stale) {
    await deps.audit.append({
      subject: subjectOf(verificationId),
      action: 'workflow.refused',
      actor: `system:${deps.functionName ?? 'load-attempt'}`,
      reason: stale,
      details: { attemptId, attemptStatus: attempt.status, verificationStatus: verification.status },
    });
    throw new StaleAttemptError(verificationId, attemptId, stale);
  }
  if (verification.status === 'awaiting_upload' || verification.status === 'rejected') {
    verification = await changeStatus(deps, verificationId, 'processing', 'uploads_complete');
  } else if (verification.status !== 'processing') {
    throw new UnexpectedStatusError(verificationId, verification.status, 'load-attempt');
  }
  await deps.store.transitionAttempt(verificationId, attemptId, ['awaiting_upload', 'processing'], {
    status: 'processing',
  });
  await deps.audit.append({
    subject: subjectOf(verificationId),
    action: 'workflow.started',
    actor: `system:${deps.functionName ?? 'load-attempt'}`,
    details: { attemptId },
  });
  return {
    verificationId,
    attemptId,
    level: verification.level,
    documentType: verification.documentType,
    consecutiveFailures: verification.consecutiveFailures,
    afterCooldown: verification.riskFlags.includes(AFTER_COOLDOWN_FLAG),
  };
}

export const handler = workflowTask('load-attempt', loadAttemptStep, () => ({
  ...workflowRuntime(),
  store: workflowStore(),
  audit: auditLog(),
}));
