/**
 * Workflow step: approves the attempt (automatically or after a reviewer's approval). Claims the
 * document number for the user (conditional uniqueness record), indexes the selfie's face for
 * future duplicate searches, freezes name and document number, records the passed outcome
 * with the rate limiter, then publishes the status change. Safe to retry: a second run on an
 * approved attempt only re-publishes the event (events are at-least-once anyway).
 */
import { OPERATIONAL_METRICS, OUTCOME_DIMENSION } from '../../domain/operational-metrics.ts';
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
import { changeStatus, findEvidence, requireVerification, submittedAt } from './support.ts';
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
  const verification = await requireVerification(deps, verificationId);
  const attempt = await deps.store.getAttempt(verificationId, attemptId);
  if (!attempt) throw new WorkflowRecordNotFoundError(`attempt ${attemptId}`, verificationId);
  if (attempt.status === 'approved' && verification.status === 'approved') {
    await deps.events.statusChanged({ verificationId, attemptId, status: 'approved', reasons: [] });
    return { status: 'approved' };
  }
  const now = deps.clock.now().toISOString();
  const processors: string[] = [];

  const documentCheck = await deps.store.getCheck(verificationId, attemptId, 'document_data');
  if (documentCheck?.documentHash) {
    const claimed = await deps.store.claimDocument(
      documentCheck.documentHash,
      { userId: verification.userId, verificationId },
      now,
    );
    if (!claimed) throw new DocumentAlreadyClaimedError(verificationId);
  }
  const selfie = await findEvidence(deps, verificationId, attemptId, 'selfie');
  if (selfie) {
    await deps.faces.indexFace(selfie, verification.userId);
    processors.push(`${deps.faces.processor}:IndexFaces@selfie`);
  }
  await deps.rateLimits.recordOutcome(verification.userId, attemptId, 'passed');

  const cause = verification.status === 'manual_review' ? 'review_decision' : 'automatic_decision';
  await changeStatus(deps, verificationId, 'approved', cause, {
    reasons: [],
    frozen: true,
    consecutiveFailures: 0,
    cooldownUntil: undefined,
    riskFlags: verification.riskFlags.filter((flag) => flag !== AFTER_COOLDOWN_FLAG),
  });
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
  await deps.audit.append({
    subject: subjectOf(verificationId),
    action: 'verification.approved',
    actor: state.review ? `compliance_reviewer:${state.review.reviewer}` : `system:${deps.functionName ?? 'approve'}`,
    details: { attemptId, cause, processors, frozen: true },
  });
  await deps.events.statusChanged({ verificationId, attemptId, status: 'approved', reasons: [] });
  deps.metrics?.count(OPERATIONAL_METRICS.decision, { [OUTCOME_DIMENSION]: 'approved' });
  return { status: 'approved' };
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
