/**
 * `POST /v1/exports/{exportId}/reject` `{ "note"? }` (compliance_approver, never the requester:
 * 403, nor the subject of any verification in the export: 403 `OWN_VERIFICATION`): closes a
 * pending export request without a package. Audited.
 */
import * as z from 'zod/mini';
import { exportDecisionRefusal } from '../../domain/evidence-access.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import {
  evidenceAuditLog,
  evidenceRecords,
  evidenceRouteSettings,
  evidenceVerificationOwners,
  exportSubject,
  loadExport,
  notDecidable,
  originDetails,
  requestOrigin,
  settleExpiry,
  type EvidenceRouteDeps,
} from './evidence-deps.ts';
import { ForbiddenError } from './middleware/http-errors.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { jsonResponse } from './middleware/types.ts';
import { validateBody } from './middleware/validate.ts';
import { refuseOwnVerifications, type VerificationOwners } from './own-verification.ts';
import { routeFor } from './routes.ts';
import { staffText } from './staff-text.ts';

export const rejectExportSchema = z.optional(
  z.strictObject({ note: z.optional(staffText({ min: 1, max: 1000, multiline: true })) }),
);

export function createRejectExportHandler(
  source: DepsSource<
    Pick<EvidenceRouteDeps, 'records' | 'audit' | 'clock'> & { verifications: VerificationOwners }
  > = () => ({
    ...evidenceRouteSettings(),
    verifications: evidenceVerificationOwners(),
    records: evidenceRecords(),
    audit: evidenceAuditLog(),
  }),
) {
  const getDeps = resolveDeps(source);
  return httpHandler(routeFor('POST', '/v1/exports/{exportId}/reject'), async (event) => {
    const deps = getDeps();
    const caller = event.caller!;
    const body = validateBody(rejectExportSchema, event.parsedBody);
    let record = await loadExport(deps.records, event.pathParameters?.exportId);
    if (exportDecisionRefusal(caller, record)) {
      throw new ForbiddenError('An export is decided by a compliance approver other than its requester');
    }
    await refuseOwnVerifications(deps.verifications, record.verificationIds, caller.userId);
    record = await settleExpiry(deps, record);
    if (record.status !== 'pending_approval') throw notDecidable(record);
    const decidedAt = deps.clock.now().toISOString();
    const changed = await deps.records.updateExport(record.exportId, record.version, {
      status: 'rejected',
      decidedBy: caller.userId,
      decidedAt,
      ...(body?.note ? { decisionNote: body.note } : {}),
    });
    if (!changed) throw notDecidable({ ...record, status: 'rejected' });
    const origin = requestOrigin(event);
    await deps.audit.append({
      subject: exportSubject(record.exportId),
      action: 'export.rejected',
      actor: `compliance_approver:${caller.userId}`,
      ...(origin.sourceIp ? { origin: origin.sourceIp } : {}),
      details: { noteLength: body?.note?.length ?? 0, ...originDetails(origin) },
    });
    return jsonResponse(200, { exportId: record.exportId, status: 'rejected', decidedAt });
  });
}

export const handler = createRejectExportHandler();
