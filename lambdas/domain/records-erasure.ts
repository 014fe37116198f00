/**
 * What may be erased of a person's records now, and what must be kept until when and why
 * (GDPR art. 17 erasure requests and the scheduled deletion job; PRODUCT §5, §7). Pure code:
 * the caller gathers the person's verifications, attempts and the Object Lock state of each
 * vault object; the plan says what to delete and what to keep.
 *
 * Legal basis (see `retention.ts`):
 * - Identifying evidence (documents, selfies, liveness images in the vault) is kept for
 *   `years` after the business relationship ends (31 CFR 1020.220(a)(3)(ii)(A), EU AMLD
 *   art. 40(1)); the evidence that established the identity of an open account (its approved
 *   attempt) is therefore kept while the relationship lasts.
 * - Records of verification results are kept for `years` after they were made
 *   (31 CFR 1020.220(a)(3)(ii)(B)), which the vault's default Object Lock already enforces.
 * - GDPR art. 17(3)(b): nothing is erased while a legal obligation requires it; a legal hold
 *   (regulator, court) keeps everything it covers, whatever the dates.
 * - What no law requires is erased at once on request: drafts and attempts whose uploads never
 *   reached the vault (nothing was verified), intake leftovers, rate-limit counters.
 *
 * One attempt, years = 5:
 *
 *   recordedAt ----- lock (recordedAt + 5 y) ----- relationshipEndedAt ----- ended + 5 y
 *     open, approved attempt:  kept (relationship_active) ............................
 *     open, other attempts:    kept until the lock ends, then erasable
 *     closed:                  kept until max(lock, ended + 5 y), then erasable
 *     legal hold (any):        kept (legal_hold) until the hold is lifted
 *
 * @example
 * ```ts
 * const plan = planErasure({ now, years: 5, drafts: 'erase', account: { relationshipEndedAt }, verifications });
 * plan.erase.attempts;   // attempts to delete (vault objects first, then records)
 * plan.retainedUntil;    // the latest date anything is kept until (undefined: nothing kept, or only held)
 * ```
 */
import { retainUntil, type DateInput } from './retention.ts';

/** Why something is kept. */
export type RetentionReason = 'legal_hold' | 'relationship_active' | 'retention_period';

/** A vault object with its Object Lock state as S3 reports it. */
export interface VaultObjectState {
  readonly key: string;
  readonly versionId?: string;
  readonly recordedAt: string;
  /** The object's COMPLIANCE retain-until date (undefined: none, or the object is gone). */
  readonly lockedUntil?: Date;
  readonly legalHold: boolean;
}

export interface AttemptState {
  readonly attemptId: string;
  /** The attempt's status (`approved` marks the evidence an open account rests on). */
  readonly status: string;
  readonly createdAt: string;
  /** The attempt's objects in the vault (documents, liveness images); empty: it never reached the vault. */
  readonly vaultObjects: readonly VaultObjectState[];
}

export interface VerificationState {
  readonly verificationId: string;
  readonly status: string;
  /** The case's legal hold record (`V#<id> | HOLD`) is on. */
  readonly legalHold: boolean;
  readonly attempts: readonly AttemptState[];
}

export interface ErasureInput {
  readonly now: DateInput;
  /** Years evidence is kept (`retention.evidenceYears`). */
  readonly years: number;
  /** The account closure, when the relationship ended. */
  readonly account?: { readonly relationshipEndedAt: string };
  /**
   * `erase`: a standing erasure request (the person asked): drafts and attempts that never
   * reached the vault go now. `keep`: the deletion job on its own, which only removes evidence
   * whose retention ended (an open account's drafts are the person's work in progress).
   */
  readonly drafts: 'erase' | 'keep';
  readonly verifications: readonly VerificationState[];
}

/** Something kept, until when and why. */
export interface Retained {
  readonly verificationId: string;
  readonly attemptId: string;
  readonly vaultObjects: number;
  readonly reason: RetentionReason;
  /** When it may go (a lower bound for `relationship_active`; undefined under a legal hold). */
  readonly until?: Date;
}

export interface ErasurePlan {
  readonly erase: {
    /** Attempts to delete: their vault objects (all versions) first, then their records. */
    readonly attempts: ReadonlyArray<{
      readonly verificationId: string;
      readonly attemptId: string;
      readonly vaultObjects: readonly VaultObjectState[];
      readonly why: 'never_reached_vault' | 'retention_ended';
    }>;
    /** Verifications left with no attempt: their own records go too (META, level claim, rejected-image hashes). */
    readonly verifications: readonly string[];
  };
  readonly retained: readonly Retained[];
  /** The latest `until` of what is kept (undefined when nothing is kept or only held items). */
  readonly retainedUntil?: Date;
  /** The strongest reason anything is kept: legal_hold > relationship_active > retention_period. */
  readonly reason?: RetentionReason;
}

const REASON_STRENGTH: Record<RetentionReason, number> = {
  legal_hold: 3,
  relationship_active: 2,
  retention_period: 1,
};

/** The date an object may go: the later of its lock and the AML date; undefined when that is now or past. */
function objectUntil(object: VaultObjectState, input: ErasureInput): Date {
  const aml = retainUntil({
    recordedAt: object.recordedAt,
    ...(input.account ? { relationshipEndedAt: input.account.relationshipEndedAt } : {}),
    years: input.years,
  });
  return object.lockedUntil && object.lockedUntil > aml ? object.lockedUntil : aml;
}

/**
 * Decides, attempt by attempt, what may be erased now and what is kept until when and why.
 * Never erases an object under a legal hold or before both its lock and its AML date passed.
 *
 * @throws RetentionError (from `retention.ts`) on an invalid date or `years`.
 */
export function planErasure(input: ErasureInput): ErasurePlan {
  const now = new Date(typeof input.now === 'string' ? Date.parse(input.now) : input.now.getTime());
  const erasedAttempts: Array<ErasurePlan['erase']['attempts'][number]> = [];
  const erasedVerifications: string[] = [];
  const retained: Retained[] = [];
  for (const verification of input.verifications) {
    let kept = 0;
    for (const attempt of verification.attempts) {
      const where = { verificationId: verification.verificationId, attemptId: attempt.attemptId };
      if (attempt.vaultObjects.length === 0) {
        if (input.drafts === 'erase' || input.account) {
          erasedAttempts.push({ ...where, vaultObjects: [], why: 'never_reached_vault' });
        } else kept += 1;
        continue;
      }
      const objects = attempt.vaultObjects.length;
      const until = attempt.vaultObjects
        .map((object) => objectUntil(object, input))
        .reduce((latest, date) => (date > latest ? date : latest));
      if (verification.legalHold || attempt.vaultObjects.some((object) => object.legalHold)) {
        retained.push({ ...where, vaultObjects: objects, reason: 'legal_hold', until });
      } else if (!input.account && attempt.status === 'approved') {
        retained.push({ ...where, vaultObjects: objects, reason: 'relationship_active', until });
      } else if (until.getTime() > now.getTime()) {
        retained.push({ ...where, vaultObjects: objects, reason: 'retention_period', until });
      } else {
        erasedAttempts.push({ ...where, vaultObjects: attempt.vaultObjects, why: 'retention_ended' });
        continue;
      }
      kept += 1;
    }
    // A verification goes with its last attempt, unless a hold covers the case.
    if (
      kept === 0 &&
      !verification.legalHold &&
      (input.drafts === 'erase' || input.account || verification.attempts.length > 0)
    ) {
      erasedVerifications.push(verification.verificationId);
    }
  }
  return { erase: { attempts: erasedAttempts, verifications: erasedVerifications }, retained, ...summarise(retained) };
}

/**
 * The strongest reason anything is kept and the latest date it may go; an item under a legal
 * hold gives its reason but no date (it goes when the hold is lifted, not before).
 */
function summarise<R extends RetentionReason>(
  retained: readonly { readonly reason: R; readonly until?: Date }[],
): { retainedUntil?: Date; reason?: R } {
  let reason: R | undefined;
  let latest: Date | undefined;
  for (const item of retained) {
    if (!reason || REASON_STRENGTH[item.reason] > REASON_STRENGTH[reason]) reason = item.reason;
    if (item.reason !== 'legal_hold' && item.until && (!latest || item.until > latest)) latest = item.until;
  }
  return { ...(latest ? { retainedUntil: latest } : {}), ...(reason ? { reason } : {}) };
}

/** Human words for a retention reason, with its legal source (for the erasure answer). */
export const RETENTION_REASON_TEXT: Readonly<Record<RetentionReason, string>> = {
  legal_hold:
    'A legal hold by a regulator or court covers these records; they are kept until it is lifted (GDPR art. 17(3)(b), (e)).',
  relationship_active:
    'Your account is open: the identity evidence it rests on is kept while the relationship lasts and for 5 years after it ends (EU AMLD art. 40, 31 CFR 1020.220; GDPR art. 17(3)(b)).',
  retention_period:
    'Anti-money-laundering law requires us to keep identity evidence for 5 years after the relationship ends or the record was made (EU AMLD art. 40, 31 CFR 1020.220; GDPR art. 17(3)(b)); it is erased when that period ends.',
};

/**
 * When a deferred erasure should be looked at again: the date the last kept item may go, or,
 * while a hold or an open account keeps it with no known end, after `recheckDays`.
 *
 * @example
 * ```ts
 * nextErasureCheck(plan, new Date(), 7); // plan.retainedUntil, or now + 7 days
 * ```
 */
export function nextErasureCheck(plan: ErasurePlan, now: Date, recheckDays: number): Date | undefined {
  if (plan.retained.length === 0) return undefined;
  const recheck = new Date(now.getTime() + recheckDays * 86_400_000);
  if (plan.retained.some((item) => item.reason !== 'retention_period')) return recheck;
  return plan.retainedUntil ?? recheck;
}

/** What the applicant is told about one kept item: never that a legal hold covers it. */
export interface ApplicantRetained extends Omit<Retained, 'reason' | 'until'> {
  readonly reason: Exclude<RetentionReason, 'legal_hold'>;
  readonly until?: Date;
}

/**
 * The plan as the applicant may see it. A legal hold is set for a regulator's or a court's
 * investigation, and AML law forbids telling the person concerned (EU AMLD art. 39, "tipping
 * off"; 31 U.S.C. 5318(g)(2)); GDPR art. 23 lets that law restrict the right of access. So an
 * item under a hold is answered as one kept for the AML retention period: `retention_period`,
 * until the later of its own retention date and `recheckAt` (when the deletion job looks at it
 * again), as any other kept item. The reason and date of the whole answer follow from these
 * items. The true reason stays in the deferred erasure record and the audit trail, for staff.
 *
 * @example
 * ```ts
 * const shown = applicantView(plan, nextErasureCheck(plan, now, 7) ?? now);
 * shown.retained.every((item) => item.reason !== 'legal_hold'); // true
 * ```
 */
export function applicantView(
  plan: ErasurePlan,
  recheckAt: Date,
): { retained: ApplicantRetained[]; retainedUntil?: Date; reason?: Exclude<RetentionReason, 'legal_hold'> } {
  const retained: ApplicantRetained[] = plan.retained.map((item) => {
    if (item.reason !== 'legal_hold') return { ...item, reason: item.reason };
    const until = item.until && item.until > recheckAt ? item.until : recheckAt;
    return { ...item, reason: 'retention_period', until };
  });
  return { retained, ...summarise(retained) };
}
