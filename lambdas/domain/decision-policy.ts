/**
 * The automatic decision of the verification workflow (PRODUCT §3, §4): clear passes are
 * approved, clear failures rejected with reason codes, anything in between goes to a person.
 * Pure: the workflow's check tasks produce the inputs, the decide task calls `decide`.
 *
 * Order of the rules (first match wins):
 * 1. A duplicate hit (same face — selfie or liveness reference — or same document on another
 *    account) -> manual review with
 *    `DUPLICATE_IDENTITY`: a possible fraud ring is a person's call, and the flag must stay.
 * 2. Advanced level -> manual review, always (PRODUCT §4); clear failures ride along as reasons.
 * 3. Any clear failure -> reject with every failing reason and its recorded cause: face
 *    similarity below `faceMatchReject` (`FACE_NOT_MATCH`), liveness failed/expired/incomplete
 *    or below `livenessReject` (`LIVENESS_CHECK_FAILED`), the live face of the liveness session
 *    not the person on the document or in the selfie (`FACE_NOT_MATCH`, same bands as face
 *    match: a live stand-in cannot lend their liveness to a photo of someone else), document
 *    expired (`DOCUMENT_EXPIRED`), declared data differs from the document (`INFORMATION_MISMATCH`).
 * 4. Anything uncertain -> manual review with a recorded cause: a score between the bands, a
 *    check task that failed (the workflow's Catch), unreadable document data (never a
 *    rejection: the user did nothing wrong that a reason code could explain), a declared name
 *    one misread away from the document's (`document:near_match:name`: the MRZ name has no
 *    check digit, so OCR noise and a different name look alike), and the first
 *    attempt after a cooldown when `manualReviewAfterCooldown` is on.
 * 5. Otherwise approve.
 *
 * @example
 * ```ts
 * decide({ level: 'basic', faceMatch: { kind: 'scored', similarity: 99 }, liveness: { kind: 'disabled' },
 *   document: { kind: 'disabled' }, duplicates: { kind: 'checked', faceHit: false, documentHit: false },
 *   consecutiveFailures: 0, afterCooldown: false }, DEFAULT_CONFIG); // { outcome: 'approve', reasons: [], ... }
 * ```
 */
import type { IdentityThresholds, RateLimitConfig } from '../../lib/config.ts';
import type { ReasonCode } from './reason-codes.ts';
import type { VerificationLevel } from './verification.ts';

/**
 * Risk flag on a verification whose cooldown ended: its next attempt goes to manual review when
 * `rateLimits.manualReviewAfterCooldown` is on. Set by whoever ends the cooldown (the workflow's
 * Reopen step, or a lazy end at the next attempt request); cleared by the next final decision.
 */
export const AFTER_COOLDOWN_FLAG = 'after_cooldown';

/** A check task that could not produce a result (after its retries); `cause` is recorded. */
export interface CheckError {
  readonly kind: 'error';
  readonly cause: string;
}

export type FaceMatchInput = { readonly kind: 'scored'; readonly similarity: number } | CheckError;

/**
 * The liveness reference image (the live face the session saw) compared with the applicant's
 * other evidence: the session must belong to the person on the document and in the selfie.
 */
export interface LivenessBinding {
  /** Similarity (0-100) of the reference face with the document portrait. */
  readonly portraitSimilarity: number;
  /** Similarity (0-100) of the reference face with the uploaded selfie. */
  readonly selfieSimilarity: number;
  /** The reference face matches an indexed face of another account (duplicate search). */
  readonly faceHit: boolean;
}

export type LivenessInput =
  | { readonly kind: 'disabled' }
  | {
      readonly kind: 'scored';
      readonly status: string;
      readonly confidence?: number;
      /** Present when the session stored a reference image (always, for a SUCCEEDED session in AWS). */
      readonly binding?: LivenessBinding;
    }
  | CheckError;

export type DocumentDataInput =
  | { readonly kind: 'disabled' }
  | { readonly kind: 'unreadable'; readonly detail: string }
  | {
      readonly kind: 'read';
      readonly expired: boolean;
      readonly mismatches: readonly string[];
      /** Fields one misread away from the declared data (`nameNearMatches` in mrz.ts): for a reviewer. */
      readonly nearMatches?: readonly string[];
    }
  | CheckError;

export type DuplicatesInput =
  { readonly kind: 'checked'; readonly faceHit: boolean; readonly documentHit: boolean } | CheckError;

export interface DecisionInput {
  readonly level: VerificationLevel;
  readonly faceMatch: FaceMatchInput;
  readonly liveness: LivenessInput;
  readonly document: DocumentDataInput;
  readonly duplicates: DuplicatesInput;
  /** Consecutive failed attempts before this one. */
  readonly consecutiveFailures: number;
  /** This attempt is the first after a cooldown ended. */
  readonly afterCooldown: boolean;
}

export type DecisionOutcome = 'approve' | 'reject' | 'manual_review';

export interface Decision {
  readonly outcome: DecisionOutcome;
  /** Reason codes for the user and the reviewer (`MANUAL_REVIEW_REQUIRED` on manual review). */
  readonly reasons: ReasonCode[];
  /** Machine-readable causes of a manual review (e.g. `face_match:between_bands`), never PII. */
  readonly causes: string[];
  /** A rejection that reaches `failuresBeforeCooldown` consecutive failures starts a cooldown. */
  readonly startsCooldown: boolean;
}

export interface PolicyConfig {
  readonly identity: IdentityThresholds;
  readonly rateLimits: Pick<RateLimitConfig, 'manualReviewAfterCooldown' | 'failuresBeforeCooldown'>;
}

/** Applies the policy in the module comment. */
export function decide(input: DecisionInput, config: PolicyConfig): Decision {
  const { identity } = config;
  const failures: ReasonCode[] = [];
  /** Causes of the failures, recorded with a rejection (e.g. `liveness_reference:selfie:below_reject`). */
  const failureCauses: string[] = [];
  const causes: string[] = [];
  const fail = (reason: ReasonCode, cause: string) => {
    if (!failures.includes(reason)) failures.push(reason);
    failureCauses.push(cause);
  };

  const face = input.faceMatch;
  if (face.kind === 'error') causes.push(`face_match:error:${face.cause}`);
  else if (!Number.isFinite(face.similarity)) causes.push('face_match:invalid_score');
  else if (face.similarity < identity.faceMatchReject) fail('FACE_NOT_MATCH', 'face_match:below_reject');
  else if (face.similarity < identity.faceMatchApprove) causes.push('face_match:between_bands');

  const live = input.liveness;
  let livenessFaceHit = false;
  if (live.kind === 'error') causes.push(`liveness:error:${live.cause}`);
  else if (live.kind === 'scored') {
    if (live.status !== 'SUCCEEDED') fail('LIVENESS_CHECK_FAILED', `liveness:status:${live.status}`);
    else if (live.confidence === undefined || !Number.isFinite(live.confidence)) causes.push('liveness:no_confidence');
    else if (live.confidence < identity.livenessReject) fail('LIVENESS_CHECK_FAILED', 'liveness:below_reject');
    else if (live.confidence < identity.livenessApprove) causes.push('liveness:between_bands');
    if (live.status === 'SUCCEEDED') {
      if (!live.binding) causes.push('liveness_reference:missing');
      else {
        livenessFaceHit = live.binding.faceHit;
        const compared = [
          ['portrait', live.binding.portraitSimilarity],
          ['selfie', live.binding.selfieSimilarity],
        ] as const;
        for (const [against, similarity] of compared) {
          if (!Number.isFinite(similarity)) causes.push(`liveness_reference:${against}:invalid_score`);
          else if (similarity < identity.faceMatchReject) {
            fail('FACE_NOT_MATCH', `liveness_reference:${against}:below_reject`);
          } else if (similarity < identity.faceMatchApprove) {
            causes.push(`liveness_reference:${against}:between_bands`);
          }
        }
      }
    }
  }

  const doc = input.document;
  if (doc.kind === 'error') causes.push(`document:error:${doc.cause}`);
  else if (doc.kind === 'unreadable') causes.push(`document:unreadable:${doc.detail}`);
  else if (doc.kind === 'read') {
    if (doc.expired) fail('DOCUMENT_EXPIRED', 'document:expired');
    if (doc.mismatches.length > 0) fail('INFORMATION_MISMATCH', 'document:mismatch');
    for (const field of doc.nearMatches ?? []) causes.push(`document:near_match:${field}`);
  }

  const dup = input.duplicates;
  const faceHit = (dup.kind === 'checked' && dup.faceHit) || livenessFaceHit;
  const documentHit = dup.kind === 'checked' && dup.documentHit;
  if (dup.kind === 'error') causes.push(`duplicates:error:${dup.cause}`);

  if (faceHit || documentHit) {
    const which = [
      dup.kind === 'checked' && dup.faceHit ? 'face' : '',
      livenessFaceHit ? 'liveness_face' : '',
      documentHit ? 'document' : '',
    ];
    return review(
      ['DUPLICATE_IDENTITY', ...failures],
      [`duplicate:${which.filter(Boolean).join('+')}`, ...failureCauses, ...causes],
    );
  }
  if (input.level === 'advanced') return review(failures, ['level:advanced', ...failureCauses, ...causes]);
  if (failures.length > 0) {
    const cooldown = startsCooldown(input.consecutiveFailures + 1, config.rateLimits);
    return { outcome: 'reject', reasons: failures, causes: failureCauses, startsCooldown: cooldown };
  }
  if (input.afterCooldown && config.rateLimits.manualReviewAfterCooldown) causes.push('after_cooldown');
  if (causes.length > 0) return review([], causes);
  return { outcome: 'approve', reasons: [], causes: [], startsCooldown: false };
}

function review(reasons: ReasonCode[], causes: string[]): Decision {
  return { outcome: 'manual_review', reasons: [...reasons, 'MANUAL_REVIEW_REQUIRED'], causes, startsCooldown: false };
}

/**
 * Whether a rejection that brings the consecutive failures to `failuresAfter` starts a cooldown
 * (PRODUCT §4: after 3 consecutive failures, a forced 24-hour cooldown).
 */
export function startsCooldown(
  failuresAfter: number,
  rateLimits: Pick<RateLimitConfig, 'failuresBeforeCooldown'>,
): boolean {
  return failuresAfter >= rateLimits.failuresBeforeCooldown;
}

/**
 * End of a cooldown that starts at `now`; the document-switching risk flag multiplies it
 * (PRODUCT §4: frequent document switching raises a risk flag with a longer wait).
 */
export function cooldownEnd(
  now: Date,
  rateLimits: Pick<RateLimitConfig, 'cooldownSeconds' | 'riskCooldownMultiplier'>,
  riskFlagged: boolean,
): Date {
  const seconds = rateLimits.cooldownSeconds * (riskFlagged ? rateLimits.riskCooldownMultiplier : 1);
  return new Date(now.getTime() + seconds * 1000);
}
