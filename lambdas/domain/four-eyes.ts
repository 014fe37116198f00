/**
 * Four-eyes rules for staff actions on a verification (pure, no AWS):
 *
 * - nobody acts as staff on their own verification (the verification's `userId` is theirs);
 * - a support reset of an approved, frozen verification is a request that a
 *   `compliance_approver` other than the requester approves or rejects.
 *
 *   support:  POST .../reset ------------------> request `pending` (audited)
 *   approver: POST .../reset-requests/{r}/decision
 *               approve (not the requester) ---> request `approved`, verification approved -> awaiting_upload
 *               reject  (not the requester) ---> request `rejected`, verification unchanged
 *
 * @example
 * ```ts
 * const refusal = staffActionRefusal({ actorId: 'u-1', verificationOwnerId: 'u-1' }); // 'OWN_VERIFICATION'
 * ```
 */

export type ResetRequestStatus = 'pending' | 'approved' | 'rejected';

export interface ResetRequestRecord {
  readonly verificationId: string;
  readonly requestId: string;
  readonly status: ResetRequestStatus;
  /** User id of the support member who asked. */
  readonly requestedBy: string;
  /** Why the reset is needed (audited; may name a ticket, never personal data of the subject). */
  readonly reason: string;
  readonly requestedAt: string;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly note?: string;
}

/** Why a staff action is refused (403 codes). */
export type StaffRefusal = 'OWN_VERIFICATION' | 'SELF_APPROVAL_FORBIDDEN';

/**
 * The reason a staff member may not take an action, or `undefined` when they may.
 * `requestedBy` is given for decisions on a request: its author cannot decide it.
 */
export function staffActionRefusal(input: {
  readonly actorId: string;
  readonly verificationOwnerId: string;
  readonly requestedBy?: string;
}): StaffRefusal | undefined {
  if (input.actorId === input.verificationOwnerId) return 'OWN_VERIFICATION';
  if (input.requestedBy !== undefined && input.actorId === input.requestedBy) return 'SELF_APPROVAL_FORBIDDEN';
  return undefined;
}

/** Messages of the refusals (safe to show: no personal data). */
export const STAFF_REFUSAL_MESSAGES: Readonly<Record<StaffRefusal, string>> = {
  OWN_VERIFICATION: 'Staff cannot act on their own verification',
  SELF_APPROVAL_FORBIDDEN: 'A reset must be approved by someone other than the person who requested it',
};
