/**
 * Workflow step after the cooldown Wait: reopens the verification for a new attempt (status
 * `awaiting_upload`, which notifies the user through the status event). With
 * `rateLimits.manualReviewAfterCooldown` on, flags the verification so the next attempt's
 * decision goes to a person (PRODUCT §4: after the cooldown, the case may be routed to manual
 * review). When the cooldown already ended (lazily at the next request, or by a run of this
 * step stopped after its status write), it only sets the flag, writes the audit event once and
 * re-publishes the status change.
 */
import { AFTER_COOLDOWN_FLAG } from '../../domain/decision-policy.ts';
import type { AuditEventInput } from '../../domain/records.ts';
import type { VerificationStatus } from '../../domain/verification.ts';
import { auditLog, statusEvents, workflowSettings, workflowStore, type WorkflowDeps } from './deps.ts';
import type { WorkflowState } from './state.ts';
import { appendAuditOnce, changeStatus, requireVerification } from './support.ts';
import { subjectOf, workflowTask } from './task.ts';

/** What reopening needs (also used by the reconciler for cooldowns past their end). */
export type ReopenDeps = Pick<WorkflowDeps, 'config' | 'store' | 'audit' | 'events' | 'functionName'>;

export async function reopenStep(
  state: WorkflowState,
  deps: ReopenDeps,
): Promise<{ status: VerificationStatus; reopened: boolean }> {
  const { verificationId, attemptId } = state;
  const verification = await requireVerification(deps, verificationId);
  const reopenedEvent = (manualReviewNext: boolean): AuditEventInput => ({
    subject: subjectOf(verificationId),
    action: 'verification.reopened',
    actor: `system:${deps.functionName ?? 'reopen'}`,
    details: { attemptId, cause: 'cooldown_ended', manualReviewNext },
  });
  if (verification.status !== 'cooldown') {
    // Ended lazily by the next attempt request, or by a run of this step stopped after the status
    // write: still route the next attempt to a person, and write the audit event once.
    const manualReviewNext = deps.config.rateLimits.manualReviewAfterCooldown;
    const flagged = verification.riskFlags.includes(AFTER_COOLDOWN_FLAG);
    if (verification.status === 'awaiting_upload') {
      if (manualReviewNext && !flagged) {
        await deps.store.updateVerification(verificationId, verification.version, {
          riskFlags: [...verification.riskFlags, AFTER_COOLDOWN_FLAG],
        });
      }
      await appendAuditOnce(deps, reopenedEvent(manualReviewNext || flagged));
      await deps.events.statusChanged({ verificationId, attemptId, status: 'awaiting_upload', reasons: [] });
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
  await deps.audit.append(reopenedEvent(flags.includes(AFTER_COOLDOWN_FLAG)));
  await deps.events.statusChanged({ verificationId, attemptId, status: 'awaiting_upload', reasons: [] });
  return { status: 'awaiting_upload', reopened: true };
}

export const handler = workflowTask('reopen', reopenStep, () => ({
  ...workflowSettings(),
  store: workflowStore(),
  audit: auditLog(),
  events: statusEvents(),
}));
