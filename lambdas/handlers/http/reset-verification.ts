/**
 * Support resets of approved, frozen verifications, under four eyes (PRODUCT §1: only a
 * support-initiated, audited reset reopens a verification; `domain/four-eyes.ts`):
 *
 * - `POST /v1/verifications/{id}/reset` (support): records a **pending** reset request with
 *   the reason and answers 202 `{ verificationId, requestId, status: 'pending' }`. Nothing
 *   changes on the verification yet.
 * - `POST /v1/verifications/{id}/reset-requests/{requestId}/decision` (compliance_approver):
 *   approves (the verification goes back to `awaiting_upload`, unfrozen, and the change is
 *   published) or rejects the request. The requester cannot decide their own request (403
 *   `SELF_APPROVAL_FORBIDDEN`).
 *
 * On both routes a staff member whose user id owns the verification gets 403
 * `OWN_VERIFICATION`. Every request and decision is audited with actor, reason and origin.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import { configFromEnv, requireEnv } from '../../adapters/aws/environment.ts';
import { DynamoDbAuditLog } from '../../adapters/aws/dynamodb-audit-log.ts';
import { EventBridgeStatusEvents } from '../../adapters/aws/eventbridge-status-events.ts';
import { DynamoDbResetRequestStore } from '../../adapters/aws/reset-request-repository.ts';
import { DynamoDbWorkflowStore } from '../../adapters/aws/workflow-repository.ts';
import { staffActionRefusal, type ResetRequestRecord } from '../../domain/four-eyes.ts';
import type { VerificationRecord } from '../../domain/records.ts';
import { canTransition } from '../../domain/status-transitions.ts';
import type { AuditLog } from '../../ports/audit-log.ts';
import { systemClock, type Clock } from '../../ports/clock.ts';
import type { ResetRequestStore } from '../../ports/reset-requests.ts';
import type { StatusEvents } from '../../ports/status-events.ts';
import type { WorkflowStore } from '../../ports/workflow-store.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { ConflictError, FourEyesError, NotFoundError } from './middleware/http-errors.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { jsonResponse, type KycHttpEvent } from './middleware/types.ts';
import { validateBody } from './middleware/validate.ts';
import { routeFor } from './routes.ts';
import { staffText } from './staff-text.ts';

export const resetSchema = z.strictObject({
  reason: staffText({ min: 10, max: 500 }),
});

export const resetDecisionSchema = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  note: staffText({ min: 1, max: 2000, multiline: true }),
});

export interface ResetRouteDeps {
  readonly store: Pick<WorkflowStore, 'getVerification' | 'updateVerification'>;
  readonly resets: ResetRequestStore;
  readonly audit: Pick<AuditLog, 'append'>;
  /** Needed by the decision route only (status change of an approved reset). */
  readonly events?: StatusEvents;
  readonly clock?: Clock;
  readonly newId?: () => string;
}

/** Default dependencies from the function's environment; `events` only for the decision route. */
export function defaultResetRouteDeps(
  env: NodeJS.ProcessEnv = process.env,
  options: { events?: boolean } = {},
): ResetRouteDeps {
  configFromEnv(env);
  const tableName = requireEnv('verificationsTable', env);
  return {
    store: new DynamoDbWorkflowStore({ tableName }),
    resets: new DynamoDbResetRequestStore({ tableName }),
    audit: new DynamoDbAuditLog({ tableName: requireEnv('auditTable', env) }),
    ...(options.events
      ? { events: new EventBridgeStatusEvents({ eventBusName: requireEnv('eventBusName', env) }) }
      : {}),
  };
}

const originOf = (event: KycHttpEvent) =>
  event.requestContext?.http?.sourceIp ? { origin: event.requestContext.http.sourceIp } : {};

async function loadVerification(store: ResetRouteDeps['store'], verificationId: string): Promise<VerificationRecord> {
  const verification = await store.getVerification(verificationId);
  if (!verification) throw new NotFoundError('Verification not found');
  return verification;
}

function assertResettable(verification: VerificationRecord): void {
  if (!canTransition(verification.status, 'awaiting_upload', 'support_reset')) {
    throw new ConflictError('NOT_RESETTABLE', `A ${verification.status} verification cannot be reset`);
  }
}

export function createResetVerificationHandler(deps: DepsSource<ResetRouteDeps> = () => defaultResetRouteDeps()) {
  const getDeps = resolveDeps(deps);
  return httpHandler(routeFor('POST', '/v1/verifications/{id}/reset'), async (event) => {
    const { store, resets, audit, clock = systemClock, newId = randomUUID } = getDeps();
    const caller = event.caller!;
    const body = validateBody(resetSchema, event.parsedBody);
    const verificationId = event.pathParameters?.id ?? '';
    const verification = await loadVerification(store, verificationId);
    const refusal = staffActionRefusal({ actorId: caller.userId, verificationOwnerId: verification.userId });
    if (refusal) throw new FourEyesError(refusal);
    assertResettable(verification);
    const pending = await resets.findPendingResetRequest(verificationId);
    if (pending) {
      throw new ConflictError('RESET_ALREADY_REQUESTED', 'A reset of this verification is already awaiting approval', {
        details: { requestId: pending.requestId },
      });
    }
    const request: ResetRequestRecord = {
      verificationId,
      requestId: newId(),
      status: 'pending',
      requestedBy: caller.userId,
      reason: body.reason,
      requestedAt: clock.now().toISOString(),
    };
    await resets.createResetRequest(request);
    await audit.append({
      subject: `verification:${verificationId}`,
      action: 'verification.reset_requested',
      actor: `support:${caller.userId}`,
      reason: body.reason,
      ...originOf(event),
      details: { requestId: request.requestId, status: verification.status, frozen: verification.frozen },
    });
    return jsonResponse(202, {
      verificationId,
      requestId: request.requestId,
      status: request.status,
      requestedAt: request.requestedAt,
    });
  });
}

export function createResetDecisionHandler(
  deps: DepsSource<ResetRouteDeps> = () => defaultResetRouteDeps(process.env, { events: true }),
) {
  const getDeps = resolveDeps(deps);
  return httpHandler(routeFor('POST', '/v1/verifications/{id}/reset-requests/{requestId}/decision'), async (event) => {
    const { store, resets, audit, events, clock = systemClock } = getDeps();
    const caller = event.caller!;
    const body = validateBody(resetDecisionSchema, event.parsedBody);
    const verificationId = event.pathParameters?.id ?? '';
    const requestId = event.pathParameters?.requestId ?? '';
    const verification = await loadVerification(store, verificationId);
    const request = await resets.getResetRequest(verificationId, requestId);
    if (!request) throw new NotFoundError('Reset request not found');
    const refusal = staffActionRefusal({
      actorId: caller.userId,
      verificationOwnerId: verification.userId,
      requestedBy: request.requestedBy,
    });
    if (refusal) throw new FourEyesError(refusal);
    if (request.status !== 'pending') {
      throw new ConflictError('RESET_REQUEST_DECIDED', `This reset request was already ${request.status}`);
    }
    if (body.decision === 'approve') assertResettable(verification);
    const decidedAt = clock.now().toISOString();
    try {
      await resets.decideResetRequest(verificationId, requestId, {
        status: body.decision === 'approve' ? 'approved' : 'rejected',
        decidedBy: caller.userId,
        decidedAt,
        note: body.note,
      });
    } catch (error) {
      if ((error as Error).name === 'WorkflowConflictError') {
        throw new ConflictError('RESET_REQUEST_DECIDED', 'Another approver decided this request first', {
          cause: error,
        });
      }
      throw error;
    }
    const actor = `compliance_approver:${caller.userId}`;
    if (body.decision === 'reject') {
      await audit.append({
        subject: `verification:${verificationId}`,
        action: 'verification.reset_rejected',
        actor,
        reason: request.reason,
        ...originOf(event),
        details: { requestId, requestedBy: request.requestedBy, noteLength: body.note.length },
      });
      return jsonResponse(200, { verificationId, requestId, decision: 'reject', status: verification.status });
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
      actor,
      reason: request.reason,
      ...originOf(event),
      details: {
        requestId,
        requestedBy: request.requestedBy,
        approvedBy: caller.userId,
        from: verification.status,
        to: 'awaiting_upload',
        wasFrozen: verification.frozen,
      },
    });
    if (!events) throw new Error('The reset decision route needs status events');
    await events.statusChanged({ verificationId, status: 'awaiting_upload', reasons: [] });
    return jsonResponse(200, { verificationId, requestId, decision: 'approve', status: 'awaiting_upload' });
  });
}

export const handler = createResetVerificationHandler();
export const decisionHandler = createResetDecisionHandler();
