/**
 * `POST /v1/reviews/{verificationId}/decision` (compliance_reviewer): records the reviewer's
 * decision on the open manual-review task and completes the waiting workflow task
 * (SendTaskSuccess). Two reviewers deciding at once: the conditional update lets exactly one
 * win; the other gets 409 `REVIEW_ALREADY_DECIDED`. The free-text note stays in the review
 * record (it may name the person); the workflow receives decision, reasons and reviewer id.
 *
 * Answers 200 when the workflow took the decision, 202 when the task had just timed out: the
 * escalation step finds the recorded decision and hands it on by itself. An approval of a
 * document that already verifies another account is 409 `DOCUMENT_ALREADY_CLAIMED`. A case
 * another reviewer has claimed or been assigned is theirs to decide: 409 `CASE_ALREADY_CLAIMED`.
 */
import * as z from 'zod/mini';
import { reviewClosedCounters } from '../../domain/decision-metrics.ts';
import { staffActionRefusal } from '../../domain/four-eyes.ts';
import { IDENTITY_REASON_CODES, FLOW_REASON_CODES, QUALITY_REASON_CODES } from '../../domain/reason-codes.ts';
import type { VerificationRecord } from '../../domain/records.ts';
import type { VerificationStatus } from '../../domain/verification.ts';
import type { ReviewTask, WorkflowStore } from '../../ports/workflow-store.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { ConflictError, FourEyesError, NotFoundError } from './middleware/http-errors.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { jsonResponse } from './middleware/types.ts';
import { validateBody } from './middleware/validate.ts';
import {
  reviewAuditLog,
  reviewCompleter,
  reviewRouteSettings,
  reviewStore,
  type ReviewRouteDeps,
} from './review-deps.ts';
import { routeFor } from './routes.ts';
import { staffText } from './staff-text.ts';

/** Reason codes a reviewer may give for a rejection (identity, quality and flow codes). */
export const REVIEW_REASON_CODES = [...IDENTITY_REASON_CODES, ...QUALITY_REASON_CODES, ...FLOW_REASON_CODES] as const;

export const reviewDecisionSchema = z
  .strictObject({
    decision: z.enum(['approve', 'reject']),
    reasons: z.optional(z.array(z.enum(REVIEW_REASON_CODES)).check(z.maxLength(10))),
    note: staffText({ min: 1, max: 2000, multiline: true }),
  })
  .check(
    z.refine((body) => body.decision === 'approve' || (body.reasons?.length ?? 0) > 0, {
      message: 'a rejection needs at least one reason code',
      path: ['reasons'],
    }),
    z.refine((body) => body.decision === 'reject' || (body.reasons?.length ?? 0) === 0, {
      message: 'an approval takes no reason codes',
      path: ['reasons'],
    }),
  );

/** Statuses of a verification whose newer attempt is under way (a decided review before it is history). */
const NEWER_ATTEMPT: ReadonlySet<VerificationStatus> = new Set(['awaiting_upload', 'processing']);

/**
 * The 409 for a decision that finds no open review. A reviewer deciding at the same moment as
 * another may read the task after the other's decision was recorded, before its own conditional
 * write could lose: that is `REVIEW_ALREADY_DECIDED`, as when the write loses. With no review,
 * or a newer attempt under way, it is `REVIEW_NOT_OPEN`.
 */
async function noOpenReview(
  store: Pick<WorkflowStore, 'findLatestReviewTask'>,
  verification: Pick<VerificationRecord, 'verificationId' | 'status'>,
): Promise<ConflictError> {
  const latest = await store.findLatestReviewTask(verification.verificationId);
  if (latest?.decision !== undefined && !NEWER_ATTEMPT.has(verification.status)) {
    return new ConflictError('REVIEW_ALREADY_DECIDED', 'This review has already been decided');
  }
  return new ConflictError('REVIEW_NOT_OPEN', 'This verification has no open review');
}

/**
 * One identity document verifies one account (PRODUCT §1): an approval of an attempt whose
 * document number another user already holds could never complete (the approval step's claim
 * would fail every time), so it is refused here, before anything is recorded: 409
 * `DOCUMENT_ALREADY_CLAIMED`, the review stays open for a rejection (`DUPLICATE_IDENTITY`).
 * A duplicate by face alone stays the reviewer's call.
 */
async function refuseClaimedDocument(
  store: Pick<WorkflowStore, 'getCheck' | 'findDocumentOwner'>,
  verification: Pick<VerificationRecord, 'verificationId' | 'userId'>,
  attemptId: string,
): Promise<void> {
  const documentHash = (await store.getCheck(verification.verificationId, attemptId, 'document_data'))?.documentHash;
  if (!documentHash) return;
  const owner = await store.findDocumentOwner(documentHash);
  if (owner && owner.userId !== verification.userId) {
    throw new ConflictError(
      'DOCUMENT_ALREADY_CLAIMED',
      'This identity document already verifies another account, so this case cannot be approved; reject it with DUPLICATE_IDENTITY',
    );
  }
}

/**
 * A case someone holds (claimed, or assigned by a supervisor) is theirs to decide: anyone else
 * gets 409 `CASE_ALREADY_CLAIMED`, as a claim of it would (a supervisor reassigns it with
 * `POST /v1/cases/{id}/assign`). The check here names the conflict; the conditional write of the
 * decision enforces it against a claim or an assignment made in between.
 */
function heldByAnother(task: Pick<ReviewTask, 'assignee'>, reviewer: string): boolean {
  return task.assignee !== undefined && task.assignee !== reviewer;
}

function caseHeldByAnother(): ConflictError {
  return new ConflictError(
    'CASE_ALREADY_CLAIMED',
    'Another reviewer holds this case and only they may decide it; a supervisor can reassign it',
  );
}

/** SendTaskSuccess errors that mean the task is no longer waiting (timed out, re-armed). */
const TASK_GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export function createReviewDecisionHandler(
  deps: DepsSource<Pick<ReviewRouteDeps, 'store' | 'reviews' | 'audit' | 'clock'>> = () => ({
    ...reviewRouteSettings(),
    store: reviewStore(),
    reviews: reviewCompleter(),
    audit: reviewAuditLog(),
  }),
) {
  const getDeps = resolveDeps(deps);
  return httpHandler(routeFor('POST', '/v1/reviews/{verificationId}/decision'), async (event) => {
    const { store, reviews, audit, clock } = getDeps();
    const caller = event.caller!;
    const body = validateBody(reviewDecisionSchema, event.parsedBody);
    const verificationId = event.pathParameters?.verificationId ?? '';
    const verification = await store.getVerification(verificationId);
    if (!verification) throw new NotFoundError('Verification not found');
    const refusal = staffActionRefusal({ actorId: caller.userId, verificationOwnerId: verification.userId });
    if (refusal) throw new FourEyesError(refusal);
    const task = await store.findOpenReviewTask(verificationId);
    if (!task) throw await noOpenReview(store, verification);
    if (heldByAnother(task, caller.userId)) throw caseHeldByAnother();
    if (body.decision === 'approve') await refuseClaimedDocument(store, verification, task.attemptId);
    const reasons = body.decision === 'reject' ? (body.reasons ?? []) : [];
    const decidedAt = clock.now().toISOString();
    try {
      await store.decideReviewTask(
        verificationId,
        task.attemptId,
        task.taskToken,
        { decision: body.decision, decidedBy: caller.userId, reasons, note: body.note, decidedAt },
        [reviewClosedCounters(task.queue, task.escalated)],
      );
    } catch (error) {
      if ((error as Error).name === 'WorkflowConflictError') {
        // Lost to a decision, or the case was claimed by or assigned to someone else meanwhile.
        const current = await store.getReviewTask(verificationId, task.attemptId);
        if (current && current.decision === undefined && heldByAnother(current, caller.userId)) {
          throw caseHeldByAnother();
        }
        throw new ConflictError('REVIEW_ALREADY_DECIDED', 'Another reviewer decided this review first', {
          cause: error,
        });
      }
      throw error;
    }
    await audit.append({
      subject: `verification:${verificationId}`,
      action: 'review.decided',
      actor: `compliance_reviewer:${caller.userId}`,
      reason: body.decision === 'reject' ? reasons.join(',') : 'approved',
      ...(event.requestContext?.http?.sourceIp ? { origin: event.requestContext.http.sourceIp } : {}),
      details: { attemptId: task.attemptId, decision: body.decision, reasons, noteLength: body.note.length },
    });
    let accepted = true;
    try {
      await reviews.completeReview(task.taskToken, { decision: body.decision, reasons, reviewer: caller.userId });
    } catch (error) {
      if (!TASK_GONE.has((error as Error).name)) throw error;
      accepted = false;
    }
    return jsonResponse(accepted ? 200 : 202, {
      verificationId,
      attemptId: task.attemptId,
      decision: body.decision,
      reasons,
      decidedAt,
    });
  });
}

export const handler = createReviewDecisionHandler();
