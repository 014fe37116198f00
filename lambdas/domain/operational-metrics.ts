/**
 * The operational metrics serverless-kyc emits (CloudWatch namespace `serverless-kyc`, EMF
 * through Powertools in AWS), one name per fact, shared by the handlers that emit them and the
 * CDK dashboard and alarms that read them (`lib/constructs/operations.ts`). Every metric
 * carries the dimension `service` = the installation prefix, so installations sharing an
 * account stay apart; the dimensioned ones also carry the dimension named here.
 *
 * @example
 * ```ts
 * metrics.count(OPERATIONAL_METRICS.decision, { [DECISION_OUTCOME_DIMENSION]: 'approved' });
 * ```
 */

/** CloudWatch namespace of every serverless-kyc metric. */
export const METRICS_NAMESPACE = 'serverless-kyc';

export const OPERATIONAL_METRICS = {
  /** One processed upload event, by `outcome` (accepted, rejected, duplicate, refused, ignored, missing, malformed). */
  upload: 'Upload',
  /** One final decision on an attempt, by `outcome` (approved, rejected) and one when a case enters review (manual_review). */
  decision: 'Decision',
  /** One count per reason code of a rejected attempt, by `reason`. */
  rejectionReason: 'RejectionReason',
  /** A review ran past its SLA and was escalated (the workflow's review-escalate step). */
  reviewSlaBreached: 'ReviewSlaBreached',
  /** Verifications waiting in manual review, measured by each reconciler run (a gauge). */
  reviewQueueDepth: 'ReviewQueueDepth',
} as const;

export type OperationalMetricName = (typeof OPERATIONAL_METRICS)[keyof typeof OPERATIONAL_METRICS];

/** Dimension of `Upload` and `Decision`. */
export const OUTCOME_DIMENSION = 'outcome';
/** Dimension of `RejectionReason`. */
export const REASON_DIMENSION = 'reason';

/** Outcomes of `Decision`. */
export const DECISION_OUTCOMES = ['approved', 'rejected', 'manual_review'] as const;
export type DecisionOutcome = (typeof DECISION_OUTCOMES)[number];
