/**
 * Workflow step behind `.waitForTaskToken`, entered when a review ran past its SLA
 * (`States.Timeout`): raises the task's priority, marks it escalated, sets a new due date,
 * re-arms it with the new task token (the case stays open) and publishes an escalation event.
 * If a reviewer's decision landed in the same instant as the timeout, the decision is handed
 * to the new token at once, so it is never lost.
 */
import { OPERATIONAL_METRICS } from '../../domain/operational-metrics.ts';
import { slaBreachCounters } from '../../domain/decision-metrics.ts';
import {
  auditLog,
  operationalMetrics,
  reviewCompleter,
  statusEvents,
  workflowSettings,
  workflowStore,
  type WorkflowDeps,
} from './deps.ts';
import { WorkflowRecordNotFoundError } from './errors.ts';
import { reviewDueAt } from './review-task.ts';
import { InvalidWorkflowInputError, type WorkflowState } from './state.ts';
import { subjectOf, workflowTask } from './task.ts';

/** Highest review priority. */
export const MAX_REVIEW_PRIORITY = 9;

/** The ports the step takes. */
export type ReviewEscalateDeps = Pick<
  WorkflowDeps,
  'audit' | 'clock' | 'config' | 'events' | 'functionName' | 'metrics' | 'reviews' | 'store'
>;

export async function reviewEscalateStep(
  state: WorkflowState,
  deps: ReviewEscalateDeps,
): Promise<{ escalated: true; priority: number }> {
  const { verificationId, attemptId, taskToken } = state;
  if (!taskToken) throw new InvalidWorkflowInputError('escalation needs $.taskToken');
  const task = await deps.store.getReviewTask(verificationId, attemptId);
  if (!task) throw new WorkflowRecordNotFoundError(`review task ${attemptId}`, verificationId);
  if (task.decision) {
    await deps.store.putReviewTask({ ...task, taskToken });
    await deps.reviews.completeReview(taskToken, {
      decision: task.decision,
      reasons: [...task.reasons],
      reviewer: task.decidedBy ?? 'unknown',
    });
    return { escalated: true, priority: task.priority };
  }
  // The task already carries this token: this escalation was applied by an earlier run of the
  // step (at-least-once delivery, or a restart mid-step). Raise nothing again; finish the audit
  // event and the escalation event, which that run may not have reached.
  const rerun = task.escalated && task.taskToken === taskToken;
  const now = deps.clock.now();
  const priority = rerun ? task.priority : Math.min(task.priority + 1, MAX_REVIEW_PRIORITY);
  const escalations = rerun ? task.escalations : task.escalations + 1;
  const dueAt = rerun ? task.dueAt : reviewDueAt(now, deps.config.review.slaDays);
  if (!rerun) {
    // The SLA ran out: counted with the escalation's own write (overdue once per task, a breach per escalation).
    await deps.store.putReviewTask(
      { ...task, taskToken, priority, escalated: true, escalations, dueAt },
      { counters: slaBreachCounters(task.queue, now.toISOString(), !task.escalated) },
    );
    // One SLA breach per escalation, counted with the change itself (a re-run counts nothing).
    deps.metrics?.count(OPERATIONAL_METRICS.reviewSlaBreached);
  }
  await deps.audit.append({
    subject: subjectOf(verificationId),
    action: 'review.escalated',
    actor: `system:${deps.functionName ?? 'review-escalate'}`,
    details: { attemptId, priority, escalations, ...(rerun ? {} : { previousDueAt: task.dueAt }), dueAt },
  });
  await deps.events.reviewEscalated({ verificationId, attemptId, priority, escalations, dueAt });
  return { escalated: true, priority };
}

export const handler = workflowTask('review-escalate', reviewEscalateStep, () => {
  const settings = workflowSettings();
  return {
    ...settings,
    store: workflowStore(),
    audit: auditLog(),
    events: statusEvents(),
    reviews: reviewCompleter(),
    metrics: operationalMetrics(settings.config),
  };
});
