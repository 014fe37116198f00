import { describe, expect, it } from 'vitest';
import {
  createResetDecisionHandler,
  createResetVerificationHandler,
  type ResetRouteDeps,
} from '../../../lambdas/handlers/http/reset-verification.ts';
import { staffActionRefusal } from '../../../lambdas/domain/four-eyes.ts';
import { InMemoryResetRequests } from '../../support/reset-request-fakes.ts';
import { fakeWorkflowWorld, type FakeWorkflowWorld } from '../../support/workflow-fakes.ts';
import { httpEvent, lambdaContext, parse } from '../intake/http-events.ts';

const ids = { verificationId: 'ver-1', attemptId: 'att-1' };
const REASON = 'Customer legally changed their name (ticket 4711)';

interface World {
  readonly w: FakeWorkflowWorld;
  readonly resets: InMemoryResetRequests;
  readonly deps: ResetRouteDeps;
}

async function approvedVerification(owner = 'user-1'): Promise<World> {
  const w = fakeWorkflowWorld();
  w.store.seed({ ...ids, userId: owner });
  const v = await w.store.getVerification('ver-1');
  await w.store.updateVerification('ver-1', v!.version, { status: 'approved', frozen: true });
  const resets = new InMemoryResetRequests();
  let next = 0;
  const deps: ResetRouteDeps = {
    store: w.store,
    resets,
    audit: w.audit,
    events: w.events,
    clock: w.clock,
    newId: () => `req-${++next}`,
  };
  return { w, resets, deps };
}

const requestReset = (
  world: World,
  userId = 'support-1',
  groups: string[] = ['support'],
  body: unknown = {
    reason: REASON,
  },
) =>
  createResetVerificationHandler(world.deps)(
    httpEvent({ method: 'POST', body, pathParameters: { id: 'ver-1' }, userId, groups }),
    lambdaContext,
  );

const decide = (
  world: World,
  requestId: string,
  decision: 'approve' | 'reject',
  userId = 'approver-1',
  groups: string[] = ['compliance_approver'],
) =>
  createResetDecisionHandler(world.deps)(
    httpEvent({
      method: 'POST',
      body: { decision, note: 'Checked the ticket and the deed poll' },
      pathParameters: { id: 'ver-1', requestId },
      userId,
      groups,
    }),
    lambdaContext,
  );

describe('four eyes on support resets', () => {
  it('a support reset is only a pending request: the approved verification stays frozen', async () => {
    // Prepare
    const world = await approvedVerification();

    // Act
    const result = await requestReset(world);

    // Assess
    expect(result.statusCode).toBe(202);
    expect(parse(result)).toMatchObject({ verificationId: 'ver-1', requestId: 'req-1', status: 'pending' });
    expect(await world.w.store.getVerification('ver-1')).toMatchObject({ status: 'approved', frozen: true });
    expect(world.w.audit.events.at(-1)).toMatchObject({
      action: 'verification.reset_requested',
      actor: 'support:support-1',
      reason: REASON,
      origin: '192.0.2.10',
    });
    expect(world.w.events.changes).toEqual([]);
  });

  it('another compliance approver approves: the verification reopens, audited with both people', async () => {
    // Prepare
    const world = await approvedVerification();
    await requestReset(world);

    // Act
    const result = await decide(world, 'req-1', 'approve');

    // Assess
    expect(result.statusCode).toBe(200);
    expect(await world.w.store.getVerification('ver-1')).toMatchObject({ status: 'awaiting_upload', frozen: false });
    expect(world.w.audit.events.at(-1)).toMatchObject({
      action: 'verification.reset',
      actor: 'compliance_approver:approver-1',
      reason: REASON,
      details: expect.objectContaining({ requestedBy: 'support-1', approvedBy: 'approver-1', wasFrozen: true }),
    });
    expect(world.w.events.changes.at(-1)).toEqual({ verificationId: 'ver-1', status: 'awaiting_upload', reasons: [] });
    expect((await world.resets.getResetRequest('ver-1', 'req-1'))?.status).toBe('approved');
  });

  it('a rejection leaves the verification approved and is audited', async () => {
    // Prepare
    const world = await approvedVerification();
    await requestReset(world);

    // Act
    const result = await decide(world, 'req-1', 'reject');

    // Assess
    expect(result.statusCode).toBe(200);
    expect(await world.w.store.getVerification('ver-1')).toMatchObject({ status: 'approved', frozen: true });
    expect(world.w.audit.events.at(-1)).toMatchObject({ action: 'verification.reset_rejected' });
  });

  it('the requester cannot approve their own request, even holding the approver role (403)', async () => {
    // Prepare
    const world = await approvedVerification();
    await requestReset(world, 'staff-7', ['support', 'compliance_approver']);

    // Act
    const result = await decide(world, 'req-1', 'approve', 'staff-7', ['support', 'compliance_approver']);

    // Assess
    expect(result.statusCode).toBe(403);
    expect(parse(result)).toMatchObject({ code: 'SELF_APPROVAL_FORBIDDEN', message: expect.any(String) });
    expect(await world.w.store.getVerification('ver-1')).toMatchObject({ status: 'approved', frozen: true });
    expect((await world.resets.getResetRequest('ver-1', 'req-1'))?.status).toBe('pending');
  });

  it('support cannot reset without an approver: support may not call the decision route (403)', async () => {
    // Prepare
    const world = await approvedVerification();
    await requestReset(world);

    // Act
    const result = await decide(world, 'req-1', 'approve', 'support-2', ['support']);

    // Assess
    expect(result.statusCode).toBe(403);
    expect(parse(result)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await world.w.store.getVerification('ver-1')).toMatchObject({ status: 'approved', frozen: true });
  });

  it('support cannot reset their own verification (403 OWN_VERIFICATION), and no request is recorded', async () => {
    // Prepare
    const world = await approvedVerification('support-1');

    // Act
    const result = await requestReset(world, 'support-1');

    // Assess
    expect(result.statusCode).toBe(403);
    expect(parse(result)).toMatchObject({ code: 'OWN_VERIFICATION' });
    expect(world.resets.requests.size).toBe(0);
  });

  it('an approver cannot approve a reset of their own verification (403 OWN_VERIFICATION)', async () => {
    // Prepare
    const world = await approvedVerification('approver-1');
    await requestReset(world);

    // Act
    const result = await decide(world, 'req-1', 'approve', 'approver-1');

    // Assess
    expect(result.statusCode).toBe(403);
    expect(parse(result)).toMatchObject({ code: 'OWN_VERIFICATION' });
    expect(await world.w.store.getVerification('ver-1')).toMatchObject({ status: 'approved', frozen: true });
  });

  it.each([['a second request while one is pending', 'RESET_ALREADY_REQUESTED', 409]])(
    'refuses %s',
    async (_name, code, status) => {
      // Prepare
      const world = await approvedVerification();
      await requestReset(world);

      // Act
      const result = await requestReset(world, 'support-2');

      // Assess
      expect(result.statusCode).toBe(status);
      expect(parse(result)).toMatchObject({ code, requestId: 'req-1' });
    },
  );

  it('refuses to decide a request twice (409 RESET_REQUEST_DECIDED)', async () => {
    // Prepare
    const world = await approvedVerification();
    await requestReset(world);
    await decide(world, 'req-1', 'reject');

    // Act
    const result = await decide(world, 'req-1', 'approve', 'approver-2');

    // Assess
    expect(result.statusCode).toBe(409);
    expect(parse(result)).toMatchObject({ code: 'RESET_REQUEST_DECIDED' });
    expect(await world.w.store.getVerification('ver-1')).toMatchObject({ status: 'approved' });
  });

  it.each([
    ['a verification that is not approved', { reason: REASON }, ['support'], 409, 'NOT_RESETTABLE'],
    ['a missing reason', {}, ['support'], 400, 'VALIDATION_ERROR'],
    ['a compliance reviewer', { reason: REASON }, ['compliance_reviewer'], 403, 'FORBIDDEN'],
  ])('refuses a reset request from %s', async (_name, body, groups, status, code) => {
    // Prepare
    const w = fakeWorkflowWorld();
    w.store.seed(ids);
    const world: World = {
      w,
      resets: new InMemoryResetRequests(),
      deps: { store: w.store, resets: new InMemoryResetRequests(), audit: w.audit, clock: w.clock },
    };

    // Act
    const result = await requestReset(world, 'support-1', groups, body);

    // Assess
    expect(result.statusCode).toBe(status);
    expect(parse(result).code).toBe(code);
  });

  it.each([
    ['an unknown request', 'req-404', 404, 'NOT_FOUND'],
    ['a 2,100-character request id', 'r'.repeat(2100), 400, 'INVALID_PATH_PARAMETER'],
  ])('answers %s', async (_name, requestId, status, code) => {
    // Prepare
    const world = await approvedVerification();

    // Act
    const result = await decide(world, requestId, 'approve');

    // Assess
    expect(result.statusCode).toBe(status);
    expect(parse(result).code).toBe(code);
  });
});

describe('staffActionRefusal', () => {
  it.each([
    [{ actorId: 'a', verificationOwnerId: 'a' }, 'OWN_VERIFICATION'],
    [{ actorId: 'a', verificationOwnerId: 'b', requestedBy: 'a' }, 'SELF_APPROVAL_FORBIDDEN'],
    [{ actorId: 'a', verificationOwnerId: 'a', requestedBy: 'a' }, 'OWN_VERIFICATION'],
    [{ actorId: 'a', verificationOwnerId: 'b', requestedBy: 'c' }, undefined],
    [{ actorId: 'a', verificationOwnerId: 'b' }, undefined],
  ])('%j -> %s', (input, expected) => {
    // Act / Assess
    expect(staffActionRefusal(input)).toBe(expected);
  });
});
