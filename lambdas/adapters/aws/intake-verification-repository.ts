/**
 * The intake's view of the verifications table: `VerificationRepository` plus the writes only
 * on-upload makes (document records, rejected image hashes, an attempt and its verification
 * moved together) and the claim lookup only verification creation makes. Apart from the base
 * class so that the many functions that only read or move attempts do not bundle them (each
 * lean function has a 300 KB budget).
 */
import type { CounterUpdate } from '../../domain/decision-metrics.ts';
import type { AttemptStatus, DocumentRecord } from '../../domain/records.ts';
import type { ReasonCode } from '../../domain/reason-codes.ts';
import { RETENTION_INDEX } from '../../domain/tables.ts';
import type { Slot, VerificationLevel } from '../../domain/verification.ts';
import { transactWithCounters } from './counter-transaction.ts';
import { PutCommand } from './dynamodb-documents.ts';
import {
  attemptTransition,
  ConcurrentModificationError,
  documentSk,
  rejectedImageSk,
  userLevelKey,
  VERIFICATION_SK,
  VerificationRepository,
  verificationPk,
  verificationUpdate,
  type VerificationChanges,
} from './verification-repository.ts';

export class IntakeVerificationRepository extends VerificationRepository {
  /**
   * The user's claim on `level` (the item `createUserVerification` conditions on), with the id
   * of the verification it names, or undefined when the user holds none. A consistent read.
   */
  public async findUserVerification(
    userId: string,
    level: VerificationLevel,
  ): Promise<{ readonly verificationId: string | undefined } | undefined> {
    const claim = userLevelKey(userId, level);
    const existing = await this.get<{ verificationId?: string }>(claim.pk, claim.sk);
    return existing ? { verificationId: existing.verificationId } : undefined;
  }

  /**
   * `transitionAttempt` and `updateVerification` in one transaction, so no reader ever sees the
   * attempt moved and its verification not yet (or the other way round): `false` (nothing
   * written) when the attempt was not in one of `fromStatuses`; `ConcurrentModificationError`
   * (nothing written) when the verification is no longer at `verification.expectedVersion`.
   */
  public async transitionAttemptAndVerification(
    verificationId: string,
    attemptId: string,
    fromStatuses: readonly AttemptStatus[],
    change: { status: AttemptStatus; reasons?: readonly ReasonCode[] },
    verification: { readonly expectedVersion: number; readonly changes: VerificationChanges },
    counters: readonly CounterUpdate[] = [],
  ): Promise<boolean> {
    const now = this.clock.now().toISOString();
    const failed = await transactWithCounters(
      this.documents,
      this.tableName,
      [
        { Update: attemptTransition(this.tableName, now, verificationId, attemptId, fromStatuses, change) },
        {
          Update: verificationUpdate(
            this.tableName,
            now,
            verificationId,
            verification.expectedVersion,
            verification.changes,
          ),
        },
      ],
      counters,
    );
    if (failed === 1) throw new ConcurrentModificationError(verificationPk(verificationId), VERIFICATION_SK);
    return failed === undefined;
  }

  /** Records a document of an attempt slot; returns `false` when the slot already has one. */
  public async createDocument(record: DocumentRecord): Promise<boolean> {
    try {
      await this.putNew(verificationPk(record.verificationId), documentSk(record.attemptId, record.slot), {
        ...record,
        entity: 'document',
        // Vaulted evidence joins the deletion job's work list, by the date its default lock started.
        ...(record.vaultKey
          ? {
              gsi1pk: RETENTION_INDEX.evidence,
              gsi1sk: `${record.recordedAt}#${record.verificationId}#${record.attemptId}#${record.slot}`,
            }
          : {}),
      });
      return true;
    } catch (error) {
      if (error instanceof ConcurrentModificationError) return false;
      throw error;
    }
  }

  /** Remembers that an image (by SHA-256) failed the quality gate for this verification. */
  public async rememberRejectedImage(
    verificationId: string,
    sha256: string,
    details: { attemptId: string; slot: Slot; reasons: readonly ReasonCode[] },
  ): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: verificationPk(verificationId),
          sk: rejectedImageSk(sha256),
          entity: 'rejected_image',
          verificationId,
          sha256,
          ...details,
          recordedAt: this.clock.now().toISOString(),
        },
      }),
    );
  }

  public async isImageRejected(verificationId: string, sha256: string): Promise<boolean> {
    return (await this.get(verificationPk(verificationId), rejectedImageSk(sha256))) !== undefined;
  }
}
