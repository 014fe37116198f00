/**
 * The JSON the verification workflow carries from state to state (JSONPath, Standard).
 * Ids, scores, statuses and reason codes only: never images, names, dates of birth or
 * document numbers (those stay in the vault and the sealed personal data).
 */
import type {
  Decision,
  DocumentDataInput,
  DuplicatesInput,
  FaceMatchInput,
  LivenessInput,
} from '../../domain/decision-policy.ts';
import type { ReasonCode } from '../../domain/reason-codes.ts';
import type { ReviewDecision } from '../../domain/records.ts';
import type { DocumentType, VerificationLevel, VerificationStatus } from '../../domain/verification.ts';

/** Output of the load-attempt task (`$.context`). */
export interface AttemptContext {
  readonly verificationId: string;
  readonly attemptId: string;
  readonly level: VerificationLevel;
  readonly documentType: DocumentType;
  readonly consecutiveFailures: number;
  readonly afterCooldown: boolean;
}

/** Document data result plus the document-number uniqueness lookup done in the same task. */
export type DocumentCheckOutput = DocumentDataInput & { readonly documentHit?: boolean };

/** Output of the Parallel checks state (`$.checks`). */
export interface ChecksOutput {
  readonly faceMatch: FaceMatchInput;
  readonly liveness: LivenessInput;
  readonly document: DocumentCheckOutput;
  readonly duplicates: DuplicatesInput;
}

/** What a reviewer's SendTaskSuccess puts at `$.review` (no free-text note: it may hold PII). */
export interface ReviewOutcome {
  readonly decision: ReviewDecision;
  readonly reasons: readonly ReasonCode[];
  readonly reviewer: string;
}

/** A Catch's error object (`$.error`). */
export interface CaughtError {
  readonly Error: string;
  readonly Cause?: string;
}

export interface WorkflowState {
  readonly verificationId: string;
  readonly attemptId: string;
  readonly context?: AttemptContext;
  readonly checks?: ChecksOutput;
  readonly decision?: Decision;
  readonly review?: ReviewOutcome;
  readonly rejection?: { readonly status: VerificationStatus; readonly cooldownUntil?: string };
  readonly error?: CaughtError;
  /** Present on `.waitForTaskToken` tasks. */
  readonly taskToken?: string;
}

/** The workflow handed a task input it cannot work with: a defect, routed to manual review. */
export class InvalidWorkflowInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidWorkflowInputError';
  }
}

/** Validates the ids every task needs; returns the state typed. */
export function parseState(event: unknown): WorkflowState {
  let state = event as Partial<WorkflowState> | null;
  // `.waitForTaskToken` tasks receive `{taskToken, state}` (the ASL cannot merge objects).
  const wrapped = event as { taskToken?: unknown; state?: unknown } | null;
  if (wrapped && typeof wrapped.taskToken === 'string' && wrapped.state && typeof wrapped.state === 'object') {
    state = { ...(wrapped.state as Partial<WorkflowState>), taskToken: wrapped.taskToken };
  }
  const id = /^[A-Za-z0-9_-]{1,80}$/;
  if (!state || typeof state.verificationId !== 'string' || !id.test(state.verificationId)) {
    throw new InvalidWorkflowInputError('verificationId missing or malformed');
  }
  if (typeof state.attemptId !== 'string' || !id.test(state.attemptId)) {
    throw new InvalidWorkflowInputError('attemptId missing or malformed');
  }
  return state as WorkflowState;
}
