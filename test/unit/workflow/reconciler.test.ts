/**
 * The reconciler's five jobs over in-memory records and a fake Step Functions: what it repairs,
 * what it leaves alone, and that every action is audited and counted.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import { reconcile } from '../../../lambdas/handlers/maintenance/reconciler.ts';
import type { VerificationStatus } from '../../../lambdas/domain/verification.ts';
import { RecordingMetrics } from '../../../lambdas/ports/operational-metrics.ts';
import { FakeExecutions, reconcilerDepsOver } from '../../support/reconciler-deps.ts';
import { fakeWorkflowWorld, type FakeWorkflowWorld } from '../../support/workflow-fakes.ts';

const MINUTE = 60_000;

function setup(intake: { key: string; ageMinutes: number }[] = []) {
  const world: FakeWorkflowWorld = fakeWorkflowWorld({ config: DEFAULT_CONFIG });
  const executions = new FakeExecutions();
  const redriven: string[] = [];
  const metrics: string[] = [];
  const setStatus = (id: string, status: VerificationStatus, extra: object = {}) => {
    const record = world.store.verifications.get(id);
    if (record) world.store.verifications.set(id, { ...record, status, ...extra });
  };
  const deps = reconcilerDepsOver(world, executions, { intake, redriven, metrics });
  return { world, deps, executions, redriven, metrics, setStatus };
}

/** A review task of `ver-1`/`att-1` decided `decidedMinutesAgo` ago, the verification in manual review. */
async function decidedReview({ world, setStatus }: ReturnType<typeof setup>, decidedMinutesAgo: number): Promise<void> {
  world.store.seed({ verificationId: 'ver-1', attemptId: 'att-1' });
  setStatus('ver-1', 'manual_review');
  const openedAt = world.clock.now().toISOString();
  await world.store.putReviewTask({
    verificationId: 'ver-1',
    attemptId: 'att-1',
    taskToken: 'spent',
    queue: 'exceptions',
    reasons: ['MANUAL_REVIEW_REQUIRED'],
    causes: ['task_failed:ValidationException'],
    priority: 2,
    dueAt: openedAt,
    escalated: false,
    escalations: 0,
    createdAt: openedAt,
  });
  await world.store.decideReviewTask('ver-1', 'att-1', 'spent', {
    decision: 'reject',
    decidedBy: 'reviewer-1',
    reasons: ['FACE_NOT_MATCH'],
    note: 'not the same person',
    decidedAt: world.clock.now().toISOString(),
  });
  world.clock.advance(decidedMinutesAgo * MINUTE);
}

const actions = (world: FakeWorkflowWorld) =>
  world.audit.events.filter((e) => e.actor === 'system:reconciler').map((e) => e.action);

describe('reconcile', () => {
  it('re-drives intake objects older than the configured age, and only those', async () => {
    // Prepare
    const { world, deps, redriven, metrics } = setup([
      { key: 'intake/ver-1/att-1/selfie', ageMinutes: 16 },
      { key: 'intake/ver-1/att-1/document_front', ageMinutes: 2 },
    ]);
    world.store.seed({ verificationId: 'ver-1', attemptId: 'att-1', slots: [] });

    // Act
    const report = await reconcile(deps);

    // Assess
    expect(redriven).toEqual(['intake/ver-1/att-1/selfie']);
    expect(report.intakeRedriven).toBe(1);
    expect(actions(world)).toEqual(['reconciler.upload_redriven']);
    expect(metrics).toEqual(['UploadRedriven']);
  });

  it.each([
    ['never started', undefined, [], 'att-1', 'processing'],
    ['failed', 'FAILED', [], 'att-1-rc1', 'processing'],
    ['failed after two restarts', 'FAILED', ['FAILED', 'ABORTED'], 'att-1-rv1', 'manual_review'],
  ] as const)(
    'an attempt in processing whose execution %s is started again or routed to review',
    async (_what, status, restarts, expectedStart, expectedAttempt) => {
      // Prepare
      const { world, deps, executions, setStatus } = setup();
      world.store.seed({ verificationId: 'ver-1', attemptId: 'att-1' });
      await world.store.transitionAttempt('ver-1', 'att-1', ['awaiting_upload'], { status: 'processing' });
      setStatus('ver-1', 'processing');
      if (status) executions.statuses.set('att-1', status);
      restarts.forEach((s, i) => executions.statuses.set(`att-1-rc${i + 1}`, s));
      world.clock.advance(31 * MINUTE);

      // Act
      const report = await reconcile(deps);

      // Assess
      expect(executions.started).toEqual([expectedStart]);
      expect((await world.store.getAttempt('ver-1', 'att-1'))?.status).toBe(expectedAttempt);
      expect(report.executionsStarted + report.routedToReview).toBe(1);
      expect(actions(world)).toEqual([
        expectedAttempt === 'manual_review' ? 'reconciler.routed_to_review' : 'reconciler.workflow_restarted',
      ]);
    },
  );

  it('leaves a running execution and a recent attempt alone', async () => {
    // Prepare
    const { world, deps, executions, setStatus } = setup();
    world.store.seed({ verificationId: 'ver-1', attemptId: 'att-1' });
    await world.store.transitionAttempt('ver-1', 'att-1', ['awaiting_upload'], { status: 'processing' });
    setStatus('ver-1', 'processing');
    executions.statuses.set('att-1', 'RUNNING');
    world.clock.advance(31 * MINUTE);

    // Act
    const report = await reconcile(deps);

    // Assess
    expect(executions.started).toEqual([]);
    expect(report).toEqual({
      intakeRedriven: 0,
      executionsStarted: 0,
      routedToReview: 0,
      reviewsRearmed: 0,
      cooldownsEnded: 0,
      decisionsRedriven: 0,
      failures: 0,
    });
  });

  it('re-arms a review task whose token no longer waits, assigned or not, not one whose token waits', async () => {
    // Prepare: three cases in manual review; the second is claimed by a reviewer.
    const { world, deps, executions, setStatus } = setup();
    for (const [id, token, assignee] of [
      ['ver-1', 'gone', undefined],
      ['ver-2', 'gone-too', 'reviewer-1'],
      ['ver-3', 'live', undefined],
    ] as const) {
      world.store.seed({ verificationId: id, attemptId: `att-${id}` });
      setStatus(id, 'manual_review');
      await world.store.putReviewTask({
        verificationId: id,
        attemptId: `att-${id}`,
        taskToken: token,
        queue: 'standard',
        reasons: ['MANUAL_REVIEW_REQUIRED'],
        causes: [],
        priority: 1,
        dueAt: new Date().toISOString(),
        escalated: false,
        escalations: 0,
        createdAt: new Date().toISOString(),
        ...(assignee ? { assignee } : {}),
      });
    }
    executions.waitingTokens.add('live');

    // Act
    const report = await reconcile(deps);

    // Assess
    expect(executions.started).toEqual(['att-ver-1-rv1', 'att-ver-2-rv1']);
    expect(report).toMatchObject({ reviewsRearmed: 2, decisionsRedriven: 0, failures: 0 });
    expect(actions(world)).toEqual(['reconciler.review_rearmed', 'reconciler.review_rearmed']);
  });

  it('reopens a cooldown past its end (after the grace), not one still running', async () => {
    // Prepare
    const { world, deps, metrics, setStatus } = setup();
    const now = world.clock.now().getTime();
    world.store.seed({ verificationId: 'ver-1', attemptId: 'att-1' });
    world.store.seed({ verificationId: 'ver-2', attemptId: 'att-2' });
    setStatus('ver-1', 'cooldown', { cooldownUntil: new Date(now - 6 * MINUTE).toISOString() });
    setStatus('ver-2', 'cooldown', { cooldownUntil: new Date(now + 60 * MINUTE).toISOString() });

    // Act
    const report = await reconcile(deps);

    // Assess
    expect(report.cooldownsEnded).toBe(1);
    expect((await world.store.getVerification('ver-1'))?.status).toBe('awaiting_upload');
    expect((await world.store.getVerification('ver-2'))?.status).toBe('cooldown');
    expect(actions(world)).toEqual(['reconciler.cooldown_ended']);
    expect(metrics).toEqual(['CooldownEnded']);
  });

  it('measures the review queue depth (verifications in manual review) on every run', async () => {
    // Prepare
    const { world, deps, setStatus } = setup();
    const gauges = new RecordingMetrics();
    for (const id of ['ver-1', 'ver-2', 'ver-3']) world.store.seed({ verificationId: id, attemptId: `att-${id}` });
    setStatus('ver-1', 'manual_review');
    setStatus('ver-2', 'manual_review');

    // Act
    await reconcile({ ...deps, metrics: gauges });

    // Assess
    expect(gauges.recorded).toEqual([{ name: 'ReviewQueueDepth', dimensions: {}, value: 2 }]);
  });

  it('hands on a decision nothing carried out: decided long ago, no execution of its attempt running', async () => {
    // Prepare: the attempt's execution ended in Exceptions after the decision was recorded.
    const context = setup();
    await decidedReview(context, 31);
    context.executions.statuses.set('att-1', 'FAILED');
    context.executions.statuses.set('att-1-rv1', 'SUCCEEDED');

    // Act
    const report = await reconcile(context.deps);

    // Assess
    expect(context.executions.started).toEqual(['att-1-rv2']);
    expect(report.decisionsRedriven).toBe(1);
    expect(actions(context.world)).toEqual(['reconciler.decision_redriven']);
    expect(context.world.audit.events.at(-1)?.details).toMatchObject({
      attemptId: 'att-1',
      decision: 'reject',
      execution: 'att-1-rv2',
    });
    expect(context.metrics).toEqual(['DecisionRedriven']);
  });

  it.each([
    ['decided recently (its execution may still be carrying it out)', 29, {}],
    ['its first execution still running', 31, { 'att-1': 'RUNNING' }],
    ['a restart still running', 31, { 'att-1': 'FAILED', 'att-1-rc1': 'RUNNING' }],
    ['a review execution still running', 31, { 'att-1': 'FAILED', 'att-1-rv1': 'FAILED', 'att-1-rv2': 'RUNNING' }],
  ] as const)('leaves a decided review alone when %s', async (_what, minutes, statuses) => {
    // Prepare
    const context = setup();
    await decidedReview(context, minutes);
    for (const [name, status] of Object.entries(statuses)) context.executions.statuses.set(name, status);

    // Act
    const report = await reconcile(context.deps);

    // Assess
    expect(context.executions.started).toEqual([]);
    expect(report.decisionsRedriven).toBe(0);
    expect(actions(context.world)).toEqual([]);
  });

  it('leaves a decided review alone once its verification left manual review', async () => {
    // Prepare: the decision was carried out (the case is rejected), the task keeps its decision.
    const context = setup();
    await decidedReview(context, 31);
    context.setStatus('ver-1', 'rejected');

    // Act
    const report = await reconcile(context.deps);

    // Assess
    expect(context.executions.started).toEqual([]);
    expect(report.decisionsRedriven).toBe(0);
  });

  it('opens the review of a case in manual review whose latest attempt has none, once it has been still long enough', async () => {
    // Prepare: job 2 routed the attempt to review, then the start of its review execution failed.
    const { world, deps, executions, setStatus } = setup();
    world.store.seed({ verificationId: 'ver-1', attemptId: 'att-1' });
    await world.store.transitionAttempt('ver-1', 'att-1', ['awaiting_upload'], { status: 'manual_review' });
    setStatus('ver-1', 'manual_review');
    const early = await reconcile(deps);
    world.clock.advance(31 * MINUTE);

    // Act
    const report = await reconcile(deps);

    // Assess
    expect(early.routedToReview).toBe(0);
    expect(executions.started).toEqual(['att-1-rv1']);
    expect(report).toMatchObject({ routedToReview: 1, reviewsRearmed: 0, decisionsRedriven: 0 });
    expect(world.audit.events.at(-1)).toMatchObject({
      action: 'reconciler.routed_to_review',
      details: { attemptId: 'att-1', cause: 'review_missing', execution: 'att-1-rv1' },
    });
  });

  it('never hands on the decision of an earlier attempt: the latest attempt, without a review, gets one', async () => {
    // Prepare: att-1's review was decided long ago; att-2 was routed to review and has no task yet.
    const context = setup();
    const { world, deps, executions } = context;
    await decidedReview(context, 0);
    world.store.seed({ verificationId: 'ver-1', attemptId: 'att-2' });
    context.setStatus('ver-1', 'manual_review');
    await world.store.transitionAttempt('ver-1', 'att-2', ['awaiting_upload'], { status: 'manual_review' });
    world.clock.advance(31 * MINUTE);

    // Act
    const report = await reconcile(deps);

    // Assess
    expect(executions.started).toEqual(['att-2-rv1']);
    expect(report).toMatchObject({ routedToReview: 1, decisionsRedriven: 0 });
    expect(actions(world)).toEqual(['reconciler.routed_to_review']);
  });

  it.each([
    ['the attempt in manual review', 'manual_review', ['att-1-rv1']],
    ['the attempt still in processing (a stop between the two writes)', 'processing', ['att-1-rv1']],
    ['the attempt awaiting uploads (not on its way to a review)', 'awaiting_upload', []],
  ] as const)('a case in manual review without a review task, %s', async (_what, status, started) => {
    // Prepare
    const { world, deps, executions, setStatus } = setup();
    world.store.seed({ verificationId: 'ver-1', attemptId: 'att-1' });
    if (status !== 'awaiting_upload') {
      await world.store.transitionAttempt('ver-1', 'att-1', ['awaiting_upload'], { status });
    }
    setStatus('ver-1', 'manual_review');
    world.clock.advance(31 * MINUTE);

    // Act
    const report = await reconcile(deps);

    // Assess
    expect(executions.started).toEqual(started);
    expect(report.routedToReview).toBe(started.length);
  });
});
