/**
 * The operational metrics the workflow steps, on-upload and the reconciler emit for the
 * operations dashboard and alarms: decisions by outcome, rejection reasons, SLA breaches and
 * the review queue depth, each counted once per fact.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import { PowertoolsOperationalMetrics } from '../../../lambdas/adapters/aws/powertools-metrics.ts';
import { decideStep } from '../../../lambdas/handlers/workflow/decide.ts';
import { finalizeApproveStep } from '../../../lambdas/handlers/workflow/finalize-approve.ts';
import { finalizeRejectStep } from '../../../lambdas/handlers/workflow/finalize-reject.ts';
import { loadAttemptStep } from '../../../lambdas/handlers/workflow/load-attempt.ts';
import { reviewEscalateStep } from '../../../lambdas/handlers/workflow/review-escalate.ts';
import { reviewTaskStep } from '../../../lambdas/handlers/workflow/review-task.ts';
import type { ChecksOutput } from '../../../lambdas/handlers/workflow/state.ts';
import type { Decision } from '../../../lambdas/domain/decision-policy.ts';
import { fakeWorkflowWorld } from '../../support/workflow-fakes.ts';

const ids = { verificationId: 'ver-1', attemptId: 'att-1' };

async function world() {
  const w = fakeWorkflowWorld({ config: DEFAULT_CONFIG });
  w.store.seed({ ...ids });
  await loadAttemptStep(ids, w.deps);
  return w;
}

const checks = (similarity: number): ChecksOutput => ({
  faceMatch: { kind: 'scored', similarity },
  liveness: { kind: 'disabled' },
  document: { kind: 'disabled' },
  duplicates: { kind: 'checked', faceHit: false, documentHit: false },
});

describe('decision metrics', () => {
  it.each([
    { similarity: 99, manualReview: 0 },
    { similarity: 90, manualReview: 1 },
    { similarity: 10, manualReview: 0 },
  ])('decide counts a case entering review once (similarity $similarity)', async ({ similarity, manualReview }) => {
    // Prepare
    const w = await world();
    const context = {
      ...ids,
      level: 'basic' as const,
      documentType: 'passport' as const,
      consecutiveFailures: 0,
      afterCooldown: false,
    };

    // Act
    await decideStep({ ...ids, context, checks: checks(similarity) }, w.deps);

    // Assess
    expect(w.metrics.total('Decision', { outcome: 'manual_review' })).toBe(manualReview);
    expect(w.metrics.total('Decision', { outcome: 'approved' })).toBe(0);
  });

  it('finalize-reject counts the rejection and each of its reason codes once, and nothing on a retry', async () => {
    // Prepare
    const w = await world();
    const decision: Decision = {
      outcome: 'reject',
      reasons: ['FACE_NOT_MATCH', 'DOCUMENT_EXPIRED'],
      causes: [],
      startsCooldown: false,
    };

    // Act
    await finalizeRejectStep({ ...ids, decision }, w.deps);
    await finalizeRejectStep({ ...ids, decision }, w.deps);

    // Assess
    expect(w.metrics.total('Decision', { outcome: 'rejected' })).toBe(1);
    expect(w.metrics.total('RejectionReason', { reason: 'FACE_NOT_MATCH' })).toBe(1);
    expect(w.metrics.total('RejectionReason', { reason: 'DOCUMENT_EXPIRED' })).toBe(1);
    expect(w.metrics.total('RejectionReason', { reason: 'MANUAL_REVIEW_REQUIRED' })).toBe(0);
  });

  it('finalize-approve counts the approval once, and nothing on a retry', async () => {
    // Prepare
    const w = await world();

    // Act
    await finalizeApproveStep(ids, w.deps);
    await finalizeApproveStep(ids, w.deps);

    // Assess
    expect(w.metrics.recorded).toEqual([{ name: 'Decision', dimensions: { outcome: 'approved' }, value: 1 }]);
  });
});

describe('SLA breach metric', () => {
  it('counts each escalation of an undecided review', async () => {
    // Prepare
    const w = await world();
    await reviewTaskStep({ ...ids, taskToken: 't-0' }, w.deps);

    // Act
    await reviewEscalateStep({ ...ids, taskToken: 't-1' }, w.deps);
    await reviewEscalateStep({ ...ids, taskToken: 't-2' }, w.deps);

    // Assess
    expect(w.metrics.total('ReviewSlaBreached')).toBe(2);
  });

  it('counts an escalation run twice under the same token once', async () => {
    // Prepare
    const w = await world();
    await reviewTaskStep({ ...ids, taskToken: 't-0' }, w.deps);

    // Act
    await reviewEscalateStep({ ...ids, taskToken: 't-1' }, w.deps);
    await reviewEscalateStep({ ...ids, taskToken: 't-1' }, w.deps);

    // Assess
    expect(w.metrics.total('ReviewSlaBreached')).toBe(1);
  });

  it('does not count a decision that raced the timeout (it was decided in time)', async () => {
    // Prepare
    const w = await world();
    await reviewTaskStep({ ...ids, taskToken: 't-0' }, w.deps);
    await w.store.decideReviewTask('ver-1', 'att-1', 't-0', {
      decision: 'approve',
      decidedBy: 'reviewer-1',
      reasons: [],
      note: 'ok',
      decidedAt: w.clock.now().toISOString(),
    });

    // Act
    await reviewEscalateStep({ ...ids, taskToken: 't-1' }, w.deps);

    // Assess
    expect(w.metrics.total('ReviewSlaBreached')).toBe(0);
  });
});

describe('PowertoolsOperationalMetrics', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes one EMF record per count, in namespace serverless-kyc with service = the installation', () => {
    // Prepare
    const lines: string[] = [];
    const powertools = new Metrics({ namespace: 'serverless-kyc', serviceName: 'acme' });
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      if (text.includes('"_aws"')) lines.push(...text.split('\n').filter((line) => line.trim() !== ''));
      else return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
      return true;
    });
    const metrics = new PowertoolsOperationalMetrics({ installation: 'acme', metrics: powertools });

    // Act
    metrics.count('RejectionReason', { reason: 'FACE_NOT_MATCH' });
    metrics.gauge('ReviewQueueDepth', 7);

    // Assess
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ service: 'acme', reason: 'FACE_NOT_MATCH', RejectionReason: 1 });
    expect(records[1]).toMatchObject({ service: 'acme', ReviewQueueDepth: 7 });
    const meta = (records[0] as { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] } })._aws;
    expect(meta.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'serverless-kyc',
      Dimensions: [['service', 'reason']],
    });
  });
});
