/**
 * Helpers shared by the workflow steps: evidence lookup, audited status changes and the
 * "which processor handled which image" record (PRODUCT §5).
 */
import { assertTransition, type TransitionCause } from '../../domain/status-transitions.ts';
import type { AuditEventInput, VerificationRecord } from '../../domain/records.ts';
import type { Slot, VerificationStatus } from '../../domain/verification.ts';
import type { ImageRef } from '../../ports/face-service.ts';
import type { VerificationChanges } from '../../ports/workflow-store.ts';
import type { WorkflowDeps } from './deps.ts';
import { MissingEvidenceError, WorkflowRecordNotFoundError } from './errors.ts';
import { subjectOf } from './task.ts';

/**
 * The vault objects of the attempt's accepted documents in `slots`, from one read of its
 * documents; a slot without one maps to undefined.
 *
 * @example
 * ```ts
 * const { document_back: back } = await findEvidence(deps, verificationId, attemptId, 'document_back');
 * ```
 */
export async function findEvidence<S extends Slot>(
  deps: Pick<WorkflowDeps, 'store' | 'vaultBucket'>,
  verificationId: string,
  attemptId: string,
  ...slots: S[]
): Promise<Record<S, ImageRef | undefined>> {
  const documents = await deps.store.listDocuments(verificationId, attemptId);
  const found = {} as Record<S, ImageRef | undefined>;
  for (const slot of slots) {
    const document = documents.find((d) => d.slot === slot && d.result === 'accepted' && d.vaultKey);
    found[slot] = document?.vaultKey
      ? {
          bucket: deps.vaultBucket,
          key: document.vaultKey,
          ...(document.vaultVersionId ? { versionId: document.vaultVersionId } : {}),
        }
      : undefined;
  }
  return found;
}

/**
 * When the attempt was complete: its last accepted upload (the workflow starts right after it),
 * as `{ submittedAt }` for a decision's metrics; `{}` when the attempt has no accepted document.
 */
export async function submittedAt(
  deps: Pick<WorkflowDeps, 'store'>,
  verificationId: string,
  attemptId: string,
): Promise<{ submittedAt?: string }> {
  const times = (await deps.store.listDocuments(verificationId, attemptId))
    .filter((document) => document.result === 'accepted')
    .map((document) => document.recordedAt)
    .sort();
  const last = times.at(-1);
  return last ? { submittedAt: last } : {};
}

/** Like `findEvidence`, but a missing slot is an error. */
export async function requireEvidence<S extends Slot>(
  deps: Pick<WorkflowDeps, 'store' | 'vaultBucket'>,
  verificationId: string,
  attemptId: string,
  ...slots: S[]
): Promise<Record<S, ImageRef>> {
  const found = await findEvidence(deps, verificationId, attemptId, ...slots);
  for (const slot of slots) if (!found[slot]) throw new MissingEvidenceError(slot, attemptId);
  return found as Record<S, ImageRef>;
}

export async function requireVerification(
  deps: Pick<WorkflowDeps, 'store'>,
  verificationId: string,
): Promise<VerificationRecord> {
  const verification = await deps.store.getVerification(verificationId);
  if (!verification) throw new WorkflowRecordNotFoundError('verification', verificationId);
  return verification;
}

/**
 * Moves a verification to `to` (checked against the status graph), conditional on the version
 * read; one re-read and retry when a concurrent writer changed something else meanwhile.
 */
export async function changeStatus(
  deps: Pick<WorkflowDeps, 'store'>,
  verificationId: string,
  to: VerificationStatus,
  cause: TransitionCause,
  changes: VerificationChanges = {},
): Promise<VerificationRecord> {
  for (let attempt = 1; ; attempt += 1) {
    const current = await requireVerification(deps, verificationId);
    assertTransition(current.status, to, cause);
    try {
      return await deps.store.updateVerification(verificationId, current.version, { ...changes, status: to });
    } catch (error) {
      if (attempt >= 3 || (error as Error).name !== 'WorkflowConflictError') throw error;
    }
  }
}

/** Whether the subject's trail already holds an event with the action of `event` for its attempt. */
export async function isAudited(deps: Pick<WorkflowDeps, 'audit'>, event: AuditEventInput): Promise<boolean> {
  const attemptId = event.details?.attemptId;
  const trail = await deps.audit.list(event.subject);
  return trail.some((existing) => existing.action === event.action && existing.details?.attemptId === attemptId);
}

/**
 * Appends `event` unless the subject's trail already holds an event with the same action for
 * the same attempt. A step run again after a crash between its last status write and its audit
 * append uses this: the event is then written once, never lost and never doubled.
 */
export async function appendAuditOnce(deps: Pick<WorkflowDeps, 'audit'>, event: AuditEventInput): Promise<void> {
  if (!(await isAudited(deps, event))) await deps.audit.append(event);
}

/** Audits that `processor` handled the images of `slots` for a check (PRODUCT §5). */
export async function auditProcessing(
  deps: Pick<WorkflowDeps, 'audit' | 'functionName'>,
  verificationId: string,
  attemptId: string,
  check: string,
  processors: readonly string[],
  outcome: Readonly<Record<string, string | number | boolean>>,
): Promise<void> {
  await deps.audit.append({
    subject: subjectOf(verificationId),
    action: `workflow.${check}.completed`,
    actor: `system:${deps.functionName ?? check}`,
    details: { attemptId, processors, ...outcome },
  });
}
