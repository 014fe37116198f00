/**
 * Erasure of one person's records, shared by `POST /v1/me/erasure` and the scheduled deletion
 * job: gathers the person's verifications and the Object Lock state of every vault object,
 * asks the pure planner (`domain/records-erasure.ts`) what may go, and applies it in an order
 * that never loses evidence of what happened:
 *
 *   per erased attempt:  its indexed faces removed from the collection -> audit `faces.removed`
 *                        -> vault versions deleted -> audit `evidence.deleted` (per object)
 *                        -> intake leftovers deleted -> attempt records deleted -> audit `attempt.erased`
 *   per erased verification: its records deleted -> audit `verification.erased`
 *
 * Records go last, so an interrupted run is found and finished by the next one (deletions are
 * idempotent, and removing a face already gone is not an error). The faces are the biometric
 * templates the duplicates check indexed from the attempt's selfie (their ids are on its check
 * record): they last as long as the attempt's evidence, not longer. S3 refuses to delete a locked or held version, so a wrong plan fails loudly
 * instead of destroying evidence.
 */
import type {
  DeferredErasureRecord,
  DueEntry,
  EvidenceObject,
  RecordsLifecycleRepository,
  VerificationItems,
} from '../../adapters/aws/records-lifecycle-repository.ts';
import { vaultObjectsOf } from '../../adapters/aws/records-lifecycle-repository.ts';
import {
  planErasure,
  type AttemptState,
  type ErasurePlan,
  type VaultObjectState,
  type VerificationState,
} from '../../domain/records-erasure.ts';
import type { AuditLog } from '../../ports/audit-log.ts';
import type { Clock } from '../../ports/clock.ts';
import type { EvidenceLocks, ObjectRef } from '../../ports/evidence-locks.ts';
import type { FaceService } from '../../ports/face-service.ts';

export interface RecordsEraserDeps {
  readonly records: Pick<
    RecordsLifecycleRepository,
    | 'getClosure'
    | 'verificationIdsOf'
    | 'verificationItems'
    | 'deleteAttemptRecords'
    | 'deleteVerificationRecords'
    | 'dropFromWorkList'
    | 'due'
    | 'getDeferredErasure'
    | 'putDeferredErasure'
    | 'deleteDeferredErasure'
    | 'deleteClosure'
  >;
  readonly locks: Pick<EvidenceLocks, 'getRetention' | 'getLegalHold'>;
  readonly vault: { deleteVersions(object: ObjectRef): Promise<number> };
  /** Intake leftovers of erased attempts (absent: left to the intake bucket's one-day lifecycle). */
  readonly intake?: { deleteUnder(prefix: string): Promise<number> };
  /** The user's rate-limit counters (erasure requests only). */
  readonly rateLimits?: { forgetUser(userId: string): Promise<number> };
  /** The face collection: an erased attempt's indexed faces leave it. */
  readonly faces: Pick<FaceService, 'removeFaces'>;
  readonly audit: Pick<AuditLog, 'append'>;
  readonly clock: Clock;
  /** Years evidence is kept (`retention.evidenceYears`). */
  readonly evidenceYears: number;
}

/** One thing that was (or, in a dry run, would be) erased. */
export type ErasedItem =
  | {
      readonly kind: 'attempt';
      readonly verificationId: string;
      readonly attemptId: string;
      readonly why: 'never_reached_vault' | 'retention_ended';
      readonly vaultObjects: number;
    }
  | { readonly kind: 'verification'; readonly verificationId: string }
  | { readonly kind: 'intake_uploads'; readonly objects: number }
  | { readonly kind: 'rate_limit_counters'; readonly items: number };

export interface ErasureRun {
  readonly plan: ErasurePlan;
  readonly erased: readonly ErasedItem[];
  /** Verifications of the person that were looked at. */
  readonly verifications: number;
}

export interface EraseOptions {
  /** `erase` on a person's request; `keep` when the deletion job acts on retention alone. */
  readonly drafts: 'erase' | 'keep';
  /** Who acts, for the audit trail (`user:<id>`, `system:records-purge`). */
  readonly actor: string;
  readonly reason: string;
  readonly origin?: string;
  /** Plan only: report what would be erased, change nothing. */
  readonly dryRun?: boolean;
}

/** Object Lock state of an object, as the planner needs it. */
async function objectState(deps: RecordsEraserDeps, object: EvidenceObject): Promise<VaultObjectState> {
  const ref = { key: object.key, ...(object.versionId ? { versionId: object.versionId } : {}) };
  const [lockedUntil, legalHold] = await Promise.all([deps.locks.getRetention(ref), deps.locks.getLegalHold(ref)]);
  return { ...ref, recordedAt: object.recordedAt, ...(lockedUntil ? { lockedUntil } : {}), legalHold };
}

/** The planner's view of one verification's items. */
async function verificationState(deps: RecordsEraserDeps, items: VerificationItems): Promise<VerificationState> {
  const attempts = new Map<string, { status: string; createdAt: string; objects: EvidenceObject[] }>();
  for (const attempt of items.attempts) {
    attempts.set(String(attempt.attemptId), {
      status: String(attempt.status),
      createdAt: String(attempt.createdAt),
      objects: [],
    });
  }
  for (const item of [...items.documents, ...items.checks]) {
    for (const object of vaultObjectsOf(item)) {
      const attemptId = object.attemptId ?? String(item.attemptId);
      // A document whose attempt record is gone still names its attempt: it is planned like one.
      const entry = attempts.get(attemptId) ?? { status: 'unknown', createdAt: object.recordedAt, objects: [] };
      entry.objects.push(object);
      attempts.set(attemptId, entry);
    }
  }
  const states: AttemptState[] = [];
  for (const [attemptId, entry] of attempts) {
    states.push({
      attemptId,
      status: entry.status,
      createdAt: entry.createdAt,
      vaultObjects: await Promise.all(entry.objects.map((object) => objectState(deps, object))),
    });
  }
  return {
    verificationId: items.verificationId,
    status: String(items.meta?.status ?? 'unknown'),
    legalHold: items.hold?.on === true,
    attempts: states,
  };
}

/**
 * The faces an attempt's duplicates check indexed (`faceIds` on its check record) and that no
 * rejection removed since (`facesRemovedAt`), each once.
 *
 * @example
 * ```ts
 * indexedFacesOf(items, 'a1'); // ['3f0c…', '9a41…']
 * ```
 */
export function indexedFacesOf(items: VerificationItems, attemptId: string): string[] {
  const ids = new Set<string>();
  for (const check of items.checks) {
    if (check.attemptId !== attemptId || check.facesRemovedAt !== undefined || !Array.isArray(check.faceIds)) continue;
    for (const id of check.faceIds) if (typeof id === 'string' && id !== '') ids.add(id);
  }
  return [...ids];
}

/**
 * Plans and (unless `dryRun`) applies the erasure of everything of `userId` that may go now.
 *
 * @example
 * ```ts
 * const run = await eraseUser(deps, 'u1', { drafts: 'erase', actor: 'user:u1', reason: 'erasure request' });
 * run.erased;              // [{ kind: 'attempt', ... }, { kind: 'rate_limit_counters', items: 1 }]
 * run.plan.retainedUntil;  // what is kept, until when
 * ```
 */
export async function eraseUser(deps: RecordsEraserDeps, userId: string, options: EraseOptions): Promise<ErasureRun> {
  const now = deps.clock.now();
  const closure = await deps.records.getClosure(userId);
  const all: VerificationItems[] = [];
  for (const verificationId of await deps.records.verificationIdsOf(userId)) {
    const items = await deps.records.verificationItems(verificationId);
    // The index is eventually consistent and the id comes from it: only the user's own records.
    if (items.meta && items.meta.userId !== userId) continue;
    all.push(items);
  }
  const states = await Promise.all(all.map((items) => verificationState(deps, items)));
  const plan = planErasure({
    now,
    years: deps.evidenceYears,
    ...(closure ? { account: { relationshipEndedAt: closure.relationshipEndedAt } } : {}),
    drafts: options.drafts,
    verifications: states,
  });
  const erased: ErasedItem[] = [];
  const event = (subject: string, action: string, details: Record<string, string | number | boolean>) =>
    deps.audit.append({
      subject,
      action,
      actor: options.actor,
      reason: options.reason,
      ...(options.origin ? { origin: options.origin } : {}),
      details,
    });
  let intakeObjects = 0;
  for (const attempt of plan.erase.attempts) {
    const { verificationId, attemptId } = attempt;
    erased.push({
      kind: 'attempt',
      verificationId,
      attemptId,
      why: attempt.why,
      vaultObjects: attempt.vaultObjects.length,
    });
    if (options.dryRun) continue;
    const subject = `verification:${verificationId}`;
    const items = all.find((candidate) => candidate.verificationId === verificationId)!;
    const faces = indexedFacesOf(items, attemptId);
    if (faces.length > 0) {
      await deps.faces.removeFaces(faces);
      await event(subject, 'faces.removed', { attemptId, faces: faces.length });
    }
    for (const object of attempt.vaultObjects) {
      const versions = await deps.vault.deleteVersions(object);
      await event(subject, 'evidence.deleted', {
        attemptId,
        vaultKey: object.key,
        versions,
        recordedAt: object.recordedAt,
        ...(object.lockedUntil ? { lockedUntil: object.lockedUntil.toISOString() } : {}),
      });
    }
    if (deps.intake) {
      intakeObjects += await deps.intake.deleteUnder(`intake/${verificationId}/${attemptId}/`);
      intakeObjects += await deps.intake.deleteUnder(`liveness/${verificationId}/${attemptId}/`);
    }
    const records = await deps.records.deleteAttemptRecords(items, attemptId);
    await event(subject, 'attempt.erased', {
      attemptId,
      why: attempt.why,
      records,
      vaultObjects: attempt.vaultObjects.length,
    });
  }
  for (const verificationId of plan.erase.verifications) {
    erased.push({ kind: 'verification', verificationId });
    if (options.dryRun) continue;
    const items = all.find((candidate) => candidate.verificationId === verificationId)!;
    const records = await deps.records.deleteVerificationRecords(items);
    await event(`verification:${verificationId}`, 'verification.erased', { records });
  }
  if (intakeObjects > 0) erased.push({ kind: 'intake_uploads', objects: intakeObjects });
  if (options.drafts === 'erase' && deps.rateLimits && !options.dryRun) {
    const items = await deps.rateLimits.forgetUser(userId);
    if (items > 0) erased.push({ kind: 'rate_limit_counters', items });
  }
  return { plan, erased, verifications: all.length };
}

/** Whether a finished run left nothing of the person (their account records may go too). */
export function nothingLeft(run: ErasureRun): boolean {
  return run.plan.retained.length === 0 && run.plan.erase.verifications.length === run.verifications;
}

export type { DeferredErasureRecord, DueEntry };
