import { describe, expect, it } from 'vitest';
import {
  applicantView,
  nextErasureCheck,
  planErasure,
  type AttemptState,
  type ErasureInput,
  type VerificationState,
} from '../../../lambdas/domain/records-erasure.ts';
import { addYearsUtc } from '../../../lambdas/domain/retention.ts';

const NOW = new Date('2032-06-15T12:00:00.000Z');
const yearsAgo = (years: number): string => addYearsUtc(NOW, -years).toISOString();

/** An attempt with one vault object recorded `recordedYearsAgo`, locked by default for 5 years from then. */
function vaulted(attemptId: string, status: string, recordedYearsAgo: number, legalHold = false): AttemptState {
  const recordedAt = yearsAgo(recordedYearsAgo);
  return {
    attemptId,
    status,
    createdAt: recordedAt,
    vaultObjects: [
      {
        key: `evidence/v/${attemptId}/document_front`,
        recordedAt,
        lockedUntil: addYearsUtc(new Date(recordedAt), 5),
        legalHold,
      },
    ],
  };
}

const draft = (attemptId: string): AttemptState => ({
  attemptId,
  status: 'awaiting_upload',
  createdAt: yearsAgo(0),
  vaultObjects: [],
});

function verification(attempts: AttemptState[], legalHold = false, verificationId = 'v1'): VerificationState {
  return { verificationId, status: 'approved', legalHold, attempts };
}

function input(overrides: Partial<ErasureInput>): ErasureInput {
  return { now: NOW, years: 5, drafts: 'erase', verifications: [], ...overrides };
}

describe('erasure decisions', () => {
  it.each([
    // name, account closed (years ago), hold, erased attempts, kept reason, kept until
    ['open account', undefined, false, ['draft'], 'relationship_active', addYearsUtc(new Date(yearsAgo(7)), 5)],
    ['closed 2 years ago', 2, false, ['draft'], 'retention_period', addYearsUtc(new Date(yearsAgo(2)), 5)],
    ['closed 6 years ago', 6, false, ['draft', 'approved'], undefined, undefined],
    ['legal hold (closed 6 years ago)', 6, true, ['draft'], 'legal_hold', undefined],
  ])('%s', (_name, closedYearsAgo, hold, erased, reason, until) => {
    // Prepare: an approved attempt recorded 7 years ago (its own lock has run out) and a draft
    const plan = planErasure(
      input({
        ...(closedYearsAgo !== undefined ? { account: { relationshipEndedAt: yearsAgo(closedYearsAgo) } } : {}),
        verifications: [verification([vaulted('approved', 'approved', 7), draft('draft')], hold)],
      }),
    );

    // Assess
    expect(plan.erase.attempts.map((attempt) => attempt.attemptId).sort()).toEqual([...erased].sort());
    expect(plan.reason).toBe(reason);
    expect(plan.retainedUntil?.toISOString()).toBe(reason === 'legal_hold' ? undefined : until?.toISOString());
    expect(plan.erase.verifications).toEqual(reason === undefined ? ['v1'] : []);
  });

  it.each([
    ['recorded 2 years ago: the default lock runs 3 more years', 2, 'retention_period', ['draft']],
    ['recorded 6 years ago: retention ended, erased', 6, undefined, ['draft', 'rejected']],
  ])('open account, a rejected attempt %s', (_name, recordedYearsAgo, reason, erased) => {
    // Act
    const plan = planErasure(
      input({ verifications: [verification([vaulted('rejected', 'rejected', recordedYearsAgo), draft('draft')])] }),
    );

    // Assess
    expect(plan.reason).toBe(reason);
    expect(plan.erase.attempts.map((attempt) => attempt.attemptId).sort()).toEqual(erased.sort());
  });

  it('never erases before the Object Lock ends, even when the AML date passed (a longer lock wins)', () => {
    // Prepare
    const attempt = vaulted('a', 'rejected', 7);
    const locked = { ...attempt, vaultObjects: [{ ...attempt.vaultObjects[0]!, lockedUntil: addYearsUtc(NOW, 1) }] };

    // Act
    const plan = planErasure(
      input({ account: { relationshipEndedAt: yearsAgo(6) }, verifications: [verification([locked])] }),
    );

    // Assess
    expect(plan.erase.attempts).toEqual([]);
    expect(plan.retained).toEqual([
      { verificationId: 'v1', attemptId: 'a', vaultObjects: 1, reason: 'retention_period', until: addYearsUtc(NOW, 1) },
    ]);
  });

  it('an object-level legal hold keeps its attempt although the case record has none', () => {
    // Act
    const plan = planErasure(
      input({
        account: { relationshipEndedAt: yearsAgo(6) },
        verifications: [verification([vaulted('a', 'rejected', 7, true)])],
      }),
    );

    // Assess
    expect(plan.reason).toBe('legal_hold');
    expect(plan.erase.attempts).toEqual([]);
  });

  it.each([
    ['erase', ['d1'], ['v-draft']],
    ['keep', [], []],
  ] as const)(
    "the deletion job alone (drafts %s) leaves an open account's work in progress",
    (drafts, attempts, verifications) => {
      // Act
      const plan = planErasure(
        input({
          drafts,
          verifications: [
            verification([draft('d1')], false, 'v-draft'),
            { verificationId: 'v-empty', status: 'awaiting_upload', legalHold: false, attempts: [] },
          ],
        }),
      );

      // Assess
      expect(plan.erase.attempts.map((attempt) => attempt.attemptId)).toEqual(attempts);
      expect(plan.erase.verifications).toEqual(drafts === 'erase' ? ['v-draft', 'v-empty'] : verifications);
    },
  );

  it.each([
    ['retention only: the date it ends', 2, false, addYearsUtc(new Date(yearsAgo(2)), 5)],
    ['held: look again after the recheck period', 6, true, new Date(NOW.getTime() + 7 * 86_400_000)],
  ])('next check of a deferred erasure, %s', (_name, closedYearsAgo, hold, expected) => {
    // Prepare
    const plan = planErasure(
      input({
        account: { relationshipEndedAt: yearsAgo(closedYearsAgo) },
        verifications: [verification([vaulted('a', 'approved', 3)], hold)],
      }),
    );

    // Act
    const next = nextErasureCheck(plan, NOW, 7);

    // Assess
    expect(next?.toISOString()).toBe(expected.toISOString());
  });

  it('nothing kept: no next check', () => {
    // Act
    const next = nextErasureCheck(planErasure(input({ verifications: [verification([draft('d')])] })), NOW, 7);

    // Assess
    expect(next).toBeUndefined();
  });

  it.each([
    // name, account closed (years ago), record made (years ago), what the applicant is told the item is kept until
    ['retention still running', 2, 3, addYearsUtc(new Date(yearsAgo(2)), 5)],
    ['retention over: the next check', 6, 7, new Date(NOW.getTime() + 7 * 86_400_000)],
  ])('the applicant is never told of a legal hold (%s)', (_name, closedYearsAgo, recordedYearsAgo, shownUntil) => {
    // Prepare: one held case and one case kept for retention only (or nothing else)
    const plan = planErasure(
      input({
        account: { relationshipEndedAt: yearsAgo(closedYearsAgo) },
        verifications: [verification([vaulted('a', 'rejected', recordedYearsAgo)], true, 'held')],
      }),
    );
    const recheck = nextErasureCheck(plan, NOW, 7)!;

    // Act
    const shown = applicantView(plan, recheck);

    // Assess: staff's plan says legal_hold; the applicant sees an ordinary retention with a date
    expect(plan.reason).toBe('legal_hold');
    expect(shown.reason).toBe('retention_period');
    expect(shown.retained).toEqual([
      { verificationId: 'held', attemptId: 'a', vaultObjects: 1, reason: 'retention_period', until: shownUntil },
    ]);
    expect(shown.retainedUntil?.toISOString()).toBe(shownUntil.toISOString());
    expect(JSON.stringify(shown)).not.toMatch(/hold/i);
  });

  it('the applicant view keeps every other reason and date as planned', () => {
    // Prepare: an open account (relationship_active) and nothing held
    const plan = planErasure(input({ verifications: [verification([vaulted('a', 'approved', 7)])] }));

    // Act
    const shown = applicantView(plan, NOW);

    // Assess
    expect(shown.reason).toBe(plan.reason);
    expect(shown.retained).toEqual(plan.retained);
    expect(shown.retainedUntil).toEqual(plan.retainedUntil);
  });
});
