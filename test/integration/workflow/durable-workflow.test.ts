/**
 * The synthesized verification workflow across restarts of the local engine (a store in a
 * temporary folder), and every step run twice (at-least-once delivery: a step interrupted by a
 * crash runs again on resume) leaving the same records as running it once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createReviewDecisionHandler } from '../../../lambdas/handlers/http/review-decision.ts';
import type { LocalTaskHandler } from '../../../local/stepfunctions/engine.ts';
import { httpEvent, lambdaContext, parse } from '../../unit/intake/http-events.ts';
import { appTemplate, harness, passportMrz, type Harness } from './harness.ts';

async function decideAsReviewer(h: Harness, decision: 'approve' | 'reject') {
  const handler = createReviewDecisionHandler({
    store: h.store,
    reviews: h.reviews,
    audit: h.audit,
    clock: h.clock,
  });
  const result = await handler(
    httpEvent({
      method: 'POST',
      path: '/v1/reviews/ver-1/decision',
      pathParameters: { verificationId: 'ver-1' },
      body: { decision, note: 'checked by hand', ...(decision === 'reject' ? { reasons: ['FACE_NOT_MATCH'] } : {}) },
      userId: 'reviewer-1',
      groups: ['compliance_reviewer'],
    }),
    lambdaContext,
  );
  return { status: result.statusCode, body: parse(result) };
}

/** Runs every step twice with the same input; the second result must equal the first. */
const twice =
  (mismatches: string[]): ((handler: LocalTaskHandler) => LocalTaskHandler) =>
  (handler) =>
  async (payload, context) => {
    const first = await handler(payload, context);
    const second = await handler(payload, context);
    if (JSON.stringify(first) !== JSON.stringify(second)) {
      mismatches.push(`${context.stateName}: ${JSON.stringify(first)} then ${JSON.stringify(second)}`);
    }
    return second;
  };

/**
 * What a path leaves in the records, times masked (each world has its own clock). Audit events
 * and status events compare as sets: a step that runs again appends its audit event and
 * publishes its status event again (at-least-once, like EventBridge; consumers deduplicate by
 * verification and status), but never a different one.
 */
async function recordsOf(h: Harness) {
  const verification = await h.store.getVerification('ver-1');
  return JSON.parse(
    JSON.stringify({
      verification: { ...verification, version: undefined },
      attempts: [...h.store.attempts.values()].map((a) => ({ ...a })),
      reviews: [...h.store.reviews.values()],
      owners: [...h.store.owners.entries()],
      checks: [...h.store.checks.keys()].sort(),
      rateLimits: [...h.rateLimits.states.entries()],
      statusEvents: [...new Set(h.events.changes.map((c) => c.status))],
      auditActions: [...new Set(h.audit.events.map((e) => e.action))],
    })
      .replace(/"taskToken":"[^"]+"/g, '"taskToken":"<token>"')
      .replace(/:1\d{12}\b/g, ':"<epoch ms>"')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<time>'),
  ) as unknown;
}

describe('verification workflow across restarts (local engine with a store)', () => {
  const dirs: string[] = [];
  let h: Harness | undefined;
  beforeAll(() => {
    appTemplate();
  }, 120_000);
  afterEach(() => {
    h?.engine.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function prepared(options: Parameters<typeof harness>[0] = {}): Harness {
    const storeDir = mkdtempSync(join(tmpdir(), 'kyc-workflow-store-'));
    dirs.push(storeDir);
    h = harness({ storeDir, ...options });
    h.store.seed({ verificationId: 'ver-1', attemptId: 'att-1', livenessSessionId: 'session-1' });
    h.faces.textLines = passportMrz();
    return h;
  }

  it.each(['approve', 'reject'] as const)(
    'a decision (%s) sent after a restart completes the case waiting for review',
    async (decision) => {
      // Prepare
      const world = prepared({ timeScale: 1e-4 });
      world.faces.similarity = 88;
      const executionArn = world.start('att-1');
      const token = await world.waitForToken(executionArn, 'AwaitReview');
      await new Promise((resolve) => setTimeout(resolve, 50));

      // Act
      const engine = world.restart();
      const answer = await decideAsReviewer(world, decision);
      const done = await engine.waitForExecution(executionArn);

      // Assess
      expect(engine.listPendingTaskTokens()).toEqual([]);
      expect((await world.store.getReviewTask('ver-1', 'att-1'))?.taskToken).toBe(token);
      expect(answer.status).toBe(200);
      expect(done.status).toBe('SUCCEEDED');
      expect((await world.store.getVerification('ver-1'))?.status).toBe(
        decision === 'approve' ? 'approved' : 'rejected',
      );
      expect(engine.getExecutionHistory(executionArn).at(-1)?.type).toBe('ExecutionSucceeded');
    },
  );

  it('a cooldown keeps its end across a restart and then reopens the verification', async () => {
    // Prepare: 24 h scaled to about 2 s.
    const world = prepared({ timeScale: 2e-5 });
    world.faces.similarity = 10;
    for (const attemptId of ['att-2', 'att-3'])
      world.store.seed({ verificationId: 'ver-1', attemptId, livenessSessionId: 'session-1' });
    await world.run('att-1');
    await world.run('att-2');
    const executionArn = world.start('att-3');
    for (let i = 0; i < 400 && (await world.store.getVerification('ver-1'))?.status !== 'cooldown'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Act
    const engine = world.restart();
    const resumedAt = Date.now();
    const done = await engine.waitForExecution(executionArn);

    // Assess
    expect(done.status).toBe('SUCCEEDED');
    expect(Date.now() - resumedAt).toBeLessThan(2_500);
    expect(JSON.parse(done.output ?? '{}').reopen).toEqual({ status: 'awaiting_upload', reopened: true });
    expect((await world.store.getVerification('ver-1'))?.status).toBe('awaiting_upload');
  });

  it.each([
    ['approve', 99, undefined],
    ['reject (face mismatch)', 10, undefined],
    ['manual review -> approved', 88, 'approve'],
    ['manual review -> rejected', 88, 'reject'],
    ['manual review -> SLA passed, escalated -> approved', 88, 'escalate'],
    ['three failures -> cooldown -> reopened', 10, 'cooldown'],
  ] as const)(
    'every step of the %s path can run twice: same results, same records',
    async (_path, similarity, review) => {
      // Prepare
      const play = async (world: Harness) => {
        world.faces.similarity = similarity;
        if (review === 'cooldown') {
          for (const attemptId of ['att-2', 'att-3'])
            world.store.seed({ verificationId: 'ver-1', attemptId, livenessSessionId: 'session-1' });
          await world.run('att-1');
          await world.run('att-2');
          return world.run('att-3');
        }
        const executionArn = world.start('att-1');
        if (review === 'escalate') {
          // The review SLA (7 days, about 2.4 s at this scale) passes: ReviewEscalate runs, then the
          // escalated task is decided.
          await world.waitForToken(executionArn, 'EscalateReview');
          await decideAsReviewer(world, 'approve');
        } else if (review) {
          await world.waitForToken(executionArn, 'AwaitReview');
          await decideAsReviewer(world, review);
        }
        return world.engine.waitForExecution(executionArn);
      };
      const timeScale = review === 'escalate' ? 4e-6 : 1e-4;
      const once = harness({ timeScale });
      once.store.seed({ verificationId: 'ver-1', attemptId: 'att-1', livenessSessionId: 'session-1' });
      once.faces.textLines = passportMrz();
      const mismatches: string[] = [];
      const doubled = harness({ timeScale, wrap: twice(mismatches) });
      doubled.store.seed({ verificationId: 'ver-1', attemptId: 'att-1', livenessSessionId: 'session-1' });
      doubled.faces.textLines = passportMrz();

      // Act
      const expected = await play(once);
      const actual = await play(doubled);
      once.engine.close();
      doubled.engine.close();

      // Assess
      // Reopen run again finds the verification already reopened and says so; the records match.
      const reopenAgain =
        'Reopen: {"status":"awaiting_upload","reopened":true} then {"status":"awaiting_upload","reopened":false}';
      expect(mismatches).toEqual(review === 'cooldown' ? [reopenAgain] : []);
      expect(actual.status).toBe(expected.status);
      const output = (d: typeof actual) => ({
        ...(JSON.parse((d.output ?? '{}').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')) as object),
        reopen: undefined,
      });
      expect(output(actual)).toEqual(output(expected));
      const [a, b] = [await recordsOf(once), await recordsOf(doubled)];
      expect(b).toEqual(a);
    },
  );
});
