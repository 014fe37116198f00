/**
 * The synthesized verification workflow across restarts of the local engine (a store in a
 * temporary folder); every step run twice (at-least-once delivery: a step interrupted by a
 * crash runs again on resume) leaving the same records as running it once; and every step
 * killed right after each one of its writes, then run again, still finishing the case with the
 * same records (no status write refused as a repeat, no audit event lost).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createReviewDecisionHandler } from '../../../lambdas/handlers/http/review-decision.ts';
import type { ExecutionDescription, LocalTaskHandler } from '../../../local/stepfunctions/engine.ts';
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
 * The writes of the ports a step may make; a kill can land right after any of them. Listed
 * per port so that a new write method is counted only once somebody names it here.
 */
const WRITES = {
  store: [
    'updateVerification',
    'transitionAttempt',
    'recordCheck',
    'claimDocument',
    'putReviewTask',
    'decideReviewTask',
  ],
  audit: ['append'],
  events: ['statusChanged', 'reviewEscalated'],
  rateLimits: ['recordOutcome'],
  faces: ['indexFace', 'removeFaces'],
  reviews: ['completeReview'],
  vault: ['copyToVault', 'deleteObject'],
} as const;

/** The most writes one step makes (FinalizeReject: face removed and recorded, outcome, verification, attempt, audit, event). */
const MOST_WRITES_OF_A_STEP = 7;

class Killed extends Error {
  override readonly name = 'Killed';
}

/**
 * The first run of every step stops right after its write number `write` lands (a crash of
 * the process: nothing after it happens), then the step runs again with the same input, as
 * the durable engine does on resume. Records `State#write` for each step so stopped.
 */
const killedAfter =
  (write: number, world: () => Harness, interruptions: string[]) =>
  (handler: LocalTaskHandler): LocalTaskHandler => {
    const ran = new Set<string>();
    return async (payload, context) => {
      if (ran.has(context.stateName)) return handler(payload, context);
      ran.add(context.stateName);
      let count = 0;
      const patched: Array<{ port: Record<string, unknown>; method: string }> = [];
      for (const [name, methods] of Object.entries(WRITES)) {
        const port = world()[name as keyof typeof WRITES] as unknown as Record<string, unknown>;
        for (const method of methods) {
          const original = port[method] as (...args: unknown[]) => Promise<unknown>;
          port[method] = async (...args: unknown[]) => {
            const result = await original.apply(port, args);
            count += 1;
            if (count === write) throw new Killed(`${context.stateName} killed after write ${write}`);
            return result;
          };
          patched.push({ port, method });
        }
      }
      try {
        return await handler(payload, context);
      } catch (error) {
        if (!(error instanceof Killed)) throw error;
        interruptions.push(`${context.stateName}#${write}`);
      } finally {
        for (const { port, method } of patched) delete port[method];
      }
      return handler(payload, context);
    };
  };

/** `promise`, or an error saying where things stand (`explain`) when it takes longer than `ms`. */
async function endsWithin<T>(ms: number, promise: Promise<T>, explain: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(explain())), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The paths through the workflow: name, face similarity, what the reviewer does. */
const PATHS = [
  ['approve', 99, undefined],
  ['reject (face mismatch)', 10, undefined],
  ['manual review -> approved', 88, 'approve'],
  ['manual review -> rejected', 88, 'reject'],
  ['manual review -> SLA passed, escalated -> approved', 88, 'escalate'],
  ['three failures -> cooldown -> reopened', 10, 'cooldown'],
] as const;
type Review = (typeof PATHS)[number][2];

function seeded(world: Harness): Harness {
  world.store.seed({ verificationId: 'ver-1', attemptId: 'att-1', livenessSessionId: 'session-1' });
  world.faces.textLines = passportMrz();
  // A collection that matches faces: a run again finds the face its stopped run indexed.
  world.faces.personOf = () => 'the applicant';
  return world;
}

/** Plays a path to the end of its (last) execution. */
async function play(world: Harness, similarity: number, review: Review) {
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
    // The review SLA (7 days, a few seconds at the tests' scales) passes: ReviewEscalate runs, then the
    // escalated task is decided.
    await world.waitForToken(executionArn, 'EscalateReview');
    await decideAsReviewer(world, 'approve');
  } else if (review) {
    await world.waitForToken(executionArn, 'AwaitReview');
    await decideAsReviewer(world, review);
  }
  return world.engine.waitForExecution(executionArn);
}

/** An execution's output, times masked and the Reopen step's output left out. */
function outputOf(execution: ExecutionDescription) {
  return {
    ...(JSON.parse((execution.output ?? '{}').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')) as object),
    reopen: undefined,
  };
}

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
      // Whose faces the collection holds (a run again may index one more of the same user).
      faceOwners: [...new Set(h.faces.indexed.map((face) => face.userId))],
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

  it.each(PATHS)(
    'every step of the %s path can run twice: same results, same records',
    async (_path, similarity, review) => {
      // Prepare
      // The review SLA (7 days) and the cooldown (24 hours) pass in about 2.4 s and 0.9 s.
      const timeScale = review === 'escalate' ? 4e-6 : review === 'cooldown' ? 1e-5 : 1e-4;
      const once = seeded(harness({ timeScale }));
      const mismatches: string[] = [];
      const doubled = seeded(harness({ timeScale, wrap: twice(mismatches) }));

      // Act
      const expected = await play(once, similarity, review);
      const actual = await play(doubled, similarity, review);
      once.engine.close();
      doubled.engine.close();

      // Assess
      // Reopen run again finds the verification already reopened and says so; the records match.
      const reopenAgain =
        'Reopen: {"status":"awaiting_upload","reopened":true} then {"status":"awaiting_upload","reopened":false}';
      expect(mismatches).toEqual(review === 'cooldown' ? [reopenAgain] : []);
      expect(actual.status).toBe(expected.status);
      expect(outputOf(actual)).toEqual(outputOf(expected));
      expect(await recordsOf(doubled)).toEqual(await recordsOf(once));
    },
  );

  it.each(PATHS)(
    'every step of the %s path, killed right after any one of its writes and run again, finishes the case: same records',
    async (_path, similarity, review) => {
      // Prepare: the path once without interruptions, for reference.
      // The review SLA (7 days) and the cooldown (24 hours) pass in about 0.6 s and 0.9 s.
      const timeScale = review === 'escalate' ? 1e-6 : review === 'cooldown' ? 1e-5 : 1e-4;
      const once = seeded(harness({ timeScale }));
      const expected = await play(once, similarity, review);
      once.engine.close();
      const reference = await recordsOf(once);
      const killed: string[] = [];

      for (let write = 1; write <= MOST_WRITES_OF_A_STEP; write += 1) {
        // Act: every step's first run stops right after its write number `write`.
        const interruptions: string[] = [];
        const world: Harness = seeded(harness({ timeScale, wrap: killedAfter(write, () => world, interruptions) }));
        const actual = await endsWithin(10_000, play(world, similarity, review), () => {
          // A step that cannot finish a half-done case sends it to review, which nobody decides here.
          const last = world.engine.listExecutions(world.stateMachineArn, 'RUNNING').map((execution) => {
            return world.engine.getExecutionHistory(execution.executionArn).at(-1)?.stateName;
          });
          return `write ${write}: still running at ${JSON.stringify(last)} after kills ${interruptions.join(', ')}`;
        });
        world.engine.close();

        // Assess
        expect({ write, status: actual.status }).toEqual({ write, status: expected.status });
        expect({ write, output: outputOf(actual) }).toEqual({ write, output: outputOf(expected) });
        expect({ write, records: await recordsOf(world) }).toEqual({ write, records: reference });
        killed.push(...interruptions);
      }
      // Every write of the deciding step (and of Reopen) was the last before a kill once.
      const decider =
        similarity < 50 || review === 'reject' || review === 'cooldown' ? 'FinalizeReject' : 'FinalizeApprove';
      // FinalizeReject: face removed, removal recorded, outcome, verification, attempt, audit, event;
      // FinalizeApprove: claim, outcome, verification, attempt, audit, event (the duplicates check indexed the face).
      const writes = decider === 'FinalizeReject' ? 7 : 6;
      for (let write = 1; write <= writes; write += 1) expect(killed).toContain(`${decider}#${write}`);
      if (review === 'cooldown') for (const write of [1, 2, 3]) expect(killed).toContain(`Reopen#${write}`);
      if (review === 'escalate') for (const write of [1, 2]) expect(killed).toContain(`EscalateReview#${write}`);
    },
    120_000,
  );
});
