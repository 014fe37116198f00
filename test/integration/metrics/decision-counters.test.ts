import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecisionMetricsRepository } from '../../../lambdas/adapters/aws/decision-metrics-repository.ts';
import { VerificationRepository } from '../../../lambdas/adapters/aws/verification-repository.ts';
import { DynamoDbWorkflowStore } from '../../../lambdas/adapters/aws/workflow-repository.ts';
import {
  decisionCounters,
  metricsRange,
  reviewClosedCounters,
  reviewOpenedCounters,
  summariseMetrics,
} from '../../../lambdas/domain/decision-metrics.ts';
import { logger } from '../../../lambdas/handlers/shared/logger.ts';
import type { ReviewTask } from '../../../lambdas/ports/workflow-store.ts';
import { startDynamoFixture, type DynamoFixture } from '../intake/dynamodb-fixture.ts';

// The counters behind GET /v1/metrics, written in DynamoDB transactions with the decisions
// themselves, against DynamoDB Local: exactly once per decision, also when writers race.
let fixture: DynamoFixture;
const DAY = '2026-11-30';

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  fixture = await startDynamoFixture();
}, 120_000);
afterAll(async () => {
  await fixture?.server.stop();
});

function attempt(verificationId: string) {
  return {
    verificationId,
    attemptId: 'a-1',
    requiredSlots: ['document_front', 'selfie'] as const,
    status: 'processing' as const,
    reasons: [],
    createdAt: `${DAY}T10:00:00.000Z`,
    uploadExpiresAt: `${DAY}T10:05:00.000Z`,
    updatedAt: `${DAY}T10:00:00.000Z`,
  };
}

/** An open review task of attempt `a-1` opened on DAY, with `overrides`. */
function reviewTask(
  overrides: Pick<ReviewTask, 'verificationId' | 'queue' | 'reasons'> & Partial<ReviewTask>,
): ReviewTask {
  return {
    attemptId: 'a-1',
    taskToken: 'token-1',
    causes: [],
    priority: 1,
    dueAt: `${DAY}T12:00:00.000Z`,
    escalated: false,
    escalations: 0,
    createdAt: `${DAY}T10:00:00.000Z`,
    ...overrides,
  };
}

describe('decision counters against DynamoDB Local', () => {
  it('counts each decision once: a repeated transition writes nothing, racing decisions all count', async () => {
    // Prepare
    const repository = new VerificationRepository({
      tableName: fixture.tables.verifications,
      client: fixture.documents,
    });
    const ids = Array.from({ length: 4 }, (_, i) => `v-count-${i}`);
    for (const id of ids) await repository.createAttempt(attempt(id));
    const counters = (outcome: 'approved' | 'rejected') => [
      decisionCounters({
        outcome,
        mode: 'automatic',
        reasons: outcome === 'rejected' ? ['FACE_NOT_MATCH'] : [],
        decidedAt: `${DAY}T10:00:07.000Z`,
        submittedAt: `${DAY}T10:00:00.000Z`,
        resubmission: false,
      }),
    ];

    // Act: four decisions at once on the same counter item, then each one again
    const first = await Promise.all(
      ids.map((id, i) =>
        repository.transitionAttempt(
          id,
          'a-1',
          ['processing'],
          { status: i % 2 ? 'rejected' : 'approved' },
          counters(i % 2 ? 'rejected' : 'approved'),
        ),
      ),
    );
    const again = await Promise.all(
      ids.map((id) =>
        repository.transitionAttempt(id, 'a-1', ['processing'], { status: 'approved' }, counters('approved')),
      ),
    );
    const metrics = new DecisionMetricsRepository({
      tableName: fixture.tables.verifications,
      client: fixture.documents,
    });
    const report = summariseMetrics(
      metricsRange({ from: DAY, to: DAY }, new Date()),
      await metrics.readDays([DAY]),
      await metrics.readQueueCounts(),
    );

    // Assess
    expect(first.every(Boolean)).toBe(true);
    expect(again.some(Boolean)).toBe(false);
    expect(report.decisions).toEqual({ total: 4, approved: 2, rejected: 2, automatic: 4, manual: 0 });
    expect(report.rejectionsByReason).toEqual([{ code: 'FACE_NOT_MATCH', count: 2, rate: 0.5 }]);
    expect(report.timeToDecision.automatic.count).toBe(4);
    expect(report.timeToDecision.automatic.medianSeconds! / 7).toBeGreaterThan(0.91);
  }, 60_000);

  it('moves the queue count with the review task: created once, closed by the one decision that wins', async () => {
    // Prepare
    const store = new DynamoDbWorkflowStore({ tableName: fixture.tables.verifications, client: fixture.documents });
    const task = reviewTask({
      verificationId: 'v-review',
      queue: 'duplicates',
      reasons: ['DUPLICATE_IDENTITY'],
      priority: 3,
    });
    const decision = (by: string) => ({
      decision: 'reject' as const,
      decidedBy: by,
      reasons: ['DUPLICATE_IDENTITY' as const],
      note: 'n',
      decidedAt: `${DAY}T11:00:00.000Z`,
    });
    const metrics = new DecisionMetricsRepository({
      tableName: fixture.tables.verifications,
      client: fixture.documents,
    });

    // Act
    await store.putReviewTask(task, { creates: true, counters: [reviewOpenedCounters('duplicates')] });
    const recreated = await store
      .putReviewTask(task, { creates: true, counters: [reviewOpenedCounters('duplicates')] })
      .catch((error: Error) => error.name);
    const whileOpen = await metrics.readQueueCounts();
    const decided = await Promise.allSettled(
      ['rita', 'rob'].map((by) =>
        store.decideReviewTask('v-review', 'a-1', 'token-1', decision(by), [reviewClosedCounters('duplicates', false)]),
      ),
    );

    // Assess
    expect(recreated).toBe('WorkflowConflictError');
    expect(whileOpen.open_duplicates).toBe(1);
    expect(decided.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(await metrics.readQueueCounts()).toMatchObject({ open_duplicates: 0 });
    expect(await store.getReviewTask('v-review', 'a-1')).toMatchObject({ decision: 'reject' });
  }, 60_000);

  it('reopens a decided task only while it holds the decision seen failing, and counts it open in its new queue', async () => {
    // Prepare: a decided task (its decision then failed to apply).
    const store = new DynamoDbWorkflowStore({ tableName: fixture.tables.verifications, client: fixture.documents });
    const metrics = new DecisionMetricsRepository({
      tableName: fixture.tables.verifications,
      client: fixture.documents,
    });
    const task = reviewTask({ verificationId: 'v-reopen', queue: 'standard', reasons: ['MANUAL_REVIEW_REQUIRED'] });
    await store.putReviewTask(task, { creates: true });
    const decidedAt = `${DAY}T11:00:00.000Z`;
    await store.decideReviewTask('v-reopen', 'a-1', 'token-1', {
      decision: 'approve',
      decidedBy: 'rita',
      reasons: [],
      note: 'n',
      decidedAt,
    });
    const before = (await metrics.readQueueCounts()).open_exceptions ?? 0;
    const reopened: ReviewTask = {
      ...task,
      taskToken: 'token-2',
      queue: 'exceptions',
      priority: 2,
      failedDecisions: [{ decision: 'approve', decidedBy: 'rita', decidedAt, reasons: [], note: 'n', error: 'E' }],
    };

    // Act
    const stale = await store
      .putReviewTask(reopened, {
        reopens: { decidedAt: `${DAY}T10:59:00.000Z` },
        counters: [reviewOpenedCounters('exceptions')],
      })
      .catch((error: Error) => error.name);
    await store.putReviewTask(reopened, { reopens: { decidedAt }, counters: [reviewOpenedCounters('exceptions')] });

    // Assess
    expect(stale).toBe('WorkflowConflictError');
    const stored = await store.getReviewTask('v-reopen', 'a-1');
    expect(stored).toMatchObject({
      taskToken: 'token-2',
      queue: 'exceptions',
      failedDecisions: reopened.failedDecisions,
    });
    expect(stored?.decision).toBeUndefined();
    expect((await store.findOpenReviewTask('v-reopen'))?.taskToken).toBe('token-2');
    expect((await metrics.readQueueCounts()).open_exceptions).toBe(before + 1);
  }, 60_000);
});
