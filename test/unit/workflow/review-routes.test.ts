import { describe, expect, it } from 'vitest';
import { createListReviewsHandler } from '../../../lambdas/handlers/http/list-reviews.ts';
import { createReviewDecisionHandler } from '../../../lambdas/handlers/http/review-decision.ts';
import type { ReviewRouteDeps } from '../../../lambdas/handlers/http/review-deps.ts';
import { loadAttemptStep } from '../../../lambdas/handlers/workflow/load-attempt.ts';
import { reviewTaskStep } from '../../../lambdas/handlers/workflow/review-task.ts';
import { fakeWorkflowWorld, type FakeWorkflowWorld } from '../../support/workflow-fakes.ts';
import { httpEvent, lambdaContext, parse } from '../intake/http-events.ts';

const ids = { verificationId: 'ver-1', attemptId: 'att-1' };

function deps(w: FakeWorkflowWorld): ReviewRouteDeps {
  return { store: w.store, reviews: w.reviews, audit: w.audit, clock: w.clock };
}

async function withOpenReview(): Promise<FakeWorkflowWorld> {
  const w = fakeWorkflowWorld();
  w.store.seed(ids);
  await loadAttemptStep(ids, w.deps);
  await reviewTaskStep({ ...ids, taskToken: 'tok-1' }, w.deps);
  return w;
}

describe('POST /v1/reviews/{verificationId}/decision', () => {
  const call = (w: FakeWorkflowWorld, body: unknown, options: { userId?: string; groups?: string[] } = {}) =>
    createReviewDecisionHandler(deps(w))(
      httpEvent({
        method: 'POST',
        body,
        pathParameters: { verificationId: 'ver-1' },
        userId: options.userId ?? 'reviewer-1',
        groups: options.groups ?? ['compliance_reviewer'],
      }),
      lambdaContext,
    );

  it('records the decision and completes the task token without the note', async () => {
    // Prepare
    const w = await withOpenReview();

    // Act
    const result = await call(w, { decision: 'reject', reasons: ['FACE_NOT_MATCH'], note: 'Portrait differs' });

    // Assess
    expect(result.statusCode).toBe(200);
    expect(w.reviews.completed).toEqual([
      { taskToken: 'tok-1', output: { decision: 'reject', reasons: ['FACE_NOT_MATCH'], reviewer: 'reviewer-1' } },
    ]);
    expect(await w.store.getReviewTask('ver-1', 'att-1')).toMatchObject({
      note: 'Portrait differs',
      decision: 'reject',
    });
    const audit = w.audit.events.find((e) => e.action === 'review.decided');
    expect(audit).toMatchObject({ actor: 'compliance_reviewer:reviewer-1', origin: '192.0.2.10' });
    expect(JSON.stringify(audit)).not.toContain('Portrait differs');
  });

  it.each([
    ['a rejection without reasons', { decision: 'reject', note: 'x' }],
    ['an approval with reasons', { decision: 'approve', reasons: ['FACE_NOT_MATCH'], note: 'x' }],
    ['an unknown reason code', { decision: 'reject', reasons: ['NOPE'], note: 'x' }],
    ['a file reason code', { decision: 'reject', reasons: ['FILE_TOO_LARGE'], note: 'x' }],
    ['no note', { decision: 'approve' }],
    ['an unknown decision', { decision: 'maybe', note: 'x' }],
  ])('answers 400 to %s', async (_name, body) => {
    // Prepare
    const w = await withOpenReview();

    // Act
    const result = await call(w, body);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(parse(result).code).toBe('VALIDATION_ERROR');
    expect(w.reviews.completed).toEqual([]);
  });

  it.each([
    ['a support user', { groups: ['support'] }, 403],
    ['the verified user themself (a reviewer who owns the verification)', { userId: 'user-1' }, 403],
  ])('refuses %s', async (_name, options, status) => {
    // Prepare
    const w = await withOpenReview();

    // Act
    const result = await call(w, { decision: 'approve', note: 'x' }, options);

    // Assess
    expect(result.statusCode).toBe(status);
  });

  it.each([
    ['another user', 'user-2', 409],
    ['the same user (an earlier verification of theirs)', 'user-1', 200],
  ])('an approval of a document number held by %s: %s', async (_name, ownerId, status) => {
    // Prepare: the attempt's document number is already claimed.
    const w = await withOpenReview();
    await w.store.recordCheck({
      ...ids,
      name: 'document_data',
      result: {},
      processors: [],
      documentHash: 'hash-1',
      recordedAt: '2026-01-01T00:00:00.000Z',
    });
    await w.store.claimDocument('hash-1', { userId: ownerId, verificationId: 'ver-0' });

    // Act
    const approval = await call(w, { decision: 'approve', note: 'Looks fine' });

    // Assess: refused before anything is recorded; the review stays open for a rejection.
    expect(approval.statusCode).toBe(status);
    if (status !== 409) return;
    expect(parse(approval).code).toBe('DOCUMENT_ALREADY_CLAIMED');
    expect(w.reviews.completed).toEqual([]);
    expect((await w.store.getReviewTask('ver-1', 'att-1'))?.decision).toBeUndefined();
    expect(w.audit.events.some((e) => e.action === 'review.decided')).toBe(false);
    const rejection = await call(w, { decision: 'reject', reasons: ['DUPLICATE_IDENTITY'], note: 'Same passport' });
    expect(rejection.statusCode).toBe(200);
  });

  it('reopens a decided review whose decision failed to apply, once, and a retry of the step only re-arms it', async () => {
    // Prepare: the reviewer approved; the approval step then failed after its retries.
    const w = await withOpenReview();
    expect((await call(w, { decision: 'approve', note: 'Looks fine' })).statusCode).toBe(200);
    const failedRound = {
      ...ids,
      taskToken: 'tok-2',
      review: { decision: 'approve' as const, reasons: [], reviewer: 'reviewer-1' },
      error: { Error: 'DocumentAlreadyClaimedError', Cause: 'claimed' },
    };

    // Act
    await reviewTaskStep(failedRound, w.deps);
    await reviewTaskStep({ ...failedRound, taskToken: 'tok-3' }, w.deps);

    // Assess: open again (no replay of the approval), in the exceptions queue, the failed
    // decision kept with its note; audited once; a reviewer can decide again.
    expect(w.reviews.completed.map((c) => c.taskToken)).toEqual(['tok-1']);
    const task = await w.store.getReviewTask('ver-1', 'att-1');
    expect(task).toMatchObject({ taskToken: 'tok-3', queue: 'exceptions', priority: 2 });
    expect(task?.decision).toBeUndefined();
    expect(task?.failedDecisions).toEqual([
      expect.objectContaining({ decision: 'approve', note: 'Looks fine', error: 'DocumentAlreadyClaimedError' }),
    ]);
    expect(w.audit.events.filter((e) => e.action === 'review.reopened')).toHaveLength(1);
    expect((await call(w, { decision: 'reject', reasons: ['DUPLICATE_IDENTITY'], note: 'x' })).statusCode).toBe(200);
  });

  it('answers 409 when no review is open', async () => {
    // Prepare
    const w = fakeWorkflowWorld();
    w.store.seed(ids);

    // Act
    const result = await call(w, { decision: 'approve', note: 'x' });

    // Assess
    expect(result.statusCode).toBe(409);
    expect(parse(result).code).toBe('REVIEW_NOT_OPEN');
  });

  it('answers 409 REVIEW_ALREADY_DECIDED to a reviewer who finds the review just decided by another', async () => {
    // Prepare: the other reviewer's decision is recorded before this one reads the task.
    const w = await withOpenReview();
    const first = await call(w, { decision: 'approve', note: 'Checked' }, { userId: 'reviewer-1' });

    // Act
    const second = await call(
      w,
      { decision: 'reject', reasons: ['FACE_NOT_MATCH'], note: 'x' },
      { userId: 'reviewer-2' },
    );

    // Assess
    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(409);
    expect(parse(second).code).toBe('REVIEW_ALREADY_DECIDED');
    expect(await w.store.getReviewTask('ver-1', 'att-1')).toMatchObject({
      decision: 'approve',
      decidedBy: 'reviewer-1',
    });
    expect(w.reviews.completed).toHaveLength(1);
  });

  it('answers 409 REVIEW_NOT_OPEN once a newer attempt is under way after a decided review', async () => {
    // Prepare
    const w = await withOpenReview();
    await call(w, { decision: 'reject', reasons: ['FACE_NOT_MATCH'], note: 'Portrait differs' });
    const verification = await w.store.getVerification('ver-1');
    await w.store.updateVerification('ver-1', verification?.version ?? 0, { status: 'awaiting_upload' });

    // Act
    const result = await call(w, { decision: 'approve', note: 'x' }, { userId: 'reviewer-2' });

    // Assess
    expect(result.statusCode).toBe(409);
    expect(parse(result).code).toBe('REVIEW_NOT_OPEN');
  });

  it('answers 409 CASE_ALREADY_CLAIMED to a reviewer deciding a case another reviewer holds; the holder decides it', async () => {
    // Prepare: reviewer-2 claimed the case (or a supervisor assigned it to them).
    const w = await withOpenReview();
    const key = 'ver-1/att-1';
    w.store.reviews.set(key, { ...w.store.reviews.get(key)!, assignee: 'reviewer-2' });

    // Act
    const other = await call(
      w,
      { decision: 'reject', reasons: ['FACE_NOT_MATCH'], note: 'x' },
      { userId: 'reviewer-1' },
    );
    const holder = await call(w, { decision: 'approve', note: 'Checked' }, { userId: 'reviewer-2' });

    // Assess
    expect(other.statusCode).toBe(409);
    expect(parse(other).code).toBe('CASE_ALREADY_CLAIMED');
    expect(holder.statusCode).toBe(200);
    expect(await w.store.getReviewTask('ver-1', 'att-1')).toMatchObject({
      decision: 'approve',
      decidedBy: 'reviewer-2',
    });
    expect(w.reviews.completed).toHaveLength(1);
    expect(w.audit.events.filter((e) => e.action === 'review.decided')).toHaveLength(1);
  });

  it('answers 409 CASE_ALREADY_CLAIMED when the case is assigned to someone else between the read and the write', async () => {
    // Prepare: the task is read unassigned; a supervisor assigns it before the decision is written.
    const w = await withOpenReview();
    const key = 'ver-1/att-1';
    const decide = w.store.decideReviewTask.bind(w.store);
    w.store.decideReviewTask = async (...args: Parameters<typeof decide>) => {
      w.store.reviews.set(key, { ...w.store.reviews.get(key)!, assignee: 'reviewer-2' });
      return decide(...args);
    };

    // Act
    const result = await call(w, { decision: 'approve', note: 'x' }, { userId: 'reviewer-1' });

    // Assess
    expect(result.statusCode).toBe(409);
    expect(parse(result).code).toBe('CASE_ALREADY_CLAIMED');
    expect((await w.store.getReviewTask('ver-1', 'att-1'))?.decision).toBeUndefined();
    expect(w.reviews.completed).toHaveLength(0);
  });

  it('answers 202 when the task had just timed out (escalation hands the decision on)', async () => {
    // Prepare
    const w = await withOpenReview();
    w.reviews.completeReview = async () => {
      throw Object.assign(new Error('timed out'), { name: 'TaskTimedOut' });
    };

    // Act
    const result = await call(w, { decision: 'approve', note: 'x' });

    // Assess
    expect(result.statusCode).toBe(202);
    expect((await w.store.getReviewTask('ver-1', 'att-1'))?.decision).toBe('approve');
  });
});

describe('GET /v1/reviews', () => {
  const call = (w: FakeWorkflowWorld, query: Record<string, string> = {}) => {
    const event = httpEvent({ method: 'GET', userId: 'reviewer-1', groups: ['compliance_reviewer'] });
    return createListReviewsHandler(deps(w))({ ...event, queryStringParameters: query }, lambdaContext);
  };

  it('lists open reviews by due date without tokens or notes', async () => {
    // Prepare
    const w = await withOpenReview();

    // Act
    const result = await call(w, { status: 'open' });

    // Assess
    expect(result.statusCode).toBe(200);
    const body = parse(result) as { items: Array<Record<string, unknown>> };
    expect(body.items).toHaveLength(1);
    expect(body.items[0]).toMatchObject({ ...ids, queue: 'standard', priority: 1, overdue: false });
    expect(JSON.stringify(body)).not.toContain('tok-1');
  });

  it.each([[{ status: 'closed' }], [{ limit: '0' }], [{ limit: 'many' }], [{ assignee: 'a b' }]])(
    'answers 400 to %j',
    async (query) => {
      // Prepare
      const w = fakeWorkflowWorld();

      // Act / Assess
      expect((await call(w, query)).statusCode).toBe(400);
    },
  );

  it.each([
    [{ foo: '1' }, 'unknown query parameter foo'],
    [{ status: 'open', cursor: 'garbage' }, 'unknown query parameter cursor'],
    [{ limit: '-1' }, 'limit must be an integer from 1 to 100'],
    [{ limit: '100000' }, 'limit must be an integer from 1 to 100'],
    [{ limit: '0x10' }, 'limit must be an integer from 1 to 100'],
  ])('answers %j with 400 VALIDATION_ERROR "%s", as the case list does', async (query, message) => {
    // Prepare
    const w = await withOpenReview();

    // Act
    const result = await call(w, query);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(parse(result)).toEqual({ code: 'VALIDATION_ERROR', message });
  });
});
