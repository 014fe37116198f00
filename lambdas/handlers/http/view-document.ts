/**
 * `POST /v1/cases/{verificationId}/documents/{slot}/view` `{ "reason" }` (compliance_reviewer,
 * compliance_approver): a watermarked copy of the newest accepted document of a slot, behind a
 * presigned GET valid at most 60 s. Order is the promise (PRODUCT §5):
 *
 *   1. audit event `document.viewed` (actor, role, slot, reason, source IP, user agent,
 *      request id, access id, time)           -- fails: 500, nothing rendered, no URL
 *   2. access record ACCESS#<accessId>         -- what the invisible mark points back to
 *   3. render from the vault original (read only): visible tiled mark + invisible mark
 *   4. store in the renditions bucket (SSE-KMS, deleted after a day), presign the GET
 *
 * Everyone else gets 403 from the route's roles, and the case's own subject 403
 * `OWN_VERIFICATION` (before step 1: nothing audited as viewed, nothing read); an unknown case
 * or a slot without an accepted document 404.
 */
import * as z from 'zod/mini';
import { DOCUMENT_VIEWER_ROLES, newAccessId, renditionKey, type AccessRecord } from '../../domain/evidence-access.ts';
import type { DocumentRecord } from '../../domain/records.ts';
import { SLOTS, type Role, type Slot } from '../../domain/verification.ts';
import type { Watermarker } from '../../ports/evidence-access.ts';
import { RenditionError, renderMarkedCopy } from '../../rendition/render.ts';
import { watermarkerFromEnv } from '../../rendition/kms-watermarker.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import {
  defaultEvidenceRouteDeps,
  evidenceQuota,
  originDetails,
  requestOrigin,
  requireId,
  type EvidenceRouteDeps,
} from './evidence-deps.ts';
import { HttpError, NotFoundError } from './middleware/http-errors.ts';
import { refuseOwnCase } from './own-verification.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { routeQuota } from './middleware/route-quota.ts';
import { jsonResponse } from './middleware/types.ts';
import { bodyCheck, validateBody } from './middleware/validate.ts';
import { routeFor } from './routes.ts';
import { staffText } from './staff-text.ts';

export const viewDocumentSchema = z.strictObject({
  reason: staffText({ min: 3, max: 500 }),
});

export interface ViewDocumentDeps extends EvidenceRouteDeps {
  readonly watermarker: Watermarker;
}

export function defaultViewDocumentDeps(env: NodeJS.ProcessEnv = process.env): ViewDocumentDeps {
  return { ...defaultEvidenceRouteDeps(env), watermarker: watermarkerFromEnv(env) };
}

/** The newest accepted document of `slot` that is in the vault, across all attempts. */
export function latestVaultDocument(
  attempts: ReadonlyArray<{ documents: readonly DocumentRecord[] }>,
  slot: Slot,
): DocumentRecord | undefined {
  return attempts
    .flatMap((attempt) => attempt.documents)
    .filter((document) => document.slot === slot && document.result === 'accepted' && document.vaultKey)
    .sort((a, b) => b.recordedAt.localeCompare(a.recordedAt))[0];
}

export function createViewDocumentHandler(source: DepsSource<ViewDocumentDeps> = () => defaultViewDocumentDeps()) {
  const getDeps = resolveDeps(source);
  return httpHandler(routeFor('POST', '/v1/cases/{verificationId}/documents/{slot}/view'), async (event) => {
    const deps = getDeps();
    const caller = event.caller!;
    const body = validateBody(viewDocumentSchema, event.parsedBody);
    const verificationId = requireId(event.pathParameters?.verificationId, 'Case');
    const slot = event.pathParameters?.slot as Slot | undefined;
    if (!slot || !SLOTS.includes(slot)) throw new NotFoundError('No such document slot');
    const { verification, attempts } = await deps.verifications.getVerificationWithAttempts(verificationId);
    if (!verification) throw new NotFoundError('Case not found');
    // Four eyes first: no audit event claims a view, nothing is read.
    refuseOwnCase(verification, caller.userId);
    const document = latestVaultDocument(attempts, slot);
    if (!document?.vaultKey) throw new NotFoundError('This case has no accepted document in that slot');
    if (document.contentType === 'application/pdf') {
      throw new HttpError(422, 'DOCUMENT_NOT_RENDERABLE', 'PDF documents cannot be rendered with a watermark');
    }

    const role: Role = caller.roles.find((candidate) => DOCUMENT_VIEWER_ROLES.includes(candidate))!;
    const accessId = newAccessId();
    const at = deps.clock.now().toISOString();
    const origin = requestOrigin(event);
    const subject = `verification:${verificationId}`;
    // 1. The audit event comes first: if it cannot be written, nothing is rendered.
    const audited = await deps.audit.append({
      subject,
      action: 'document.viewed',
      actor: `${role}:${caller.userId}`,
      reason: body.reason,
      ...(origin.sourceIp ? { origin: origin.sourceIp } : {}),
      details: {
        role,
        slot,
        accessId,
        attemptId: document.attemptId,
        vaultKey: document.vaultKey,
        ...(document.vaultVersionId ? { vaultVersionId: document.vaultVersionId } : {}),
        ...originDetails(origin),
      },
    });
    // 2. The access record the watermark points back to.
    const access: AccessRecord = {
      accessId,
      kind: 'document_view',
      actor: caller.userId,
      actorRole: role,
      reason: body.reason,
      at,
      verificationIds: [verificationId],
      slot,
      vaultKey: document.vaultKey,
      ...(document.vaultVersionId ? { vaultVersionId: document.vaultVersionId } : {}),
      ...origin,
      auditSubject: subject,
      auditSequence: audited.sequence,
    };
    await deps.records.putAccess(access);
    // 3. Render from the original, which is only read.
    const original = await deps.objects.readOriginal(
      { key: document.vaultKey, ...(document.vaultVersionId ? { versionId: document.vaultVersionId } : {}) },
      deps.config.uploads.maxFileBytes,
    );
    let copy;
    try {
      copy = await renderMarkedCopy(original, { viewer: caller.userId, at, accessId }, deps.watermarker, {
        maxSidePixels: deps.config.evidenceAccess.renditionMaxSidePixels,
        limitInputPixels: deps.config.uploads.maxPixels,
      });
    } catch (error) {
      if (error instanceof RenditionError) {
        throw new HttpError(422, 'DOCUMENT_NOT_RENDERABLE', 'The document cannot be rendered', { cause: error });
      }
      throw error;
    }
    // 4. Store outside the vault and sign a short GET.
    const key = renditionKey(verificationId, accessId);
    await deps.objects.putRendition(key, copy.image, 'image/jpeg');
    const seconds = deps.config.evidenceAccess.viewUrlSeconds;
    const expiresAt = new Date(deps.clock.now().getTime() + seconds * 1000).toISOString();
    const url = await deps.objects.presignRendition(key, seconds);
    return jsonResponse(200, { accessId, url, expiresAt });
  })
    .use(bodyCheck(viewDocumentSchema))
    .use(routeQuota(evidenceQuota('documentView', getDeps)));
}

export const handler = createViewDocumentHandler();
