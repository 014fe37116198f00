/**
 * Dependencies of the evidence-access routes (document views and exports) and helpers they
 * share: the request's origin for audit events, the refusal errors of the two-person rule.
 * Nothing here imports sharp, so the export routes that never touch an image stay small.
 */
import type { KycConfig } from '../../../lib/config.ts';
import { DynamoDbAuditLog } from '../../adapters/aws/dynamodb-audit-log.ts';
import { configFromEnv, requireEnv } from '../../adapters/aws/environment.ts';
import { DynamoDbRouteQuotas } from '../../adapters/aws/route-quota-store.ts';
import { EvidenceAccessRepository } from '../../adapters/aws/evidence-access-repository.ts';
import { S3EvidenceObjects } from '../../adapters/aws/s3-evidence-objects.ts';
import { s3PresignContextFromEnv } from '../../adapters/aws/s3-presign.ts';
import { S3RenditionLinks } from '../../adapters/aws/s3-rendition-links.ts';
import { VerificationRepository } from '../../adapters/aws/verification-repository.ts';
import type { ExportRecord } from '../../domain/evidence-access.ts';
import { exportStatusAt } from '../../domain/evidence-access.ts';
import type { AuditLog } from '../../ports/audit-log.ts';
import { systemClock, type Clock } from '../../ports/clock.ts';
import type { EvidenceAccessRecords, EvidenceObjects } from '../../ports/evidence-access.ts';
import type { RouteQuotaName, RouteQuotas } from '../../ports/route-quota.ts';
import type { RouteQuotaOptions } from './middleware/route-quota.ts';
import { ConflictError, HttpError, NotFoundError } from './middleware/http-errors.ts';
import { headerValue, type KycHttpEvent } from './middleware/types.ts';
import type { VerificationOwners } from './own-verification.ts';

export interface EvidenceRouteDeps {
  /** The case and its attempts in one read (`getVerificationWithAttempts`); `getVerification` for a case's existence. */
  readonly verifications: Pick<VerificationRepository, 'getVerification' | 'getVerificationWithAttempts'>;
  readonly records: EvidenceAccessRecords;
  readonly objects: EvidenceObjects;
  readonly audit: Pick<AuditLog, 'append' | 'list'>;
  readonly config: KycConfig;
  readonly clock: Clock;
  /** Per-user quotas of the expensive routes (`config.routeQuotas`); absent: not counted. */
  readonly routeQuotas?: RouteQuotas;
}

/**
 * Builders of the AWS implementations from the function's environment, one per port: a route
 * builds only the ports it uses (the export metadata routes never build the S3 client).
 *
 * @example
 * ```ts
 * export const handler = createGetExportHandler(() => ({
 *   ...evidenceRouteSettings(),
 *   records: evidenceRecords(),
 *   audit: evidenceAuditLog(),
 *   routeQuotas: evidenceRouteQuotas(),
 * }));
 * ```
 */
export function evidenceRouteSettings(
  env: NodeJS.ProcessEnv = process.env,
): Pick<EvidenceRouteDeps, 'config' | 'clock'> {
  return { config: configFromEnv(env), clock: systemClock };
}

export function evidenceVerifications(env: NodeJS.ProcessEnv = process.env): EvidenceRouteDeps['verifications'] {
  return new VerificationRepository({ tableName: requireEnv('verificationsTable', env) });
}

/** Who each verification belongs to, for the four-eyes check of the lean export routes (a GetItem each). */
export function evidenceVerificationOwners(env: NodeJS.ProcessEnv = process.env): VerificationOwners {
  return new EvidenceAccessRepository({ tableName: requireEnv('verificationsTable', env) });
}

export function evidenceRecords(env: NodeJS.ProcessEnv = process.env): EvidenceAccessRecords {
  return new EvidenceAccessRepository({ tableName: requireEnv('verificationsTable', env) });
}

export function evidenceObjects(env: NodeJS.ProcessEnv = process.env): EvidenceObjects {
  return new S3EvidenceObjects({
    vaultBucket: requireEnv('vaultBucket', env),
    renditionsBucket: requireEnv('renditionsBucket', env),
    documentsKeyId: requireEnv('documentsKeyArn', env),
    presignContext: () => s3PresignContextFromEnv(env),
  });
}

/** Presigned links alone (no S3 client), for a route that only hands out a package or rendition. */
export function evidenceRenditionLinks(
  env: NodeJS.ProcessEnv = process.env,
): Pick<EvidenceObjects, 'presignRendition'> {
  return new S3RenditionLinks({
    renditionsBucket: requireEnv('renditionsBucket', env),
    context: () => s3PresignContextFromEnv(env),
  });
}

export function evidenceAuditLog(env: NodeJS.ProcessEnv = process.env): EvidenceRouteDeps['audit'] {
  return new DynamoDbAuditLog({ tableName: requireEnv('auditTable', env) });
}

export function evidenceRouteQuotas(env: NodeJS.ProcessEnv = process.env): RouteQuotas {
  return new DynamoDbRouteQuotas({ tableName: requireEnv('rateLimitsTable', env) });
}

/** Every port of the evidence routes (the routes that read or render evidence objects). */
export function defaultEvidenceRouteDeps(env: NodeJS.ProcessEnv = process.env): EvidenceRouteDeps {
  return {
    ...evidenceRouteSettings(env),
    verifications: evidenceVerifications(env),
    records: evidenceRecords(env),
    objects: evidenceObjects(env),
    audit: evidenceAuditLog(env),
    routeQuotas: evidenceRouteQuotas(env),
  };
}

export function evidenceQuota(
  name: RouteQuotaName,
  getDeps: () => Pick<EvidenceRouteDeps, 'routeQuotas' | 'config' | 'clock'>,
): RouteQuotaOptions {
  return {
    name,
    quotas: () => getDeps().routeQuotas,
    config: () => getDeps().config,
    now: () => getDeps().clock.now(),
  };
}

/** Where a request came from, as audit events record it (no body, no token). */
export interface RequestOrigin {
  readonly sourceIp?: string;
  readonly userAgent?: string;
  readonly requestId?: string;
}

export function requestOrigin(event: KycHttpEvent): RequestOrigin {
  const http = event.requestContext?.http;
  const userAgent = (http?.userAgent || headerValue(event, 'user-agent') || '').slice(0, 256);
  return {
    ...(http?.sourceIp ? { sourceIp: http.sourceIp } : {}),
    ...(userAgent ? { userAgent } : {}),
    ...(event.requestContext?.requestId ? { requestId: event.requestContext.requestId } : {}),
  };
}

/** Audit `details` members for a request origin. */
export function originDetails(origin: RequestOrigin): Record<string, string> {
  return {
    ...(origin.userAgent ? { userAgent: origin.userAgent } : {}),
    ...(origin.requestId ? { requestId: origin.requestId } : {}),
  };
}

/** Ids in paths: what the API creates (UUIDs, ULIDs) and nothing that could smuggle a key path. */
export const ID_PATTERN = /^[\w-]{1,64}$/;

/** 404 unless `id` looks like one of ours. */
export function requireId(id: string | undefined, what: string): string {
  if (!id || !ID_PATTERN.test(id)) throw new NotFoundError(`${what} not found`);
  return id;
}

/** The export, or 404. */
export async function loadExport(records: EvidenceAccessRecords, exportId: string | undefined): Promise<ExportRecord> {
  const id = requireId(exportId, 'Export');
  const record = await records.getExport(id);
  if (!record) throw new NotFoundError('Export not found');
  return record;
}

/**
 * Records that a pending request ran out of time (status `expired`, audited) the first time
 * anyone touches it afterwards; returns the record as it now stands.
 */
export async function settleExpiry(
  deps: Pick<EvidenceRouteDeps, 'records' | 'audit' | 'clock'>,
  record: ExportRecord,
): Promise<ExportRecord> {
  if (record.status !== 'pending_approval' || exportStatusAt(record, deps.clock.now()) !== 'expired') return record;
  const changed = await deps.records.updateExport(record.exportId, record.version, { status: 'expired' });
  if (changed) {
    await deps.audit.append({
      subject: exportSubject(record.exportId),
      action: 'export.expired',
      actor: 'system:exports',
      reason: 'not approved in time',
      details: { expiresAt: record.expiresAt },
    });
    return { ...record, status: 'expired', version: record.version + 1 };
  }
  return (await deps.records.getExport(record.exportId)) ?? record;
}

/** Audit subject of an export's own chain. */
export function exportSubject(exportId: string): string {
  return `export:${exportId}`;
}

/** 409 for an export that can no longer be decided. */
export function notDecidable(record: ExportRecord): ConflictError {
  return record.status === 'expired'
    ? new ConflictError('EXPORT_EXPIRED', 'This export request expired before it was approved')
    : new ConflictError('EXPORT_ALREADY_DECIDED', 'This export request has already been decided');
}

/** 410 Gone with a code. */
export class GoneError extends HttpError {
  public constructor(code: string, message: string) {
    super(410, code, message);
    this.name = 'GoneError';
  }
}
