/**
 * Workflow step: rejects the attempt with reason codes (the policy's, or the reviewer's),
 * records the failed outcome with the rate limiter — which counts consecutive failures and
 * starts the cooldown at the configured limit (PRODUCT §4: 3 failures -> 24 hours) — and
 * publishes the status change. Output: the new status and, in cooldown, its end, which the
 * state machine's Wait state uses (`TimestampPath`).
 *
 * The faces the duplicates check indexed for the attempt leave the collection first: a rejected
 * attempt verified no account, so its face must not count as one (PRODUCT §1), nor stay as
 * biometric data of a person the service did not verify.
 *
 * Safe to run again after a crash at any point (at-least-once): the face's removal is recorded
 * on the check and removing a face already gone is no error, the rate limiter counts the
 * attempt once, a status already written is not written again, and a run that finds the attempt
 * closed only completes its audit event (once) and re-publishes the status change.
 */
import { OPERATIONAL_METRICS, OUTCOME_DIMENSION, REASON_DIMENSION } from '../../domain/operational-metrics.ts';
import type { ReasonCode } from '../../domain/reason-codes.ts';
import type { AuditEventInput } from '../../domain/records.ts';
import type { TransitionCause } from '../../domain/status-transitions.ts';
import type { VerificationStatus } from '../../domain/verification.ts';
import {
  auditLog,
  faceService,
  operationalMetrics,
  processorLog,
  rateLimitStore,
  statusEvents,
  workflowSettings,
  workflowStore,
  type WorkflowDeps,
} from './deps.ts';
import { WorkflowRecordNotFoundError } from './errors.ts';
import { AFTER_COOLDOWN_FLAG } from '../../domain/decision-policy.ts';
import type { CheckRecord } from '../../ports/workflow-store.ts';
import type { WorkflowState } from './state.ts';
import { decisionCounters } from '../../domain/decision-metrics.ts';
import { appendAuditOnce, changeStatus, requireVerification, submittedAt } from './support.ts';
import { subjectOf, workflowTask } from './task.ts';

export interface RejectionOutput {
  readonly status: VerificationStatus;
  readonly cooldownUntil?: string;
}

/** The ports the step takes. */
export type FinalizeRejectDeps = Pick<
  WorkflowDeps,
  'audit' | 'clock' | 'events' | 'faces' | 'functionName' | 'metrics' | 'rateLimits' | 'store'
>;

export async function finalizeRejectStep(state: WorkflowState, deps: FinalizeRejectDeps): Promise<RejectionOutput> {
  const { verificationId, attemptId } = state;
  // Every read the step makes, side by side (the duplicates check is unused on a re-run that finds the attempt closed).
  const [verification, attempt, duplicatesCheck] = await Promise.all([
    requireVerification(deps, verificationId),
    deps.store.getAttempt(verificationId, attemptId),
    deps.store.getCheck(verificationId, attemptId, 'duplicates'),
  ]);
  if (!attempt) throw new WorkflowRecordNotFoundError(`attempt ${attemptId}`, verificationId);
  const fromReview = state.review?.decision === 'reject';
  const actor = fromReview
    ? `compliance_reviewer:${state.review?.reviewer}`
    : `system:${deps.functionName ?? 'reject'}`;
  const cause =
    state.review !== undefined || attempt.status === 'manual_review' || verification.status === 'manual_review'
      ? 'review_decision'
      : 'automatic_decision';
  // A verification already rejected (or in cooldown) while this attempt is still open can only be
  // this step's own work: a run stopped between the status write and the attempt's.
  const statusWritten = verification.status === 'rejected' || verification.status === 'cooldown';
  if (attempt.status === 'rejected') {
    // Run again after the attempt was closed: complete what a stopped run may have left out.
    if (statusWritten) {
      await appendAuditOnce(
        deps,
        rejectionAudit(verificationId, verification.status, actor, {
          attemptId,
          cause,
          reasons: attempt.reasons,
          consecutiveFailures: verification.consecutiveFailures,
          cooldownUntil: verification.cooldownUntil,
        }),
      );
      await deps.events.statusChanged({
        verificationId,
        attemptId,
        status: verification.status,
        reasons: [...attempt.reasons],
      });
    }
    return {
      status: verification.status,
      ...(verification.status === 'cooldown' && verification.cooldownUntil
        ? { cooldownUntil: verification.cooldownUntil }
        : {}),
    };
  }
  await removeIndexedFaces(deps, duplicatesCheck);
  const source: readonly ReasonCode[] = fromReview ? (state.review?.reasons ?? []) : (state.decision?.reasons ?? []);
  const reasons = source.filter((r) => r !== 'MANUAL_REVIEW_REQUIRED');

  // Counted once per attempt, however often the step runs.
  const outcome = await deps.rateLimits.recordOutcome(verification.userId, attemptId, 'failed');
  const status: VerificationStatus = statusWritten
    ? verification.status
    : outcome.cooldownUntil
      ? 'cooldown'
      : 'rejected';
  const cooldownUntil = statusWritten ? verification.cooldownUntil : outcome.cooldownUntil;
  if (!statusWritten) {
    const riskFlags = [
      ...new Set([...verification.riskFlags.filter((f) => f !== AFTER_COOLDOWN_FLAG), ...outcome.riskFlags]),
    ];
    await changeStatus(deps, verificationId, status, cause, {
      reasons: [...reasons],
      consecutiveFailures: outcome.consecutiveFailures,
      cooldownUntil,
      riskFlags,
    });
  }
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
  await deps.audit.append(
    rejectionAudit(verificationId, status, actor, {
      attemptId,
      cause,
      reasons,
      consecutiveFailures: outcome.consecutiveFailures,
      cooldownUntil,
    }),
  );
  await deps.events.statusChanged({ verificationId, attemptId, status, reasons });
  deps.metrics?.count(OPERATIONAL_METRICS.decision, { [OUTCOME_DIMENSION]: 'rejected' });
  for (const reason of new Set(reasons)) {
    deps.metrics?.count(OPERATIONAL_METRICS.rejectionReason, { [REASON_DIMENSION]: reason });
  }
  return { status, ...(cooldownUntil ? { cooldownUntil } : {}) };
}

/** Removes the faces the attempt's duplicates check indexed, and records that it did (once). */
async function removeIndexedFaces(deps: FinalizeRejectDeps, check: CheckRecord | undefined): Promise<void> {
  if (!check?.faceIds?.length || check.facesRemovedAt !== undefined) return;
  await deps.faces.removeFaces(check.faceIds);
  await deps.store.recordCheck({ ...check, facesRemovedAt: deps.clock.now().toISOString() });
}

/** The audit event of a rejection (or of the cooldown it starts). */
function rejectionAudit(
  verificationId: string,
  status: VerificationStatus,
  actor: string,
  details: {
    attemptId: string;
    cause: TransitionCause;
    reasons: readonly ReasonCode[];
    consecutiveFailures: number;
    cooldownUntil: string | undefined;
  },
): AuditEventInput {
  const { attemptId, cause, reasons, consecutiveFailures, cooldownUntil } = details;
  return {
    subject: subjectOf(verificationId),
    action: status === 'cooldown' ? 'verification.cooldown_started' : 'verification.rejected',
    actor,
    details: {
      attemptId,
      cause,
      reasons: [...reasons],
      consecutiveFailures,
      ...(cooldownUntil ? { cooldownUntil } : {}),
    },
  };
}

export const handler = workflowTask('finalize-reject', finalizeRejectStep, () => {
  const settings = workflowSettings();
  const audit = auditLog();
  return {
    ...settings,
    store: workflowStore(),
    audit,
    faces: faceService(processorLog(audit)),
    events: statusEvents(),
    rateLimits: rateLimitStore(settings.config),
    metrics: operationalMetrics(settings.config),
  };
});
