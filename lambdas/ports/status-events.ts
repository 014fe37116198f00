import type { ReasonCode } from '../domain/reason-codes.ts';
import type { VerificationStatus } from '../domain/verification.ts';

/**
 * Tells the integrating platform about verification status changes (PRODUCT §4). In AWS: an
 * EventBridge event "Verification Status Changed" on the stack's bus. Ids, status and reason
 * codes only: never names, dates of birth, document numbers or images.
 */
export interface StatusChange {
  readonly verificationId: string;
  readonly attemptId?: string;
  readonly status: VerificationStatus;
  readonly reasons: readonly ReasonCode[];
}

/** An open manual review ran past its SLA (PRODUCT §4: escalation). */
export interface ReviewEscalation {
  readonly verificationId: string;
  readonly attemptId: string;
  readonly priority: number;
  readonly escalations: number;
  readonly dueAt: string;
}

export interface StatusEvents {
  statusChanged(change: StatusChange): Promise<void>;
  reviewEscalated(escalation: ReviewEscalation): Promise<void>;
}
