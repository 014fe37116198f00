/**
 * Shapes shared by every language file of the reason catalog. Pure types: no AWS imports.
 */
import type { ReasonCode } from '../reason-codes.ts';

/** What a user reads for one reason code: what went wrong, and how to fix it. */
export interface ReasonText {
  /** Short statement of the problem, e.g. "Photo too blurry". */
  readonly message: string;
  /** One or two sentences telling the user exactly what to do differently. */
  readonly tip: string;
}

/**
 * One language's texts for every reason code. Typed as a full `Record`, so a language file
 * that forgets a code (or invents one) fails `tsc`.
 */
export type ReasonCatalog = Readonly<Record<ReasonCode, ReasonText>>;

/** A reason as the API returns it (PRODUCT §7: `reasons: [{ code, message, tip }]`). */
export interface DescribedReason extends ReasonText {
  readonly code: ReasonCode;
}
