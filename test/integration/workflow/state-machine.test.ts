/**
 * The synthesized verification state machine, executed locally through every path, with the
 * real step handlers over in-memory ports and the real review-decision HTTP handler.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, resolveConfig } from '../../../lib/config.ts';
import { createReviewDecisionHandler } from '../../../lambdas/handlers/http/review-decision.ts';
import { reconcile } from '../../../lambdas/handlers/maintenance/reconciler.ts';
import type { ReviewRouteDeps } from '../../../lambdas/handlers/http/review-deps.ts';
import { httpEvent, lambdaContext, parse } from '../../unit/intake/http-events.ts';
import { LocalStepFunctions } from '../../../local/stepfunctions/engine.ts';
import { workflowHandlersFromTemplate } from '../../../local/stepfunctions/workflow-handlers.ts';
import { engineExecutions, reconcilerDepsOver } from '../../support/reconciler-deps.ts';
import { appTemplate, harness, passportMrz, retryingStates, type Harness } from './harness.ts';

const retryOverrides = (template: ReturnType<typeof appTemplate>) =>
  Object.fromEntries(retryingStates(template).map((name) => [name, 1]));

const withoutLiveness = resolveConfig({ features: { ...DEFAULT_CONFIG.features, liveness: false } });

function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name });
}

function reviewDeps(h: Harness): ReviewRouteDeps {
  return { store: h.store, reviews: h.reviews, audit: h.audit, clock: h.clock };
}

async function decideAsReviewer(h: Harness, body: Record<string, unknown>, reviewer = 'reviewer-1') {
  const handler = createReviewDecisionHandler(reviewDeps(h));
  const result = await handler(
    httpEvent({
      method: 'POST',
      path: '/v1/reviews/ver-1/decision',
      pathParameters: { verificationId: 'ver-1' },
      body,
      userId: reviewer,
      groups: ['compliance_reviewer'],
    }),
    lambdaContext,
  );
  return { status: result.statusCode, body: parse(result) };
}

/** A harness with `ver-1`/`att-1` seeded whose face matches between the bands: it goes to review. */
function harnessInReview(): Harness {
  const world = harness({ timeScale: 1e-4 });
  world.store.seed({ verificationId: 'ver-1', attemptId: 'att-1', livenessSessionId: 'session-1' });
  world.faces.textLines = passportMrz();
  world.faces.similarity = 88;
  return world;
}

describe('verification state machine (synthesized, run locally)', () => {
  let h: Harness | undefined;
  beforeAll(() => {
    appTemplate();
  }, 120_000);
  afterEach(() => h?.engine.close());

  function prepared(options: Parameters<typeof harness>[0] = {}): Harness {
    h = harness(options);
    h.store.seed({ verificationId: 'ver-1', attemptId: 'att-1', livenessSessionId: 'session-1' });
    h.faces.textLines = passportMrz();
    return h;
  }

  it('approves a clear pass: frozen, document claimed, face indexed, event published', async () => {
    // Prepare
    const world = prepared();

    // Act
    const done = await world.run('att-1');

    // Assess
    expect(done.status).toBe('SUCCEEDED');
    const verification = await world.store.getVerification('ver-1');
    expect(verification).toMatchObject({ status: 'approved', frozen: true, reasons: [] });
    expect([...world.store.owners.values()]).toEqual([{ userId: 'user-1', verificationId: 'ver-1' }]);
    expect(world.faces.indexed).toEqual([
      { key: 'evidence/ver-1/att-1/selfie', userId: 'user-1', attemptId: 'att-1', faceId: 'face-1' },
    ]);
    expect(world.events.changes.at(-1)).toEqual({
      verificationId: 'ver-1',
      attemptId: 'att-1',
      status: 'approved',
      reasons: [],
    });
    const actions = world.audit.events.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['workflow.started', 'workflow.decided', 'verification.approved']));
    const faceAudit = world.audit.events.find((e) => e.action === 'workflow.face_match.completed');
    expect(faceAudit?.details?.processors).toEqual([
      'fake-rekognition:CompareFaces@selfie',
      'fake-rekognition:CompareFaces@document_front',
    ]);
    expect(done.output).not.toMatch(/ERIKSSON|Eriksson|L898902C3|1974/);
  });

  it.each([
    ['FACE_NOT_MATCH', (w: Harness) => (w.faces.similarity = 42)],
    ['LIVENESS_CHECK_FAILED', (w: Harness) => (w.liveness.result = { status: 'SUCCEEDED', confidence: 20 })],
    ['DOCUMENT_EXPIRED', (w: Harness) => (w.faces.textLines = passportMrz({ expiry: '200101' }))],
    ['INFORMATION_MISMATCH', (w: Harness) => (w.faces.textLines = passportMrz({ name: 'ERIKSSON<<ANNA' }))],
  ])('rejects with %s', async (reason, arrange) => {
    // Prepare
    const world = prepared();
    arrange(world);

    // Act
    const done = await world.run('att-1');

    // Assess
    expect(done.status).toBe('SUCCEEDED');
    expect(await world.store.getVerification('ver-1')).toMatchObject({ status: 'rejected', reasons: [reason] });
    expect(world.events.changes.at(-1)).toMatchObject({ status: 'rejected', reasons: [reason] });
    expect(JSON.parse(done.output ?? '{}')).toMatchObject({ rejection: { status: 'rejected' } });
  });

  it.each([
    ['approve', {}, 'approved', []],
    ['reject', { reasons: ['FACE_NOT_MATCH'] }, 'rejected', ['FACE_NOT_MATCH']],
  ])('manual review -> reviewer decides %s', async (decision, extra, status, reasons) => {
    // Prepare
    h = harnessInReview();
    const world = h;
    const executionArn = world.start('att-1');
    await world.waitForToken(executionArn, 'AwaitReview');

    // Act
    const answer = await decideAsReviewer(world, { decision, note: 'checked the portrait by eye', ...extra });
    const done = await world.engine.waitForExecution(executionArn);

    // Assess
    expect(answer.status).toBe(200);
    expect(done.status).toBe('SUCCEEDED');
    expect(await world.store.getVerification('ver-1')).toMatchObject({ status, reasons });
    const task = await world.store.getReviewTask('ver-1', 'att-1');
    expect(task).toMatchObject({ decision, decidedBy: 'reviewer-1', queue: 'standard' });
    expect(world.events.changes.map((c) => c.status)).toEqual(['manual_review', status]);
  });

  it('reopens a review whose approval cannot be carried out (its document claimed by another account meanwhile) in the exceptions queue, keeping the failed decision; a rejection then ends it', async () => {
    // Prepare: a case in review; the approval's document claim will lose (another account got
    // the number between the reviewer's decision and the approval step).
    h = harnessInReview();
    const world = h;
    world.store.claimDocument = async () => false;
    const executionArn = world.start('att-1');
    await world.waitForToken(executionArn, 'AwaitReview');

    // Act
    const approval = await decideAsReviewer(world, { decision: 'approve', note: 'portrait checked by eye' });
    const deadline = Date.now() + 30_000;
    let reopened = await world.store.getReviewTask('ver-1', 'att-1');
    while (!(reopened?.decision === undefined && reopened?.failedDecisions?.length === 1) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      reopened = await world.store.getReviewTask('ver-1', 'att-1');
    }
    await world.waitForToken(executionArn, 'AwaitReview');
    const rejection = await decideAsReviewer(world, {
      decision: 'reject',
      reasons: ['DUPLICATE_IDENTITY'],
      note: 'the passport verifies another account',
    });
    const done = await world.engine.waitForExecution(executionArn);

    // Assess: the approval was taken (200), failed once, and came back to a person instead of
    // being handed on again; the second decision ended the execution.
    expect(approval.status).toBe(200);
    expect(reopened).toMatchObject({
      queue: 'exceptions',
      causes: expect.arrayContaining(['decision_failed:approve', 'task_failed:DocumentAlreadyClaimedError']),
      failedDecisions: [
        {
          decision: 'approve',
          decidedBy: 'reviewer-1',
          note: 'portrait checked by eye',
          error: 'DocumentAlreadyClaimedError',
        },
      ],
    });
    expect(reopened?.decidedBy).toBeUndefined();
    expect(rejection.status).toBe(200);
    expect(done.status).toBe('SUCCEEDED');
    expect(await world.store.getVerification('ver-1')).toMatchObject({
      status: 'rejected',
      reasons: ['DUPLICATE_IDENTITY'],
    });
    expect(world.audit.events.filter((e) => e.action === 'review.reopened')).toHaveLength(1);
    const history = world.engine.getExecutionHistory(executionArn);
    expect(history.filter((e) => e.stateName === 'FinalizeApprove' && /Enter/.test(e.type))).toHaveLength(1);
  });

  it('lets exactly one of two simultaneous reviewers win (the other gets 409)', async () => {
    // Prepare
    h = harnessInReview();
    const world = h;
    const executionArn = world.start('att-1');
    await world.waitForToken(executionArn, 'AwaitReview');

    // Act
    const answers = await Promise.all([
      decideAsReviewer(world, { decision: 'approve', note: 'looks fine' }, 'reviewer-a'),
      decideAsReviewer(world, { decision: 'reject', reasons: ['FACE_NOT_MATCH'], note: 'no' }, 'reviewer-b'),
    ]);
    await world.engine.waitForExecution(executionArn);

    // Assess
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(answers.find((a) => a.status === 409)?.body.code).toBe('REVIEW_ALREADY_DECIDED');
    expect(world.reviews.completed).toHaveLength(1);
  });

  it('escalates a review that ran past its SLA, keeps it open, then takes the decision', async () => {
    // Prepare: 7-day SLA at 1e-6 scale = 0.6 s per wait.
    const world = prepared({ timeScale: 1e-6 });
    world.faces.similarity = 88;
    const executionArn = world.start('att-1');
    await world.waitForToken(executionArn, 'AwaitReview');

    // Act
    await world.waitForToken(executionArn, 'EscalateReview');
    const escalated = await world.store.getReviewTask('ver-1', 'att-1');
    const answer = await decideAsReviewer(world, { decision: 'approve', note: 'late but fine' });
    const done = await world.engine.waitForExecution(executionArn);

    // Assess
    expect(escalated).toMatchObject({ escalated: true, escalations: 1, priority: 2 });
    expect(world.events.escalations[0]).toMatchObject({ verificationId: 'ver-1', priority: 2, escalations: 1 });
    expect(world.audit.events.map((e) => e.action)).toContain('review.escalated');
    expect(answer.status).toBe(200);
    expect(done.status).toBe('SUCCEEDED');
    expect((await world.store.getVerification('ver-1'))?.status).toBe('approved');
  });

  it('third consecutive failure -> cooldown -> accelerated wait -> reopened, next attempt goes to review', async () => {
    // Prepare
    const world = prepared();
    world.faces.similarity = 10;
    for (const attemptId of ['att-2', 'att-3'])
      world.store.seed({ verificationId: 'ver-1', attemptId, livenessSessionId: `session-${attemptId}` });

    // Act
    const first = await world.run('att-1');
    const second = await world.run('att-2');
    const third = await world.run('att-3');

    // Assess
    expect(JSON.parse(first.output ?? '{}').rejection).toEqual({ status: 'rejected' });
    expect(JSON.parse(second.output ?? '{}').rejection).toEqual({ status: 'rejected' });
    const output = JSON.parse(third.output ?? '{}') as { rejection: { status: string; cooldownUntil: string } };
    expect(output.rejection.status).toBe('cooldown');
    expect(Date.parse(output.rejection.cooldownUntil) - world.clock.now().getTime()).toBeGreaterThan(23 * 3600e3);
    expect(JSON.parse(third.output ?? '{}').reopen).toEqual({ status: 'awaiting_upload', reopened: true });
    const history = world.engine.getExecutionHistory(third.executionArn);
    expect(history.some((e) => e.stateName === 'CooldownWait' && e.stateType === 'Wait')).toBe(true);
    const verification = await world.store.getVerification('ver-1');
    expect(verification).toMatchObject({ status: 'awaiting_upload', riskFlags: ['after_cooldown'] });
    expect(world.events.changes.map((c) => c.status)).toEqual(['rejected', 'rejected', 'cooldown', 'awaiting_upload']);

    // Act: the next attempt after the cooldown passes every check but goes to a person.
    world.faces.similarity = 99;
    world.store.seed({ verificationId: 'ver-1', attemptId: 'att-4', livenessSessionId: 'session-4' });
    const executionArn = world.start('att-4');
    await world.waitForToken(executionArn, 'AwaitReview');

    // Assess
    expect((await world.store.getReviewTask('ver-1', 'att-4'))?.causes).toEqual(['after_cooldown']);
  });

  it('retries a throttled check and then succeeds', async () => {
    // Prepare: liveness off, so the face match alone calls CompareFaces.
    const world = prepared({ config: withoutLiveness });
    world.faces.errors.compareFaces = [awsError('ThrottlingException', 'Rate exceeded')];

    // Act
    const done = await world.run('att-1');

    // Assess
    expect(done.status).toBe('SUCCEEDED');
    expect(world.faces.calls.filter((c) => c === 'compareFaces')).toHaveLength(2);
    expect((await world.store.getVerification('ver-1'))?.status).toBe('approved');
    const retried = world.engine.getExecutionHistory(done.executionArn).filter((e) => e.type === 'StateRetried');
    expect(retried.map((e) => e.stateName)).toEqual(['FaceMatch']);
  });

  it.each([
    [
      'a check throttled beyond its retries',
      'compareFaces',
      'ThrottlingException',
      'face_match:error:ThrottlingException',
    ],
    ['a check denied access', 'searchFaces', 'AccessDeniedException', 'duplicates:error:AccessDeniedException'],
  ] as const)('%s -> manual review with the recorded cause', async (_name, operation, errorName, cause) => {
    // Prepare: liveness off, so one check alone calls the failing operation.
    const world = prepared({ timeScale: 1e-4, config: withoutLiveness });
    world.faces.errors[operation] = Array.from({ length: 10 }, () => awsError(errorName));
    const executionArn = world.start('att-1');

    // Act
    await world.waitForToken(executionArn, 'AwaitReview');

    // Assess
    const task = await world.store.getReviewTask('ver-1', 'att-1');
    expect(task).toMatchObject({ queue: 'exceptions', causes: [cause] });
    expect((await world.store.getVerification('ver-1'))?.status).toBe('manual_review');
  });

  it('a step failing outside the checks -> manual review with a task_failed cause, never stuck', async () => {
    // Prepare: the bus refuses the approval event (not a transient error, so no retry helps).
    h = harness({ timeScale: 1e-4 });
    const world = h;
    world.store.seed({ verificationId: 'ver-1', attemptId: 'att-1', livenessSessionId: 'session-1' });
    world.faces.textLines = passportMrz();
    const publish = world.events.statusChanged.bind(world.events);
    world.events.statusChanged = async (change) => {
      if (change.status === 'approved') throw awsError('ValidationException', 'bus refused');
      await publish(change);
    };
    const executionArn = world.start('att-1');

    // Act
    await world.waitForToken(executionArn, 'AwaitReview');

    // Assess
    const task = await world.store.getReviewTask('ver-1', 'att-1');
    expect(task).toMatchObject({ queue: 'exceptions', causes: ['task_failed:ValidationException'] });
    expect(world.engine.describeExecution(executionArn).status).toBe('RUNNING');
  });

  it('fails a load of an unknown attempt into manual review instead of failing the execution', async () => {
    // Prepare
    h = harness({ timeScale: 1e-4 });
    const world = h;
    world.store.seed({ verificationId: 'ver-1', attemptId: 'att-1', livenessSessionId: 'session-1' });
    world.faces.textLines = passportMrz();

    // Act
    const executionArn = world.start('att-missing');
    await world.waitForToken(executionArn, 'AwaitReview');

    // Assess
    const task = await world.store.getReviewTask('ver-1', 'att-missing');
    expect(task?.causes).toEqual(['task_failed:WorkflowRecordNotFoundError']);
  });
});

describe('verification state machine: identity assurance and bounded loops', () => {
  let h: Harness | undefined;
  beforeAll(() => {
    appTemplate();
  }, 120_000);
  afterEach(() => h?.engine.close());

  /** Decides every review the execution waits for (as a reviewer would), until it ends. */
  async function reviewUntilDone(world: Harness, executionArn: string, decision: 'approve' | 'reject') {
    for (let i = 0; i < 4000; i += 1) {
      const status = world.engine.describeExecution(executionArn).status;
      if (status !== 'RUNNING') return world.engine.describeExecution(executionArn);
      for (const pending of world.engine.listPendingTaskTokens(executionArn)) {
        world.engine.sendTaskSuccess(pending.taskToken, {
          decision,
          reasons: decision === 'reject' ? ['FACE_NOT_MATCH'] : [],
          reviewer: 'reviewer-1',
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error('execution did not end');
  }

  it('rejects a live stand-in: liveness passed by another face than the selfie and document', async () => {
    // Prepare: the selfie is a still photo of the victim and matches the document; the live face does not.
    h = harness();
    h.store.seed({ verificationId: 'ver-1', attemptId: 'att-1', livenessSessionId: 'session-1' });
    h.faces.textLines = passportMrz();
    h.faces.similarityFor = (source) => (source.key.startsWith('liveness/') ? 14 : 99);

    // Act
    const done = await h.run('att-1');

    // Assess
    expect(done.status).toBe('SUCCEEDED');
    expect(await h.store.getVerification('ver-1')).toMatchObject({ status: 'rejected', reasons: ['FACE_NOT_MATCH'] });
    expect((await h.store.getCheck('ver-1', 'att-1', 'decision'))?.result).toMatchObject({
      outcome: 'reject',
      causes: ['liveness_reference:portrait:below_reject', 'liveness_reference:selfie:below_reject'],
    });
    expect(h.faces.indexed).toEqual([]);
    expect(h.vault.copies.map((c) => c.to)).toEqual(['liveness/ver-1/att-1/session-1/reference.jpg']);
  });

  it('the reported stale-attempt scenario ends terminal, bounded, and the approval stays', async () => {
    // Prepare: two attempts were open; the first is approved; the second then receives files
    // and its execution is started anyway (as before uploads to stale attempts were refused).
    h = harness({ timeScale: 1e-4 });
    h.store.seed({ verificationId: 'ver-1', attemptId: 'att-1', livenessSessionId: 'session-1' });
    h.store.seed({ verificationId: 'ver-1', attemptId: 'att-2', livenessSessionId: 'session-2' });
    h.faces.textLines = passportMrz();
    expect((await h.run('att-1')).status).toBe('SUCCEEDED');
    const approved = await h.store.getVerification('ver-1');

    // Act: the late execution, then a reviewer trying to reject the case.
    const late = await reviewUntilDone(h, h.start('att-2'), 'reject');
    const rejection = await decideAsReviewer(h, { decision: 'reject', reasons: ['FACE_NOT_MATCH'], note: 'late' });

    // Assess
    expect(late).toMatchObject({ status: 'FAILED', error: 'StaleAttemptError' });
    expect(h.engine.getExecutionHistory(late.executionArn).length).toBeLessThan(20);
    expect(rejection).toMatchObject({ status: 409, body: { code: 'REVIEW_NOT_OPEN' } });
    expect(await h.store.getVerification('ver-1')).toEqual(approved);
    expect(approved).toMatchObject({ status: 'approved', frozen: true });
    expect(await h.store.getReviewTask('ver-1', 'att-2')).toBeUndefined();
    expect(h.audit.events.map((e) => e.action)).toContain('workflow.refused');
  });

  it('a decision that cannot be applied ends in Exceptions after three rounds instead of looping', async () => {
    // Prepare: the case goes to review; applying the reviewer's rejection fails every time.
    h = harness({ timeScale: 1e-4 });
    h.store.seed({ verificationId: 'ver-1', attemptId: 'att-1', livenessSessionId: 'session-1' });
    h.faces.textLines = passportMrz();
    h.faces.similarity = 88;
    h.rateLimits.recordOutcome = async () => {
      throw awsError('ValidationException', 'refused');
    };

    // Act
    const done = await reviewUntilDone(h, h.start('att-1'), 'reject');

    // Assess
    expect(done).toMatchObject({ status: 'FAILED', error: 'WorkflowExceptions' });
    const history = h.engine.getExecutionHistory(done.executionArn);
    expect(history.filter((e) => e.stateName === 'CountFailure' && /Enter/.test(e.type))).toHaveLength(3);
    expect(history.length).toBeLessThan(200);
    expect((await h.store.getReviewTask('ver-1', 'att-1'))?.queue).toBe('standard');
  });

  /** Reviewers reject the open review each time one waits, until the execution ends. */
  async function rejectWhileRunning(world: Harness, executionArn: string) {
    const answers: { status: number; body: Record<string, unknown> }[] = [];
    for (let i = 0; i < 4000; i += 1) {
      const description = world.engine.describeExecution(executionArn);
      if (description.status !== 'RUNNING') return { description, answers };
      const open = await world.store.findOpenReviewTask('ver-1');
      if (open && world.engine.listPendingTaskTokens(executionArn).some((t) => t.taskToken === open.taskToken)) {
        const note = `round ${answers.length + 1}`;
        answers.push(
          await decideAsReviewer(world, { decision: 'reject', reasons: ['FACE_NOT_MATCH'], note }, `reviewer-${i}`),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error('execution did not end');
  }

  it('decisions that could not be carried out leave no stranded case: the reconciler reopens it for the next reviewer', async () => {
    // Prepare: the case goes to review; carrying out a rejection fails until the fault is mended.
    h = harnessInReview();
    const world = h;
    const recordOutcome = world.rateLimits.recordOutcome.bind(world.rateLimits);
    world.rateLimits.recordOutcome = async () => {
      throw awsError('ValidationException', 'refused');
    };
    const exhausted = await rejectWhileRunning(world, world.start('att-1'));
    const executions = engineExecutions(() => world.engine, world.stateMachineArn);
    const deps = reconcilerDepsOver(world, executions);
    world.clock.advance(DEFAULT_CONFIG.reconciler.processingAgeMinutes * 60_000 + 1);

    // Act: the reconciler's run, then the case as the next reviewer finds it.
    const report = await reconcile(deps);
    const rv = `${world.stateMachineArn.replace(':stateMachine:', ':execution:')}:att-1-rv1`;
    let reopened = await world.store.findOpenReviewTask('ver-1');
    for (let i = 0; i < 4000 && !(reopened && world.engine.listPendingTaskTokens(rv).length > 0); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      reopened = await world.store.findOpenReviewTask('ver-1');
    }
    world.rateLimits.recordOutcome = recordOutcome;
    const decided = await rejectWhileRunning(world, rv);

    // Assess: three decisions answered, none carried out, and the execution ended in Exceptions
    // with the last decision recorded (before the reconciler, the case was stranded there).
    expect(exhausted.description).toMatchObject({ status: 'FAILED', error: 'WorkflowExceptions' });
    expect(exhausted.answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(report).toMatchObject({ decisionsRedriven: 1, reviewsRearmed: 0, failures: 0 });
    expect(executions.started).toEqual(['att-1-rv1']);
    // The review execution handed the recorded decision on once more, it failed again, and the
    // review was reopened in the exceptions queue with every failed decision beside it.
    expect(reopened).toMatchObject({ queue: 'exceptions' });
    expect(reopened?.decision).toBeUndefined();
    expect(reopened?.failedDecisions?.map((f) => [f.note, f.error])).toEqual([
      ['round 1', 'ValidationException'],
      ['round 2', 'ValidationException'],
      ['round 3', 'ValidationException'],
    ]);
    // With the fault mended, the next reviewer's rejection is carried out.
    expect(decided.answers.map((a) => a.status)).toEqual([200]);
    expect(decided.description.status).toBe('SUCCEEDED');
    expect((await world.store.getVerification('ver-1'))?.status).toBe('rejected');
    expect(world.audit.events.map((e) => e.action)).toEqual(
      expect.arrayContaining(['reconciler.decision_redriven', 'review.reopened', 'review.decided']),
    );
    expect((await reconcile(deps)).decisionsRedriven).toBe(0);
  });

  it('a review whose execution was stopped is re-armed by the reconciler: same task, new token, decided as usual', async () => {
    // Prepare: the case waits in review; its execution is then stopped (the token is lost).
    h = harnessInReview();
    const world = h;
    const first = world.start('att-1');
    await world.waitForToken(first, 'AwaitReview');
    const opened = await world.store.findOpenReviewTask('ver-1');
    world.engine.stopExecution(first, 'Operator', 'stopped by hand');
    const executions = engineExecutions(() => world.engine, world.stateMachineArn);

    // Act
    const report = await reconcile(reconcilerDepsOver(world, executions));
    const rv = `${world.stateMachineArn.replace(':stateMachine:', ':execution:')}:att-1-rv1`;
    const token = await world.waitForToken(rv, 'AwaitReview');
    const rearmed = await world.store.findOpenReviewTask('ver-1');
    const answer = await decideAsReviewer(world, { decision: 'approve', note: 'same person' });
    const done = await world.engine.waitForExecution(rv);

    // Assess
    expect(report).toMatchObject({ reviewsRearmed: 1, decisionsRedriven: 0, failures: 0 });
    expect(rearmed).toMatchObject({ taskToken: token, queue: opened?.queue, causes: opened?.causes });
    expect(rearmed?.taskToken).not.toBe(opened?.taskToken);
    expect(answer.status).toBe(200);
    expect(done.status).toBe('SUCCEEDED');
    expect((await world.store.getVerification('ver-1'))?.status).toBe('approved');
  });

  it.each([
    ['its review execution starts', 0],
    ['the start of its review execution fails once', 1],
  ] as const)(
    'an attempt the reconciler routes to review after its restarts gets a review task a reviewer can decide (%s)',
    async (_what, failedStarts) => {
      // Prepare: the attempt is in processing and its execution was stopped; no restarts allowed.
      h = harness({ timeScale: 1e-4 });
      const world = h;
      world.store.seed({ verificationId: 'ver-1', attemptId: 'att-1', livenessSessionId: 'session-1' });
      world.faces.textLines = passportMrz();
      const first = world.start('att-1');
      world.engine.stopExecution(first, 'Operator', 'stopped by hand');
      await new Promise((resolve) => setTimeout(resolve, 50));
      await world.store
        .transitionAttempt('ver-1', 'att-1', ['awaiting_upload'], { status: 'processing' })
        .catch(() => {});
      const record = world.store.verifications.get('ver-1');
      if (record) world.store.verifications.set('ver-1', { ...record, status: 'processing' });
      world.clock.advance(DEFAULT_CONFIG.reconciler.processingAgeMinutes * 60_000 + 1);
      const executions = engineExecutions(() => world.engine, world.stateMachineArn);
      let refusals = failedStarts;
      const flaky: typeof executions = {
        ...executions,
        async start(name, input) {
          if (name.endsWith('-rv1') && refusals-- > 0) throw awsError('ThrottlingException', 'rate exceeded');
          return executions.start(name, input);
        },
      };
      const deps = reconcilerDepsOver(world, flaky);
      const noRestarts = { ...DEFAULT_CONFIG, reconciler: { ...DEFAULT_CONFIG.reconciler, maxRestarts: 0 } };

      // Act: reconciler runs until one opens the review (a run after a failed start waits for the age).
      const reports = [await reconcile({ ...deps, config: noRestarts })];
      for (let run = 0; run < failedStarts; run += 1) {
        world.clock.advance(DEFAULT_CONFIG.reconciler.processingAgeMinutes * 60_000 + 1);
        reports.push(await reconcile({ ...deps, config: noRestarts }));
      }
      const rv = `${world.stateMachineArn.replace(':stateMachine:', ':execution:')}:att-1-rv1`;
      await world.waitForToken(rv, 'AwaitReview');
      const task = await world.store.findOpenReviewTask('ver-1');
      const answer = await decideAsReviewer(world, {
        decision: 'reject',
        reasons: ['FACE_NOT_MATCH'],
        note: 'no checks ran',
      });
      const done = await world.engine.waitForExecution(rv);

      // Assess
      expect(reports.map((r) => [r.routedToReview, r.failures])).toEqual(
        failedStarts === 0
          ? [[1, 0]]
          : [
              [0, 1],
              [1, 0],
            ],
      );
      expect(task).toMatchObject({ attemptId: 'att-1', queue: 'exceptions' });
      expect(answer.status).toBe(200);
      expect(done.status).toBe('SUCCEEDED');
      expect((await world.store.getVerification('ver-1'))?.status).toBe('rejected');
    },
  );

  it('a case left in manual review with its attempt still processing (the reconciler stopped between two writes) gets its review', async () => {
    // Prepare: no execution ever ran for the attempt; its records say review, half written.
    h = harness({ timeScale: 1e-4 });
    const world = h;
    world.store.seed({ verificationId: 'ver-1', attemptId: 'att-1', livenessSessionId: 'session-1' });
    await world.store.transitionAttempt('ver-1', 'att-1', ['awaiting_upload'], { status: 'processing' });
    const record = world.store.verifications.get('ver-1');
    if (record) world.store.verifications.set('ver-1', { ...record, status: 'manual_review' });
    world.clock.advance(DEFAULT_CONFIG.reconciler.processingAgeMinutes * 60_000 + 1);
    const executions = engineExecutions(() => world.engine, world.stateMachineArn);

    // Act
    const report = await reconcile(reconcilerDepsOver(world, executions));
    const rv = `${world.stateMachineArn.replace(':stateMachine:', ':execution:')}:att-1-rv1`;
    await world.waitForToken(rv, 'AwaitReview');
    const task = await world.store.findOpenReviewTask('ver-1');
    const attempt = await world.store.getAttempt('ver-1', 'att-1');

    // Assess
    expect(report).toMatchObject({ routedToReview: 1, failures: 0 });
    expect(task).toMatchObject({ attemptId: 'att-1', queue: 'exceptions' });
    expect(attempt?.status).toBe('manual_review');
    expect(world.engine.getExecutionHistory(rv).map((e) => e.stateName)).not.toContain('Checks');
  });

  it.each(['load-attempt', 'face-match', 'decide', 'finalize-approve', 'finalize-reject', 'review-task'])(
    'a step (%s) that always fails ends the execution with a bounded history',
    async (step) => {
      // Prepare: that step throws a non-transient error on every call; reviewers decide at once.
      const template = appTemplate();
      h = harness({ timeScale: 1e-4 });
      h.store.seed({ verificationId: 'ver-1', attemptId: 'att-1', livenessSessionId: 'session-1' });
      h.faces.textLines = passportMrz();
      if (step === 'finalize-reject') h.faces.similarity = 10;
      const failing = Object.entries(template.Resources ?? {}).find(
        ([, r]) =>
          (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
            ?.KYC_WORKFLOW_TASK === step,
      )?.[0];
      expect(failing).toBeDefined();
      const engine = new LocalStepFunctions({ timeScale: 1e-4, retryIntervalOverridesMs: retryOverrides(template) });
      const handlers = workflowHandlersFromTemplate(template, () => h!.deps);
      handlers[failing as string] = () => {
        throw awsError('ValidationException', `${step} always fails`);
      };
      const arn = engine.addStateMachineFromTemplate(template, handlers);
      const world = { ...h, engine };

      // Act
      const executionArn = engine.startExecution({
        stateMachineArn: arn,
        input: { verificationId: 'ver-1', attemptId: 'att-1' },
      }).executionArn;
      const done = await reviewUntilDone(world, executionArn, step === 'finalize-reject' ? 'reject' : 'approve');
      engine.close();

      // Assess
      expect(done.status).not.toBe('RUNNING');
      expect(engine.getExecutionHistory(executionArn).length).toBeLessThan(200);
    },
  );
});
