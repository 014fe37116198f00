/**
 * `GET /v1/me/data` (user): the person's own records and images (GDPR art. 15, right of
 * access), as one zip behind a presigned GET valid `evidenceAccess.exportDownloadSeconds`
 * (at most 10 minutes). Only the caller's own verifications are read: their ids come from the
 * byUser index under the token's subject, never from the request, and each record's owner is
 * checked again; the route takes no query parameter (any, e.g. `?user=`, is refused with 400
 * `VALIDATION_ERROR` rather than ignored). Order is the promise (PRODUCT §5):
 *
 *   1. audit `subject_access.requested` on `account:<userId>` (access id, origin)
 *                                              -- fails: 500, nothing read
 *   2. access record ACCESS#<accessId> (kind subject_access: what the watermark points back to)
 *   3. per verification: audit `personal_data.accessed` on its chain, then personal data
 *      opened (KMS), attempts, per-slot results, reasons, checks (their outcomes; the scores
 *      withheld, `applicantCheck`) and decisions
 *   4. each accepted image from the vault (read only), visible mark + invisible watermark of
 *      this access; PDFs listed as left out
 *   5. zip -> renditions bucket `subject-access/<accessId>.zip` (deleted after a day) -> URL
 */
import { configFromEnv, requireEnv } from '../../adapters/aws/environment.ts';
import { EnvelopeCrypto } from '../../adapters/aws/envelope-crypto.ts';
import { RecordsLifecycleRepository } from '../../adapters/aws/records-lifecycle-repository.ts';
import { newAccessId, subjectAccessKey } from '../../domain/evidence-access.ts';
import type { PersonalData, SealedData } from '../../domain/records.ts';
import type { Watermarker } from '../../ports/evidence-access.ts';
import type { ExportDocument } from '../../rendition/export-package.ts';
import { watermarkerFromEnv } from '../../rendition/kms-watermarker.ts';
import { buildSubjectAccessPackage, type SubjectAccessVerification } from '../../rendition/subject-access-package.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import {
  defaultEvidenceRouteDeps,
  evidenceQuota,
  originDetails,
  requestOrigin,
  type EvidenceRouteDeps,
} from './evidence-deps.ts';
import { BadRequestError } from './middleware/http-errors.ts';
import type { MiddlewareObj } from '@middy/core';
import { httpHandler } from './middleware/http-handler.ts';
import { routeQuota } from './middleware/route-quota.ts';
import { jsonResponse, type KycHttpEvent } from './middleware/types.ts';
import { routeFor } from './routes.ts';

export interface MeDataDeps extends Pick<
  EvidenceRouteDeps,
  'records' | 'objects' | 'audit' | 'config' | 'clock' | 'routeQuotas'
> {
  readonly lifecycle: Pick<RecordsLifecycleRepository, 'verificationIdsOf' | 'verificationItems'>;
  readonly watermarker: Watermarker;
  readonly personalData: { open(sealed: SealedData, context: { verificationId: string }): Promise<PersonalData> };
}

export function defaultMeDataDeps(env: NodeJS.ProcessEnv = process.env): MeDataDeps {
  configFromEnv(env);
  const { records, objects, audit, config, clock, routeQuotas } = defaultEvidenceRouteDeps(env);
  return {
    ...(routeQuotas ? { routeQuotas } : {}),
    records,
    objects,
    audit,
    config,
    clock,
    lifecycle: new RecordsLifecycleRepository({ tableName: requireEnv('verificationsTable', env) }),
    watermarker: watermarkerFromEnv(env),
    personalData: new EnvelopeCrypto({ keyId: requireEnv('dataKeyArn', env) }),
  };
}

/** Internal attributes never handed out: keys, index entries, tokens, staff identities, storage locations. */
const INTERNAL = new Set([
  'pk',
  'sk',
  'entity',
  'gsi1pk',
  'gsi1sk',
  'gsi2pk',
  'gsi2sk',
  'gsi3pk',
  'gsi3sk',
  'personalData',
  'version',
  'taskToken',
  'assignee',
  'decidedBy',
  'vaultKey',
  'vaultVersionId',
  'intakeVersionId',
  'requestHash',
  'referenceImageKey',
  'auditImageKeys',
  'matchedUserIds',
  // Rekognition's ids of the indexed face (storage ids, as vault keys are); `facesRemovedAt` stays.
  'faceIds',
  // A legal hold is a regulator's or court's matter the person must not be told of (AML
  // "tipping off", see `applicantView` in records-erasure.ts).
  'legalHold',
  'legalHoldReason',
]);

function visible(item: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) {
    if (INTERNAL.has(key)) continue;
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) ? visible(value as Record<string, unknown>) : value;
  }
  return out;
}

/** Members of a check's result that hold a score (face similarity, liveness confidence, binding and duplicate scores). */
const SCORE_KEY = /similarity|confidence|score/i;

/** Why the scores are not in the package (`manifest.json`, under `notes`). */
export const WITHHELD_SCORES_NOTE =
  'The scores behind the face comparison, liveness and duplicate checks are withheld to prevent fraud: a score ' +
  'tells someone forging a face or a document how close they came, which the service never tells anyone but its ' +
  'reviewers. Each check keeps its outcome and reasons; "withheld" names the scores left out.';

/**
 * A check as the applicant sees it ({@link visible}, then every numeric score in its result left
 * out and named under `withheld`): the outcome and reasons stay. The API never tells a client a
 * score (the liveness challenge answers `COMPLETE` only), and the data package must not either.
 *
 * @example
 * ```ts
 * applicantCheck({ name: 'face_match', result: { kind: 'scored', similarity: 97.1 } });
 * // { name: 'face_match', result: { kind: 'scored' }, withheld: ['result.similarity'] }
 * ```
 */
export function applicantCheck(check: Record<string, unknown>): Record<string, unknown> {
  const withheld: string[] = [];
  const strip = (value: unknown, path: string): unknown => {
    if (Array.isArray(value)) return value.map((entry, index) => strip(entry, `${path}[${index}]`));
    if (!value || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
      if (SCORE_KEY.test(key) && (typeof member === 'number' || (member !== null && typeof member === 'object'))) {
        withheld.push(`${path}.${key}`);
        continue;
      }
      out[key] = strip(member, `${path}.${key}`);
    }
    return out;
  };
  const shown = visible(check);
  const result = strip(shown.result, 'result');
  return { ...shown, ...(shown.result === undefined ? {} : { result }), ...(withheld.length > 0 ? { withheld } : {}) };
}

/**
 * The route takes no query parameter (the caller is always the token's subject): any is 400
 * `VALIDATION_ERROR`, before the quota counts the request and before anything is read.
 */
const refuseQueryParameters: MiddlewareObj<KycHttpEvent> = {
  before: (request) => {
    const unknown = Object.keys(request.event.queryStringParameters ?? {});
    if (unknown.length > 0) {
      throw new BadRequestError('VALIDATION_ERROR', `unknown query parameter ${unknown.join(', ')}`);
    }
  },
};

export function createMeDataHandler(source: DepsSource<MeDataDeps> = () => defaultMeDataDeps()) {
  const getDeps = resolveDeps(source);
  return httpHandler(routeFor('GET', '/v1/me/data'), async (event) => {
    const deps = getDeps();
    const userId = event.caller!.userId;
    const origin = requestOrigin(event);
    const accessId = newAccessId();
    const at = deps.clock.now().toISOString();
    const actor = `user:${userId}`;
    const reason = 'subject access request (GDPR art. 15)';
    // 1. Audited before anything is read.
    const requested = await deps.audit.append({
      subject: `account:${userId}`,
      action: 'subject_access.requested',
      actor,
      reason,
      ...(origin.sourceIp ? { origin: origin.sourceIp } : {}),
      details: { accessId, ...originDetails(origin) },
    });
    const ids = await deps.lifecycle.verificationIdsOf(userId);
    // 2. The access record the watermark points back to.
    await deps.records.putAccess({
      accessId,
      kind: 'subject_access',
      actor: userId,
      actorRole: 'user',
      reason,
      at,
      verificationIds: ids,
      ...origin,
      auditSubject: requested.subject,
      auditSequence: requested.sequence,
    });
    const verifications: SubjectAccessVerification[] = [];
    for (const verificationId of ids) {
      const items = await deps.lifecycle.verificationItems(verificationId);
      if (!items.meta || items.meta.userId !== userId) continue; // never another person's records
      // 3. Audited on the case's chain before its personal data is opened.
      await deps.audit.append({
        subject: `verification:${verificationId}`,
        action: 'personal_data.accessed',
        actor,
        reason,
        ...(origin.sourceIp ? { origin: origin.sourceIp } : {}),
        details: { accessId, kind: 'subject_access' },
      });
      const personalData = await deps.personalData.open(items.meta.personalData as SealedData, { verificationId });
      const documents: ExportDocument[] = [];
      for (const document of items.documents) {
        if (document.result !== 'accepted' || typeof document.vaultKey !== 'string') continue;
        documents.push({
          attemptId: String(document.attemptId),
          slot: String(document.slot),
          contentType: String(document.contentType),
          original: await deps.objects.readOriginal(
            {
              key: document.vaultKey,
              ...(typeof document.vaultVersionId === 'string' ? { versionId: document.vaultVersionId } : {}),
            },
            deps.config.uploads.maxFileBytes,
          ),
        });
      }
      verifications.push({
        verificationId,
        record: {
          verification: visible(items.meta),
          personalData,
          attempts: items.attempts.map((attempt) => ({
            ...visible(attempt),
            documents: items.documents.filter((doc) => doc.attemptId === attempt.attemptId).map(visible),
            checks: items.checks.filter((check) => check.attemptId === attempt.attemptId).map(applicantCheck),
            decisions: items.reviews.filter((review) => review.attemptId === attempt.attemptId).map(visible),
          })),
        },
        documents,
      });
    }
    // 4. Marked copies, 5. the package and its short-lived link.
    const notes = [WITHHELD_SCORES_NOTE];
    const pkg = await buildSubjectAccessPackage({ userId, accessId, at, verifications, notes }, deps.watermarker, {
      maxSidePixels: deps.config.evidenceAccess.renditionMaxSidePixels,
      limitInputPixels: deps.config.uploads.maxPixels,
    });
    const key = subjectAccessKey(accessId);
    await deps.objects.putRendition(key, pkg.zip, 'application/zip');
    const seconds = deps.config.evidenceAccess.exportDownloadSeconds;
    const url = await deps.objects.presignRendition(key, seconds, { downloadName: `my-data-${accessId}.zip` });
    return jsonResponse(200, {
      accessId,
      url,
      expiresAt: new Date(deps.clock.now().getTime() + seconds * 1000).toISOString(),
      verifications: verifications.length,
      images: pkg.files.filter((file) => file.path.endsWith('.jpg')).length,
      omitted: pkg.omitted,
      sha256: pkg.sha256,
    });
  })
    .use(refuseQueryParameters)
    .use(routeQuota(evidenceQuota('subjectAccess', getDeps)));
}

export const handler = createMeDataHandler();
