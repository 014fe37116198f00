import { describe, expect, it } from 'vitest';
import { deletionAllowed, planRetention } from '../../../lambdas/domain/evidence-retention.ts';
import type { AuditEvent, AuditEventInput } from '../../../lambdas/domain/records.ts';
import type { AccountClosure, EvidenceObject } from '../../../lambdas/adapters/aws/records-lifecycle-repository.ts';
import { createCloseAccountHandler } from '../../../lambdas/handlers/http/close-account.ts';
import { createLegalHoldHandler } from '../../../lambdas/handlers/http/legal-hold.ts';
import type { RecordsLifecycleDeps } from '../../../lambdas/handlers/http/records-lifecycle-deps.ts';
import type { ObjectRef } from '../../../lambdas/ports/evidence-locks.ts';
import { httpEvent, lambdaContext, parse } from '../intake/http-events.ts';

const d = (iso: string): Date => new Date(iso);

describe('evidence retention plan', () => {
  it.each([
    // recordedAt, relationshipEndedAt, current lock, expected until, extend
    [
      'open account: the upload date decides',
      '2024-03-01T00:00:00Z',
      undefined,
      undefined,
      '2029-03-01T00:00:00.000Z',
      true,
    ],
    [
      'closed 2 years after the upload',
      '2024-03-01T00:00:00Z',
      '2026-03-01T00:00:00Z',
      '2029-03-01T00:00:00Z',
      '2031-03-01T00:00:00.000Z',
      true,
    ],
    [
      'closed the day it was recorded (lock already long enough)',
      '2026-03-01T00:00:00Z',
      '2026-03-01T00:00:00Z',
      '2031-03-02T00:00:00Z',
      '2031-03-02T00:00:00.000Z',
      false,
    ],
    [
      'closed 6 years ago (nothing to extend)',
      '2019-01-01T00:00:00Z',
      '2020-01-01T00:00:00Z',
      '2024-01-01T00:00:00Z',
      '2025-01-01T00:00:00.000Z',
      true,
    ],
    [
      'a longer lock is never shortened',
      '2024-03-01T00:00:00Z',
      '2025-03-01T00:00:00Z',
      '2035-01-01T00:00:00Z',
      '2035-01-01T00:00:00.000Z',
      false,
    ],
  ])('%s', (_name, recordedAt, endedAt, current, expected, extend) => {
    // Act
    const plan = planRetention({
      recordedAt,
      ...(endedAt ? { relationshipEndedAt: endedAt } : {}),
      years: 5,
      ...(current ? { current: d(current) } : {}),
    });
    // Assess
    expect(plan.until.toISOString()).toBe(expected);
    expect(plan.extend).toBe(extend);
  });

  it.each([
    [
      'retention running',
      { retainUntil: d('2031-01-01T00:00:00Z'), legalHold: false },
      { allowed: false, reason: 'retention_period' },
    ],
    ['retention over', { retainUntil: d('2025-01-01T00:00:00Z'), legalHold: false }, { allowed: true }],
    [
      'retention over but a legal hold',
      { retainUntil: d('2025-01-01T00:00:00Z'), legalHold: true },
      { allowed: false, reason: 'legal_hold' },
    ],
  ])('deletion with %s', (_name, input, expected) => {
    // Assess
    expect(deletionAllowed({ ...input, now: d('2026-11-30T00:00:00Z') })).toMatchObject(expected);
  });
});

function fakes(now: Date, locks: Map<string, Date>) {
  const audited: AuditEventInput[] = [];
  const extensions: Array<{ key: string; until: Date; current: Date | undefined }> = [];
  const holds: Array<{ key: string; on: boolean }> = [];
  const closures = new Map<string, AccountClosure>();
  const evidence: Record<string, EvidenceObject[]> = {
    'v-1': [
      { key: 'evidence/v-1/a-1/document_front', versionId: 'ver1', recordedAt: '2023-06-01T00:00:00.000Z' },
      { key: 'evidence/v-1/a-1/selfie', versionId: 'ver2', recordedAt: '2023-06-01T00:00:00.000Z' },
    ],
  };
  const deps: RecordsLifecycleDeps = {
    records: {
      recordClosure: async (userId, at, reason, closedBy) => {
        const existing = closures.get(userId);
        if (existing) return existing;
        const closure = { userId, relationshipEndedAt: at.toISOString(), reason, closedBy };
        closures.set(userId, closure);
        return closure;
      },
      verificationIdsOf: async (userId) => (userId === 'alice' ? ['v-1'] : []),
      verificationOwner: async (id) => (id in evidence ? 'alice' : undefined),
      evidenceOf: async (id) => evidence[id] ?? [],
      putLegalHold: async () => undefined,
    },
    locks: {
      getRetention: async (object: ObjectRef) => locks.get(object.key),
      extendRetention: async (object: ObjectRef, until: Date) => {
        extensions.push({ key: object.key, until, current: locks.get(object.key) });
        locks.set(object.key, until);
      },
      getLegalHold: async () => false,
      setLegalHold: async (object: ObjectRef, on: boolean) => void holds.push({ key: object.key, on }),
    },
    audit: {
      append: async (input: AuditEventInput): Promise<AuditEvent> => {
        audited.push(input);
        return { ...input, sequence: audited.length, at: now.toISOString(), previousHash: '', hash: '' };
      },
    },
    clock: { now: () => now },
    evidenceYears: 5,
  };
  return { deps, audited, extensions, holds, closures };
}

const closeEvent = (userId: string, groups = '[admin]') =>
  httpEvent({
    method: 'POST',
    userId: 'ada-admin',
    groups,
    pathParameters: { userId },
    body: { reason: 'customer left the platform' },
  });

describe('POST /v1/accounts/{userId}/close', () => {
  it('extends the lock of every piece of evidence to the closure date plus 5 years, never shortening', async () => {
    // Prepare: uploaded mid-2023, locked until mid-2028; the account closes in November 2026.
    const locks = new Map([
      ['evidence/v-1/a-1/document_front', d('2028-06-01T00:00:00Z')],
      ['evidence/v-1/a-1/selfie', d('2040-01-01T00:00:00Z')],
    ]);
    const fake = fakes(d('2026-11-30T12:00:00Z'), locks);
    // Act
    const result = await createCloseAccountHandler(fake.deps)(closeEvent('alice'), lambdaContext);
    // Assess
    expect(result.statusCode).toBe(200);
    expect(parse(result)).toEqual({
      userId: 'alice',
      relationshipEndedAt: '2026-11-30T12:00:00.000Z',
      verifications: 1,
      evidenceObjects: 2,
      retainUntil: '2040-01-01T00:00:00.000Z',
    });
    expect(fake.extensions.map(({ key, until }) => [key, until.toISOString()])).toEqual([
      ['evidence/v-1/a-1/document_front', '2031-11-30T12:00:00.000Z'],
    ]);
    expect(fake.extensions.every(({ until, current }) => !current || until > current)).toBe(true);
    expect(fake.audited.map((event) => [event.subject, event.action])).toEqual([
      ['verification:v-1', 'account.closed'],
      ['account:alice', 'account.closed'],
    ]);
  });

  it('keeps the first closure date when the account is closed again', async () => {
    // Prepare
    const locks = new Map<string, Date>();
    const first = fakes(d('2026-01-01T00:00:00Z'), locks);
    await createCloseAccountHandler(first.deps)(closeEvent('alice'), lambdaContext);
    const later = { ...first.deps, clock: { now: () => d('2027-06-01T00:00:00Z') } };
    // Act
    const result = await createCloseAccountHandler(later)(closeEvent('alice'), lambdaContext);
    // Assess
    expect(parse(result).relationshipEndedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(locks.get('evidence/v-1/a-1/selfie')?.toISOString()).toBe('2031-01-01T00:00:00.000Z');
  });

  it('answers 404 NOT_FOUND for a user of whom no verification is known, recording and auditing nothing', async () => {
    // Prepare
    const fake = fakes(d('2026-11-30T12:00:00Z'), new Map());
    // Act
    const result = await createCloseAccountHandler(fake.deps)(closeEvent('nobody'), lambdaContext);
    // Assess
    expect(result.statusCode).toBe(404);
    expect(parse(result)).toEqual({ code: 'NOT_FOUND', message: expect.any(String) });
    expect(fake.closures.size).toBe(0);
    expect(fake.audited).toEqual([]);
    expect(fake.extensions).toEqual([]);
  });

  it.each([
    ['a support token', 'alice', '[support]', 403],
    ['a compliance approver', 'alice', '[compliance_approver]', 403],
    ['a malformed user id', 'a/b', '[admin]', 400],
  ])('refuses %s', async (_name, userId, groups, status) => {
    // Prepare
    const fake = fakes(d('2026-11-30T12:00:00Z'), new Map());
    // Act
    const result = await createCloseAccountHandler(fake.deps)(closeEvent(userId, groups), lambdaContext);
    // Assess
    expect(result.statusCode).toBe(status);
    expect(parse(result)).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    expect(fake.extensions).toEqual([]);
  });
});

describe('POST /v1/cases/{verificationId}/legal-hold', () => {
  const holdEvent = (verificationId: string, on: boolean, groups = '[compliance_approver]', userId = 'amos') =>
    httpEvent({
      method: 'POST',
      userId,
      groups,
      pathParameters: { verificationId },
      body: { on, reason: 'regulator request 2026-17' },
    });

  it('sets the hold on every object of the case and audits it; lifting audits too', async () => {
    // Prepare
    const fake = fakes(d('2026-11-30T12:00:00Z'), new Map());
    const handler = createLegalHoldHandler(fake.deps);
    // Act
    const set = await handler(holdEvent('v-1', true), lambdaContext);
    const lifted = await handler(holdEvent('v-1', false, '[admin]'), lambdaContext);
    // Assess
    expect(set.statusCode).toBe(200);
    expect(parse(set)).toEqual({ verificationId: 'v-1', legalHold: true, evidenceObjects: 2 });
    expect(parse(lifted)).toMatchObject({ legalHold: false });
    expect(fake.holds).toEqual([
      { key: 'evidence/v-1/a-1/document_front', on: true },
      { key: 'evidence/v-1/a-1/selfie', on: true },
      { key: 'evidence/v-1/a-1/document_front', on: false },
      { key: 'evidence/v-1/a-1/selfie', on: false },
    ]);
    expect(fake.audited.map((event) => [event.action, event.actor])).toEqual([
      ['legal_hold.set', 'compliance_approver:amos'],
      ['legal_hold.lifted', 'admin:amos'],
    ]);
  });

  it('answers 404 for an unknown case and 403 for a reviewer', async () => {
    // Prepare
    const fake = fakes(d('2026-11-30T12:00:00Z'), new Map());
    const handler = createLegalHoldHandler(fake.deps);
    // Act
    const unknown = await handler(holdEvent('v-404', true), lambdaContext);
    const reviewer = await handler(holdEvent('v-1', true, '[compliance_reviewer]'), lambdaContext);
    // Assess
    expect(unknown.statusCode).toBe(404);
    expect(reviewer.statusCode).toBe(403);
    expect(fake.holds).toEqual([]);
  });

  it.each([
    ['a compliance approver', '[compliance_approver]'],
    ['an admin', '[admin]'],
  ])('answers 403 OWN_VERIFICATION to %s who is the case subject, before any lock or audit', async (_name, groups) => {
    // Prepare: v-1 is alice's own verification.
    const fake = fakes(d('2026-11-30T12:00:00Z'), new Map());
    const handler = createLegalHoldHandler(fake.deps);

    // Act
    const result = await handler(holdEvent('v-1', true, groups, 'alice'), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(403);
    expect(parse(result).code).toBe('OWN_VERIFICATION');
    expect(fake.holds).toEqual([]);
    expect(fake.audited).toEqual([]);
  });
});
