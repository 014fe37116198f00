import { describe, expect, it } from 'vitest';
import {
  RetentionError,
  addYearsUtc,
  erasureDecision,
  isErasable,
  retainUntil,
} from '../../../lambdas/domain/retention.ts';

describe('retainUntil', () => {
  it.each([
    ['record only', { recordedAt: '2026-03-15T10:30:00Z', years: 5 }, '2031-03-15T10:30:00.000Z'],
    [
      'relationship ended later',
      { recordedAt: '2024-05-01T00:00:00Z', relationshipEndedAt: '2027-01-10T00:00:00Z', years: 5 },
      '2032-01-10T00:00:00.000Z',
    ],
    [
      'relationship ended before the record was made',
      { recordedAt: '2027-02-01T00:00:00Z', relationshipEndedAt: '2027-01-10T00:00:00Z', years: 5 },
      '2032-02-01T00:00:00.000Z',
    ],
    ['leap day to a common year', { recordedAt: '2024-02-29T08:00:00Z', years: 5 }, '2029-03-01T08:00:00.000Z'],
    ['leap day to a leap year', { recordedAt: '2024-02-29T08:00:00Z', years: 4 }, '2028-02-29T08:00:00.000Z'],
    ['leap day across a century', { recordedAt: '2096-02-29T00:00:00Z', years: 5 }, '2101-03-01T00:00:00.000Z'],
    ['28 February stays put', { recordedAt: '2023-02-28T23:59:59.999Z', years: 5 }, '2028-02-28T23:59:59.999Z'],
    ['new year edge in UTC', { recordedAt: '2026-12-31T23:30:00-02:00', years: 5 }, '2032-01-01T01:30:00.000Z'],
    [
      'leap-day relationship end',
      { recordedAt: '2020-01-01T00:00:00Z', relationshipEndedAt: new Date('2028-02-29T00:00:00Z'), years: 10 },
      '2038-03-01T00:00:00.000Z',
    ],
  ])('%s', (_name, input, expected) => {
    // Act + Assess
    expect(retainUntil(input).toISOString()).toBe(expected);
  });

  it('is never shorter than the given number of years (365-day years would be)', () => {
    // Prepare
    const recordedAt = new Date('2024-01-01T00:00:00Z');
    // Act
    const until = retainUntil({ recordedAt, years: 5 });
    // Assess: 2024 and 2028 are leap years -> 1827 days, not 1825.
    expect((until.getTime() - recordedAt.getTime()) / 86_400_000).toBe(1827);
  });

  it('does not change the Date it is given', () => {
    // Prepare
    const recordedAt = new Date('2024-02-29T00:00:00Z');
    // Act
    addYearsUtc(recordedAt, 1);
    retainUntil({ recordedAt, years: 5 });
    // Assess
    expect(recordedAt.toISOString()).toBe('2024-02-29T00:00:00.000Z');
  });

  it.each([
    [{ recordedAt: 'yesterday', years: 5 }, 'recordedAt'],
    [{ recordedAt: '2026-01-01', relationshipEndedAt: 'soon', years: 5 }, 'relationshipEndedAt'],
    [{ recordedAt: '2026-01-01', years: 0 }, 'years'],
    [{ recordedAt: '2026-01-01', years: 2.5 }, 'years'],
    [{ recordedAt: '2026-01-01', years: Number.NaN }, 'years'],
  ])('refuses %j', (input, field) => {
    // Act + Assess
    expect(() => retainUntil(input)).toThrow(RetentionError);
    expect(() => retainUntil(input)).toThrow(expect.objectContaining({ name: 'RetentionError', field }));
  });
});

describe('erasure requests (GDPR art. 17(3)(b))', () => {
  const base = { recordedAt: '2024-05-01T00:00:00Z', relationshipEndedAt: '2026-01-10T00:00:00Z', years: 5 };

  it.each([
    ['relationship still active', { ...base, relationshipEndedAt: undefined, now: '2040-01-01T00:00:00Z' }, false],
    ['inside the AML window', { ...base, now: '2031-01-09T23:59:59.999Z' }, false],
    ['the moment the window ends', { ...base, now: '2031-01-10T00:00:00Z' }, true],
    ['long after', { ...base, now: '2035-06-01T00:00:00Z' }, true],
    ['under legal hold', { ...base, now: '2035-06-01T00:00:00Z', legalHold: true }, false],
  ])('%s -> erasable %s', (_name, input, expected) => {
    // Act + Assess
    expect(isErasable(input)).toBe(expected);
  });

  it.each([
    [
      { ...base, relationshipEndedAt: undefined, now: '2026-01-01T00:00:00Z' },
      { erasable: false, reason: 'relationship_active' },
    ],
    [
      { ...base, now: '2027-01-01T00:00:00Z' },
      { erasable: false, reason: 'retention_period', retainUntil: new Date('2031-01-10T00:00:00Z') },
    ],
    [
      { ...base, now: '2027-01-01T00:00:00Z', legalHold: true },
      { erasable: false, reason: 'legal_hold' },
    ],
    [{ ...base, now: '2032-01-01T00:00:00Z' }, { erasable: true }],
  ])('explains the decision for %j', (input, expected) => {
    // Act + Assess
    expect(erasureDecision(input)).toEqual(expected);
  });

  it('refuses an invalid evaluation time', () => {
    // Act + Assess
    expect(() => isErasable({ ...base, now: 'now' })).toThrow(/now now is not a valid date/);
  });
});
