/**
 * `POST /v1/cases/{verificationId}/assign` `{ "assignee": "<staff id>" | null }`
 * (compliance_approver, admin): a supervisor gives the case's open review to a reviewer, takes
 * it from one (`null` puts it back in the unassigned queue) or moves it between reviewers,
 * whoever held it. Nobody is assigned their own verification (403 `OWN_VERIFICATION`, as for
 * the caller); a case without an open review is 409 `REVIEW_NOT_OPEN`. Audited
 * (`case.assigned`, with the previous assignee).
 */
import * as z from 'zod/mini';
import { STAFF_ID_PATTERN } from '../../domain/cases.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import {
  actingRole,
  caseSubject,
  caseAuditLog,
  caseReviews,
  refuseOwnCase,
  requireCaseVerification,
  type CaseRouteDeps,
} from './case-deps.ts';
import { reviewNotOpen } from './claim-case.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { jsonResponse } from './middleware/types.ts';
import { validateBody } from './middleware/validate.ts';
import { routeFor } from './routes.ts';

const ROUTE = routeFor('POST', '/v1/cases/{verificationId}/assign');

export const assignCaseSchema = z.strictObject({
  assignee: z.nullable(z.string().check(z.regex(STAFF_ID_PATTERN, 'assignee must be a staff user id'))),
});

export function createAssignCaseHandler(
  source: DepsSource<Pick<CaseRouteDeps, 'reviews' | 'audit'>> = () => ({
    reviews: caseReviews(),
    audit: caseAuditLog(),
  }),
) {
  const getDeps = resolveDeps(source);
  return httpHandler(ROUTE, async (event) => {
    const { reviews, audit } = getDeps();
    const caller = event.caller!;
    const body = validateBody(assignCaseSchema, event.parsedBody);
    const verificationId = event.pathParameters?.verificationId ?? '';
    const verification = await requireCaseVerification(reviews, verificationId, caller);
    if (body.assignee !== null) refuseOwnCase(verification, body.assignee);
    const task = await reviews.findOpenReviewTask(verificationId);
    if (!task) throw reviewNotOpen();
    const assignee = body.assignee ?? undefined;
    try {
      await reviews.assignReviewTask(verificationId, task.attemptId, assignee);
    } catch (error) {
      if ((error as Error).name === 'WorkflowConflictError') throw reviewNotOpen();
      throw error;
    }
    const role = actingRole(caller, ROUTE.roles);
    await audit.append({
      subject: caseSubject(verificationId),
      action: 'case.assigned',
      actor: `${role}:${caller.userId}`,
      ...(event.requestContext?.http?.sourceIp ? { origin: event.requestContext.http.sourceIp } : {}),
      details: {
        attemptId: task.attemptId,
        assignee: assignee ?? '',
        previousAssignee: task.assignee ?? '',
      },
    });
    return jsonResponse(200, {
      verificationId,
      attemptId: task.attemptId,
      dueAt: task.dueAt,
      ...(assignee ? { assignee } : {}),
    });
  });
}

export const handler = createAssignCaseHandler();
