/**
 * How long identity evidence and verification records must be kept, and when a data subject's
 * erasure request can be honoured (PRODUCT §5). Pure date maths in UTC; no AWS imports.
 *
 * Legal basis:
 * - US, FinCEN CIP rule, 31 CFR 1020.220(a)(3)(ii): identifying information is kept for
 *   5 years after the account is closed; descriptions of verification methods and results for
 *   5 years after the record is made.
 * - EU, AMLD (Directive 2015/849) art. 40(1), and from 10 July 2027 AMLR (Regulation
 *   2024/1624) art. 77: CDD documents and transaction records are kept for 5 years after the
 *   business relationship ends (or after the occasional transaction), then deleted. Member
 *   States may extend the period, which is why `years` is a parameter (see
 *   `lib/config.ts` `retention.evidenceYears`, at least 5).
 * - GDPR art. 17(3)(b): the right to erasure does not apply while processing is necessary to
 *   comply with a legal obligation, i.e. only inside the AML window above.
 *
 * Timeline of one record (years = 5):
 *
 *   recordedAt ------------- relationshipEndedAt ------------------------------ retainUntil
 *       |                          |<------------------ 5 years ------------------>|
 *       |<--- 5 years --->|  (ended before recordedAt + 5 y? then that date wins)
 *
 * In S3 the vault copy is locked until `recordedAt + years` when it is stored; when the
 * customer relationship ends, the lock is extended to the new `retainUntil` (Object Lock
 * COMPLIANCE retention can be lengthened, never shortened).
 *
 * @example
 * ```ts
 * retainUntil({ recordedAt: '2024-02-29T12:00:00Z', relationshipEndedAt: '2026-01-10T00:00:00Z', years: 5 });
 * // 2031-01-10T00:00:00.000Z
 * ```
 */

/** Input dates accept a `Date` or an ISO 8601 string. */
export type DateInput = Date | string;

/** A retention computation that cannot be made from its input. */
export class RetentionError extends Error {
  public readonly field: string;

  public constructor(message: string, field: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RetentionError';
    this.field = field;
  }
}

export interface RetentionInput {
  /** When the record or evidence was made (verification, upload, decision). */
  readonly recordedAt: DateInput;
  /** When the business relationship ended (account closure); absent while it continues. */
  readonly relationshipEndedAt?: DateInput;
  /** Whole years to keep (AML: at least 5). */
  readonly years: number;
}

function toDate(value: DateInput, field: string): Date {
  const date = typeof value === 'string' ? new Date(value) : new Date(value.getTime());
  if (Number.isNaN(date.getTime())) throw new RetentionError(`${field} ${String(value)} is not a valid date`, field);
  return date;
}

/**
 * Adds whole calendar years in UTC. 29 February lands on 1 March in a common year, so a
 * retention period is never a day shorter than the law asks.
 *
 * @example
 * ```ts
 * addYearsUtc(new Date('2024-02-29T08:00:00Z'), 5); // 2029-03-01T08:00:00.000Z
 * addYearsUtc(new Date('2024-02-29T08:00:00Z'), 4); // 2028-02-29T08:00:00.000Z
 * ```
 */
export function addYearsUtc(date: Date, years: number): Date {
  const result = new Date(date.getTime());
  result.setUTCFullYear(date.getUTCFullYear() + years); // 29 Feb of a common year rolls to 1 Mar
  return result;
}

/**
 * The date until which a record must be kept: the later of `recordedAt + years` and
 * `relationshipEndedAt + years`. While the relationship continues this is a lower bound: the
 * real end is only known once the relationship ends.
 *
 * @throws RetentionError on an invalid date or a `years` that is not a positive whole number.
 */
export function retainUntil(input: RetentionInput): Date {
  const { years } = input;
  if (!Number.isInteger(years) || years < 1) {
    throw new RetentionError(`years must be a positive whole number; got ${String(years)}`, 'years');
  }
  const fromRecord = addYearsUtc(toDate(input.recordedAt, 'recordedAt'), years);
  if (input.relationshipEndedAt === undefined) return fromRecord;
  const fromEnd = addYearsUtc(toDate(input.relationshipEndedAt, 'relationshipEndedAt'), years);
  return fromEnd > fromRecord ? fromEnd : fromRecord;
}

export interface ErasureInput extends RetentionInput {
  /** When the erasure request is evaluated. */
  readonly now: DateInput;
  /** A regulator's or court's legal hold on the subject's records. */
  readonly legalHold?: boolean;
}

/** Why an erasure request is or is not honoured now. */
export type ErasureDecision =
  | { readonly erasable: true }
  | { readonly erasable: false; readonly reason: 'legal_hold' | 'relationship_active' }
  | { readonly erasable: false; readonly reason: 'retention_period'; readonly retainUntil: Date };

/**
 * Decides a GDPR art. 17 erasure request for AML records. Refused under art. 17(3)(b) while
 * the relationship continues or the AML retention period runs, and always under a legal hold;
 * allowed (and under AMLD art. 40 required) once the period has passed.
 *
 * @example
 * ```ts
 * erasureDecision({ now: new Date(), recordedAt, relationshipEndedAt, years: 5 });
 * // { erasable: false, reason: 'retention_period', retainUntil: 2031-01-10T00:00:00.000Z }
 * ```
 */
export function erasureDecision(input: ErasureInput): ErasureDecision {
  const until = retainUntil(input);
  const now = toDate(input.now, 'now');
  if (input.legalHold) return { erasable: false, reason: 'legal_hold' };
  if (input.relationshipEndedAt === undefined) return { erasable: false, reason: 'relationship_active' };
  if (now < until) return { erasable: false, reason: 'retention_period', retainUntil: until };
  return { erasable: true };
}

/**
 * True when AML law no longer requires the record, so an erasure request must be honoured.
 *
 * @example
 * ```ts
 * isErasable({ now: '2031-01-10T00:00:00Z', recordedAt: '2024-05-01T00:00:00Z',
 *   relationshipEndedAt: '2026-01-10T00:00:00Z', years: 5 }); // true
 * ```
 */
export function isErasable(input: ErasureInput): boolean {
  return erasureDecision(input).erasable;
}
