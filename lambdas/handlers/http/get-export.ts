/**
 * `GET /v1/exports/{exportId}` (compliance roles): the export's status. Once the package is
 * ready, the requester's first read also carries the one-time `downloadUrl` (valid
 * `evidenceAccess.exportDownloadSeconds`, at most 10 minutes) and `downloadExpiresAt`; the link
 * is issued once, audited before it is shown, and later reads show only when it was issued. A
 * subject of one of the export's verifications gets 403 `OWN_VERIFICATION` (its reason may be an
 * inquiry about them).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ExportRecord } from '../../domain/evidence-access.ts';
import { exportStatusAt } from '../../domain/evidence-access.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import {
  evidenceAuditLog,
  evidenceRecords,
  evidenceRouteSettings,
  evidenceVerificationOwners,
  exportSubject,
  loadExport,
  originDetails,
  requestOrigin,
  settleExpiry,
  type EvidenceRouteDeps,
} from './evidence-deps.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { headerValue, jsonResponse, type KycHttpEvent } from './middleware/types.ts';
import { routeFor } from './routes.ts';
import { refuseOwnVerifications, type VerificationOwners } from './own-verification.ts';

/** SHA-256 (hex) of a download token, as stored. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The public view of an export (no token hash, no object keys). */
export function exportView(record: ExportRecord, now: Date) {
  return {
    exportId: record.exportId,
    status: exportStatusAt(record, now),
    verificationIds: record.verificationIds,
    reason: record.reason,
    requestedBy: record.requestedBy,
    requestedAt: record.requestedAt,
    expiresAt: record.expiresAt,
    ...(record.decidedBy ? { decidedBy: record.decidedBy, decidedAt: record.decidedAt } : {}),
    ...(record.downloadIssuedAt
      ? { downloadIssuedAt: record.downloadIssuedAt, downloadExpiresAt: record.downloadExpiresAt }
      : {}),
    ...(record.downloadedAt ? { downloadedAt: record.downloadedAt } : {}),
  };
}

/** Base URL of the API the request came in on (https behind API Gateway, http on loopback). */
export function apiBaseUrl(event: KycHttpEvent): string {
  const domain = event.requestContext?.domainName ?? 'localhost';
  const forwarded = headerValue(event, 'x-forwarded-proto');
  const loopback = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(domain);
  return `${forwarded ?? (loopback ? 'http' : 'https')}://${domain}`;
}

export function createGetExportHandler(
  source: DepsSource<
    Pick<EvidenceRouteDeps, 'records' | 'audit' | 'config' | 'clock'> & { verifications: VerificationOwners }
  > = () => ({
    ...evidenceRouteSettings(),
    verifications: evidenceVerificationOwners(),
    records: evidenceRecords(),
    audit: evidenceAuditLog(),
  }),
) {
  const getDeps = resolveDeps(source);
  return httpHandler(routeFor('GET', '/v1/exports/{exportId}'), async (event) => {
    const deps = getDeps();
    const caller = event.caller!;
    const loaded = await loadExport(deps.records, event.pathParameters?.exportId);
    // An export's reason and cases are not for a subject of one of them (an inquiry about them, say).
    await refuseOwnVerifications(deps.verifications, loaded.verificationIds, caller.userId);
    const record = await settleExpiry(deps, loaded);
    const now = deps.clock.now();
    if (record.status !== 'ready' || record.requestedBy !== caller.userId || record.downloadIssuedAt) {
      return jsonResponse(200, exportView(record, now));
    }
    const token = randomBytes(32).toString('base64url');
    const seconds = deps.config.evidenceAccess.exportDownloadSeconds;
    const downloadExpiresAt = new Date(now.getTime() + seconds * 1000).toISOString();
    const origin = requestOrigin(event);
    await deps.audit.append({
      subject: exportSubject(record.exportId),
      action: 'export.link_issued',
      actor: `${caller.roles.includes('compliance_approver') ? 'compliance_approver' : 'compliance_reviewer'}:${caller.userId}`,
      ...(origin.sourceIp ? { origin: origin.sourceIp } : {}),
      details: { downloadExpiresAt, ...originDetails(origin) },
    });
    const issued = await deps.records.updateExport(record.exportId, record.version, {
      downloadTokenHash: tokenHash(token),
      downloadIssuedAt: now.toISOString(),
      downloadExpiresAt,
    });
    if (!issued) {
      // Another read issued the link first: show the record as it now is, without a link.
      const current = (await deps.records.getExport(record.exportId)) ?? record;
      return jsonResponse(200, exportView(current, now));
    }
    const issuedRecord = { ...record, downloadIssuedAt: now.toISOString(), downloadExpiresAt };
    return jsonResponse(200, {
      ...exportView(issuedRecord, now),
      downloadUrl: `${apiBaseUrl(event)}/v1/exports/${record.exportId}/download?token=${token}`,
    });
  });
}

export const handler = createGetExportHandler();
