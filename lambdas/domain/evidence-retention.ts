/**
 * What happens to a piece of locked evidence when the customer relationship ends or a legal
 * hold is set (PRODUCT §5; legal basis in `retention.ts`): its Object Lock COMPLIANCE retention
 * moves to `retainUntil(recordedAt, relationshipEndedAt, years)` and is only ever lengthened.
 *
 *   stored:  locked until recordedAt + years (bucket default)
 *   closed:  locked until max(current, relationshipEndedAt + years)      never earlier
 *
 * Pure code; the S3 calls are behind `ports/evidence-locks.ts`.
 *
 * @example
 * ```ts
 * planRetention({ recordedAt, relationshipEndedAt, years: 5, current: new Date('2030-01-01') });
 * // { until: 2031-06-01..., extend: true }
 * ```
 */
import { retainUntil, type DateInput } from './retention.ts';

export interface RetentionPlan {
  /** The retention the object must have from now on. */
  readonly until: Date;
  /** True when the object's current retention is shorter and must be extended to `until`. */
  readonly extend: boolean;
}

/**
 * The retention an evidence object needs, given what it has. Never shorter than `current`:
 * COMPLIANCE retention cannot be shortened, and asking S3 to would fail.
 */
export function planRetention(input: {
  readonly recordedAt: DateInput;
  readonly relationshipEndedAt?: DateInput;
  readonly years: number;
  readonly current?: Date;
}): RetentionPlan {
  const wanted = retainUntil(input);
  if (input.current && input.current.getTime() >= wanted.getTime()) return { until: input.current, extend: false };
  return { until: wanted, extend: true };
}

/** Whether a locked object may be deleted now: its retention has passed and no legal hold is on. */
export function deletionAllowed(input: {
  readonly retainUntil?: Date;
  readonly legalHold: boolean;
  readonly now: Date;
}):
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: 'legal_hold' | 'retention_period'; readonly until?: Date } {
  if (input.legalHold) return { allowed: false, reason: 'legal_hold' };
  if (input.retainUntil && input.retainUntil.getTime() > input.now.getTime()) {
    return { allowed: false, reason: 'retention_period', until: input.retainUntil };
  }
  return { allowed: true };
}
