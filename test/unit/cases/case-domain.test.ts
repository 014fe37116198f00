import { describe, expect, it } from 'vitest';
import {
  decodeCaseCursor,
  encodeCaseCursor,
  parseCaseFilter,
  planCaseQuery,
} from '../../../lambdas/domain/case-query.ts';
import { caseRiskFlags, reviewIndexKeys } from '../../../lambdas/domain/cases.ts';

describe('planCaseQuery: the narrowest index for a filter', () => {
  it.each([
    [{}, 'byStatus', 'CASE#open', {}],
    [{ status: 'approved', queue: 'advanced' }, 'byStatus', 'CASE#approved', { queue: 'advanced' }],
    [{ queue: 'duplicates', assignee: 'rita' }, 'byQueue', 'QUEUE#duplicates', { assignee: 'rita' }],
    [{ queue: 'standard', assignee: 'unassigned' }, 'byQueue', 'QUEUE#standard', { assignee: null }],
    [{ assignee: 'rita', level: 'basic' }, 'byReviewer', 'REVIEWER#rita', { level: 'basic' }],
    [{ assignee: 'unassigned' }, 'byReviewer', 'REVIEWER#UNASSIGNED', {}],
    [{ status: 'rejected', assignee: 'rita' }, 'byStatus', 'CASE#rejected', { assignee: 'rita' }],
  ])('serves %j from %s partition %s, filtering %j', (query, indexName, partition, residual) => {
    // Act
    const plan = planCaseQuery(parseCaseFilter(query as Record<string, string>));

    // Assess
    expect(plan).toMatchObject({ indexName, partition, residual });
  });
});

describe('parseCaseFilter: limit', () => {
  it.each([
    ['-1', 'limit must be from 1 to 100'],
    ['0', 'limit must be from 1 to 100'],
    ['101', 'limit must be from 1 to 100'],
    ['100000', 'limit must be from 1 to 100'],
    ['99999999999999999999999', 'limit must be from 1 to 100'],
    ['ten', 'limit must be an integer from 1 to 100'],
    ['2.5', 'limit must be an integer from 1 to 100'],
  ])('refuses limit=%s saying "%s"', (limit, message) => {
    // Act
    const act = () => parseCaseFilter({ limit });

    // Assess
    expect(act).toThrow(expect.objectContaining({ name: 'CaseFilterError', message, parameter: 'limit' }));
  });

  it.each([
    ['1', 1],
    ['100', 100],
    ['007', 7],
  ])('accepts limit=%s as %d', (limit, expected) => {
    // Act / Assess
    expect(parseCaseFilter({ limit }).limit).toBe(expected);
  });
});

describe('reviewIndexKeys: a decided case leaves the worklists', () => {
  it.each([
    [undefined, ['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi4pk', 'gsi4sk'], 'CASE#open'],
    ['approve' as const, ['gsi1pk', 'gsi1sk'], 'CASE#approved'],
    ['reject' as const, ['gsi1pk', 'gsi1sk'], 'CASE#rejected'],
  ])('decision %s -> keys %j in %s', (decision, keys, status) => {
    // Act
    const indexKeys = reviewIndexKeys({
      verificationId: 'v1',
      queue: 'standard',
      dueAt: '2026-01-08T00:00:00.000Z',
      ...(decision ? { decision } : {}),
    });

    // Assess
    expect(Object.keys(indexKeys).sort()).toEqual(keys);
    expect(indexKeys.gsi1pk).toBe(status);
    expect(indexKeys.gsi1sk).toBe('2026-01-08T00:00:00.000Z#v1');
  });
});

describe('case cursors', () => {
  const filter = parseCaseFilter({ queue: 'standard' });
  const plan = planCaseQuery(filter);
  const key = { pk: 'V#v1', sk: 'R#a1', gsi4pk: 'QUEUE#standard', gsi4sk: '2026-01-08T00:00:00.000Z#v1' };

  it('round-trips a start key for the same filter, whatever the page size', () => {
    // Act
    const decoded = decodeCaseCursor(encodeCaseCursor(key, filter), { ...filter, limit: 7 }, plan);

    // Assess
    expect(decoded).toEqual(key);
  });

  it.each([
    ['another filter', () => encodeCaseCursor(key, parseCaseFilter({ queue: 'advanced' }))],
    ['a key in another partition', () => encodeCaseCursor({ ...key, gsi4pk: 'QUEUE#advanced' }, filter)],
    ['a key of another item kind', () => encodeCaseCursor({ ...key, sk: 'META' }, filter)],
    ['a sort key that is no due time', () => encodeCaseCursor({ ...key, gsi4sk: 'x' }, filter)],
    ['not base64url', () => 'a+b/c='],
    ['an empty object', () => Buffer.from('{}').toString('base64url')],
  ])('refuses a cursor for %s with InvalidCursorError', (_name, cursor) => {
    // Act
    const act = () => decodeCaseCursor(cursor(), filter, plan);

    // Assess
    expect(act).toThrow(expect.objectContaining({ name: 'InvalidCursorError' }));
  });
});

describe('caseRiskFlags', () => {
  const base = { verificationFlags: [], windowSeconds: 3600, attemptsPerWindow: 5, duplicates: [], reasons: [] };
  const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 0, minutes)).toISOString();

  it.each([
    ['five attempts inside an hour', [0, 10, 20, 30, 59], ['velocity']],
    ['five attempts spread over more than an hour', [0, 15, 30, 45, 60], []],
    ['four attempts inside an hour', [0, 1, 2, 3], []],
  ])('flags velocity for %s only when the window holds enough', (_name, minutes, flags) => {
    // Act
    const result = caseRiskFlags({ ...base, attemptTimes: minutes.map(at) });

    // Assess
    expect(result.map((flag) => flag.flag)).toEqual(flags);
  });

  it('keeps the verification flags and reports duplicates with the matched users', () => {
    // Act
    const result = caseRiskFlags({
      ...base,
      verificationFlags: ['document_switching'],
      attemptTimes: [],
      duplicates: [{ attemptId: 'a1', matchedUserIds: ['u-9', 'u-9'] }],
    });

    // Assess
    expect(result).toEqual([
      { flag: 'document_switching', source: 'verification' },
      { flag: 'duplicate_identity', source: 'duplicates_check', details: { matchedUserIds: ['u-9'] } },
    ]);
  });
});
