/**
 * `GET /v1/cases/{verificationId}/audit` (compliance_reviewer, compliance_approver, admin): the
 * case's audit events (subject `verification:<id>`) in sequence order, as stored, with the
 * result of re-verifying the hash chain (`verifyChain`, the check `kyc audit verify` runs):
 * `{ verificationId, events, chain: { valid, length, headHash?, brokenAt?, reason? } }`.
 * The case's own subject gets 403 `OWN_VERIFICATION` before the trail is read.
 */
import { verifyChain } from '../../domain/audit-chain.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { caseAuditLog, caseReviews, caseSubject, requireCaseVerification, type CaseRouteDeps } from './case-deps.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { jsonResponse } from './middleware/types.ts';
import { routeFor } from './routes.ts';

export function createCaseAuditHandler(
  source: DepsSource<Pick<CaseRouteDeps, 'reviews' | 'audit'>> = () => ({
    reviews: caseReviews(),
    audit: caseAuditLog(),
  }),
) {
  const getDeps = resolveDeps(source);
  return httpHandler(routeFor('GET', '/v1/cases/{verificationId}/audit'), async (event) => {
    const { reviews, audit } = getDeps();
    const verificationId = event.pathParameters?.verificationId ?? '';
    await requireCaseVerification(reviews, verificationId, event.caller!);
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
