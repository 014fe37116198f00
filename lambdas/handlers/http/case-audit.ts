/**
 * `GET /v1/cases/{verificationId}/audit` (compliance_reviewer, compliance_approver, admin): the
 * case's audit events (subject `verification:<id>`) in sequence order, as stored, with the
 * result of re-verifying the hash chain (`verifyChain`, the check `kyc audit verify` runs):
 * `{ verificationId, events, chain: { valid, length, headHash?, brokenAt?, reason? } }`.
 * The case's own subject gets 403 `OWN_VERIFICATION` before the trail is read.
 *
 * The trail names the applicant's and staff members' source addresses, so reading it is itself
 * a read of personal data: an `audit_trail.viewed` event (who, role, from where) is appended to
 * the case's chain first, and the answer, read after it, ends with that event. If it cannot be
 * written, nothing is read.
 */
import { verifyChain } from '../../domain/audit-chain.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import {
  actingRole,
  caseAuditLog,
  caseReviews,
  caseSubject,
  requireCaseVerification,
  type CaseRouteDeps,
} from './case-deps.ts';
import { originDetails, requestOrigin } from './evidence-deps.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { jsonResponse } from './middleware/types.ts';
import { routeFor } from './routes.ts';

const ROUTE = routeFor('GET', '/v1/cases/{verificationId}/audit');

export function createCaseAuditHandler(
  source: DepsSource<Pick<CaseRouteDeps, 'reviews' | 'audit'>> = () => ({
    reviews: caseReviews(),
    audit: caseAuditLog(),
  }),
) {
  const getDeps = resolveDeps(source);
  return httpHandler(ROUTE, async (event) => {
    const { reviews, audit } = getDeps();
    const caller = event.caller!;
    const verificationId = event.pathParameters?.verificationId ?? '';
    await requireCaseVerification(reviews, verificationId, caller);
    const role = actingRole(caller, ROUTE.roles);
    const origin = requestOrigin(event);
    // 1. The read is recorded first: if the event cannot be written, the trail is not read.
    await audit.append({
      subject: caseSubject(verificationId),
      action: 'audit_trail.viewed',
      actor: `${role}:${caller.userId}`,
      reason: 'audit trail review',
      ...(origin.sourceIp ? { origin: origin.sourceIp } : {}),
      details: { role, ...originDetails(origin) },
    });
    // 2. Then the trail, that event included.
    const events = await audit.list(caseSubject(verificationId));
    const result = verifyChain(events);
    return jsonResponse(200, {
      verificationId,
      events,
      chain: {
        ...result,
        length: events.length,
        ...(events.length > 0 ? { headHash: events[events.length - 1]!.hash } : {}),
      },
    });
  });
}

export const handler = createCaseAuditHandler();
