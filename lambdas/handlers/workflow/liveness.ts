/**
 * Workflow check: reads the Face Liveness session result of the attempt and persists it at
 * once (the service keeps session results only for a short time). Output: status and
 * confidence, or `disabled` when the liveness feature is off.
 */
import type { LivenessInput } from '../../domain/decision-policy.ts';
import type { WorkflowDeps } from './deps.ts';
import { WorkflowRecordNotFoundError } from './errors.ts';
import type { WorkflowState } from './state.ts';
import { auditProcessing } from './support.ts';
import { workflowTask } from './task.ts';

/** Liveness is on but the attempt has no session id: a defect of attempt creation. */
export class MissingLivenessSessionError extends Error {
  constructor(public readonly attemptId: string) {
    super(`Attempt ${attemptId} has no Face Liveness session`);
    this.name = 'MissingLivenessSessionError';
  }
}

export async function livenessStep(state: WorkflowState, deps: WorkflowDeps): Promise<LivenessInput> {
  if (!deps.config.features.liveness) return { kind: 'disabled' };
  const { verificationId, attemptId } = state;
  const attempt = await deps.store.getAttempt(verificationId, attemptId);
  if (!attempt) throw new WorkflowRecordNotFoundError(`attempt ${attemptId}`, verificationId);
  if (!attempt.livenessSessionId) throw new MissingLivenessSessionError(attemptId);
  const session = await deps.liveness.getResult(attempt.livenessSessionId);
  const result: LivenessInput = {
    kind: 'scored',
    status: session.status,
    ...(session.confidence !== undefined ? { confidence: Math.round(session.confidence * 100) / 100 } : {}),
  };
  const processors = ['rekognition:FaceLiveness@liveness_session'];
  // The user's frames went to Rekognition Face Liveness; its reference image is in the vault.
  await deps.processorLog?.record({
    processor: 'rekognition',
    operation: 'FaceLiveness',
    purpose: 'liveness',
    verificationId,
    attemptId,
    objectKey: session.referenceImage?.key ?? `liveness-session:${attempt.livenessSessionId}`,
    ...(session.requestId ? { requestId: session.requestId } : {}),
    succeeded: session.status === 'SUCCEEDED',
    at: deps.clock.now().toISOString(),
  });
  await deps.store.recordCheck({
    verificationId,
    attemptId,
    name: 'liveness',
    result: { ...result, ...(session.referenceImage ? { referenceImageKey: session.referenceImage.key } : {}) },
    processors,
    recordedAt: deps.clock.now().toISOString(),
  });
  await auditProcessing(deps, verificationId, attemptId, 'liveness', processors, {
    status: session.status,
    confidence: result.confidence ?? -1,
  });
  return result;
}

export const handler = workflowTask('liveness', livenessStep);
