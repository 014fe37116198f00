/**
 * Compliance reviewer calls, as the compliance dashboard makes them:
 * `POST /v1/reviews/{verificationId}/decision` with `{ decision, reasons?, note }`.
 */
import type { KycClient } from './kyc-client.ts';

/**
 * Records a reviewer's decision on a verification in manual review.
 *
 * @example
 * ```ts
 * await decideReview(reviewer, verificationId, 'approve', 'Checked the documents by hand');
 * ```
 */
export async function decideReview(
  reviewer: KycClient,
  verificationId: string,
  decision: 'approve' | 'reject',
  note: string,
  reasons?: readonly string[],
): Promise<unknown> {
  return reviewer.call('POST', `/v1/reviews/${encodeURIComponent(verificationId)}/decision`, {
    decision,
    note,
    ...(reasons && reasons.length > 0 ? { reasons } : {}),
  });
}
