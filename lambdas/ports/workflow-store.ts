/**
 * What the verification workflow and the review API read and write (in AWS: the
 * verifications table, key design in `domain/tables.ts`).
 */
import type { CounterUpdate } from '../domain/decision-metrics.ts';
import type { ReasonCode } from '../domain/reason-codes.ts';
import type { VerificationLevel } from '../domain/verification.ts';
import type {
  AttemptRecord,
  AttemptStatus,
  DocumentRecord,
  ReviewDecision,
  ReviewTaskRecord,
  VerificationRecord,
} from '../domain/records.ts';

export type CheckName = 'face_match' | 'liveness' | 'document_data' | 'duplicates' | 'decision';

/** The persisted result of one workflow check of an attempt (item `A#<attemptId>#C#<name>`). */
export interface CheckRecord {
  readonly verificationId: string;
  readonly attemptId: string;
  readonly name: CheckName;
  /** Scores, statuses and reason codes only (the same the workflow carries). */
  readonly result: Readonly<Record<string, unknown>>;
  /** Which processors handled which image slot, e.g. `rekognition:CompareFaces@selfie`. */
  readonly processors: readonly string[];
  /** Keyed hash of the document number (document_data only); never the number itself. */
  readonly documentHash?: string;
  /** Other users whose indexed face matched (duplicates and liveness), for the reviewer. */
  readonly matchedUserIds?: readonly string[];
  /**
   * The faces the duplicates check indexed for this attempt before searching (so two accounts
   * submitting one face at once find each other): one, or more when a run stopped after indexing
   * and ran again. Removed from the collection when the attempt is rejected.
   */
  readonly faceIds?: readonly string[];
  /** When the rejection removed `faceIds` from the collection (duplicates only). */
  readonly facesRemovedAt?: string;
  readonly recordedAt: string;
}

/** Owner of a document number (item `UNIQ#DOC#<hmac>`). */
export interface DocumentOwner {
  readonly userId: string;
  readonly verificationId: string;
}

export type VerificationChanges = Partial<
  Pick<VerificationRecord, 'status' | 'reasons' | 'consecutiveFailures' | 'cooldownUntil' | 'frozen' | 'riskFlags'>
>;

/** A review task with the fields the workflow keeps besides `ReviewTaskRecord`. */
export interface ReviewTask extends ReviewTaskRecord {
  /** Machine-readable causes of the review (from the decision policy or a failed step). */
  readonly causes: readonly string[];
  readonly escalations: number;
  readonly decidedAt?: string;
  /** Decisions taken on this review whose finalizing step then failed (the review was reopened). */
  readonly failedDecisions?: readonly FailedDecision[];
  /** The verification's level, for the case list's level filter (tasks opened before it was kept have none). */
  readonly level?: VerificationLevel;
}

/** A reviewer's decision that could not be carried out, kept when its review is reopened. */
export interface FailedDecision {
  readonly decision: ReviewDecision;
  readonly decidedBy: string;
  readonly decidedAt: string;
  readonly reasons: readonly ReasonCode[];
  readonly note?: string;
  /** The error the finalizing step failed with, e.g. `DocumentAlreadyClaimedError`. */
  readonly error: string;
}

export interface ReviewDecisionInput {
  readonly decision: ReviewDecision;
  readonly decidedBy: string;
  readonly reasons: readonly ReasonCode[];
  readonly note: string;
  readonly decidedAt: string;
}

/** Options of `putReviewTask`. */
export interface ReviewTaskWrite {
  readonly counters?: readonly CounterUpdate[];
  /** The task must not exist yet. */
  readonly creates?: boolean;
  /** Reopens a decided task: written only while it still holds the decision taken at `decidedAt`. */
  readonly reopens?: { readonly decidedAt: string };
}

/** A conditional write lost (item changed or already exists): callers map it to 409 or retry. */
export class WorkflowConflictError extends Error {
  constructor(
    message: string,
    public readonly itemKey: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WorkflowConflictError';
  }
}

export interface WorkflowStore {
  getVerification(verificationId: string): Promise<VerificationRecord | undefined>;
  /** Conditional on `expectedVersion`; throws `WorkflowConflictError` when it changed. */
  updateVerification(
    verificationId: string,
    expectedVersion: number,
    changes: VerificationChanges,
  ): Promise<VerificationRecord>;
  getAttempt(verificationId: string, attemptId: string): Promise<AttemptRecord | undefined>;
  /**
   * Moves the attempt when it is in one of `from`; false when it was not. `counters` (decision
   * metrics) change in the same transaction, or not at all.
   */
  transitionAttempt(
    verificationId: string,
    attemptId: string,
    from: readonly AttemptStatus[],
    change: { status: AttemptStatus; reasons?: readonly ReasonCode[] },
    counters?: readonly CounterUpdate[],
  ): Promise<boolean>;
  listDocuments(verificationId: string, attemptId: string): Promise<DocumentRecord[]>;
  /** Stores (overwrites) a check result at once, so a later failure never loses it. */
  recordCheck(check: CheckRecord): Promise<void>;
  getCheck(verificationId: string, attemptId: string, name: CheckName): Promise<CheckRecord | undefined>;
  findDocumentOwner(documentHash: string): Promise<DocumentOwner | undefined>;
  /** Claims a document number for a user; false when another user owns it (idempotent for the owner). */
  claimDocument(documentHash: string, owner: DocumentOwner, at: string): Promise<boolean>;
  /**
   * Creates the review task of an attempt, or replaces its task token when it exists (retry,
   * escalation). `counters` (review-queue metrics) change in the same transaction; with them, a
   * task that `creates` must not exist yet (else `WorkflowConflictError`).
   */
  putReviewTask(task: ReviewTask, options?: ReviewTaskWrite): Promise<void>;
  getReviewTask(verificationId: string, attemptId: string): Promise<ReviewTask | undefined>;
  /** The undecided review task of a verification, if any. */
  findOpenReviewTask(verificationId: string): Promise<ReviewTask | undefined>;
  /** The most recent review task of a verification, decided or not, if any. */
  findLatestReviewTask(verificationId: string): Promise<ReviewTask | undefined>;
  /**
   * Records a decision when the task is undecided, still holds `taskToken` and is held by no
   * one or by `decision.decidedBy`; throws `WorkflowConflictError` otherwise (another reviewer
   * won, the task escalated meanwhile, or it was claimed by or assigned to someone else).
   */
  decideReviewTask(
    verificationId: string,
    attemptId: string,
    taskToken: string,
    decision: ReviewDecisionInput,
    counters?: readonly CounterUpdate[],
  ): Promise<ReviewTask>;
  /** Undecided tasks in queue order (due date), from the byReviewer index. */
  listOpenReviewTasks(options: { assignee?: string; limit: number }): Promise<ReviewTask[]>;
}
