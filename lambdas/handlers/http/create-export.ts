/**
 * `POST /v1/exports` `{ "verificationIds", "reason" }` (compliance roles): asks for an export of
 * cases' documents and records. The request waits for a second person, a `compliance_approver`
 * who is not the requester (`POST /v1/exports/{id}/approve`); unapproved it expires after
 * `evidenceAccess.exportApprovalHours` (24 h). A list that holds the caller's own verification
 * is 403 `OWN_VERIFICATION` (four eyes), before anything is audited or stored. Audited before
 * the request is stored.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import { exportExpiry, type ExportRecord } from '../../domain/evidence-access.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import {
  evidenceAuditLog,
  evidenceRecords,
  evidenceRouteQuotas,
  evidenceRouteSettings,
  evidenceVerifications,
  evidenceQuota,
  exportSubject,
  ID_PATTERN,
  originDetails,
  requestOrigin,
  type EvidenceRouteDeps,
} from './evidence-deps.ts';
import { BadRequestError, NotFoundError } from './middleware/http-errors.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { routeQuota } from './middleware/route-quota.ts';
import { jsonResponse } from './middleware/types.ts';
import { bodyCheck, validateBody } from './middleware/validate.ts';
import { refuseOwnCase } from './own-verification.ts';
import { routeFor } from './routes.ts';
import { staffText } from './staff-text.ts';

export const createExportSchema = z.strictObject({
  verificationIds: z.array(z.string().check(z.regex(ID_PATTERN))).check(z.minLength(1), z.maxLength(50)),
  reason: staffText({ min: 3, max: 500 }),
});

export function createCreateExportHandler(
  source: DepsSource<
    Pick<EvidenceRouteDeps, 'verifications' | 'records' | 'audit' | 'config' | 'clock' | 'routeQuotas'>
  > = () => ({
    ...evidenceRouteSettings(),
    verifications: evidenceVerifications(),
    records: evidenceRecords(),
    audit: evidenceAuditLog(),
    routeQuotas: evidenceRouteQuotas(),
  }),
) {
  const getDeps = resolveDeps(source);
  return httpHandler(routeFor('POST', '/v1/exports'), async (event) => {
    const deps = getDeps();
    const caller = event.caller!;
    const body = validateBody(createExportSchema, event.parsedBody);
    const verificationIds = [...new Set(body.verificationIds)];
    const max = deps.config.evidenceAccess.exportMaxVerifications;
    if (verificationIds.length > max) {
      throw new BadRequestError('EXPORT_TOO_LARGE', `One export holds at most ${max} verifications`, {
        details: { maxVerifications: max },
      });
    }
    for (const verificationId of verificationIds) {
      const verification = await deps.verifications.getVerification(verificationId);
      if (!verification) {
        throw new NotFoundError('A verification of the request does not exist', { details: { verificationId } });
      }
      refuseOwnCase(verification, caller.userId);
    }
    const now = deps.clock.now();
    const record: ExportRecord = {
      exportId: randomUUID(),
      verificationIds,
      reason: body.reason,
      requestedBy: caller.userId,
      requestedAt: now.toISOString(),
      expiresAt: exportExpiry(now, deps.config.evidenceAccess.exportApprovalHours),
      status: 'pending_approval',
      version: 1,
    };
    const origin = requestOrigin(event);
    await deps.audit.append({
      subject: exportSubject(record.exportId),
      action: 'export.requested',
      actor: `${caller.roles.includes('compliance_approver') ? 'compliance_approver' : 'compliance_reviewer'}:${caller.userId}`,
      reason: body.reason,
      ...(origin.sourceIp ? { origin: origin.sourceIp } : {}),
      details: { verificationIds, expiresAt: record.expiresAt, ...originDetails(origin) },
    });
    await deps.records.createExport(record);
    return jsonResponse(201, { exportId: record.exportId, status: record.status, expiresAt: record.expiresAt });
  })
    .use(bodyCheck(createExportSchema))
    .use(routeQuota(evidenceQuota('exportCreate', getDeps)));
}

export const handler = createCreateExportHandler();
