import { describe, expect, it } from 'vitest';
import type { VerificationItems } from '../../../lambdas/adapters/aws/records-lifecycle-repository.ts';
import type { AuditEventInput } from '../../../lambdas/domain/records.ts';
import { addYearsUtc } from '../../../lambdas/domain/retention.ts';
import { createMeDataHandler } from '../../../lambdas/handlers/http/me-data.ts';
import { createMeErasureHandler } from '../../../lambdas/handlers/http/me-erasure.ts';
import { eraseUser, type RecordsEraserDeps } from '../../../lambdas/handlers/shared/records-eraser.ts';
import type { ObjectRef } from '../../../lambdas/ports/evidence-locks.ts';
import { httpEvent, lambdaContext, parse } from '../intake/http-events.ts';

const NOW = new Date('2032-06-15T12:00:00.000Z');
const LONG_AGO = addYearsUtc(NOW, -7).toISOString();

/** One verification of `userId` with an approved attempt whose document is in the vault (recorded 7 years ago). */
function verification(verificationId: string, userId: string, hold = false): VerificationItems {
  const document = {
    pk: `V#${verificationId}`,
    sk: 'A#a1#D#document_front',
    entity: 'document',
    attemptId: 'a1',
    slot: 'document_front',
    result: 'accepted',
    vaultKey: `evidence/${verificationId}/a1/document_front`,
    vaultVersionId: 'v1',
    recordedAt: LONG_AGO,
  };
  const attempt = {
    pk: `V#${verificationId}`,
    sk: 'A#a1',
    entity: 'attempt',
    attemptId: 'a1',
    status: 'approved',
    createdAt: LONG_AGO,
  };
  const meta = { pk: `V#${verificationId}`, sk: 'META', userId, level: 'basic', status: 'approved' };
  return {
    verificationId,
    meta,
    attempts: [attempt],
    documents: [document],
    checks: [],
    reviews: [],
    ...(hold ? { hold: { on: true } } : {}),
    keys: [meta, attempt, document].map(({ pk, sk }) => ({ pk, sk })),
  };
}

/** Fakes that record every call in one ordered log. */
function fakes(items: VerificationItems[], closedYearsAgo = 6) {
  const log: string[] = [];
  const deps: RecordsEraserDeps = {
    records: {
      getClosure: async (userId) => ({
        userId,
        relationshipEndedAt: addYearsUtc(NOW, -closedYearsAgo).toISOString(),
        reason: 'left',
        closedBy: 'admin:a',
      }),
      verificationIdsOf: async () => items.map((item) => item.verificationId),
      verificationItems: async (id) => items.find((item) => item.verificationId === id)!,
      deleteAttemptRecords: async (item, attemptId) => {
        log.push(`records:${item.verificationId}/${attemptId}`);
        return 2;
      },
      deleteVerificationRecords: async (item) => {
        log.push(`verification:${item.verificationId}`);
        return 1;
      },
      dropFromWorkList: async () => undefined,
      due: async () => [],
      getDeferredErasure: async () => undefined,
      putDeferredErasure: async () => undefined,
      deleteDeferredErasure: async () => undefined,
      deleteClosure: async () => undefined,
    },
    locks: {
      getRetention: async () => addYearsUtc(NOW, -2),
      getLegalHold: async () => false,
    },
    vault: {
      deleteVersions: async (object: ObjectRef) => {
        log.push(`vault:${object.key}@${object.versionId}`);
        return 1;
      },
    },
    intake: {
      deleteUnder: async (prefix) => {
        log.push(`intake:${prefix}`);
        return 0;
      },
    },
    rateLimits: {
      forgetUser: async () => {
        log.push('counters');
        return 1;
      },
    },
    faces: {
      removeFaces: async (faceIds) => {
        log.push(`faces:${faceIds.join(',')}`);
      },
    },
    audit: {
      append: async (event: AuditEventInput) => {
        log.push(`audit:${event.action}`);
        return { ...event, sequence: 1, at: NOW.toISOString(), previousHash: '', hash: '' };
      },
    },
    clock: { now: () => NOW },
    evidenceYears: 5,
  };
  return { deps, log };
}

describe('eraseUser', () => {
  it('deletes the vault version and audits it before the records go, the verification last', async () => {
    // Prepare
    const { deps, log } = fakes([verification('v1', 'u1')]);

    // Act
    const run = await eraseUser(deps, 'u1', { drafts: 'erase', actor: 'user:u1', reason: 'request' });

    // Assess
    expect(log).toEqual([
      'vault:evidence/v1/a1/document_front@v1',
      'audit:evidence.deleted',
      'intake:intake/v1/a1/',
      'intake:liveness/v1/a1/',
      'records:v1/a1',
      'audit:attempt.erased',
      'verification:v1',
      'audit:verification.erased',
      'counters',
    ]);
    expect(run.erased.map((item) => item.kind)).toEqual(['attempt', 'verification', 'rate_limit_counters']);
  });

  it("removes the attempt's indexed faces from the collection before its records go, once", async () => {
    // Prepare: the approved attempt's duplicates check indexed two faces (one from a stopped run);
    // a rejected attempt's faces were removed at its rejection; another attempt's check has none.
    const items = verification('v1', 'u1');
    const check = (attemptId: string, extra: Record<string, unknown>) => ({
      pk: 'V#v1',
      sk: `A#${attemptId}#C#duplicates`,
      entity: 'check',
      name: 'duplicates',
      attemptId,
      recordedAt: LONG_AGO,
      ...extra,
    });
    const withChecks: VerificationItems = {
      ...items,
      attempts: [
        ...items.attempts,
        { pk: 'V#v1', sk: 'A#a0', entity: 'attempt', attemptId: 'a0', status: 'rejected', createdAt: LONG_AGO },
      ],
      checks: [
        check('a1', { faceIds: ['face-1', 'face-orphan', 'face-1'] }),
        check('a0', { faceIds: ['face-0'], facesRemovedAt: LONG_AGO }),
        { ...check('a1', {}), sk: 'A#a1#C#face_match', name: 'face_match' },
      ],
    };
    const { deps, log } = fakes([withChecks]);

    // Act
    await eraseUser(deps, 'u1', { drafts: 'erase', actor: 'user:u1', reason: 'request' });

    // Assess
    expect(log.filter((entry) => entry.startsWith('faces:'))).toEqual(['faces:face-1,face-orphan']);
    const a1 = log.indexOf('faces:face-1,face-orphan');
    expect(log[a1 + 1]).toBe('audit:faces.removed');
    expect(a1).toBeLessThan(log.indexOf('records:v1/a1'));
    expect(log).toContain('records:v1/a0');
  });

  it('keeps the records when the faces cannot be removed, so the next run finds them', async () => {
    // Prepare
    const items = verification('v1', 'u1');
    const { deps, log } = fakes([
      {
        ...items,
        checks: [
          { pk: 'V#v1', sk: 'A#a1#C#duplicates', entity: 'check', name: 'duplicates', attemptId: 'a1', faceIds: ['f'] },
        ],
      },
    ]);
    const failing: RecordsEraserDeps = {
      ...deps,
      faces: {
        removeFaces: async () => {
          throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
        },
      },
    };

    // Act
    const erasing = eraseUser(failing, 'u1', { drafts: 'erase', actor: 'user:u1', reason: 'request' });

    // Assess
    await expect(erasing).rejects.toThrow('throttled');
    expect(log).not.toContain('records:v1/a1');
    expect(log).not.toContain('audit:attempt.erased');
  });

  it.each([
    ['a dry run', { dryRun: true }, [verification('v1', 'u1')], 6],
    ['a legal hold on the case', {}, [verification('v1', 'u1', true)], 6],
    ['a closure 2 years ago (retention runs)', {}, [verification('v1', 'u1')], 2],
    ["another person's verification in the index", {}, [verification('v1', 'someone-else')], 6],
  ])('changes nothing for %s', async (_name, options, items, closedYearsAgo) => {
    // Prepare
    const { deps, log } = fakes(items, closedYearsAgo);

    // Act
    await eraseUser(deps, 'u1', { drafts: 'keep', actor: 'system:records-purge', reason: 'retention', ...options });

    // Assess
    expect(log).toEqual([]);
  });
});

describe('user-rights routes: the request names no one', () => {
  const erasure = (body: { rawBody?: string; body?: unknown }) => {
    const { deps, log } = fakes([verification('v1', 'u1')]);
    const handler = createMeErasureHandler({ ...deps, recheckDays: 7 });
    return { log, answer: handler(httpEvent({ method: 'POST', userId: 'u1', ...body }), lambdaContext) };
  };

  it.each([
    ['no body', {}],
    ['an empty object', { body: {} }],
  ])("POST /v1/me/erasure with %s erases the caller's data (202)", async (_name, body) => {
    // Act
    const { answer, log } = erasure(body);
    const result = await answer;

    // Assess
    expect(result.statusCode).toBe(202);
    expect(log).toContain('counters');
  });

  it.each([
    ['a userId', { body: { userId: 'bob' } }],
    ['any other field', { body: { confirm: true } }],
    ['a JSON array', { body: [] }],
  ])('POST /v1/me/erasure refuses a body with %s with 400 VALIDATION_ERROR and erases nothing', async (_name, body) => {
    // Act
    const { answer, log } = erasure(body);
    const result = await answer;

    // Assess
    expect(result.statusCode).toBe(400);
    expect(parse(result)).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.any(String) });
    expect(log).toEqual([]);
  });

  it.each([[{ user: 'alice' }], [{ userId: 'alice', format: 'zip' }]])(
    'GET /v1/me/data refuses the query %j with 400 VALIDATION_ERROR before reading anything',
    async (query) => {
      // Prepare: dependencies that must never be reached
      const handler = createMeDataHandler(() => {
        throw new Error('read something');
      });
      const event = httpEvent({ method: 'GET', path: '/v1/me/data', userId: 'u1' });

      // Act
      const result = await handler({ ...event, queryStringParameters: query }, lambdaContext);

      // Assess
      expect(result.statusCode).toBe(400);
      expect(parse(result)).toEqual({
        code: 'VALIDATION_ERROR',
        message: expect.stringContaining(Object.keys(query)[0]!),
      });
    },
  );
});
