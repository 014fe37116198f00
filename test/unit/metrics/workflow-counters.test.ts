import { describe, expect, it } from 'vitest';
import { durationBucket } from '../../../lambdas/domain/decision-metrics.ts';
import { finalizeApproveStep } from '../../../lambdas/handlers/workflow/finalize-approve.ts';
import { finalizeRejectStep } from '../../../lambdas/handlers/workflow/finalize-reject.ts';
import { loadAttemptStep } from '../../../lambdas/handlers/workflow/load-attempt.ts';
import { reviewEscalateStep } from '../../../lambdas/handlers/workflow/review-escalate.ts';
import { reviewTaskStep } from '../../../lambdas/handlers/workflow/review-task.ts';
import { fakeWorkflowWorld } from '../../support/workflow-fakes.ts';

const ids = { verificationId: 'ver-1', attemptId: 'att-1' };

function world() {
  const w = fakeWorkflowWorld();
  w.store.seed(ids);
  return w;
}

describe('decision counters written by the workflow steps', () => {
  it('counts an automatic approval once, with its time since the last upload, however often the step runs', async () => {
    // Prepare
    const w = world();
    await loadAttemptStep(ids, w.deps);
    w.clock.advance(4_000);

    // Act
    await finalizeApproveStep(ids, w.deps);
    await finalizeApproveStep(ids, w.deps);

    // Assess
    expect(w.store.counters).toEqual([
      {
        key: {
          pk: `METRICS#${w.clock.now().toISOString().slice(0, 7)}`,
          sk: `DAY#${w.clock.now().toISOString().slice(0, 10)}`,
        },
        entity: 'metrics_day',
        add: { decided_auto: 1, approved_auto: 1, [`ttd_auto_${durationBucket(4_000)}`]: 1 },
      },
    ]);
  });

  it('counts a review: opened once in its queue, the SLA breach, then the manual rejection as a resubmission', async () => {
    // Prepare: one failure before this attempt
    const w = world();
    await w.rateLimits.recordOutcome('user-1', 'att-0', 'failed');
    const before = await w.store.getVerification('ver-1');
    await w.store.updateVerification('ver-1', before!.version, { consecutiveFailures: 1 });
    await loadAttemptStep(ids, w.deps);
    const decision = {
      outcome: 'manual_review' as const,
      reasons: ['MANUAL_REVIEW_REQUIRED' as const],
      causes: [],
      startsCooldown: false,
    };

    // Act
    await reviewTaskStep({ ...ids, decision, taskToken: 't-1' }, w.deps);
    await reviewTaskStep({ ...ids, decision, taskToken: 't-2' }, w.deps);
    w.clock.advance(8 * 86_400_000);
    await reviewEscalateStep({ ...ids, taskToken: 't-3' }, w.deps);
    await finalizeRejectStep(
      { ...ids, review: { decision: 'reject', reasons: ['FACE_NOT_MATCH'], reviewer: 'rita' } },
      w.deps,
    );

    // Assess
    const adds = w.store.counters.map((update) => update.add);
    expect(adds[0]).toEqual({ open_standard: 1 });
    expect(adds[1]).toEqual({ sla_breaches: 1, sla_breaches_standard: 1 });
    expect(adds[2]).toEqual({ overdue_standard: 1 });
    expect(adds[3]).toMatchObject({
      decided_manual: 1,
      rejected_manual: 1,
      reason_FACE_NOT_MATCH: 1,
      resub_decided: 1,
      [`ttd_manual_${durationBucket(8 * 86_400_000)}`]: 1,
    });
    expect(adds).toHaveLength(4);
  });
});
