/**
 * `POST /v1/cases/{verificationId}/legal-hold` `{ "on", "reason" }` (compliance_approver,
 * admin): sets or lifts the S3 Object Lock legal hold on every vault object of the case and
 * records it (`V#<id> | HOLD`), so nothing of the case is deleted while a regulator or court
 * needs it, whatever its retention date. Audited (`legal_hold.set` / `legal_hold.lifted`). The
 * case's own subject gets 403 `OWN_VERIFICATION` before any lock is touched.
 */
import * as z from 'zod/mini';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { requestOrigin, requireId } from './evidence-deps.ts';
import { NotFoundError } from './middleware/http-errors.ts';
import { refuseOwnCase } from './own-verification.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { jsonResponse } from './middleware/types.ts';
import { validateBody } from './middleware/validate.ts';
import { defaultRecordsLifecycleDeps, type RecordsLifecycleDeps } from './records-lifecycle-deps.ts';
import { routeFor } from './routes.ts';
import { staffText } from './staff-text.ts';

export const legalHoldSchema = z.strictObject({
  on: z.boolean(),
  reason: staffText({ min: 3, max: 500 }),
});

export function createLegalHoldHandler(source: DepsSource<RecordsLifecycleDeps> = () => defaultRecordsLifecycleDeps()) {
  const getDeps = resolveDeps(source);
  return httpHandler(routeFor('POST', '/v1/cases/{verificationId}/legal-hold'), async (event) => {
    const { records, locks, audit, clock } = getDeps();
    const caller = event.caller!;
    const body = validateBody(legalHoldSchema, event.parsedBody);
    const verificationId = requireId(event.pathParameters?.verificationId, 'Case');
    const owner = await records.verificationOwner(verificationId);
    if (owner === undefined) throw new NotFoundError('Case not found');
    refuseOwnCase({ userId: owner }, caller.userId);
    const role = caller.roles.includes('compliance_approver') ? 'compliance_approver' : 'admin';
    const actor = `${role}:${caller.userId}`;
    const evidence = await records.evidenceOf(verificationId);
    for (const object of evidence) await locks.setLegalHold(object, body.on);
    await records.putLegalHold({
      verificationId,
      on: body.on,
      reason: body.reason,
      setBy: actor,
      setAt: clock.now().toISOString(),
    });
    const origin = requestOrigin(event);
    await audit.append({
      subject: `verification:${verificationId}`,
      action: body.on ? 'legal_hold.set' : 'legal_hold.lifted',
      actor,
      reason: body.reason,
      ...(origin.sourceIp ? { origin: origin.sourceIp } : {}),
      details: { evidenceObjects: evidence.length },
    });
    return jsonResponse(200, { verificationId, legalHold: body.on, evidenceObjects: evidence.length });
  });
}

export const handler = createLegalHoldHandler();
