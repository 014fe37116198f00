/**
 * Workflow step behind `.waitForTaskToken`: opens (or re-arms) the manual-review task of the
 * attempt with the state machine's task token, queue, priority, SLA due date and the causes
 * (decision policy, or the error a failed step was caught with), moves the verification to
 * `manual_review` and publishes the change. The state machine then waits until a reviewer's
 * decision completes the token (`POST /v1/reviews/{verificationId}/decision`) or the SLA runs
 * out (`States.Timeout` -> escalation).
 */
import { reviewOpenedCounters } from '../../domain/decision-metrics.ts';
import type { ReasonCode } from '../../domain/reason-codes.ts';
import type { AuditEventInput } from '../../domain/records.ts';
import type { VerificationLevel } from '../../domain/verification.ts';
import type { FailedDecision, ReviewTask } from '../../ports/workflow-store.ts';
import { auditLog, reviewCompleter, statusEvents, workflowSettings, workflowStore, type WorkflowDeps } from './deps.ts';
import { InvalidWorkflowInputError, type WorkflowState } from './state.ts';
import { changeStatus, isAudited, requireVerification } from './support.ts';
import { subjectOf, workflowTask } from './task.ts';

const DAY_MS = 24 * 3600 * 1000;

/** Queue and priority of a review (higher is more urgent). */
export function reviewRouting(
  level: VerificationLevel,
  reasons: readonly ReasonCode[],
  causes: readonly string[],
): { queue: string; priority: number } {
  if (reasons.includes('DUPLICATE_IDENTITY')) return { queue: 'duplicates', priority: 3 };
  if (causes.some((c) => c.startsWith('task_failed:') || c.includes(':error:'))) {
    return { queue: 'exceptions', priority: 2 };
  }
  if (level === 'advanced') return { queue: 'advanced', priority: 1 };
  return { queue: 'standard', priority: 1 };
}

/** SLA due date of a review opened or re-armed at `now`. */
export function reviewDueAt(now: Date, slaDays: number): string {
  return new Date(now.getTime() + slaDays * DAY_MS).toISOString();
}

/** The ports the step takes. */
export type ReviewTaskDeps = Pick<
  WorkflowDeps,
  'audit' | 'clock' | 'config' | 'events' | 'functionName' | 'reviews' | 'store'
>;

export async function reviewTaskStep(state: WorkflowState, deps: ReviewTaskDeps): Promise<{ queued: true }> {
  const { verificationId, attemptId, taskToken } = state;
  if (!taskToken) throw new InvalidWorkflowInputError('review task needs $.taskToken');
  const [verification, existing] = await Promise.all([
    requireVerification(deps, verificationId),
    deps.store.getReviewTask(verificationId, attemptId),
  ]);
  const reasons: ReasonCode[] = [...(state.decision?.reasons ?? [])];
  if (!reasons.includes('MANUAL_REVIEW_REQUIRED')) reasons.push('MANUAL_REVIEW_REQUIRED');
  const causes = [...(state.decision?.causes ?? [])];
  if (state.error) causes.push(`task_failed:${state.error.Error}`);
  const now = deps.clock.now();
  if (existing?.decision && existing.decidedAt && state.review && state.error) {
    // Back here after a decision whose finalizing step failed (after its retries): handing the
    // same decision on again would fail the same way until the failure budget ends the
    // execution with the case in limbo. The review is reopened instead, in the exceptions
    // queue, with the failed decision kept beside it for the next reviewer.
    return reopenReview(state, existing, deps, now, { ...state.error, decidedAt: existing.decidedAt });
  }
  const routing = reviewRouting(verification.level, reasons, causes);
  const task: ReviewTask = {
    verificationId,
    attemptId,
    taskToken,
    queue: existing?.queue ?? routing.queue,
    reasons: existing?.reasons ?? reasons,
    causes: existing?.causes ?? causes,
    priority: Math.max(existing?.priority ?? 0, routing.priority),
    dueAt: existing?.dueAt ?? reviewDueAt(now, deps.config.review.slaDays),
    escalated: existing?.escalated ?? false,
    escalations: existing?.escalations ?? 0,
    createdAt: existing?.createdAt ?? now.toISOString(),
    level: verification.level,
    ...(existing?.assignee ? { assignee: existing.assignee } : {}),
    ...(existing?.failedDecisions ? { failedDecisions: existing.failedDecisions } : {}),
    ...(existing?.decision
      ? {
          decision: existing.decision,
          decidedBy: existing.decidedBy,
          ...(existing.decidedAt ? { decidedAt: existing.decidedAt } : {}),
          ...(existing.note !== undefined ? { note: existing.note } : {}),
        }
      : {}),
  };
  // A new task enters its queue's open count in the same write (exactly once, whatever the retries).
  await deps.store.putReviewTask(task, existing ? {} : { creates: true, counters: [reviewOpenedCounters(task.queue)] });
  if (existing?.decision) {
    // Decided while this step was being retried: hand the decision to the new token at once.
    await deps.reviews.completeReview(taskToken, {
      decision: existing.decision,
      reasons: [...existing.reasons],
      reviewer: existing.decidedBy ?? 'unknown',
    });
    return { queued: true };
  }
  if (verification.status === 'processing') {
    await changeStatus(deps, verificationId, 'manual_review', 'automatic_decision', { reasons });
  }
  await deps.store.transitionAttempt(verificationId, attemptId, ['processing'], { status: 'manual_review', reasons });
  const opened: AuditEventInput = {
    subject: subjectOf(verificationId),
    action: 'review.opened',
    actor: `system:${deps.functionName ?? 'review-task'}`,
    details: { attemptId, queue: task.queue, priority: task.priority, dueAt: task.dueAt, causes, reasons },
  };
  // With a task already there, this is a run again (a re-arm, or after a crash that may have come
  // before the audit append). The status change is published before the audit append, so an
  // audited opening was also published: each is then done once, at least.
  if (!existing || !(await isAudited(deps, opened))) {
    await deps.events.statusChanged({ verificationId, attemptId, status: 'manual_review', reasons });
    await deps.audit.append(opened);
  }
  return { queued: true };
}

/**
 * Reopens a decided review whose decision could not be carried out: the task goes back to
 * open (new token, queue `exceptions`, a fresh SLA), the failed decision and its error are kept
 * in `failedDecisions`, and the reopening is audited. A retry after the write finds the task
 * open and only re-arms its token (the ordinary path).
 */
async function reopenReview(
  state: WorkflowState,
  existing: ReviewTask,
  deps: ReviewTaskDeps,
  now: Date,
  failure: { readonly Error: string; readonly decidedAt: string },
): Promise<{ queued: true }> {
  const { verificationId, attemptId } = state;
  const failed: FailedDecision = {
    decision: existing.decision ?? 'approve',
    decidedBy: existing.decidedBy ?? 'unknown',
    decidedAt: failure.decidedAt,
    reasons: [...existing.reasons],
    ...(existing.note ? { note: existing.note } : {}),
    error: failure.Error,
  };
  const causes = [...existing.causes, `decision_failed:${failed.decision}`, `task_failed:${failure.Error}`];
  // The review's own reasons (the decision policy's), not the failed decision's.
  const reasons: ReasonCode[] = [...new Set([...(state.decision?.reasons ?? []), 'MANUAL_REVIEW_REQUIRED' as const])];
  const {
    decision: _decision,
    decidedBy: _decidedBy,
    decidedAt: _decidedAt,
    note: _note,
    assignee: _assignee,
    ...open
  } = existing;
  const task: ReviewTask = {
    ...open,
    taskToken: state.taskToken ?? existing.taskToken,
    queue: 'exceptions',
    priority: Math.max(existing.priority, 2),
    reasons,
    causes,
    dueAt: reviewDueAt(now, deps.config.review.slaDays),
    escalated: false,
    failedDecisions: [...(existing.failedDecisions ?? []), failed],
  };
  // Audited first (once per failed decision), so a crash after the write loses no event; the
  // verification stays `manual_review` throughout, so no status event is due.
  const reopened: AuditEventInput = {
    subject: subjectOf(verificationId),
    action: 'review.reopened',
    actor: `system:${deps.functionName ?? 'review-task'}`,
    details: {
      attemptId,
      queue: task.queue,
      failedDecision: failed.decision,
      failedDecisionAt: failed.decidedAt,
      error: failure.Error,
    },
  };
  const trail = await deps.audit.list(reopened.subject);
  if (!trail.some((event) => event.action === reopened.action && event.details?.failedDecisionAt === failed.decidedAt))
    await deps.audit.append(reopened);
  await deps.store.putReviewTask(task, {
    reopens: { decidedAt: failure.decidedAt },
    counters: [reviewOpenedCounters(task.queue)],
  });
  return { queued: true };
}

export const handler = workflowTask('review-task', reviewTaskStep, () => ({
  ...workflowSettings(),
  store: workflowStore(),
  audit: auditLog(),
  events: statusEvents(),
  reviews: reviewCompleter(),
}));
