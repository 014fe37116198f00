/**
 * Queries of the compliance case list (PRODUCT §7, `GET /v1/cases`): pure rules, no AWS.
 *
 * `planCaseQuery` picks the narrowest index of `cases.ts` for a filter; the remaining filters
 * become a FilterExpression on that index's query. The cursor is opaque (base64url JSON) and
 * bound to the filter it was issued for: a cursor that does not decode, belongs to another
 * filter or names a key outside the queried partition is refused with `InvalidCursorError` (a
 * 400), so nothing a client sends ever reaches DynamoDB as a malformed start key.
 *
 * @example
 * ```ts
 * const filter = parseCaseFilter({ status: 'open', queue: 'advanced', limit: '20' });
 * const plan = planCaseQuery(filter);                 // byQueue, partition QUEUE#advanced
 * const startKey = decodeCaseCursor(cursor, filter, plan);
 * ```
 */
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { canonicalJson } from './audit-chain.ts';
import {
  CASE_STATUSES,
  caseStatusPartition,
  DEFAULT_CASE_PAGE,
  MAX_CASE_PAGE,
  queuePartition,
  REVIEW_QUEUES,
  reviewerPartition,
  STAFF_ID_PATTERN,
  UNASSIGNED_FILTER,
  type CaseStatus,
  type ReviewQueue,
} from './cases.ts';
import { LEVELS, type VerificationLevel } from './verification.ts';

/** A query value the case list cannot use (400 `VALIDATION_ERROR`). */
export class CaseFilterError extends Error {
  public constructor(
    message: string,
    public readonly parameter: string,
  ) {
    super(message);
    this.name = 'CaseFilterError';
  }
}

/** A cursor that was not issued for this query (400 `INVALID_CURSOR`). */
export class InvalidCursorError extends Error {
  public constructor(message = 'The cursor is invalid for this query', options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidCursorError';
  }
}

export interface CaseFilter {
  readonly status: CaseStatus;
  readonly queue?: ReviewQueue;
  /** A staff id, or `unassigned`. */
  readonly assignee?: string;
  readonly level?: VerificationLevel;
  /** ISO time: only cases due strictly before it. */
  readonly dueBefore?: string;
  /** ISO times: cases created at or after `from`, and before `to`. */
  readonly from?: string;
  readonly to?: string;
  readonly limit: number;
  readonly cursor?: string;
}

/** `YYYY-MM-DD` names a day that exists (Date.parse rolls 2026-02-31 over to March). */
function isCalendarDate(date: string): boolean {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const parsed = new Date(Date.UTC(year, month - 1, day));
  return parsed.getUTCFullYear() === year && parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === day;
}

// zod/mini (tree-shakable) loads no messages by itself: the English ones of zod's full build.
z.config(en());

const isoTime = (parameter: string) =>
  z.pipe(
    z.string().check(
      z.maxLength(40),
      z.refine((value) => /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(value), {
        message: `${parameter} must be an ISO 8601 date or time`,
      }),
      z.refine((value) => !Number.isNaN(Date.parse(value)) && isCalendarDate(value.slice(0, 10)), {
        message: `${parameter} is not a valid time`,
      }),
    ),
    z.transform((value: string) => new Date(value).toISOString()),
  );

const filterSchema = z
  .strictObject({
    status: z._default(z.enum(CASE_STATUSES), 'open'),
    queue: z.optional(z.enum(REVIEW_QUEUES)),
    assignee: z.optional(z.string().check(z.regex(STAFF_ID_PATTERN, 'assignee is malformed'))),
    level: z.optional(z.enum(LEVELS)),
    dueBefore: z.optional(isoTime('dueBefore')),
    from: z.optional(isoTime('from')),
    to: z.optional(isoTime('to')),
    limit: z._default(
      z
        // Any integer gets as far as the range check, so -1 and 100000 are told the range too.
        .pipe(
          z.string().check(z.regex(/^-?\d+$/, `limit must be an integer from 1 to ${MAX_CASE_PAGE}`)),
          z.transform(Number),
        )
        .check(z.refine((value) => value >= 1 && value <= MAX_CASE_PAGE, `limit must be from 1 to ${MAX_CASE_PAGE}`)),
      DEFAULT_CASE_PAGE,
    ),
    cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
  })
  .check(
    z.refine((filter) => !filter.from || !filter.to || filter.from < filter.to, {
      message: 'from must be before to',
      path: ['from'],
    }),
  );

/**
 * Validates the query string of `GET /v1/cases`; unknown parameters and bad values throw
 * `CaseFilterError` naming the parameter.
 *
 * @example
 * ```ts
 * parseCaseFilter({ status: 'open', dueBefore: '2026-02-01' }); // { status: 'open', dueBefore: '2026-02-01T00:00:00.000Z', limit: 50 }
 * ```
 */
export function parseCaseFilter(query: Readonly<Record<string, string | undefined>>): CaseFilter {
  const defined = Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined));
  const result = z.safeParse(filterSchema, defined);
  if (result.success) {
    const data = result.data;
    return Object.fromEntries(Object.entries(data).filter(([, value]) => value !== undefined)) as unknown as CaseFilter;
  }
  const issue = result.error.issues[0]!;
  const unknownKeys = (issue as { keys?: string[] }).keys;
  const parameter = unknownKeys?.[0] ?? issue.path.map(String).join('.');
  const message = unknownKeys ? `unknown query parameter ${unknownKeys.join(', ')}` : issue.message;
  throw new CaseFilterError(message, parameter);
}

export type CaseIndexName = 'byStatus' | 'byReviewer' | 'byQueue';

/** How a filter is served: one index partition, sorted by due time, plus filters on that partition. */
export interface CaseQueryPlan {
  readonly indexName: CaseIndexName;
  readonly partitionAttribute: string;
  readonly sortAttribute: string;
  readonly partition: string;
  /** Filters the partition does not cover (applied as a FilterExpression). */
  readonly residual: {
    readonly queue?: string;
    /** `null`: unassigned only. */
    readonly assignee?: string | null;
    readonly level?: VerificationLevel;
    readonly from?: string;
    readonly to?: string;
  };
  readonly dueBefore?: string;
}

const INDEX_ATTRIBUTES: Readonly<Record<CaseIndexName, readonly [string, string]>> = {
  byStatus: ['gsi1pk', 'gsi1sk'],
  byReviewer: ['gsi2pk', 'gsi2sk'],
  byQueue: ['gsi4pk', 'gsi4sk'],
};

/**
 * The narrowest index for a filter: open cases of one queue from byQueue, open cases of one
 * assignee (or unassigned) from byReviewer, anything else from byStatus.
 *
 * @example
 * ```ts
 * planCaseQuery(parseCaseFilter({ assignee: 'rita' })).indexName; // 'byReviewer'
 * ```
 */
export function planCaseQuery(filter: CaseFilter): CaseQueryPlan {
  const assignee =
    filter.assignee === undefined ? undefined : filter.assignee === UNASSIGNED_FILTER ? null : filter.assignee;
  const common = {
    ...(filter.level ? { level: filter.level } : {}),
    ...(filter.from ? { from: filter.from } : {}),
    ...(filter.to ? { to: filter.to } : {}),
  };
  const plan = (indexName: CaseIndexName, partition: string, residual: CaseQueryPlan['residual']): CaseQueryPlan => ({
    indexName,
    partitionAttribute: INDEX_ATTRIBUTES[indexName][0],
    sortAttribute: INDEX_ATTRIBUTES[indexName][1],
    partition,
    residual,
    ...(filter.dueBefore ? { dueBefore: filter.dueBefore } : {}),
  });
  if (filter.status === 'open' && filter.queue) {
    return plan('byQueue', queuePartition(filter.queue), {
      ...common,
      ...(assignee !== undefined ? { assignee } : {}),
    });
  }
  if (filter.status === 'open' && assignee !== undefined) {
    return plan('byReviewer', reviewerPartition(assignee ?? undefined), common);
  }
  return plan('byStatus', caseStatusPartition(filter.status), {
    ...common,
    ...(filter.queue ? { queue: filter.queue } : {}),
    ...(assignee !== undefined ? { assignee } : {}),
  });
}

/** A start key of one of the case indexes: the table key plus the index key. */
export type CaseStartKey = Readonly<Record<string, string>>;

const KEY_PATTERNS = {
  pk: /^V#[\w-]{1,64}$/,
  sk: /^R#[\w-]{1,64}$/,
  sort: /^\d{4}-\d{2}-\d{2}T[\d:.]{5,18}Z#[\w-]{1,64}$/,
};

const cursorSchema = z.strictObject({
  v: z.literal(1),
  f: z.string().check(z.regex(/^[0-9a-f]{16}$/)),
  k: z.record(z.string(), z.string().check(z.maxLength(200))),
});

/** What a cursor is bound to: every filter but the page size and the cursor itself. */
function fingerprint(filter: CaseFilter): string {
  const bound = {
    status: filter.status,
    queue: filter.queue,
    assignee: filter.assignee,
    level: filter.level,
    dueBefore: filter.dueBefore,
    from: filter.from,
    to: filter.to,
  };
  return createHash('sha256').update(canonicalJson(bound)).digest('hex').slice(0, 16);
}

/**
 * The opaque cursor for the next page after `key`.
 *
 * @example
 * ```ts
 * const nextCursor = encodeCaseCursor(lastKey, filter);
 * ```
 */
export function encodeCaseCursor(key: CaseStartKey, filter: CaseFilter): string {
  return Buffer.from(JSON.stringify({ v: 1, f: fingerprint(filter), k: key }), 'utf8').toString('base64url');
}

/**
 * The start key a cursor carries, checked against the filter and the plan's partition.
 *
 * @throws InvalidCursorError when the cursor does not decode, was issued for another filter, or
 *   names a key outside the partition being queried.
 */
export function decodeCaseCursor(cursor: string, filter: CaseFilter, plan: CaseQueryPlan): CaseStartKey {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidCursorError();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw new InvalidCursorError(undefined, { cause: error });
  }
  const parsed = z.safeParse(cursorSchema, decoded);
  if (!parsed.success) throw new InvalidCursorError();
  if (parsed.data.f !== fingerprint(filter)) throw new InvalidCursorError('The cursor belongs to another query');
  const key = parsed.data.k;
  const expected = ['pk', 'sk', plan.partitionAttribute, plan.sortAttribute].sort();
  const ok =
    JSON.stringify(Object.keys(key).sort()) === JSON.stringify(expected) &&
    KEY_PATTERNS.pk.test(key.pk ?? '') &&
    KEY_PATTERNS.sk.test(key.sk ?? '') &&
    key[plan.partitionAttribute] === plan.partition &&
    KEY_PATTERNS.sort.test(key[plan.sortAttribute] ?? '');
  if (!ok) throw new InvalidCursorError();
  return key;
}
