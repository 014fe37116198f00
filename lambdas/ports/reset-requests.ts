/**
 * Where support reset requests live (in AWS: the verifications table, items
 * `V#<verificationId>` | `RESET#<requestId>`).
 */
import type { ResetRequestRecord, ResetRequestStatus } from '../domain/four-eyes.ts';

export interface ResetDecisionInput {
  readonly status: Exclude<ResetRequestStatus, 'pending'>;
  readonly decidedBy: string;
  readonly decidedAt: string;
  readonly note: string;
}

export interface ResetRequestStore {
  /** Stores a new pending request; throws `WorkflowConflictError` when the id exists. */
  createResetRequest(request: ResetRequestRecord): Promise<void>;
  getResetRequest(verificationId: string, requestId: string): Promise<ResetRequestRecord | undefined>;
  /** The pending request of a verification, if any. */
  findPendingResetRequest(verificationId: string): Promise<ResetRequestRecord | undefined>;
  /** Decides a pending request; throws `WorkflowConflictError` when it is no longer pending. */
  decideResetRequest(
    verificationId: string,
    requestId: string,
    decision: ResetDecisionInput,
  ): Promise<ResetRequestRecord>;
}
