/**
 * Four eyes on the staff routes about verifications (README "Support resets under four eyes",
 * "Claim and assign"): a staff member never opens, notes, decides, views a document of, exports,
 * audits or holds their own verification: 403 `OWN_VERIFICATION`. Every such route calls this
 * right after loading the verification's record, before any audit event says something was
 * seen and before any personal data or evidence is read. No AWS imports, so the lean routes
 * (export decisions, the case audit) carry it at no cost.
 *
 * @example
 * ```ts
 * refuseOwnCase(verification, caller.userId); // throws FourEyesError('OWN_VERIFICATION') for its subject
 * await refuseOwnVerifications(deps.verifications, record.verificationIds, caller.userId);
 * ```
 */
import { staffActionRefusal } from '../../domain/four-eyes.ts';
import type { VerificationRecord } from '../../domain/records.ts';
import { FourEyesError } from './middleware/http-errors.ts';

/** 403 `OWN_VERIFICATION` when `staffId` is the subject of the verification (four eyes). */
export function refuseOwnCase(verification: Pick<VerificationRecord, 'userId'>, staffId: string): void {
  const refusal = staffActionRefusal({ actorId: staffId, verificationOwnerId: verification.userId });
  if (refusal) throw new FourEyesError(refusal);
}

/** Reads who a verification belongs to (the verification repository, or the lean owner reader). */
export interface VerificationOwners {
  getVerification(verificationId: string): Promise<Pick<VerificationRecord, 'userId'> | undefined>;
}

/**
 * 403 `OWN_VERIFICATION` when `staffId` is the subject of any of the verifications (an export
 * of several cases); ids that no longer exist are skipped (nothing of theirs can be read).
 */
export async function refuseOwnVerifications(
  verifications: VerificationOwners,
  verificationIds: readonly string[],
  staffId: string,
): Promise<void> {
  const records = await Promise.all(verificationIds.map((id) => verifications.getVerification(id)));
  for (const record of records) if (record) refuseOwnCase(record, staffId);
}
