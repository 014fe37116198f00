/**
 * `POST /v1/accounts/{userId}/close` `{ "reason" }` (admin): records that the business
 * relationship ended and extends the Object Lock COMPLIANCE retention of every piece of the
 * person's evidence to `relationshipEndedAt + retention.evidenceYears` (31 CFR 1020.220,
 * EU AMLD art. 40: 5 years after the relationship ends). Retention is only ever lengthened:
 * evidence already locked longer keeps its date. Idempotent: a second closure keeps the first
 * date and re-applies it (an interrupted closure is finished by calling again). A user of whom
 * the service knows no verification answers 404 `NOT_FOUND` and nothing is recorded or audited:
 * there is no evidence whose retention the closure could set, and a closure record for an
 * unknown (or mistyped) user id would only start a retention clock for nothing.
 *
 *   closure record (first date wins) ─> for each verification of the user
 *       for each vault object: current = GetObjectRetention; extend when shorter
 *       audit `account.closed` on the verification's chain (objects, retainUntil)
 *   audit `account.closed` on `account:<userId>`
 */
import * as z from 'zod/mini';
import { planRetention } from '../../domain/evidence-retention.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { requestOrigin } from './evidence-deps.ts';
import { NotFoundError } from './middleware/http-errors.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { jsonResponse } from './middleware/types.ts';
import { validateBody } from './middleware/validate.ts';
import { defaultRecordsLifecycleDeps, type RecordsLifecycleDeps } from './records-lifecycle-deps.ts';
import { routeFor } from './routes.ts';
import { staffText } from './staff-text.ts';

export const closeAccountSchema = z.strictObject({
  reason: staffText({ min: 3, max: 500 }),
});

export function createCloseAccountHandler(
  source: DepsSource<RecordsLifecycleDeps> = () => defaultRecordsLifecycleDeps(),
) {
  const getDeps = resolveDeps(source);
  return httpHandler(routeFor('POST', '/v1/accounts/{userId}/close'), async (event) => {
    const { records, locks, audit, clock, evidenceYears } = getDeps();
    const caller = event.caller!;
    const body = validateBody(closeAccountSchema, event.parsedBody);
    // Checked against the OpenAPI pattern by the path-parameter middleware (400 otherwise).
    const userId = event.pathParameters?.userId ?? '';
    const origin = requestOrigin(event);
    const verificationIds = await records.verificationIdsOf(userId);
    if (verificationIds.length === 0) throw new NotFoundError('No verification is known for this user');
    const closure = await records.recordClosure(userId, clock.now(), body.reason, `admin:${caller.userId}`);
    /** One `account.closed` event on `subject`'s chain, with the closure date and `details`. */
    const appendClosed = (subject: string, details: Record<string, string | number>) =>
      audit.append({
        subject,
        action: 'account.closed',
        actor: `admin:${caller.userId}`,
        reason: body.reason,
        ...(origin.sourceIp ? { origin: origin.sourceIp } : {}),
        details: { relationshipEndedAt: closure.relationshipEndedAt, ...details },
      });
    let objects = 0;
    let latest: Date | undefined;
    for (const verificationId of verificationIds) {
      let retainUntil: Date | undefined;
      let extended = 0;
      const evidence = await records.evidenceOf(verificationId);
      for (const object of evidence) {
        const current = await locks.getRetention(object);
        const plan = planRetention({
          recordedAt: object.recordedAt,
          relationshipEndedAt: closure.relationshipEndedAt,
          years: evidenceYears,
          ...(current ? { current } : {}),
        });
        if (plan.extend) {
          await locks.extendRetention(object, plan.until);
          extended += 1;
        }
        if (!retainUntil || plan.until > retainUntil) retainUntil = plan.until;
      }
      objects += evidence.length;
      if (retainUntil && (!latest || retainUntil > latest)) latest = retainUntil;
      await appendClosed(`verification:${verificationId}`, {
        evidenceObjects: evidence.length,
        retentionExtended: extended,
        ...(retainUntil ? { retainUntil: retainUntil.toISOString() } : {}),
      });
    }
    await appendClosed(`account:${userId}`, { verifications: verificationIds.length, evidenceObjects: objects });
    return jsonResponse(200, {
      userId,
      relationshipEndedAt: closure.relationshipEndedAt,
      verifications: verificationIds.length,
      evidenceObjects: objects,
      ...(latest ? { retainUntil: latest.toISOString() } : {}),
    });
  });
}

export const handler = createCloseAccountHandler();
