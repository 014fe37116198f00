/**
 * `POST /v1/verifications/{id}/reset` (support): reopens an approved, frozen verification for a
 * new attempt (PRODUCT §1: only a support-initiated, audited reset reopens it). The body's
 * reason and the caller's source address go into the audit event; the status change is
 * published like every other.
 */
import { z } from 'zod';
import { canTransition } from '../../domain/status-transitions.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { ConflictError, NotFoundError } from './middleware/http-errors.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { jsonResponse } from './middleware/types.ts';
import { validateBody } from './middleware/validate.ts';
import { defaultReviewRouteDeps, type ReviewRouteDeps } from './review-deps.ts';
import { routeFor } from './routes.ts';

export const resetSchema = z.strictObject({ reason: z.string().trim().min(10).max(500) });

export function createResetVerificationHandler(deps: DepsSource<ReviewRouteDeps> = () => defaultReviewRouteDeps()) {
  const getDeps = resolveDeps(deps);
  return httpHandler(routeFor('POST', '/v1/verifications/{id}/reset'), async (event) => {
    const { store, audit, events } = getDeps();
    const caller = event.caller!;
    const body = validateBody(resetSchema, event.parsedBody);
    const verificationId = event.pathParameters?.id ?? '';
    const verification = await store.getVerification(verificationId);
    if (!verification) throw new NotFoundError('Verification not found');
    if (!canTransition(verification.status, 'awaiting_upload', 'support_reset')) {
      throw new ConflictError('NOT_RESETTABLE', `A ${verification.status} verification cannot be reset`);
    }
    try {
      await store.updateVerification(verificationId, verification.version, {
        status: 'awaiting_upload',
        frozen: false,
        reasons: [],
      });
    } catch (error) {
      if ((error as Error).name === 'WorkflowConflictError') {
        throw new ConflictError('CONCURRENT_UPDATE', 'The verification changed meanwhile; reload and retry', {
          cause: error,
        });
      }
      throw error;
    }
    await audit.append({
      subject: `verification:${verificationId}`,
      action: 'verification.reset',
      actor: `support:${caller.userId}`,
      reason: body.reason,
      ...(event.requestContext?.http?.sourceIp ? { origin: event.requestContext.http.sourceIp } : {}),
      details: { from: verification.status, to: 'awaiting_upload', wasFrozen: verification.frozen },
    });
    await events.statusChanged({ verificationId, status: 'awaiting_upload', reasons: [] });
    return jsonResponse(200, { verificationId, status: 'awaiting_upload' });
  });
}

export const handler = createResetVerificationHandler();
