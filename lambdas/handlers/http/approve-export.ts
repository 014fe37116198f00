/**
 * `POST /v1/exports/{exportId}/approve` (compliance_approver, never the requester: 403 whatever
 * their roles, nor the subject of any verification in the export: 403 `OWN_VERIFICATION`,
 * checked before anything is written, audited or read): the second person's approval, then the
 * package.
 *
 *   pending_approval --conditional update (one approver wins)--> approved   audit export.approved
 *   access record ACCESS#<accessId> (kind export)
 *   per case: audit export.packaged on the case's chain, then read its originals from the vault
 *   zip (watermarked documents + case JSON + manifest with SHA-256) -> renditions bucket
 *   approved --> ready                                                       audit export.ready
 *
 * If packaging fails, the export stays `approved`; the same approver's retry builds it again.
 * A request past its expiry answers 409 `EXPORT_EXPIRED` (and is recorded as expired).
 */
import { configFromEnv, requireEnv } from '../../adapters/aws/environment.ts';
import { EnvelopeCrypto } from '../../adapters/aws/envelope-crypto.ts';
import { EvidenceRecordConflictError } from '../../adapters/aws/evidence-access-repository.ts';
import {
  exportDecisionRefusal,
  exportPackageKey,
  newAccessId,
  type ExportRecord,
} from '../../domain/evidence-access.ts';
import type { PersonalData, SealedData } from '../../domain/records.ts';
import type { Watermarker } from '../../ports/evidence-access.ts';
import { buildExportPackage, type ExportCase } from '../../rendition/export-package.ts';
import { watermarkerFromEnv } from '../../rendition/kms-watermarker.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import {
  defaultEvidenceRouteDeps,
  evidenceQuota,
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
import { bodyCheck, NO_FIELDS, validateBody } from './middleware/validate.ts';
import { routeQuota } from './middleware/route-quota.ts';
import { jsonResponse } from './middleware/types.ts';
import { refuseOwnVerifications } from './own-verification.ts';
import { routeFor } from './routes.ts';

export interface ApproveExportDeps extends EvidenceRouteDeps {
  readonly watermarker: Watermarker;
  readonly personalData: { open(sealed: SealedData, context: { verificationId: string }): Promise<PersonalData> };
}

export function defaultApproveExportDeps(env: NodeJS.ProcessEnv = process.env): ApproveExportDeps {
  configFromEnv(env);
  return {
    ...defaultEvidenceRouteDeps(env),
    watermarker: watermarkerFromEnv(env),
    personalData: new EnvelopeCrypto({ keyId: requireEnv('dataKeyArn', env) }),
  };
}

export function createApproveExportHandler(source: DepsSource<ApproveExportDeps> = () => defaultApproveExportDeps()) {
  const getDeps = resolveDeps(source);
  return httpHandler(routeFor('POST', '/v1/exports/{exportId}/approve'), async (event) => {
    validateBody(NO_FIELDS, event.parsedBody);
    const deps = getDeps();
    const caller = event.caller!;
    let record = await loadExport(deps.records, event.pathParameters?.exportId);
    if (exportDecisionRefusal(caller, record)) {
      throw new ForbiddenError('An export is approved by a compliance approver other than its requester');
    }
    await refuseOwnVerifications(deps.verifications, record.verificationIds, caller.userId);
    record = await settleExpiry(deps, record);
    const origin = requestOrigin(event);
    const actor = `compliance_approver:${caller.userId}`;
    if (record.status === 'pending_approval') {
      const decidedAt = deps.clock.now().toISOString();
      const changes = { status: 'approved' as const, decidedBy: caller.userId, decidedAt, accessId: newAccessId() };
      if (!(await deps.records.updateExport(record.exportId, record.version, changes))) {
        throw notDecidable({ ...record, status: 'approved' });
      }
      record = { ...record, ...changes, version: record.version + 1 };
    } else if (record.status !== 'approved' || record.decidedBy !== caller.userId) {
      throw notDecidable(record);
    }
    const accessId = record.accessId!;
    const approved = await deps.audit.append({
      subject: exportSubject(record.exportId),
      action: 'export.approved',
      actor,
      ...(origin.sourceIp ? { origin: origin.sourceIp } : {}),
      details: { accessId, verificationIds: record.verificationIds, ...originDetails(origin) },
    });
    try {
      await deps.records.putAccess({
        accessId,
        kind: 'export',
        actor: record.requestedBy,
        actorRole: 'compliance_reviewer',
        reason: record.reason,
        at: record.decidedAt ?? approved.at,
        verificationIds: record.verificationIds,
        exportId: record.exportId,
        approvedBy: caller.userId,
        ...origin,
        auditSubject: approved.subject,
        auditSequence: approved.sequence,
      });
    } catch (error) {
      if (!(error instanceof EvidenceRecordConflictError)) throw error; // a retry: the record exists
    }
    const at = deps.clock.now().toISOString();
    const cases: ExportCase[] = [];
    for (const verificationId of record.verificationIds) {
      cases.push(await loadCase(deps, record, verificationId, { accessId, actor }));
    }
    const pkg = await buildExportPackage(
      { exportRecord: record, accessId, approvedBy: caller.userId, at, cases },
      deps.watermarker,
      {
        maxSidePixels: deps.config.evidenceAccess.renditionMaxSidePixels,
        limitInputPixels: deps.config.uploads.maxPixels,
      },
    );
    const packageKey = exportPackageKey(record.exportId);
    await deps.objects.putRendition(packageKey, pkg.zip, 'application/zip');
    const ready = await deps.records.updateExport(record.exportId, record.version, {
      status: 'ready',
      packageKey,
      packageSha256: pkg.sha256,
      packageBytes: pkg.zip.length,
    });
    if (!ready) throw notDecidable(record);
    await deps.audit.append({
      subject: exportSubject(record.exportId),
      action: 'export.ready',
      actor: 'system:exports',
      details: {
        accessId,
        packageSha256: pkg.sha256,
        packageBytes: pkg.zip.length,
        files: pkg.manifest.files.length,
        omitted: pkg.manifest.omitted.length,
      },
    });
    return jsonResponse(200, {
      exportId: record.exportId,
      status: 'ready',
      decidedBy: caller.userId,
      decidedAt: record.decidedAt,
      files: pkg.manifest.files.length,
    });
  })
    .use(bodyCheck(NO_FIELDS))
    .use(routeQuota(evidenceQuota('exportApprove', getDeps)));
}

/**
 * One case for the package: audited on the case's own chain before anything is read, then
 * its records (personal data opened) and the originals of its accepted documents.
 */
async function loadCase(
  deps: ApproveExportDeps,
  record: ExportRecord,
  verificationId: string,
  access: { accessId: string; actor: string },
): Promise<ExportCase> {
  const subject = `verification:${verificationId}`;
  await deps.audit.append({
    subject,
    action: 'export.packaged',
    actor: access.actor,
    reason: record.reason,
    details: { exportId: record.exportId, accessId: access.accessId, requestedBy: record.requestedBy },
  });
  const { verification, attempts } = await deps.verifications.getVerificationWithAttempts(verificationId);
  if (!verification) return { verificationId, record: { verificationId, missing: true }, documents: [] };
  const { personalData: sealed, ...verificationFields } = verification;
  const personalData = await deps.personalData.open(sealed, { verificationId });
  const auditTrail = await deps.audit.list(subject);
  const documents = [];
  for (const { documents: stored } of attempts) {
    for (const document of stored) {
      if (document.result !== 'accepted' || !document.vaultKey) continue;
      documents.push({
        attemptId: document.attemptId,
        slot: document.slot,
        contentType: document.contentType,
        original: await deps.objects.readOriginal(
          { key: document.vaultKey, ...(document.vaultVersionId ? { versionId: document.vaultVersionId } : {}) },
          deps.config.uploads.maxFileBytes,
        ),
      });
    }
  }
  return {
    verificationId,
    record: {
      verification: verificationFields,
      personalData,
      attempts,
      processorLog: auditTrail.filter((event) => event.action === 'processor.invoked'),
      auditTrail,
    },
    documents,
  };
}

export const handler = createApproveExportHandler();
