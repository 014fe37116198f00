/**
 * `GET /v1/exports/{exportId}/download?token=...` (public: the link is the credential): the
 * one-time download of an approved export's package. The token (256 bits; only its SHA-256 is
 * stored) is consumed atomically, so exactly one request succeeds; the download is audited, then
 * answered with a redirect to a presigned GET of the package valid `REDIRECT_SECONDS`. A second
 * use answers 410 `EXPORT_ALREADY_DOWNLOADED`, a late one 410 `EXPORT_LINK_EXPIRED`, a wrong
 * token 404.
 */
import { downloadRefusal, isAccessId } from '../../domain/evidence-access.ts';
import type { EvidenceObjects } from '../../ports/evidence-access.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import {
  evidenceAuditLog,
  evidenceRecords,
  evidenceRenditionLinks,
  evidenceRouteSettings,
  exportSubject,
  GoneError,
  loadExport,
  originDetails,
  requestOrigin,
  type EvidenceRouteDeps,
} from './evidence-deps.ts';
import { tokenHash } from './get-export.ts';
import { NotFoundError } from './middleware/http-errors.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { routeFor } from './routes.ts';

/** Lifetime of the redirect's presigned GET: long enough to start the download, too short to share. */
export const REDIRECT_SECONDS = 30;

/** What the download route uses: the export records, presigned links alone (no S3 client), the audit log. */
export type DownloadExportDeps = Pick<EvidenceRouteDeps, 'records' | 'audit' | 'clock'> & {
  readonly objects: Pick<EvidenceObjects, 'presignRendition'>;
};

export function createDownloadExportHandler(
  source: DepsSource<DownloadExportDeps> = () => ({
    ...evidenceRouteSettings(),
    records: evidenceRecords(),
    objects: evidenceRenditionLinks(),
    audit: evidenceAuditLog(),
  }),
) {
  const getDeps = resolveDeps(source);
  return httpHandler(routeFor('GET', '/v1/exports/{exportId}/download'), async (event) => {
    const deps = getDeps();
    const token = event.queryStringParameters?.token ?? '';
    if (!/^[\w-]{43}$/.test(token)) throw new NotFoundError('Export not found');
    const record = await loadExport(deps.records, event.pathParameters?.exportId);
    const hash = tokenHash(token);
    const now = deps.clock.now();
    const refusal = downloadRefusal(record, hash, now);
    if (refusal === 'already_downloaded') {
      throw new GoneError('EXPORT_ALREADY_DOWNLOADED', 'This download link has been used');
    }
    if (refusal === 'link_expired') throw new GoneError('EXPORT_LINK_EXPIRED', 'This download link has expired');
    if (refusal || !record.packageKey) throw new NotFoundError('Export not found');
    if (!(await deps.records.consumeDownload(record.exportId, hash, now))) {
      throw new GoneError('EXPORT_ALREADY_DOWNLOADED', 'This download link has been used');
    }
    const origin = requestOrigin(event);
    await deps.audit.append({
      subject: exportSubject(record.exportId),
      action: 'export.downloaded',
      actor: `requester:${record.requestedBy}`,
      ...(origin.sourceIp ? { origin: origin.sourceIp } : {}),
      details: {
        ...(record.accessId && isAccessId(record.accessId) ? { accessId: record.accessId } : {}),
        ...(record.packageSha256 ? { packageSha256: record.packageSha256 } : {}),
        ...originDetails(origin),
      },
    });
    const url = await deps.objects.presignRendition(record.packageKey, REDIRECT_SECONDS, {
      downloadName: `kyc-export-${record.exportId}.zip`,
    });
    return {
      statusCode: 302,
      headers: { location: url, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
      body: '',
    };
  });
}

export const handler = createDownloadExportHandler();
