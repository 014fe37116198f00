/**
 * `POST /v1/me/erasure` (user): the person's erasure request (GDPR art. 17), answered at once
 * with 202 `{ erased, retained, retainedUntil, reason, message }`:
 *
 *   audit `erasure.requested` on `account:<userId>`            -- fails: 500, nothing erased
 *   erase what no law requires (drafts, attempts that never reached the vault, their intake
 *   leftovers, rate-limit counters; evidence whose retention ended)   (`shared/records-eraser.ts`)
 *   what is kept: a deferred erasure `ERASURE#<userId>` on the deletion job's work list, looked
 *   at again when the last retention ends (or weekly while a hold or an open account keeps it)
 *   audit `erasure.deferred` / `erasure.completed`
 *
 * Idempotent: a repeated request erases what became erasable since, keeps the first request
 * date and answers what is still kept. The request names no one: the body is empty or `{}`, and
 * any field (e.g. a `userId`) is refused with 400 `VALIDATION_ERROR`, as every body with an
 * unknown key is, rather than ignored (the caller is always the token's subject).
 */
import { applicantView, nextErasureCheck, RETENTION_REASON_TEXT } from '../../domain/records-erasure.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { eraseUser } from '../shared/records-eraser.ts';
import { requestOrigin } from './evidence-deps.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { jsonResponse } from './middleware/types.ts';
import { NO_FIELDS, validateBody } from './middleware/validate.ts';
import { defaultRecordsRightsDeps, type RecordsRightsDeps } from './records-rights-deps.ts';
import { routeFor } from './routes.ts';

/** No body, or an empty object: the request carries no fields. */
export const meErasureSchema = NO_FIELDS;

export function createMeErasureHandler(source: DepsSource<RecordsRightsDeps> = () => defaultRecordsRightsDeps()) {
  const getDeps = resolveDeps(source);
  return httpHandler(routeFor('POST', '/v1/me/erasure'), async (event) => {
    validateBody(meErasureSchema, event.parsedBody);
    const deps = getDeps();
    const userId = event.caller!.userId;
    const actor = `user:${userId}`;
    const origin = requestOrigin(event).sourceIp;
    const subject = `account:${userId}`;
    const reason = 'erasure request (GDPR art. 17)';
    await deps.audit.append({ subject, action: 'erasure.requested', actor, reason, ...(origin ? { origin } : {}) });
    const run = await eraseUser(deps, userId, { drafts: 'erase', actor, reason, ...(origin ? { origin } : {}) });
    const now = deps.clock.now();
    const next = nextErasureCheck(run.plan, now, deps.recheckDays);
    const existing = await deps.records.getDeferredErasure(userId);
    const { retainedUntil, reason: why } = run.plan;
    if (next) {
      await deps.records.putDeferredErasure({
        userId,
        requestedAt: existing?.requestedAt ?? now.toISOString(),
        lastRequestedAt: now.toISOString(),
        nextCheckAt: next.toISOString(),
        ...(retainedUntil ? { retainedUntil: retainedUntil.toISOString() } : {}),
        reason: why ?? 'retention_period',
      });
    } else if (existing) {
      await deps.records.deleteDeferredErasure(userId);
    }
    await deps.audit.append({
      subject,
      action: next ? 'erasure.deferred' : 'erasure.completed',
      actor,
      reason,
      details: {
        erased: run.erased.length,
        retained: run.plan.retained.length,
        ...(retainedUntil ? { retainedUntil: retainedUntil.toISOString() } : {}),
        ...(why ? { retentionReason: why } : {}),
        ...(next ? { nextCheckAt: next.toISOString() } : {}),
      },
    });
    // The applicant is never told of a legal hold (`applicantView`); staff see it in the audit trail.
    const shown = applicantView(run.plan, next ?? now);
    return jsonResponse(202, {
      erased: run.erased,
      retained: shown.retained.map((item) => ({
        verificationId: item.verificationId,
        attemptId: item.attemptId,
        vaultObjects: item.vaultObjects,
        reason: item.reason,
        ...(item.until ? { until: item.until.toISOString() } : {}),
      })),
      retainedUntil: shown.retainedUntil?.toISOString() ?? null,
      reason: shown.reason ?? null,
      message: shown.reason
        ? RETENTION_REASON_TEXT[shown.reason]
        : 'Nothing of yours is kept beyond the audit trail of this request.',
      requestedAt: existing?.requestedAt ?? now.toISOString(),
    });
  });
}

export const handler = createMeErasureHandler();
