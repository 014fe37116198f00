/**
 * Workflow step: rejects the attempt with reason codes (the policy's, or the reviewer's),
 * records the failed outcome with the rate limiter — which counts consecutive failures and
 * starts the cooldown at the configured limit (PRODUCT §4: 3 failures -> 24 hours) — and
 * publishes the status change. Output: the new status and, in cooldown, its end, which the
 * state machine's Wait state uses (`TimestampPath`).
 */
import { OPERATIONAL_METRICS, OUTCOME_DIMENSION, REASON_DIMENSION } from '../../domain/operational-metrics.ts';
import type { ReasonCode } from '../../domain/reason-codes.ts';
import type { VerificationStatus } from '../../domain/verification.ts';
import {
  auditLog,
  operationalMetrics,
  rateLimitStore,
  statusEvents,
  workflowSettings,
  workflowStore,
  type WorkflowDeps,
} from './deps.ts';
import { WorkflowRecordNotFoundError } from './errors.ts';
import { AFTER_COOLDOWN_FLAG } from '../../domain/decision-policy.ts';
import type { WorkflowState } from './state.ts';
import { decisionCounters } from '../../domain/decision-metrics.ts';
import { changeStatus, requireVerification, submittedAt } from './support.ts';
import { subjectOf, workflowTask } from './task.ts';

export interface RejectionOutput {
  readonly status: VerificationStatus;
  readonly cooldownUntil?: string;
}

/** The ports the step takes. */
export type FinalizeRejectDeps = Pick<
  WorkflowDeps,
  'audit' | 'clock' | 'events' | 'functionName' | 'metrics' | 'rateLimits' | 'store'
>;

export async function finalizeRejectStep(state: WorkflowState, deps: FinalizeRejectDeps): Promise<RejectionOutput> {
  const { verificationId, attemptId } = state;
  const verification = await requireVerification(deps, verificationId);
  const attempt = await deps.store.getAttempt(verificationId, attemptId);
  if (!attempt) throw new WorkflowRecordNotFoundError(`attempt ${attemptId}`, verificationId);
  if (attempt.status === 'rejected') {
    return {
      status: verification.status,
      ...(verification.status === 'cooldown' && verification.cooldownUntil
        ? { cooldownUntil: verification.cooldownUntil }
        : {}),
    };
  }
  const fromReview = state.review?.decision === 'reject';
  const source: readonly ReasonCode[] = fromReview ? (state.review?.reasons ?? []) : (state.decision?.reasons ?? []);
  const reasons = source.filter((r) => r !== 'MANUAL_REVIEW_REQUIRED');

  const outcome = await deps.rateLimits.recordOutcome(verification.userId, attemptId, 'failed');
  const status: VerificationStatus = outcome.cooldownUntil ? 'cooldown' : 'rejected';
  const cause = verification.status === 'manual_review' ? 'review_decision' : 'automatic_decision';
  const riskFlags = [
    ...new Set([...verification.riskFlags.filter((f) => f !== AFTER_COOLDOWN_FLAG), ...outcome.riskFlags]),
  ];
  await changeStatus(deps, verificationId, status, cause, {
    reasons: [...reasons],
    consecutiveFailures: outcome.consecutiveFailures,
    cooldownUntil: outcome.cooldownUntil,
    riskFlags,
  });
  await deps.store.transitionAttempt(
    verificationId,
    attemptId,
    ['processing', 'manual_review'],
    { status: 'rejected', reasons },
    [
      decisionCounters({
        outcome: 'rejected',
        mode: cause === 'review_decision' ? 'manual' : 'automatic',
        reasons,
        decidedAt: deps.clock.now().toISOString(),
        ...(await submittedAt(deps, verificationId, attemptId)),
        // The rate limiter counts each attempt once: more than this failure means earlier ones.
        resubmission: outcome.consecutiveFailures > 1,
      }),
    ],
  );
  await deps.audit.append({
    subject: subjectOf(verificationId),
    action: status === 'cooldown' ? 'verification.cooldown_started' : 'verification.rejected',
    actor: fromReview ? `compliance_reviewer:${state.review?.reviewer}` : `system:${deps.functionName ?? 'reject'}`,
    details: {
      attemptId,
      cause,
      reasons: [...reasons],
      consecutiveFailures: outcome.consecutiveFailures,
      ...(outcome.cooldownUntil ? { cooldownUntil: outcome.cooldownUntil } : {}),
    },
  });
  await deps.events.statusChanged({ verificationId, attemptId, status, reasons });
  deps.metrics?.count(OPERATIONAL_METRICS.decision, { [OUTCOME_DIMENSION]: 'rejected' });
  for (const reason of new Set(reasons)) {
    deps.metrics?.count(OPERATIONAL_METRICS.rejectionReason, { [REASON_DIMENSION]: reason });
  }
  return { status, ...(outcome.cooldownUntil ? { cooldownUntil: outcome.cooldownUntil } : {}) };
}

export const handler = workflowTask('finalize-reject', finalizeRejectStep, () => {
  const settings = workflowSettings();
  return {
    ...settings,
    store: workflowStore(),
    audit: auditLog(),
    events: statusEvents(),
    rateLimits: rateLimitStore(settings.config),
    metrics: operationalMetrics(settings.config),
  };
});
