/**
 * The compliance case list and case view (PRODUCT §7, `GET /v1/cases`): pure rules, no AWS.
 *
 * A case is a manual-review task of a verification (item `V#<id> | R#<attemptId>`). The list is
 * served from three GSIs of the verifications table, never a scan, sorted by SLA due time
 * (`<dueAt>#<verificationId>` is the sort key of each):
 *
 *   byStatus   CASE#<open|approved|rejected>   every review task, decided or not
 *   byReviewer REVIEWER#<assignee|UNASSIGNED>  open tasks only (the existing review queue)
 *   byQueue    QUEUE#<queue>                    open tasks only
 *
 * This module holds the index keys every writer of a review task sets and the summaries the
 * routes show; the query side (filter, index choice, cursor) is `case-query.ts`, apart so the
 * writers (the workflow steps) do not carry its validation code.
 *
 * @example
 * ```ts
 * reviewSummary(task, new Date()); // ids, queue, SLA and reasons of one review task
 * ```
 */
import type { VerificationLevel } from './verification.ts';

/** Review queues the workflow routes to (`reviewRouting`). */
export const REVIEW_QUEUES = ['standard', 'advanced', 'duplicates', 'exceptions'] as const;
export type ReviewQueue = (typeof REVIEW_QUEUES)[number];

/** A case is open until a reviewer decides it; then it carries the decision's outcome. */
export const CASE_STATUSES = ['open', 'approved', 'rejected'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** The `assignee` filter value for cases nobody has claimed yet. */
export const UNASSIGNED_FILTER = 'unassigned';
/** Stored partition of unclaimed open tasks in byReviewer (`REVIEWER#UNASSIGNED`). */
export const UNASSIGNED_REVIEWER = 'UNASSIGNED';

/** Staff user ids as the API accepts them (Cognito subs, local user names). */
export const STAFF_ID_PATTERN = /^[A-Za-z0-9@._:-]{1,128}$/;

export const MAX_CASE_PAGE = 100;
export const DEFAULT_CASE_PAGE = 50;

/** Longest note a reviewer may add to a case. */
export const MAX_NOTE_LENGTH = 2000;

/** The fields of a review task the index keys are computed from. */
export interface IndexedReviewTask {
  readonly verificationId: string;
  readonly queue: string;
  readonly dueAt: string;
  readonly assignee?: string;
  readonly decision?: 'approve' | 'reject';
}

/** Status of the case a review task is. */
export function caseStatusOf(task: { readonly decision?: 'approve' | 'reject' }): CaseStatus {
  if (task.decision === 'approve') return 'approved';
  if (task.decision === 'reject') return 'rejected';
  return 'open';
}

/** Partition of byStatus for a case status. */
export const caseStatusPartition = (status: CaseStatus): string => `CASE#${status}`;
/** Partition of byReviewer for an assignee (undefined: unassigned). */
export const reviewerPartition = (assignee: string | undefined): string =>
  `REVIEWER#${assignee ?? UNASSIGNED_REVIEWER}`;
/** Partition of byQueue for a queue. */
export const queuePartition = (queue: string): string => `QUEUE#${queue}`;

/**
 * GSI attributes of a review-task item: byStatus always; byReviewer and byQueue while open
 * (deciding removes them, so the worklists hold open cases only).
 *
 * @example
 * ```ts
 * reviewIndexKeys({ verificationId: 'v1', queue: 'standard', dueAt: '2026-01-08T00:00:00.000Z' });
 * // { gsi1pk: 'CASE#open', gsi1sk: '2026-01-08T00:00:00.000Z#v1', gsi2pk: 'REVIEWER#UNASSIGNED', ... }
 * ```
 */
export function reviewIndexKeys(task: IndexedReviewTask): Record<string, string> {
  const sortKey = `${task.dueAt}#${task.verificationId}`;
  const status = caseStatusOf(task);
  const keys: Record<string, string> = { gsi1pk: caseStatusPartition(status), gsi1sk: sortKey };
  if (status === 'open') {
    Object.assign(keys, {
      gsi2pk: reviewerPartition(task.assignee),
      gsi2sk: sortKey,
      gsi4pk: queuePartition(task.queue),
      gsi4sk: sortKey,
    });
  }
  return keys;
}

/** A review task as the case list and the review queue show it: ids, queue, SLA; no token, note or PII. */
export interface ReviewTaskLike extends IndexedReviewTask {
  readonly attemptId: string;
  readonly priority: number;
  readonly reasons: readonly string[];
  readonly causes?: readonly string[];
  readonly escalated: boolean;
  readonly escalations?: number;
  readonly createdAt: string;
  readonly level?: VerificationLevel;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
}

/**
 * The summary of a review task shown in queues (`GET /v1/reviews`, `GET /v1/cases`).
 *
 * @example
 * ```ts
 * reviewSummary(task, new Date()).overdue; // true once dueAt has passed
 * ```
 */
export function reviewSummary(task: ReviewTaskLike, now: Date) {
  return {
    verificationId: task.verificationId,
    attemptId: task.attemptId,
    queue: task.queue,
    priority: task.priority,
    reasons: task.reasons,
    causes: task.causes ?? [],
    dueAt: task.dueAt,
    overdue: task.decision === undefined && Date.parse(task.dueAt) < now.getTime(),
    escalated: task.escalated,
    escalations: task.escalations ?? 0,
    createdAt: task.createdAt,
    ...(task.assignee ? { assignee: task.assignee } : {}),
  };
}

/** A case row of `GET /v1/cases`: the review summary plus status, level and the decision. */
export function caseSummary(task: ReviewTaskLike, now: Date) {
  return {
    ...reviewSummary(task, now),
    status: caseStatusOf(task),
    ...(task.level ? { level: task.level } : {}),
    ...(task.decision ? { decision: task.decision } : {}),
    ...(task.decidedBy ? { decidedBy: task.decidedBy } : {}),
    ...(task.decidedAt ? { decidedAt: task.decidedAt } : {}),
  };
}

/** A risk flag of a case, with where it comes from. */
export interface CaseRiskFlag {
  /** `document_switching`, `after_cooldown` (verification flags), `velocity`, `duplicate_identity`. */
  readonly flag: string;
  readonly source: 'verification' | 'attempts' | 'duplicates_check';
  readonly details?: Readonly<Record<string, string | number | readonly string[]>>;
}

/**
 * The risk flags of a case: the verification's own flags (document switching, reopened after a
 * cooldown), `velocity` when `attemptsPerWindow` or more attempts fell inside one rolling window
 * (PRODUCT §4: more than 5 submissions within an hour is unusual), and `duplicate_identity` when
 * the duplicates check matched other users or a reason says so.
 *
 * @example
 * ```ts
 * caseRiskFlags({ verificationFlags: [], attemptTimes: times, windowSeconds: 3600, attemptsPerWindow: 5, duplicates: [] });
 * ```
 */
export function caseRiskFlags(input: {
  readonly verificationFlags: readonly string[];
  readonly attemptTimes: readonly string[];
  readonly windowSeconds: number;
  readonly attemptsPerWindow: number;
  readonly duplicates: ReadonlyArray<{ readonly attemptId: string; readonly matchedUserIds: readonly string[] }>;
  readonly reasons: readonly string[];
}): CaseRiskFlag[] {
  const flags: CaseRiskFlag[] = input.verificationFlags.map((flag) => ({ flag, source: 'verification' as const }));
  const times = input.attemptTimes
    .map((time) => Date.parse(time))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  let busiest = 0;
  for (let start = 0, end = 0; end < times.length; end += 1) {
    while (times[end]! - times[start]! >= input.windowSeconds * 1000) start += 1;
    busiest = Math.max(busiest, end - start + 1);
  }
  if (busiest >= input.attemptsPerWindow) {
    flags.push({
      flag: 'velocity',
      source: 'attempts',
      details: { attemptsInWindow: busiest, windowSeconds: input.windowSeconds },
    });
  }
  const matched = [...new Set(input.duplicates.flatMap((check) => check.matchedUserIds))];
  if (matched.length > 0 || input.reasons.includes('DUPLICATE_IDENTITY')) {
    flags.push({
      flag: 'duplicate_identity',
      source: 'duplicates_check',
      details: { matchedUserIds: matched },
    });
  }
  return flags;
}
