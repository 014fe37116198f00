/**
 * Workflow step: approves the attempt (automatically or after a reviewer's approval). Claims the
 * document number for the user (conditional uniqueness record), indexes the selfie's face for
 * future duplicate searches, freezes name and document number, records the passed outcome
 * with the rate limiter, then publishes the status change. Safe to run again after a crash at
 * any point: the claim and the outcome are idempotent, a status already written is not written
 * again (nor the face indexed again), and a run that finds the attempt approved only completes
 * its audit event (once) and re-publishes the event (events are at-least-once anyway).
 */
import { OPERATIONAL_METRICS, OUTCOME_DIMENSION } from '../../domain/operational-metrics.ts';
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
  workflowBuckets,
  workflowSettings,
  workflowStore,
  type WorkflowDeps,
} from './deps.ts';
import { DocumentAlreadyClaimedError, WorkflowRecordNotFoundError } from './errors.ts';
import { AFTER_COOLDOWN_FLAG } from '../../domain/decision-policy.ts';
import type { WorkflowState } from './state.ts';
import { decisionCounters } from '../../domain/decision-metrics.ts';
import { appendAuditOnce, changeStatus, findEvidence, requireVerification, submittedAt } from './support.ts';
import { subjectOf, workflowTask } from './task.ts';

/** The ports the step takes. */
export type FinalizeApproveDeps = Pick<
  WorkflowDeps,
  'audit' | 'clock' | 'events' | 'faces' | 'functionName' | 'metrics' | 'rateLimits' | 'store' | 'vaultBucket'
>;

export async function finalizeApproveStep(
  state: WorkflowState,
  deps: FinalizeApproveDeps,
): Promise<{ status: VerificationStatus }> {
  const { verificationId, attemptId } = state;
  // Every read the step makes, side by side (the document check is unused on a re-run that finds
  // the approval already written).
  const [verification, attempt, { selfie }, documentCheck, duplicatesCheck] = await Promise.all([
    requireVerification(deps, verificationId),
    deps.store.getAttempt(verificationId, attemptId),
    findEvidence(deps, verificationId, attemptId, 'selfie'),
    deps.store.getCheck(verificationId, attemptId, 'document_data'),
    deps.store.getCheck(verificationId, attemptId, 'duplicates'),
  ]);
  if (!attempt) throw new WorkflowRecordNotFoundError(`attempt ${attemptId}`, verificationId);
  const actor = state.review
    ? `compliance_reviewer:${state.review.reviewer}`
    : `system:${deps.functionName ?? 'approve'}`;
  const cause =
    state.review !== undefined || attempt.status === 'manual_review' || verification.status === 'manual_review'
      ? 'review_decision'
      : 'automatic_decision';
  // The duplicates check indexed the selfie's face before searching; only an approval without it
  // (the check failed and a reviewer approved) indexes it here.
  const indexed = (duplicatesCheck?.faceIds?.length ?? 0) > 0 && duplicatesCheck?.facesRemovedAt === undefined;
  const processors = selfie && !indexed ? [`${deps.faces.processor}:IndexFaces@selfie`] : [];
  // An approved verification with this attempt still open can only be this step's own work: a
  // run stopped between the status write and the attempt's.
  const statusWritten = verification.status === 'approved';
  if (attempt.status === 'approved' && statusWritten) {
    // Run again after the attempt was closed: complete what a stopped run may have left out.
    await appendAuditOnce(deps, approvalAudit(verificationId, actor, { attemptId, cause, processors }));
    await deps.events.statusChanged({ verificationId, attemptId, status: 'approved', reasons: [] });
    return { status: 'approved' };
  }
  const now = deps.clock.now().toISOString();

  if (documentCheck?.documentHash) {
    const claimed = await deps.store.claimDocument(
      documentCheck.documentHash,
      { userId: verification.userId, verificationId },
      now,
    );
    if (!claimed) throw new DocumentAlreadyClaimedError(verificationId);
  }
  // Indexed before the status is written: a stopped run that got that far indexed it already.
  if (selfie && !indexed && !statusWritten)
    await deps.faces.indexFace(selfie, { userId: verification.userId, attemptId });
  await deps.rateLimits.recordOutcome(verification.userId, attemptId, 'passed');

  if (!statusWritten) {
    await changeStatus(deps, verificationId, 'approved', cause, {
      reasons: [],
      frozen: true,
      consecutiveFailures: 0,
      cooldownUntil: undefined,
      riskFlags: verification.riskFlags.filter((flag) => flag !== AFTER_COOLDOWN_FLAG),
    });
  }
  await deps.store.transitionAttempt(
    verificationId,
    attemptId,
    ['processing', 'manual_review'],
    { status: 'approved', reasons: [] },
    [
      decisionCounters({
        outcome: 'approved',
        mode: cause === 'review_decision' ? 'manual' : 'automatic',
        reasons: [],
        decidedAt: deps.clock.now().toISOString(),
        ...(await submittedAt(deps, verificationId, attemptId)),
        resubmission: verification.consecutiveFailures > 0,
      }),
    ],
  );
  await deps.audit.append(approvalAudit(verificationId, actor, { attemptId, cause, processors }));
  await deps.events.statusChanged({ verificationId, attemptId, status: 'approved', reasons: [] });
  deps.metrics?.count(OPERATIONAL_METRICS.decision, { [OUTCOME_DIMENSION]: 'approved' });
  return { status: 'approved' };
}

/** The audit event of an approval. */
function approvalAudit(
  verificationId: string,
  actor: string,
  details: { attemptId: string; cause: TransitionCause; processors: readonly string[] },
): AuditEventInput {
  return {
    subject: subjectOf(verificationId),
    action: 'verification.approved',
    actor,
    details: { attemptId: details.attemptId, cause: details.cause, processors: [...details.processors], frozen: true },
  };
}

export const handler = workflowTask('finalize-approve', finalizeApproveStep, () => {
  const settings = workflowSettings();
  const audit = auditLog();
  return {
    ...settings,
    vaultBucket: workflowBuckets().vaultBucket,
    store: workflowStore(),
    audit,
    faces: faceService(processorLog(audit)),
    events: statusEvents(),
    rateLimits: rateLimitStore(settings.config),
    metrics: operationalMetrics(settings.config),
  };
});
