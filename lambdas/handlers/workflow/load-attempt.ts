/**
 * Workflow step 1: loads the attempt's context (level, document type, failure count, whether it
 * follows a cooldown), moves the attempt to `processing` and audits the start. Output: ids and
 * flags only (`AttemptContext`).
 */
import { AFTER_COOLDOWN_FLAG } from '../../domain/decision-policy.ts';
import type { WorkflowDeps } from './deps.ts';
import { UnexpectedStatusError, WorkflowRecordNotFoundError } from './errors.ts';
import type { AttemptContext, WorkflowState } from './state.ts';
import { changeStatus, requireVerification } from './support.ts';
import { subjectOf, workflowTask } from './task.ts';

export async function loadAttemptStep(state: WorkflowState, deps: WorkflowDeps): Promise<AttemptContext> {
  const { verificationId, attemptId } = state;
  let verification = await requireVerification(deps, verificationId);
  const attempt = await deps.store.getAttempt(verificationId, attemptId);
  if (!attempt) throw new WorkflowRecordNotFoundError(`attempt ${attemptId}`, verificationId);
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

export const handler = workflowTask('load-attempt', loadAttemptStep);
