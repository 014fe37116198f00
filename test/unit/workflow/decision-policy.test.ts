import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import { cooldownEnd, decide, type DecisionInput } from '../../../lambdas/domain/decision-policy.ts';

const bound = { portraitSimilarity: 98, selfieSimilarity: 99, faceHit: false };

const clean: DecisionInput = {
  level: 'basic',
  faceMatch: { kind: 'scored', similarity: 99 },
  liveness: { kind: 'scored', status: 'SUCCEEDED', confidence: 97, binding: bound },
  document: { kind: 'read', expired: false, mismatches: [] },
  duplicates: { kind: 'checked', faceHit: false, documentHit: false },
  consecutiveFailures: 0,
  afterCooldown: false,
};

describe('decide', () => {
  it.each([
    ['all checks pass', {}, 'approve', []],
    ['face exactly at the approve threshold', { faceMatch: { kind: 'scored', similarity: 95 } }, 'approve', []],
    [
      'face between the bands',
      { faceMatch: { kind: 'scored', similarity: 90 } },
      'manual_review',
      ['MANUAL_REVIEW_REQUIRED'],
    ],
    [
      'face exactly at the reject threshold',
      { faceMatch: { kind: 'scored', similarity: 80 } },
      'manual_review',
      ['MANUAL_REVIEW_REQUIRED'],
    ],
    [
      'face below the reject threshold',
      { faceMatch: { kind: 'scored', similarity: 79.9 } },
      'reject',
      ['FACE_NOT_MATCH'],
    ],
    [
      'face match task failed',
      { faceMatch: { kind: 'error', cause: 'Lambda.ServiceException' } },
      'manual_review',
      ['MANUAL_REVIEW_REQUIRED'],
    ],
    ['liveness disabled', { liveness: { kind: 'disabled' } }, 'approve', []],
    [
      'a live stand-in: the liveness face is not the selfie',
      {
        liveness: { kind: 'scored', status: 'SUCCEEDED', confidence: 97, binding: { ...bound, selfieSimilarity: 12 } },
      },
      'reject',
      ['FACE_NOT_MATCH'],
    ],
    [
      'a live stand-in: the liveness face is not the document portrait',
      {
        liveness: {
          kind: 'scored',
          status: 'SUCCEEDED',
          confidence: 97,
          binding: { ...bound, portraitSimilarity: 30 },
        },
      },
      'reject',
      ['FACE_NOT_MATCH'],
    ],
    [
      'liveness face between the face-match bands',
      {
        liveness: { kind: 'scored', status: 'SUCCEEDED', confidence: 97, binding: { ...bound, selfieSimilarity: 88 } },
      },
      'manual_review',
      ['MANUAL_REVIEW_REQUIRED'],
    ],
    [
      'liveness face found on another account',
      { liveness: { kind: 'scored', status: 'SUCCEEDED', confidence: 97, binding: { ...bound, faceHit: true } } },
      'manual_review',
      ['DUPLICATE_IDENTITY', 'MANUAL_REVIEW_REQUIRED'],
    ],
    [
      'liveness succeeded without a reference image to compare',
      { liveness: { kind: 'scored', status: 'SUCCEEDED', confidence: 97 } },
      'manual_review',
      ['MANUAL_REVIEW_REQUIRED'],
    ],
    [
      'liveness between the bands',
      { liveness: { kind: 'scored', status: 'SUCCEEDED', confidence: 70, binding: bound } },
      'manual_review',
      ['MANUAL_REVIEW_REQUIRED'],
    ],
    [
      'liveness below the reject threshold',
      { liveness: { kind: 'scored', status: 'SUCCEEDED', confidence: 30, binding: bound } },
      'reject',
      ['LIVENESS_CHECK_FAILED'],
    ],
    [
      'liveness session failed',
      { liveness: { kind: 'scored', status: 'FAILED', confidence: 99 } },
      'reject',
      ['LIVENESS_CHECK_FAILED'],
    ],
    [
      'liveness session expired',
      { liveness: { kind: 'scored', status: 'EXPIRED' } },
      'reject',
      ['LIVENESS_CHECK_FAILED'],
    ],
    ['document expired', { document: { kind: 'read', expired: true, mismatches: [] } }, 'reject', ['DOCUMENT_EXPIRED']],
    [
      'declared data mismatch',
      { document: { kind: 'read', expired: false, mismatches: ['name'] } },
      'reject',
      ['INFORMATION_MISMATCH'],
    ],
    [
      'expired and mismatching',
      { document: { kind: 'read', expired: true, mismatches: ['date_of_birth'] } },
      'reject',
      ['DOCUMENT_EXPIRED', 'INFORMATION_MISMATCH'],
    ],
    [
      'document unreadable',
      { document: { kind: 'unreadable', detail: 'no_mrz' } },
      'manual_review',
      ['MANUAL_REVIEW_REQUIRED'],
    ],
    ['document check disabled', { document: { kind: 'disabled' } }, 'approve', []],
    [
      'duplicate face',
      { duplicates: { kind: 'checked', faceHit: true, documentHit: false } },
      'manual_review',
      ['DUPLICATE_IDENTITY', 'MANUAL_REVIEW_REQUIRED'],
    ],
    [
      'duplicate document and a face mismatch',
      {
        duplicates: { kind: 'checked', faceHit: false, documentHit: true },
        faceMatch: { kind: 'scored', similarity: 10 },
      },
      'manual_review',
      ['DUPLICATE_IDENTITY', 'FACE_NOT_MATCH', 'MANUAL_REVIEW_REQUIRED'],
    ],
    [
      'duplicate check failed',
      { duplicates: { kind: 'error', cause: 'States.Timeout' } },
      'manual_review',
      ['MANUAL_REVIEW_REQUIRED'],
    ],
    ['advanced level with clean checks', { level: 'advanced' }, 'manual_review', ['MANUAL_REVIEW_REQUIRED']],
    [
      'advanced level with a failure',
      { level: 'advanced', faceMatch: { kind: 'scored', similarity: 5 } },
      'manual_review',
      ['FACE_NOT_MATCH', 'MANUAL_REVIEW_REQUIRED'],
    ],
    ['first attempt after a cooldown', { afterCooldown: true }, 'manual_review', ['MANUAL_REVIEW_REQUIRED']],
    [
      'clear failure beats an errored check',
      { faceMatch: { kind: 'error', cause: 'x' }, document: { kind: 'read', expired: true, mismatches: [] } },
      'reject',
      ['DOCUMENT_EXPIRED'],
    ],
  ] as Array<[string, Partial<DecisionInput>, string, string[]]>)('%s -> %s', (_name, change, outcome, reasons) => {
    // Prepare
    const input = { ...clean, ...change };

    // Act
    const decision = decide(input, DEFAULT_CONFIG);

    // Assess
    expect(decision.outcome).toBe(outcome);
    expect(decision.reasons).toEqual(reasons);
    if (outcome === 'manual_review') expect(decision.causes.length).toBeGreaterThan(0);
  });

  it.each([
    [
      'a name one misread away: a reviewer judges it',
      { kind: 'read', expired: false, mismatches: [], nearMatches: ['name'] },
      { outcome: 'manual_review', reasons: ['MANUAL_REVIEW_REQUIRED'], causes: ['document:near_match:name'] },
    ],
    [
      'a near name beside a clear failure: the failure decides',
      { kind: 'read', expired: false, mismatches: ['date_of_birth'], nearMatches: ['name'] },
      { outcome: 'reject', reasons: ['INFORMATION_MISMATCH'], causes: ['document:mismatch'] },
    ],
  ] as const)('%s', (_name, document, expected) => {
    // Act
    const decision = decide({ ...clean, document }, DEFAULT_CONFIG);

    // Assess
    expect(decision).toMatchObject(expected);
  });

  it('records the cause of a failed check task', () => {
    // Act
    const decision = decide(
      { ...clean, faceMatch: { kind: 'error', cause: 'Lambda.ServiceException' } },
      DEFAULT_CONFIG,
    );

    // Assess
    expect(decision.causes).toEqual(['face_match:error:Lambda.ServiceException']);
  });

  it.each([
    ['selfie', { selfieSimilarity: 12 }, ['liveness_reference:selfie:below_reject']],
    ['portrait', { portraitSimilarity: 40 }, ['liveness_reference:portrait:below_reject']],
    [
      'both',
      { portraitSimilarity: 40, selfieSimilarity: 12 },
      ['liveness_reference:portrait:below_reject', 'liveness_reference:selfie:below_reject'],
    ],
  ])('records why a live stand-in (%s) is rejected', (_name, scores, causes) => {
    // Prepare
    const liveness = { kind: 'scored' as const, status: 'SUCCEEDED', confidence: 99, binding: { ...bound, ...scores } };

    // Act
    const decision = decide({ ...clean, liveness }, DEFAULT_CONFIG);

    // Assess
    expect(decision).toMatchObject({ outcome: 'reject', reasons: ['FACE_NOT_MATCH'], causes });
  });

  it('does not route to review after a cooldown when the switch is off', () => {
    // Prepare
    const config = {
      ...DEFAULT_CONFIG,
      rateLimits: { ...DEFAULT_CONFIG.rateLimits, manualReviewAfterCooldown: false },
    };

    // Act
    const decision = decide({ ...clean, afterCooldown: true }, config);

    // Assess
    expect(decision.outcome).toBe('approve');
  });

  it.each([
    [0, false],
    [1, false],
    [2, true],
    [5, true],
  ])('a rejection after %i consecutive failures starts a cooldown: %s', (failures, expected) => {
    // Act
    const decision = decide(
      { ...clean, consecutiveFailures: failures, document: { kind: 'read', expired: true, mismatches: [] } },
      DEFAULT_CONFIG,
    );

    // Assess
    expect(decision.startsCooldown).toBe(expected);
  });

  it.each([
    [false, 24],
    [true, 48],
  ])('cooldown with risk flag %s lasts %i hours', (risk, hours) => {
    // Prepare
    const now = new Date('2026-01-01T00:00:00Z');

    // Act
    const end = cooldownEnd(now, DEFAULT_CONFIG.rateLimits, risk);

    // Assess
    expect(end.getTime() - now.getTime()).toBe(hours * 3600 * 1000);
  });
});
