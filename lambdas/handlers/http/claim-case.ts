/**
 * `POST /v1/cases/{verificationId}/claim` (compliance_reviewer): the caller takes the case's
 * open review for themselves. Claiming a case one already holds changes nothing (200); a case
 * another reviewer holds is 409 `CASE_ALREADY_CLAIMED` (a supervisor reassigns it with
 * `/assign`); a case without an open review is 409 `REVIEW_NOT_OPEN`. Two reviewers claiming
 * at once: the conditional write lets exactly one win. Audited (`case.claimed`).
 */
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import {
  actingRole,
  caseSubject,
  caseAuditLog,
  caseReviews,
  requireCaseVerification,
  type CaseRouteDeps,
} from './case-deps.ts';
import { ConflictError } from './middleware/http-errors.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { NO_FIELDS, validateBody } from './middleware/validate.ts';
import { jsonResponse } from './middleware/types.ts';
import { routeFor } from './routes.ts';

const ROUTE = routeFor('POST', '/v1/cases/{verificationId}/claim');

export const alreadyClaimed = () =>
  new ConflictError('CASE_ALREADY_CLAIMED', 'Another reviewer has claimed this case; a supervisor can reassign it');
export const reviewNotOpen = () => new ConflictError('REVIEW_NOT_OPEN', 'This case has no open review');

export function createClaimCaseHandler(
  source: DepsSource<Pick<CaseRouteDeps, 'reviews' | 'audit'>> = () => ({
    reviews: caseReviews(),
    audit: caseAuditLog(),
  }),
) {
  const getDeps = resolveDeps(source);
  return httpHandler(ROUTE, async (event) => {
    const { reviews, audit } = getDeps();
    validateBody(NO_FIELDS, event.parsedBody);
    const caller = event.caller!;
    const verificationId = event.pathParameters?.verificationId ?? '';
    await requireCaseVerification(reviews, verificationId, caller);
    const task = await reviews.findOpenReviewTask(verificationId);
    if (!task) throw reviewNotOpen();
    if (task.assignee !== undefined && task.assignee !== caller.userId) throw alreadyClaimed();
    if (task.assignee !== caller.userId) {
      try {
        await reviews.assignReviewTask(verificationId, task.attemptId, caller.userId, { onlyIfUnclaimed: true });
      } catch (error) {
        if ((error as Error).name !== 'WorkflowConflictError') throw error;
        const now = await reviews.getReviewTask(verificationId, task.attemptId);
        throw now?.decision === undefined ? alreadyClaimed() : reviewNotOpen();
      }
      const role = actingRole(caller, ROUTE.roles);
      await audit.append({
        subject: caseSubject(verificationId),
        action: 'case.claimed',
        actor: `${role}:${caller.userId}`,
        ...(event.requestContext?.http?.sourceIp ? { origin: event.requestContext.http.sourceIp } : {}),
        details: { attemptId: task.attemptId, assignee: caller.userId },
      });
    }
    return jsonResponse(200, {
      verificationId,
      attemptId: task.attemptId,
      assignee: caller.userId,
      dueAt: task.dueAt,
    });
  });
}

export const handler = createClaimCaseHandler();
