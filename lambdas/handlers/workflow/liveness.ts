/**
 * Workflow check: reads the Face Liveness session result of the attempt, binds it to the
 * applicant and persists it at once (the service keeps session results only for a short time).
 * The workflow starts with the last upload, so the applicant may still be in the challenge: an
 * open session (`CREATED`, `IN_PROGRESS`) is asked again every second for up to 20 s, then left
 * to the state machine's retries (`LivenessSessionPendingError`), never judged as failed.
 *
 * Binding (a live stand-in must not lend their liveness to a photo of someone else):
 * - the session must be the attempt's own: its images lie under the attempt's prefix
 *   (`liveness/<verificationId>/<attemptId>/`) of the liveness output bucket, else
 *   `LivenessSessionMismatchError` (the check fails and the case goes to a person);
 * - its images are copied from the short-lived intake bucket into the vault and deleted from
 *   intake (the attempt is going to a decision; images of abandoned attempts expire in intake);
 * - the reference face is compared with the document portrait and with the uploaded selfie
 *   (CompareFaces, judged by the decision policy with the face-match bands), and searched in the
 *   face collection for another account (duplicate identity).
 * Output: status, confidence and the binding scores, or `disabled` when the feature is off.
 */
import { livenessPrefix } from '../../adapters/aws/rekognition-liveness.ts';
import type { LivenessBinding, LivenessInput } from '../../domain/decision-policy.ts';
import type { ImageRef } from '../../ports/face-service.ts';
import { faceStepPorts, evidenceVault, livenessService, workflowSettings, type WorkflowDeps } from './deps.ts';
import { WorkflowRecordNotFoundError } from './errors.ts';
import type { WorkflowState } from './state.ts';
import { auditProcessing, requireEvidence, requireVerification } from './support.ts';
import { workflowTask } from './task.ts';

/** Liveness is on but the attempt has no session id: a defect of attempt creation. */
export class MissingLivenessSessionError extends Error {
  constructor(public readonly attemptId: string) {
    super(`Attempt ${attemptId} has no Face Liveness session`);
    this.name = 'MissingLivenessSessionError';
  }
}

/** The session's images are not under this attempt's prefix: it is not this attempt's session. */
export class LivenessSessionMismatchError extends Error {
  constructor(
    public readonly attemptId: string,
    public readonly sessionId: string,
  ) {
    super(`Face Liveness session ${sessionId} does not belong to attempt ${attemptId}`);
    this.name = 'LivenessSessionMismatchError';
  }
}

/**
 * The session is still open (`CREATED` or `IN_PROGRESS`: the applicant has not finished the
 * challenge) after the step's wait. Retried by the state machine; a session that is never
 * finished expires (3 minutes in AWS) and is then judged `EXPIRED`.
 */
export class LivenessSessionPendingError extends Error {
  constructor(
    public readonly attemptId: string,
    public readonly sessionId: string,
    public readonly status: string,
  ) {
    super(`Face Liveness session ${sessionId} of attempt ${attemptId} is still ${status}`);
    this.name = 'LivenessSessionPendingError';
  }
}

/** Statuses of a session the applicant may still finish. */
const OPEN_SESSION = new Set(['CREATED', 'IN_PROGRESS']);

/**
 * How long the step waits for an open session before it leaves it to the state machine's
 * retries, and how often it asks. The workflow starts with the last upload; a client that runs
 * the challenge after its uploads is usually done within seconds.
 */
export const LIVENESS_OPEN_SESSION_WAIT = { totalMs: 20_000, everyMs: 1_000 } as const;

/** The ports the step takes. */
export type LivenessDeps = Pick<
  WorkflowDeps,
  | 'audit'
  | 'clock'
  | 'config'
  | 'evidence'
  | 'faces'
  | 'functionName'
  | 'liveness'
  | 'livenessBucket'
  | 'processorLog'
  | 'sleep'
  | 'store'
  | 'vaultBucket'
>;

export async function livenessStep(state: WorkflowState, deps: LivenessDeps): Promise<LivenessInput> {
  if (!deps.config.features.liveness) return { kind: 'disabled' };
  const { verificationId, attemptId } = state;
  const attempt = await deps.store.getAttempt(verificationId, attemptId);
  if (!attempt) throw new WorkflowRecordNotFoundError(`attempt ${attemptId}`, verificationId);
  if (!attempt.livenessSessionId) throw new MissingLivenessSessionError(attemptId);
  const session = await finishedSession(deps, attemptId, attempt.livenessSessionId);

  const prefix = livenessPrefix(verificationId, attemptId);
  const images = [...(session.referenceImage ? [session.referenceImage] : []), ...(session.auditImages ?? [])];
  for (const image of images) {
    if (image.bucket !== deps.livenessBucket || !image.key.startsWith(prefix) || image.key.includes('..')) {
      throw new LivenessSessionMismatchError(attemptId, session.sessionId);
    }
  }
  // Liveness is the longest branch of the checks: its independent round trips run side by side.
  const vaulted: ImageRef[] = await Promise.all(
    images.map(async (image) => {
      const { versionId } = await deps.evidence.copyToVault(image, image.key, 'image/jpeg');
      return { bucket: deps.vaultBucket, key: image.key, ...(versionId ? { versionId } : {}) };
    }),
  );
  const reference = session.referenceImage ? vaulted[0] : undefined;

  const processors = ['rekognition:FaceLiveness@liveness_session'];
  let binding: LivenessBinding | undefined;
  let matchedUserIds: string[] = [];
  if (session.status === 'SUCCEEDED' && reference) {
    const [verification, { selfie, document_front: portrait }] = await Promise.all([
      requireVerification(deps, verificationId),
      requireEvidence(deps, verificationId, attemptId, 'selfie', 'document_front'),
    ]);
    const [toPortrait, toSelfie, hits] = await Promise.all([
      deps.faces.compareFaces(reference, portrait),
      deps.faces.compareFaces(reference, selfie),
      deps.faces.searchFaces(reference, deps.config.identity.duplicateFaceSimilarity),
    ]);
    matchedUserIds = [...new Set(hits.filter((h) => h.userId !== verification.userId).map((h) => h.userId))];
    binding = {
      portraitSimilarity: Math.round(toPortrait.similarity * 100) / 100,
      selfieSimilarity: Math.round(toSelfie.similarity * 100) / 100,
      faceHit: matchedUserIds.length > 0,
    };
    processors.push(
      `${deps.faces.processor}:CompareFaces@liveness_reference`,
      `${deps.faces.processor}:CompareFaces@document_front`,
      `${deps.faces.processor}:CompareFaces@selfie`,
      `${deps.faces.processor}:SearchFacesByImage@liveness_reference`,
    );
  }

  const result: LivenessInput = {
    kind: 'scored',
    status: session.status,
    ...(session.confidence !== undefined ? { confidence: Math.round(session.confidence * 100) / 100 } : {}),
    ...(binding ? { binding } : {}),
  };
  // The user's frames went to Rekognition Face Liveness; its reference image is in the vault.
  await deps.processorLog?.record({
    processor: 'rekognition',
    operation: 'FaceLiveness',
    purpose: 'liveness',
    verificationId,
    attemptId,
    objectKey: reference?.key ?? `liveness-session:${attempt.livenessSessionId}`,
    ...(session.requestId ? { requestId: session.requestId } : {}),
    succeeded: session.status === 'SUCCEEDED',
    at: deps.clock.now().toISOString(),
  });
  await deps.store.recordCheck({
    verificationId,
    attemptId,
    name: 'liveness',
    result: {
      ...result,
      ...(reference ? { referenceImageKey: reference.key } : {}),
      ...(vaulted.length > 1 ? { auditImageKeys: vaulted.slice(reference ? 1 : 0).map((image) => image.key) } : {}),
    },
    processors,
    ...(matchedUserIds.length > 0 ? { matchedUserIds } : {}),
    recordedAt: deps.clock.now().toISOString(),
  });
  await auditProcessing(deps, verificationId, attemptId, 'liveness', processors, {
    status: session.status,
    confidence: result.confidence ?? -1,
    imagesVaulted: vaulted.length,
    ...(binding
      ? {
          portraitSimilarity: binding.portraitSimilarity,
          selfieSimilarity: binding.selfieSimilarity,
          faceHit: binding.faceHit,
        }
      : {}),
  });
  // Vaulted and recorded: the intake copies go now rather than at lifecycle expiry (last, so a
  // retried step still finds them).
  await Promise.all(images.map((image) => deps.evidence.deleteObject(image)));
  return result;
}

/**
 * The session's result once the applicant has finished (or abandoned) the challenge: asks again
 * while it is open, up to `LIVENESS_OPEN_SESSION_WAIT`, then throws `LivenessSessionPendingError`.
 * Judging an open session would fail the attempt (`LIVENESS_CHECK_FAILED`) and leave the images
 * the finished challenge writes later in intake.
 */
async function finishedSession(deps: LivenessDeps, attemptId: string, sessionId: string) {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = deps.clock.now().getTime() + LIVENESS_OPEN_SESSION_WAIT.totalMs;
  for (;;) {
    const session = await deps.liveness.getResult(sessionId);
    if (!OPEN_SESSION.has(session.status)) return session;
    if (deps.clock.now().getTime() >= deadline) {
      throw new LivenessSessionPendingError(attemptId, sessionId, session.status);
    }
    await sleep(LIVENESS_OPEN_SESSION_WAIT.everyMs);
  }
}

export const handler = workflowTask('liveness', livenessStep, () => ({
  ...workflowSettings(),
  ...faceStepPorts(),
  evidence: evidenceVault(),
  liveness: livenessService(),
}));
