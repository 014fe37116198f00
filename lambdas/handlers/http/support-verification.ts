/**
 * `GET /v1/support/verifications/{verificationId}` (support): what support needs to help a user,
 * and no more (PRODUCT §5, §7): status, reasons with message and fix tip in the negotiated
 * language, the attempt history, the first name only, and a redacted thumbnail of the newest
 * accepted document front. Never a full document, a vault key or a URL to an original.
 *
 *   0. the verification's own subject: 403 `OWN_VERIFICATION` (nothing audited as viewed, nothing read)
 *   1. audit event `support.verification_viewed` (actor, role, fields shown, access id, source IP,
 *      user agent, request id)                  -- fails: 500, nothing decrypted or rendered
 *   2. access record ACCESS#<accessId> (kind `support_thumbnail`) -- what the watermark points to
 *   3. first name from the sealed personal data (the only personal data in the answer)
 *   4. thumbnail: faces blurred, text and MRZ masked, <= 320 px (`rendition/redacted-thumbnail.ts`),
 *      visible mark "SUPPORT <viewer> <time> <access id>" and the invisible watermark, stored under
 *      `support/` of the renditions bucket (deleted after a day) behind a presigned GET of <= 60 s
 *
 * The thumbnail is a short-lived URL rather than inline bytes, like a compliance document view:
 * images never travel in API payloads, the rendition is encrypted at rest under the documents key,
 * and the URL stops working within a minute. Only `support` may call this route: the contract names
 * no other role for it, and admins and compliance staff have their own routes.
 */
import { AuditProcessorLog } from '../../adapters/aws/audit-processor-log.ts';
import { EnvelopeCrypto } from '../../adapters/aws/envelope-crypto.ts';
import { requireEnv } from '../../adapters/aws/environment.ts';
import { defaultRekognitionCalls } from '../../adapters/aws/rekognition-commands.ts';
import { RekognitionFaceDetector, type ProcessedObject } from '../../adapters/aws/rekognition-face-detector.ts';
import { RekognitionTextDetector } from '../../adapters/aws/rekognition-text-detector.ts';
import { newAccessId, supportThumbnailKey, type AccessRecord } from '../../domain/evidence-access.ts';
import { describeReasons, DEFAULT_LANGUAGE, isLanguage, type Language } from '../../domain/reason-catalog/index.ts';
import type { PersonalData, SealedData } from '../../domain/records.ts';
import type { Watermarker } from '../../ports/evidence-access.ts';
import { watermarkerFromEnv } from '../../rendition/kms-watermarker.ts';
import { redactedThumbnail, THUMBNAIL_MAX_SIDE, type ThumbnailDetectors } from '../../rendition/redacted-thumbnail.ts';
import { RenditionError, renderMarkedCopy } from '../../rendition/render.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import {
  defaultEvidenceRouteDeps,
  evidenceQuota,
  originDetails,
  requestOrigin,
  requireId,
  type EvidenceRouteDeps,
} from './evidence-deps.ts';
import { attemptView } from './get-verification.ts';
import { NotFoundError } from './middleware/http-errors.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { routeQuota } from './middleware/route-quota.ts';
import { jsonResponse } from './middleware/types.ts';
import { refuseOwnCase } from './own-verification.ts';
import { routeFor } from './routes.ts';
import { latestVaultDocument } from './view-document.ts';

/** Longest validity of the thumbnail's URL, whatever the configured document-view validity. */
export const THUMBNAIL_URL_MAX_SECONDS = 60;

export interface SupportViewDeps extends EvidenceRouteDeps {
  readonly watermarker: Watermarker;
  readonly personalData: { open(sealed: SealedData, context: { verificationId: string }): Promise<PersonalData> };
  /** Face and text detectors whose processor-log entries name `object`. */
  detectorsFor(object: ProcessedObject): ThumbnailDetectors;
}

export function defaultSupportViewDeps(env: NodeJS.ProcessEnv = process.env): SupportViewDeps {
  const evidence = defaultEvidenceRouteDeps(env);
  const rekognition = defaultRekognitionCalls();
  const processorLog = new AuditProcessorLog({
    audit: evidence.audit,
    actor: `system:${env.AWS_LAMBDA_FUNCTION_NAME ?? 'support-view'}`,
  });
  return {
    ...evidence,
    watermarker: watermarkerFromEnv(env),
    personalData: new EnvelopeCrypto({ keyId: requireEnv('dataKeyArn', env) }),
    detectorsFor: (object) => ({
      faces: new RekognitionFaceDetector(rekognition, {
        processorLog,
        currentObject: () => object,
        purpose: 'support_redaction',
      }),
      text: new RekognitionTextDetector(rekognition, { processorLog, currentObject: () => object }),
    }),
  };
}

/** The first word of a declared full name: the only personal data support sees. */
export function firstNameOf(fullName: string): string | null {
  return fullName.trim().split(/\s+/)[0] || null;
}

export function createSupportViewHandler(source: DepsSource<SupportViewDeps> = () => defaultSupportViewDeps()) {
  const getDeps = resolveDeps(source);
  return httpHandler(routeFor('GET', '/v1/support/verifications/{verificationId}'), async (event) => {
    const deps = getDeps();
    const caller = event.caller!;
    const language: Language = isLanguage(event.language) ? event.language : DEFAULT_LANGUAGE;
    const verificationId = requireId(event.pathParameters?.verificationId, 'Verification');
    const { verification, attempts } = await deps.verifications.getVerificationWithAttempts(verificationId);
    if (!verification) throw new NotFoundError('Verification not found');
    refuseOwnCase(verification, caller.userId);
    const document = latestVaultDocument(attempts, 'document_front');
    const renderable = document?.vaultKey && document.contentType !== 'application/pdf' ? document : undefined;

    const accessId = renderable ? newAccessId() : undefined;
    const at = deps.clock.now().toISOString();
    const origin = requestOrigin(event);
    const subject = `verification:${verificationId}`;
    // 1. The audit event comes first: if it cannot be written, nothing is decrypted or rendered.
    const audited = await deps.audit.append({
      subject,
      action: 'support.verification_viewed',
      actor: `support:${caller.userId}`,
      reason: 'support view',
      ...(origin.sourceIp ? { origin: origin.sourceIp } : {}),
      details: {
        role: 'support',
        fields: ['status', 'reasons', 'attempts', 'firstName', ...(renderable ? ['thumbnail'] : [])],
        ...(renderable && accessId
          ? { accessId, slot: 'document_front', attemptId: renderable.attemptId, vaultKey: renderable.vaultKey! }
          : {}),
        ...originDetails(origin),
      },
    });

    let thumbnail: Record<string, unknown> | null = null;
    if (renderable && accessId) {
      // 2. The access record the thumbnail's watermark points back to.
      const access: AccessRecord = {
        accessId,
        kind: 'support_thumbnail',
        actor: caller.userId,
        actorRole: 'support',
        reason: 'support view',
        at,
        verificationIds: [verificationId],
        slot: 'document_front',
        vaultKey: renderable.vaultKey!,
        ...(renderable.vaultVersionId ? { vaultVersionId: renderable.vaultVersionId } : {}),
        ...origin,
        auditSubject: subject,
        auditSequence: audited.sequence,
      };
      await deps.records.putAccess(access);
      thumbnail = await renderThumbnail(deps, verification.documentType, renderable, {
        verificationId,
        accessId,
        at,
        viewer: caller.userId,
      });
    }
    // 3. The first name, the only personal data in the answer.
    const personal = await deps.personalData.open(verification.personalData, { verificationId });

    return jsonResponse(200, {
      verificationId,
      status: verification.status,
      level: verification.level,
      documentType: verification.documentType,
      firstName: firstNameOf(personal.fullName),
      reasons: describeReasons(verification.reasons, language),
      ...(verification.status === 'cooldown' && verification.cooldownUntil
        ? { cooldownUntil: verification.cooldownUntil }
        : {}),
      createdAt: verification.createdAt,
      updatedAt: verification.updatedAt,
      attempts: attempts.map(({ attempt, documents }) => attemptView(attempt, documents, language)),
      thumbnail,
    });
  }).use(routeQuota(evidenceQuota('supportView', getDeps)));
}

/** 4. Redact, mark, store outside the vault and sign a short GET; `null` when the image cannot be decoded. */
async function renderThumbnail(
  deps: SupportViewDeps,
  documentType: Parameters<typeof redactedThumbnail>[1]['documentType'],
  document: { attemptId: string; vaultKey?: string; vaultVersionId?: string },
  access: { verificationId: string; accessId: string; at: string; viewer: string },
): Promise<Record<string, unknown> | null> {
  const ref = { key: document.vaultKey!, ...(document.vaultVersionId ? { versionId: document.vaultVersionId } : {}) };
  const original = await deps.objects.readOriginal(ref, deps.config.uploads.maxFileBytes);
  const detectors = deps.detectorsFor({
    verificationId: access.verificationId,
    attemptId: document.attemptId,
    key: ref.key,
    ...(ref.versionId ? { versionId: ref.versionId } : {}),
  });
  let marked;
  let redaction: 'regions' | 'whole_image';
  try {
    const redacted = await redactedThumbnail(original, { slot: 'document_front', documentType }, detectors, {
      maxSidePixels: THUMBNAIL_MAX_SIDE,
      limitInputPixels: deps.config.uploads.maxPixels,
    });
    redaction = redacted.plan.wholeImage ? 'whole_image' : 'regions';
    marked = await renderMarkedCopy(
      redacted.image,
      { viewer: access.viewer, at: access.at, accessId: access.accessId, label: 'SUPPORT' },
      deps.watermarker,
      { maxSidePixels: THUMBNAIL_MAX_SIDE },
    );
  } catch (error) {
    if (error instanceof RenditionError) return null;
    throw error;
  }
  const key = supportThumbnailKey(access.verificationId, access.accessId);
  await deps.objects.putRendition(key, marked.image, 'image/jpeg');
  const seconds = Math.min(THUMBNAIL_URL_MAX_SECONDS, deps.config.evidenceAccess.viewUrlSeconds);
  const url = await deps.objects.presignRendition(key, seconds);
  return {
    accessId: access.accessId,
    url,
    expiresAt: new Date(deps.clock.now().getTime() + seconds * 1000).toISOString(),
    slot: 'document_front',
    width: marked.width,
    height: marked.height,
    redaction,
  };
}

export const handler = createSupportViewHandler();
