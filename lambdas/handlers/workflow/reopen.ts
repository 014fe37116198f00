/**
 * Workflow step after the cooldown Wait: reopens the verification for a new attempt (status
 * `awaiting_upload`, which notifies the user through the status event). With
 * `rateLimits.manualReviewAfterCooldown` on, flags the verification so the next attempt's
 * decision goes to a person (PRODUCT §4: after the cooldown, the case may be routed to manual
 * review). A no-op when the cooldown already ended another way (lazily at the next request).
 */
import { AFTER_COOLDOWN_FLAG } from '../../domain/decision-policy.ts';
import type { VerificationStatus } from '../../domain/verification.ts';
import { auditLog, statusEvents, workflowSettings, workflowStore, type WorkflowDeps } from './deps.ts';
import type { WorkflowState } from './state.ts';
import { changeStatus, requireVerification } from './support.ts';
import { subjectOf, workflowTask } from './task.ts';

/** What reopening needs (also used by the reconciler for cooldowns past their end). */
export type ReopenDeps = Pick<WorkflowDeps, 'config' | 'store' | 'audit' | 'events' | 'functionName'>;

export async function reopenStep(
  state: WorkflowState,
  deps: ReopenDeps,
): Promise<{ status: VerificationStatus; reopened: boolean }> {
  const { verificationId, attemptId } = state;
  const verification = await requireVerification(deps, verificationId);
  if (verification.status !== 'cooldown') {
    // Ended lazily by the next attempt request: still route that attempt to a person.
    const flagMissing = !verification.riskFlags.includes(AFTER_COOLDOWN_FLAG);
    if (verification.status === 'awaiting_upload' && flagMissing && deps.config.rateLimits.manualReviewAfterCooldown) {
      await deps.store.updateVerification(verificationId, verification.version, {
        riskFlags: [...verification.riskFlags, AFTER_COOLDOWN_FLAG],
      });
    }
    return { status: verification.status, reopened: false };
  }
  const flags = deps.config.rateLimits.manualReviewAfterCooldown
    ? [...new Set([...verification.riskFlags, AFTER_COOLDOWN_FLAG])]
    : [...verification.riskFlags];
  await changeStatus(deps, verificationId, 'awaiting_upload', 'cooldown_ended', {
    cooldownUntil: undefined,
    riskFlags: flags,
  });
  await deps.audit.append({
    subject: subjectOf(verificationId),
    action: 'verification.reopened',
    actor: `system:${deps.functionName ?? 'reopen'}`,
    details: { attemptId, cause: 'cooldown_ended', manualReviewNext: flags.includes(AFTER_COOLDOWN_FLAG) },
  });
  await deps.events.statusChanged({ verificationId, attemptId, status: 'awaiting_upload', reasons: [] });
  return { status: 'awaiting_upload', reopened: true };
}

export const handler = workflowTask('reopen', reopenStep, () => ({
  ...workflowSettings(),
  store: workflowStore(),
  audit: auditLog(),
  events: statusEvents(),
}));
