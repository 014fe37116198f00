/**
 * Shapes of what the pipeline stores, independent of the database. Adapters map them onto
 * DynamoDB items (see `tables.ts` for key design). Personal data is only ever held here as
 * an envelope-encrypted blob; logs and events carry ids, statuses and reason codes only.
 */
import type { ReasonCode } from './reason-codes.ts';
import type { DocumentType, Slot, VerificationLevel, VerificationStatus } from './verification.ts';

/** Envelope-encrypted JSON: a KMS-encrypted data key plus AES-256-GCM ciphertext (all base64). */
export interface SealedData {
  readonly keyId: string;
  readonly encryptedDataKey: string;
  readonly iv: string;
  readonly ciphertext: string;
  readonly authTag: string;
}

export interface PersonalData {
  readonly fullName: string;
  /** YYYY-MM-DD */
  readonly dateOfBirth: string;
  readonly address: string;
}

export interface VerificationRecord {
  readonly verificationId: string;
  readonly userId: string;
  readonly level: VerificationLevel;
  readonly nationality: string;
  readonly documentType: DocumentType;
  readonly personalData: SealedData;
  readonly status: VerificationStatus;
  readonly reasons: readonly ReasonCode[];
  readonly consecutiveFailures: number;
  /** ISO time until which new attempts are refused, when status is `cooldown`. */
  readonly cooldownUntil?: string;
  /** Set after Basic approval: name and document number may no longer change (PRODUCT §1). */
  readonly frozen: boolean;
  readonly riskFlags: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Optimistic-concurrency counter, incremented on every write. */
  readonly version: number;
}

/** `superseded`: a newer attempt was opened before this one's uploads were complete (closed for good). */
export type AttemptStatus =
  'awaiting_upload' | 'processing' | 'manual_review' | 'approved' | 'rejected' | 'failed' | 'superseded';

export interface AttemptRecord {
  readonly verificationId: string;
  readonly attemptId: string;
  readonly requiredSlots: readonly Slot[];
  readonly status: AttemptStatus;
  readonly reasons: readonly ReasonCode[];
  readonly livenessSessionId?: string;
  /** SHA-256 of the request that created the attempt under an `Idempotency-Key` (a replay must match it). */
  readonly requestHash?: string;
  readonly createdAt: string;
  /** ISO time after which the presigned uploads are no longer valid. */
  readonly uploadExpiresAt: string;
  readonly updatedAt: string;
}

export type DocumentResult = 'accepted' | 'rejected';

export interface DocumentRecord {
  readonly verificationId: string;
  readonly attemptId: string;
  readonly slot: Slot;
  readonly result: DocumentResult;
  readonly reasons: readonly ReasonCode[];
  /** SHA-256 of the uploaded bytes (hex); failed hashes are refused again at once. */
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly contentType: string;
  /** Where accepted evidence lives under Object Lock. */
  readonly vaultKey?: string;
  readonly vaultVersionId?: string;
  /** Numeric measurements of the quality gate (blur variance, glare fraction, ...). */
  readonly metrics: Readonly<Record<string, number>>;
  /** Which processors handled the image (PRODUCT §5), e.g. ['quality-gate', 'rekognition:DetectFaces']. */
  readonly processors: readonly string[];
  /** S3 version id of the intake object this record came from; a repeated event for it is a duplicate. */
  readonly intakeVersionId?: string;
  readonly recordedAt: string;
}

export type ReviewDecision = 'approve' | 'reject';

export interface ReviewTaskRecord {
  readonly verificationId: string;
  readonly attemptId: string;
  readonly taskToken: string;
  readonly queue: string;
  readonly reasons: readonly ReasonCode[];
  readonly priority: number;
  readonly dueAt: string;
  readonly assignee?: string;
  readonly escalated: boolean;
  readonly decision?: ReviewDecision;
  readonly decidedBy?: string;
  readonly note?: string;
  readonly createdAt: string;
}

export interface AuditEventInput {
  /** What the event is about, e.g. `verification:<id>`; each subject has its own hash chain. */
  readonly subject: string;
  /** Dotted verb, e.g. `verification.created`, `document.viewed`, `review.decided`. */
  readonly action: string;
  /** Who acted: a user id, a role-qualified staff id, or `system:<function>`. */
  readonly actor: string;
  readonly reason?: string;
  /** Where the actor came from (source IP or function name); never PII about the subject. */
  readonly origin?: string;
  readonly details?: Readonly<Record<string, string | number | boolean | readonly string[]>>;
}

export interface AuditEvent extends AuditEventInput {
  readonly sequence: number;
  readonly at: string;
  readonly previousHash: string;
  readonly hash: string;
}
