/**
 * On-upload: reacts to the intake bucket's `Object Created` events (S3 -> EventBridge), one
 * object at a time, and turns an upload into a recorded document:
 *
 *   parse key -> live attempt slot? (refused and destroyed when the verification is approved and
 *   frozen or the attempt is not the newest: never copied to the vault) -> head -> size limits -> bounded read -> sha256 failed
 *   before? -> quality gate -> record the document -> accepted: server-side copy to the vault,
 *   rejected: remember the hash -> delete the intake copy -> every slot accepted: start the
 *   workflow; a slot rejected: reject the attempt and the verification, count a failure.
 *
 * Idempotency (S3 events are at-least-once and unordered): our own conditional record, not
 * Powertools. The document item of a slot (`A#<attempt>#D#<slot>`) is created only if absent
 * and carries the intake version id, so a repeated event for the same bucket/key/version finds
 * it and only makes sure the intake copy is gone. The evidence is copied BEFORE the document
 * is recorded and the intake copy deleted only after both: a failure at any step throws (the
 * event is retried, then lands in the DLQ) with the upload still in intake, so nothing is
 * lost. The workflow start is idempotent by execution name (the attempt id).
 * Every outcome leaves an audit event; logs carry ids and reason codes only.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import middy from '@middy/core';
import type { KycConfig } from '../../../lib/config.ts';
import { DynamoDbAuditLog } from '../../adapters/aws/dynamodb-audit-log.ts';
import { configFromEnv, requireEnv } from '../../adapters/aws/environment.ts';
import { PowertoolsOperationalMetrics } from '../../adapters/aws/powertools-metrics.ts';
import { DynamoDbRateLimitStore, type RateLimitStore } from '../../adapters/aws/rate-limit-store.ts';
import { ObjectTooLargeError, S3EvidenceStore, type ObjectRef } from '../../adapters/aws/s3-evidence-store.ts';
import { SfnWorkflowStarter } from '../../adapters/aws/sfn-workflow-starter.ts';
import { ConcurrentModificationError, type VerificationChanges } from '../../adapters/aws/verification-repository.ts';
import { IntakeVerificationRepository } from '../../adapters/aws/intake-verification-repository.ts';
import { OPERATIONAL_METRICS, OUTCOME_DIMENSION } from '../../domain/operational-metrics.ts';
import type { AttemptRecord, AttemptStatus, DocumentRecord, VerificationRecord } from '../../domain/records.ts';
import { decisionCounters, type CounterUpdate } from '../../domain/decision-metrics.ts';
import type { ReasonCode } from '../../domain/reason-codes.ts';
import { parseIntakeKey } from '../../domain/intake-key.ts';
import { minimumUploadBytes } from '../../domain/upload-size.ts';
import { type Slot } from '../../domain/verification.ts';
import type { AuditLog } from '../../ports/audit-log.ts';
import { systemClock, type Clock } from '../../ports/clock.ts';
import type { OperationalMetrics } from '../../ports/operational-metrics.ts';
import type { QualityGate } from '../../ports/quality-gate.ts';
import type { WorkflowStarter } from '../../ports/workflow.ts';
import { logger } from '../shared/logger.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { lazy } from '../shared/lazy.ts';
import { RekognitionFaceDetector, type ProcessedObject } from '../../adapters/aws/rekognition-face-detector.ts';
import { AuditProcessorLog } from '../../adapters/aws/audit-processor-log.ts';
import { createQualityGate } from '../../quality/index.ts';
import { decodeEventKey, objectCreatedEventSchema } from './s3-object-created.ts';

export interface OnUploadDeps {
  readonly config: KycConfig;
  readonly repository: Pick<
    IntakeVerificationRepository,
    | 'getVerificationWithAttempts'
    | 'updateVerification'
    | 'getAttempt'
    | 'transitionAttempt'
    | 'transitionAttemptAndVerification'
    | 'createDocument'
    | 'listDocuments'
    | 'rememberRejectedImage'
    | 'isImageRejected'
  >;
  readonly evidence: Pick<S3EvidenceStore, 'head' | 'read' | 'copyToVault' | 'putToVault' | 'deleteObject'>;
  readonly qualityGate: QualityGate;
  readonly workflow: WorkflowStarter;
  readonly rateLimits: Pick<RateLimitStore, 'recordOutcome'>;
  readonly audit: Pick<AuditLog, 'append'>;
  readonly clock?: Clock;
  /** Counts each processed upload by outcome for the operations dashboard; none: not counted. */
  readonly metrics?: OperationalMetrics;
}

/** What happened to one event; returned for tests and the local runtime, logged in AWS. */
export type UploadOutcome = 'malformed' | 'ignored' | 'refused' | 'duplicate' | 'missing' | 'accepted' | 'rejected';

export interface UploadResult {
  readonly outcome: UploadOutcome;
  readonly reason?: string;
  readonly reasons?: readonly ReasonCode[];
  readonly workflowStarted?: boolean;
}

const ACTOR = 'system:on-upload';

/** The upload being checked, so the face detector's processor-log entries name its object. */
const processedObject = new AsyncLocalStorage<ProcessedObject>();

/**
 * Default dependencies from the function's environment. `qualityGate` is the quality gate of
 * `lambdas/quality`, one pass over the bytes (type by magic number, slot types, container
 * structure, dimensions from the header, then the pixel checks) with Rekognition DetectFaces as
 * its face detector (the local runtime points
 * the same client at its Rekognition stand-in through `AWS_ENDPOINT_URL_REKOGNITION`).
 * The workflow starter reads `STATE_MACHINE_ARN` on first use, so a function deployed before
 * the workflow still records documents and fails (and is retried) only when it must start one.
 */
export function defaultOnUploadDeps(
  env: NodeJS.ProcessEnv = process.env,
  overrides: { qualityGate?: QualityGate } = {},
): OnUploadDeps {
  const config = configFromEnv(env);
  const audit = new DynamoDbAuditLog({ tableName: requireEnv('auditTable', env) });
  const faceDetector = new RekognitionFaceDetector(undefined, {
    processorLog: new AuditProcessorLog({ audit, actor: ACTOR }),
    currentObject: () => processedObject.getStore(),
  });
  const starter = lazy(() => new SfnWorkflowStarter({ stateMachineArn: requireEnv('stateMachineArn', env) }));
  return {
    config,
    repository: new IntakeVerificationRepository({ tableName: requireEnv('verificationsTable', env) }),
    evidence: new S3EvidenceStore({
      vaultBucket: requireEnv('vaultBucket', env),
      documentsKeyId: requireEnv('documentsKeyArn', env),
    }),
    qualityGate: overrides.qualityGate ?? createQualityGate({ config, faceDetector }),
    workflow: { start: (input) => starter().start(input) },
    rateLimits: new DynamoDbRateLimitStore({
      tableName: requireEnv('rateLimitsTable', env),
      limits: config.rateLimits,
    }),
    audit,
    metrics: new PowertoolsOperationalMetrics({ installation: config.prefix }),
  };
}

/** Vault key of an accepted document. */
export function evidenceKey(verificationId: string, attemptId: string, slot: Slot): string {
  return `evidence/${verificationId}/${attemptId}/${slot}`;
}

export { parseIntakeKey };

export function createOnUploadHandler(source: DepsSource<OnUploadDeps>) {
  const deps = resolveDeps(source);
  return middy(async (event: EventBridgeEvent<string, unknown>, context?: Context): Promise<UploadResult> => {
    const parsed = objectCreatedEventSchema.safeParse(event);
    if (!parsed.success) {
      logger.error('malformed upload event dropped', {
        issues: parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.')}: ${issue.message}`),
      });
      deps().metrics?.count(OPERATIONAL_METRICS.upload, { [OUTCOME_DIMENSION]: 'malformed' });
      return { outcome: 'malformed', reason: 'event_shape' };
    }
    const { bucket, object } = parsed.data.detail;
    const ref: ObjectRef = {
      bucket: bucket.name,
      key: decodeEventKey(object.key),
      ...(object['version-id'] ? { versionId: object['version-id'] } : {}),
    };
    const result = await processUpload(deps(), ref, context?.functionName ?? 'on-upload');
    deps().metrics?.count(OPERATIONAL_METRICS.upload, { [OUTCOME_DIMENSION]: result.outcome });
    logger.info('upload processed', { key: ref.key, versionId: ref.versionId, ...result });
    return result;
  });
}

async function processUpload(deps: OnUploadDeps, ref: ObjectRef, origin: string): Promise<UploadResult> {
  const { config, repository, evidence, audit } = deps;
  const clock = deps.clock ?? systemClock;
  const target = parseIntakeKey(ref.key);

  const ignore = async (reason: string, subject: string, details: Record<string, string> = {}) => {
    await audit.append({
      subject,
      action: 'upload.ignored',
      actor: ACTOR,
      origin,
      reason,
      details: { key: ref.key, ...details },
    });
    // Not evidence of any live attempt, but possibly PII: destroy it now rather than at lifecycle expiry.
    await evidence.deleteObject(ref);
    return { outcome: 'ignored' as const, reason };
  };

  if (!target) return ignore('key_not_an_attempt_slot', `intake:${ref.bucket}`);
  const { verificationId, attemptId, slot } = target;
  const subject = `verification:${verificationId}`;
  // One round of reads, side by side: the verification with its attempts and their documents
  // (one query), and the object's head, wanted on the common path (an upload to the live
  // attempt's empty slot).
  const [{ verification, attempts }, head] = await Promise.all([
    repository.getVerificationWithAttempts(verificationId),
    evidence.head(ref),
  ]);
  const listed = attempts.find((entry) => entry.attempt.attemptId === attemptId);
  if (!verification || !listed) return ignore('unknown_attempt', `intake:${ref.bucket}`);
  const { attempt, documents } = listed;
  // A document is only ever recorded for a slot the attempt requires.
  const recorded = documents.find((doc) => doc.slot === slot);
  const stale = staleReason(verification, attempt, attempts);
  if (stale) {
    const same = recorded ? await sameUpload(evidence, ref, recorded) : 'other';
    if (same !== 'other') {
      // The recorded upload itself, delivered again after the case moved on (the delivery that
      // recorded it stopped before deleting the intake copy): it counted; only the copy is left.
      await audit.append({
        subject,
        action: 'upload.duplicate',
        actor: ACTOR,
        origin,
        reason: stale,
        details: { attemptId, slot },
      });
      if (same === 'unfinished') await evidence.deleteObject(ref);
      return { outcome: 'duplicate' };
    }
    await audit.append({
      subject,
      action: 'upload.refused',
      actor: ACTOR,
      origin,
      reason: stale,
      details: { key: ref.key, attemptId, slot, attemptStatus: attempt.status },
    });
    await evidence.deleteObject(ref);
    return { outcome: 'refused', reason: stale };
  }
  if (!attempt.requiredSlots.includes(slot)) return ignore('slot_not_required', subject, { attemptId, slot });

  if (recorded) {
    // The intake copy is deleted last: still there, the delivery that recorded it stopped
    // before the end (a crash, a timeout). Finish its steps, which are idempotent.
    const same = await sameUpload(evidence, ref, recorded);
    if (same === 'unfinished') return finishRecorded(deps, verification, attempt, recorded, ref, origin);
    if (same === 'finished') {
      await audit.append({ subject, action: 'upload.duplicate', actor: ACTOR, origin, details: { attemptId, slot } });
      return { outcome: 'duplicate' };
    }
    return ignore('slot_already_recorded', subject, { attemptId, slot });
  }
  if (attempt.status !== 'awaiting_upload') {
    return ignore('attempt_closed', subject, { attemptId, slot, attemptStatus: attempt.status });
  }

  if (!head) {
    await audit.append({ subject, action: 'upload.missing', actor: ACTOR, origin, details: { attemptId, slot } });
    return { outcome: 'missing' };
  }

  const { uploads } = config;
  let reasons: ReasonCode[] = [];
  let bytes: Buffer | undefined;
  let sha256 = '';
  if (head.sizeBytes > uploads.maxFileBytes) reasons = ['FILE_TOO_LARGE'];
  // The floor of the declared type (PDFs have none); the gate checks the floor of the sniffed type.
  else if (head.sizeBytes < minimumUploadBytes(head.contentType, uploads.minFileBytes)) reasons = ['FILE_TOO_SMALL'];
  else {
    const total = documents.reduce((sum, doc) => sum + doc.sizeBytes, 0) + head.sizeBytes;
    if (total > uploads.maxAttemptBytes) reasons = ['ATTEMPT_TOO_LARGE'];
  }
  if (reasons.length === 0) {
    try {
      bytes = await evidence.read(ref, uploads.maxFileBytes);
    } catch (error) {
      // The object grew past the head's size (a new version under the same key): refuse it.
      if (!(error instanceof ObjectTooLargeError)) throw error;
      reasons = ['FILE_TOO_LARGE'];
    }
  }
  if (bytes) {
    sha256 = createHash('sha256').update(bytes).digest('hex');
    if (await repository.isImageRejected(verificationId, sha256)) reasons = ['IMAGE_ALREADY_REJECTED'];
  }

  let metrics: Readonly<Record<string, number>> = {};
  let processors: readonly string[] = [];
  let contentType = head.contentType;
  let sniffedType: string | undefined;
  /** The image without the media a camera appended after it, when there was any. */
  let image: Buffer | undefined;
  if (bytes && reasons.length === 0) {
    const checked = { verificationId, attemptId, key: ref.key, ...(ref.versionId ? { versionId: ref.versionId } : {}) };
    const data = bytes;
    const verdict = await processedObject.run(checked, () =>
      deps.qualityGate(data, { slot, documentType: verification.documentType }),
    );
    metrics = verdict.metrics;
    processors = verdict.processors ?? ['quality-gate'];
    sniffedType = verdict.detectedType;
    contentType = sniffedType ?? contentType;
    if (verdict.imageBytes !== undefined && verdict.imageBytes > 0 && verdict.imageBytes < data.length) {
      image = data.subarray(0, verdict.imageBytes);
    }
    if (!verdict.accepted) reasons = verdict.reasons.length > 0 ? [...verdict.reasons] : ['FILE_CORRUPT'];
    // The vault copy carries the type read from the bytes, never the client's: no type, no copy.
    else if (!sniffedType) reasons = ['FILE_CORRUPT'];
  }
  const accepted = reasons.length === 0;

  let vault: { key: string; versionId?: string } | undefined;
  if (accepted) {
    const key = evidenceKey(verificationId, attemptId, slot);
    // Evidence is what was judged: a gain map or motion video after the image is not kept.
    const stored = image
      ? await evidence.putToVault(image, key, sniffedType!)
      : await evidence.copyToVault(ref, key, sniffedType!);
    vault = { key, ...stored };
  } else if (sha256) {
    await repository.rememberRejectedImage(verificationId, sha256, { attemptId, slot, reasons });
  }

  const document: DocumentRecord = {
    verificationId,
    attemptId,
    slot,
    result: accepted ? 'accepted' : 'rejected',
    reasons,
    sha256,
    sizeBytes: head.sizeBytes,
    contentType,
    ...(vault ? { vaultKey: vault.key, ...(vault.versionId ? { vaultVersionId: vault.versionId } : {}) } : {}),
    metrics,
    processors,
    ...(ref.versionId ? { intakeVersionId: ref.versionId } : {}),
    recordedAt: clock.now().toISOString(),
  };
  if (!(await repository.createDocument(document))) {
    // A concurrent delivery of the same event recorded it first; it also deletes the intake copy.
    await audit.append({ subject, action: 'upload.duplicate', actor: ACTOR, origin, details: { attemptId, slot } });
    return { outcome: 'duplicate' };
  }
  return finishRecorded(deps, verification, attempt, document, ref, origin);
}

/**
 * Everything after the document record, in an order that survives a stop at any point: the
 * audit event, then the attempt's rejection or the workflow start, and only then the deletion
 * of the intake copy, whose presence tells a later delivery that these steps may be unfinished.
 * Run again, each step changes nothing twice (the audit event may repeat, never differ; the
 * execution name is the attempt's; the failure count is recorded once per attempt).
 */
async function finishRecorded(
  deps: OnUploadDeps,
  verification: VerificationRecord,
  attempt: AttemptRecord,
  document: DocumentRecord,
  ref: ObjectRef,
  origin: string,
): Promise<UploadResult> {
  const { attemptId, slot, reasons, sizeBytes, processors, sha256 } = document;
  const accepted = document.result === 'accepted';
  const recorded = deps.audit.append({
    subject: `verification:${verification.verificationId}`,
    action: accepted ? 'document.accepted' : 'document.rejected',
    actor: ACTOR,
    origin,
    details: {
      attemptId,
      slot,
      reasons: [...reasons],
      sizeBytes,
      processors: [...processors],
      ...(sha256 ? { sha256 } : {}),
    },
  });
  if (!accepted) {
    await recorded;
    await rejectAttempt(deps, verification, attempt, reasons, origin);
    await deps.evidence.deleteObject(ref);
    return { outcome: 'rejected', reasons };
  }
  // The attempt's documents are read while the event is written (a read, written after this
  // document's record); the workflow starts only once both are done, and a failure of either
  // surfaces only after both settled (no append left running behind a failed delivery).
  const [appended, listed] = await Promise.allSettled([
    recorded,
    deps.repository.listDocuments(verification.verificationId, attemptId),
  ]);
  if (appended.status === 'rejected') throw appended.reason;
  if (listed.status === 'rejected') throw listed.reason;
  const documents = listed.value;
  const workflowStarted = await startWhenComplete(deps, attempt, documents, origin);
  await deps.evidence.deleteObject(ref);
  return { outcome: 'accepted', workflowStarted };
}

/**
 * Whether an intake object under an already recorded slot is the recorded upload itself:
 * `unfinished` when it is (same version, or the same bytes under a new version, as the
 * reconciler's re-drive copy makes) and still in intake; `finished` when it is the same version
 * and gone; `other` for a different upload to the same slot (the first one counts).
 */
async function sameUpload(
  evidence: OnUploadDeps['evidence'],
  ref: ObjectRef,
  recorded: DocumentRecord,
): Promise<'unfinished' | 'finished' | 'other'> {
  const head = await evidence.head(ref);
  if (recorded.intakeVersionId === ref.versionId) {
    return head ? 'unfinished' : 'finished';
  }
  if (!head || head.sizeBytes !== recorded.sizeBytes) return 'other';
  if (recorded.sha256 === '') return 'other';
  const bytes = await evidence.read(ref, recorded.sizeBytes).catch(() => undefined);
  if (!bytes) return 'other';
  return createHash('sha256').update(bytes).digest('hex') === recorded.sha256 ? 'unfinished' : 'other';
}

/**
 * Why an upload to this attempt must not count (an upload to a stale attempt could otherwise
 * reopen, reject or re-decide a verification that was already decided): the verification is
 * approved and frozen, or the attempt was superseded, or a newer attempt exists.
 */
function staleReason(
  verification: VerificationRecord,
  attempt: AttemptRecord,
  attempts: ReadonlyArray<{ readonly attempt: AttemptRecord }>,
): 'verification_frozen' | 'attempt_superseded' | undefined {
  if (verification.frozen || verification.status === 'approved') return 'verification_frozen';
  if (attempt.status === 'superseded') return 'attempt_superseded';
  const latest = attempts.at(-1)?.attempt.attemptId;
  return latest !== undefined && latest !== attempt.attemptId ? 'attempt_superseded' : undefined;
}

/**
 * Rejects the attempt and the verification with the slot's reasons and counts a failure. The
 * failure is counted first (once per attempt id, so a retried event does not count it twice);
 * then the attempt and its verification move in one transaction, so a client never reads the
 * attempt rejected while the verification still waits for uploads. A retried event that finds
 * the attempt already rejected (by itself before a stop, or by another slot's delivery) only
 * makes sure the verification says so.
 */
async function rejectAttempt(
  deps: OnUploadDeps,
  verification: VerificationRecord,
  attempt: AttemptRecord,
  slotReasons: readonly ReasonCode[],
  origin: string,
): Promise<void> {
  const { repository, audit } = deps;
  const { verificationId, attemptId } = attempt;
  const before = await repository.getAttempt(verificationId, attemptId);
  if (before?.status !== 'awaiting_upload' && before?.status !== 'rejected') return;
  const outcome = await deps.rateLimits.recordOutcome(verification.userId, attemptId, 'failed');
  const cooldown = outcome.cooldownUntil !== undefined;
  const changes = (reasons: readonly ReasonCode[]): VerificationChanges => ({
    status: cooldown ? 'cooldown' : 'rejected',
    reasons,
    consecutiveFailures: outcome.consecutiveFailures,
    riskFlags: outcome.riskFlags,
    ...(cooldown ? { cooldownUntil: outcome.cooldownUntil } : {}),
  });
  let reasons = slotReasons;
  // A rejection at the quality gate is an automatic decision (no time to decision: nothing was submitted).
  const counters = decisionCounters({
    outcome: 'rejected',
    mode: 'automatic',
    reasons: slotReasons,
    decidedAt: (deps.clock ?? systemClock).now().toISOString(),
    resubmission: verification.consecutiveFailures > 0,
  });
  const moved =
    before.status === 'awaiting_upload' &&
    (await moveTogether(
      deps,
      verificationId,
      attemptId,
      { status: 'rejected', reasons: slotReasons },
      () => changes(slotReasons),
      [counters],
    ));
  if (!moved) {
    const current = await repository.getAttempt(verificationId, attemptId);
    if (current?.status !== 'rejected') return;
    reasons = current.reasons;
    await updateIfLatest(deps, verificationId, attemptId, () => changes(reasons));
  }
  await audit.append({
    subject: `verification:${verificationId}`,
    action: 'attempt.rejected',
    actor: ACTOR,
    origin,
    details: { attemptId, reasons, ...(cooldown ? { cooldownUntil: outcome.cooldownUntil as string } : {}) },
  });
}

/**
 * Moves the attempt from `awaiting_upload` (with `counters`) and, unless a newer attempt exists
 * (the user already started over) or `changesFor` finds nothing to change, its verification in
 * one transaction. False when the attempt was no longer awaiting uploads.
 */
function moveTogether(
  deps: OnUploadDeps,
  verificationId: string,
  attemptId: string,
  change: { status: AttemptStatus; reasons?: readonly ReasonCode[] },
  changesFor: (current: VerificationRecord) => VerificationChanges | undefined,
  counters: readonly CounterUpdate[] = [],
): Promise<boolean> {
  const { repository } = deps;
  return withLatestVerification(deps, verificationId, attemptId, (current) => {
    const changes = current && changesFor(current);
    if (!current || !changes) {
      return repository.transitionAttempt(verificationId, attemptId, ['awaiting_upload'], change, counters);
    }
    return repository.transitionAttemptAndVerification(
      verificationId,
      attemptId,
      ['awaiting_upload'],
      change,
      { expectedVersion: current.version, changes },
      counters,
    );
  });
}

/** Starts the workflow once every required slot has an accepted document (`documents`: the attempt's, read after this upload's record). */
async function startWhenComplete(
  deps: OnUploadDeps,
  attempt: AttemptRecord,
  documents: readonly DocumentRecord[],
  origin: string,
): Promise<boolean> {
  const { repository, audit } = deps;
  const { verificationId, attemptId } = attempt;
  const complete = attempt.requiredSlots.every((slot) =>
    documents.some((doc) => doc.slot === slot && doc.result === 'accepted'),
  );
  if (!complete) return false;
  // Status first, the attempt and the verification together: the workflow may finish quickly
  // and must not have its decision overwritten.
  const toProcessing = (current: VerificationRecord): VerificationChanges | undefined =>
    current.status === 'awaiting_upload' ? { status: 'processing', reasons: [] } : undefined;
  const moved = await moveTogether(deps, verificationId, attemptId, { status: 'processing' }, toProcessing);
  if (!moved) {
    // Moved by an earlier delivery that stopped before the workflow started.
    const current = await repository.getAttempt(verificationId, attemptId);
    if (current?.status !== 'processing') return false;
    await updateIfLatest(deps, verificationId, attemptId, toProcessing);
  }
  const { started } = await deps.workflow.start({ verificationId, attemptId });
  if (started) {
    await audit.append({
      subject: `verification:${verificationId}`,
      action: 'workflow.started',
      actor: ACTOR,
      origin,
      details: { attemptId, slots: attempt.requiredSlots },
    });
  }
  return started;
}

/**
 * Applies changes to the verification unless a newer attempt exists (the user already started
 * over), retrying on concurrent modification.
 */
async function updateIfLatest(
  deps: OnUploadDeps,
  verificationId: string,
  attemptId: string,
  changesFor: (current: VerificationRecord) => VerificationChanges | undefined,
): Promise<void> {
  await withLatestVerification(deps, verificationId, attemptId, async (current) => {
    const changes = current && changesFor(current);
    if (current && changes) await deps.repository.updateVerification(verificationId, current.version, changes);
  });
}

/**
 * Runs `write` with the verification as it is now, or with undefined when it is gone or a newer
 * attempt than `attemptId` exists (the verification is then not this attempt's to change);
 * again, with a fresh read, when the verification changed in between (up to 5 tries).
 */
async function withLatestVerification<T>(
  deps: OnUploadDeps,
  verificationId: string,
  attemptId: string,
  write: (current: VerificationRecord | undefined) => Promise<T>,
): Promise<T> {
  const { repository } = deps;
  for (let tries = 0; tries < 5; tries += 1) {
    // One read: the write is conditional on the version read, so a verification that changed
    // since fails the write and comes round again.
    const { attempts, verification } = await repository.getVerificationWithAttempts(verificationId);
    const latest = attempts.at(-1)?.attempt.attemptId;
    const current = latest === undefined || latest === attemptId ? verification : undefined;
    try {
      return await write(current);
    } catch (error) {
      if (!(error instanceof ConcurrentModificationError)) throw error;
    }
  }
  throw new ConcurrentModificationError(`V#${verificationId}`, 'META');
}

export const handler = createOnUploadHandler(() => defaultOnUploadDeps());
