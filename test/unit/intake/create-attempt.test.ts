import { beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONFIG, resolveConfig } from '../../../lib/config.ts';
import { createCreateAttemptHandler, type CreateAttemptDeps } from '../../../lambdas/handlers/http/create-attempt.ts';
import { logger } from '../../../lambdas/handlers/shared/logger.ts';
import type { LivenessService } from '../../../lambdas/ports/liveness.ts';
import { FakeAudit, FakeClock, FakeRateLimits, FakeRepository, sampleVerification } from './fakes.ts';
import { httpEvent, lambdaContext, parse } from './http-events.ts';

class FakeLiveness implements Pick<LivenessService, 'createSession'> {
  public readonly sessions: string[] = [];
  public async createSession(input: { verificationId: string; attemptId: string }) {
    this.sessions.push(input.attemptId);
    return { sessionId: `session-${this.sessions.length}` };
  }
}

function setup(options: { liveness?: boolean; verification?: Parameters<typeof sampleVerification>[0] } = {}) {
  const repository = new FakeRepository();
  repository.verifications.set('v-1', sampleVerification(options.verification));
  const audit = new FakeAudit();
  const rateLimits = new FakeRateLimits();
  const liveness = new FakeLiveness();
  const clock = new FakeClock();
  const presigned: Array<{ key: string; contentType: string }> = [];
  let ids = 0;
  const deps: CreateAttemptDeps = {
    config: resolveConfig({ features: { ...DEFAULT_CONFIG.features, liveness: options.liveness ?? true } }),
    repository,
    rateLimits,
    audit,
    liveness,
    clock,
    newId: () => `a-${++ids}`,
    presigner: {
      expiresInSeconds: 300,
      presign: async (input) => {
        presigned.push(input);
        return {
          url: 'https://kyc-intake.s3.amazonaws.com/',
          fields: { key: input.key, 'Content-Type': input.contentType },
        };
      },
    },
  };
  return { handler: createCreateAttemptHandler(deps), repository, audit, rateLimits, liveness, clock, presigned };
}

function attemptEvent(options: { userId?: string; body?: unknown; idempotencyKey?: string; id?: string } = {}) {
  return httpEvent({
    method: 'POST',
    path: `/v1/verifications/${options.id ?? 'v-1'}/attempts`,
    pathParameters: { id: options.id ?? 'v-1' },
    userId: options.userId ?? 'user-1',
    body: options.body,
    headers: options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : {},
  });
}

/** The options of `attemptEvent()`, to add headers to. */
const attemptRequest = {
  method: 'POST',
  path: '/v1/verifications/v-1/attempts',
  pathParameters: { id: 'v-1' },
  userId: 'user-1',
};

beforeAll(() => logger.setLogLevel('SILENT'));

describe('POST /v1/verifications/{id}/attempts', () => {
  it.each([
    { documentType: 'passport' as const, level: 'basic' as const, slots: ['document_front', 'selfie'] },
    { documentType: 'id_card' as const, level: 'basic' as const, slots: ['document_front', 'document_back', 'selfie'] },
    {
      documentType: 'driving_licence' as const,
      level: 'advanced' as const,
      slots: ['document_front', 'document_back', 'selfie', 'proof_of_address'],
    },
  ])('creates an attempt with presigned uploads for $level $documentType', async ({ documentType, level, slots }) => {
    // Prepare
    const { handler, repository, audit, clock } = setup({ verification: { documentType, level } });

    // Act
    const result = await handler(attemptEvent(), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(201);
    const body = parse(result);
    expect(body).toMatchObject({
      attemptId: 'a-1',
      livenessSessionId: 'session-1',
      expiresAt: new Date(clock.now().getTime() + 300_000).toISOString(),
    });
    expect(Object.keys(body.uploads as object)).toEqual(slots);
    expect((body.uploads as Record<string, { fields: { key: string } }>).selfie?.fields.key).toBe(
      'intake/v-1/a-1/selfie',
    );
    expect(repository.attempts.get('v-1/a-1')).toMatchObject({ requiredSlots: slots, status: 'awaiting_upload' });
    expect(audit.actions()).toEqual(['attempt.created']);
  });

  it('uses the declared content type per slot and JPEG otherwise', async () => {
    // Prepare
    const { handler, presigned } = setup();

    // Act
    const result = await handler(attemptEvent({ body: { contentTypes: { selfie: 'image/png' } } }), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(201);
    expect(presigned).toEqual([
      { key: 'intake/v-1/a-1/document_front', contentType: 'image/jpeg' },
      { key: 'intake/v-1/a-1/selfie', contentType: 'image/png' },
    ]);
  });

  it.each([
    { name: 'PDF for a selfie', body: { contentTypes: { selfie: 'application/pdf' } } },
    { name: 'slot the attempt does not have', body: { contentTypes: { document_back: 'image/jpeg' } } },
    { name: 'unknown slot', body: { contentTypes: { passport_photo: 'image/jpeg' } } },
    { name: 'unknown field', body: { hack: true } },
  ])('refuses $name with 400', async ({ body }) => {
    // Prepare
    const { handler, repository } = setup();

    // Act
    const result = await handler(attemptEvent({ body }), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(parse(result).code).toBe('VALIDATION_ERROR');
    expect(repository.attempts.size).toBe(0);
  });

  it.each([
    { name: "another user's verification", userId: 'user-2', id: 'v-1' },
    { name: 'an unknown verification', userId: 'user-1', id: 'v-404' },
  ])('answers 404 for $name', async ({ userId, id }) => {
    // Prepare
    const { handler } = setup();

    // Act
    const result = await handler(attemptEvent({ userId, id }), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(404);
    expect(parse(result)).toEqual({ code: 'NOT_FOUND', message: 'Verification not found' });
  });

  it.each(['approved', 'processing', 'manual_review'] as const)(
    'answers 409 while the verification is %s',
    async (status) => {
      // Prepare
      const { handler, rateLimits } = setup({ verification: { status } });

      // Act
      const result = await handler(attemptEvent(), lambdaContext);

      // Assess
      expect(result.statusCode).toBe(409);
      expect(parse(result)).toMatchObject({ code: 'VERIFICATION_NOT_OPEN', message: expect.stringContaining(status) });
      expect(rateLimits.states.size).toBe(0);
    },
  );

  it('reopens a rejected verification', async () => {
    // Prepare
    const { handler, repository } = setup({ verification: { status: 'rejected', reasons: ['PHOTO_TOO_BLURRY'] } });

    // Act
    await handler(attemptEvent(), lambdaContext);

    // Assess
    expect(repository.verifications.get('v-1')).toMatchObject({ status: 'awaiting_upload', reasons: [], version: 2 });
  });

  it('closes the earlier attempts still awaiting uploads: only the newest is live', async () => {
    // Prepare
    const { handler, repository, audit, clock } = setup();
    await handler(attemptEvent(), lambdaContext);
    clock.advance(1000);

    // Act
    const second = parse(await handler(attemptEvent(), lambdaContext));

    // Assess
    expect(second.attemptId).toBe('a-2');
    expect((await repository.getAttempt('v-1', 'a-1'))?.status).toBe('superseded');
    expect((await repository.getAttempt('v-1', 'a-2'))?.status).toBe('awaiting_upload');
    expect(audit.events.at(-1)).toMatchObject({
      action: 'attempt.created',
      details: { attemptId: 'a-2', supersededAttemptIds: ['a-1'] },
    });
  });

  it('answers 429 RATE_LIMITED with Retry-After after 5 attempts in an hour', async () => {
    // Prepare
    const { handler, clock, audit } = setup();
    for (let i = 0; i < 5; i += 1) {
      expect((await handler(attemptEvent(), lambdaContext)).statusCode).toBe(201);
      clock.advance(60);
    }

    // Act
    const result = await handler(attemptEvent(), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(429);
    expect(parse(result)).toEqual({
      code: 'RATE_LIMITED',
      message: 'Too many attempts',
      tip: expect.any(String),
      retryAfterSeconds: 3300,
    });
    expect(result.headers['Retry-After']).toBe('3300');
    expect(audit.actions()).toEqual(Array(5).fill('attempt.created'));
  });

  it('answers 429 COOLDOWN_ACTIVE after three failures', async () => {
    // Prepare
    const { handler, rateLimits, clock } = setup();
    for (const id of ['f1', 'f2', 'f3']) await rateLimits.recordOutcome('user-1', id, 'failed', clock.now());
    clock.advance(3600);

    // Act
    const result = await handler(attemptEvent(), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(429);
    expect(parse(result)).toMatchObject({ code: 'COOLDOWN_ACTIVE', retryAfterSeconds: 86_400 - 3600 });
  });

  it.each([
    { code: 'COOLDOWN_ACTIVE', acceptLanguage: 'zh-CN', message: '认证已暂停', tip: /^多次认证未通过后/ },
    { code: 'COOLDOWN_ACTIVE', acceptLanguage: 'en-GB', message: 'Verification temporarily paused', tip: /^After/ },
    { code: 'RATE_LIMITED', acceptLanguage: 'zh-Hans-CN, en;q=0.5', message: '尝试次数过多', tip: /^请稍等/ },
  ])(
    'answers 429 $code with the reason catalog message and tip for Accept-Language $acceptLanguage',
    async ({ code, acceptLanguage, message, tip }) => {
      // Prepare
      const { handler, rateLimits, clock } = setup();
      const event = () => httpEvent({ ...attemptRequest, headers: { 'Accept-Language': acceptLanguage } });
      if (code === 'COOLDOWN_ACTIVE') {
        for (const id of ['f1', 'f2', 'f3']) await rateLimits.recordOutcome('user-1', id, 'failed', clock.now());
      } else {
        for (let i = 0; i < 5; i += 1) expect((await handler(event(), lambdaContext)).statusCode).toBe(201);
      }

      // Act
      const result = await handler(event(), lambdaContext);

      // Assess
      expect(result.statusCode).toBe(429);
      const body = parse(result);
      expect(body).toEqual({ code, message, tip: expect.stringMatching(tip), retryAfterSeconds: expect.any(Number) });
      expect(result.headers['Retry-After']).toBe(String(body.retryAfterSeconds));
    },
  );

  it('returns the same attempt for a repeated Idempotency-Key and counts it once', async () => {
    // Prepare
    const { handler, rateLimits, liveness, repository } = setup();

    // Act
    const first = parse(await handler(attemptEvent({ idempotencyKey: 'retry-me' }), lambdaContext));
    const second = parse(await handler(attemptEvent({ idempotencyKey: 'retry-me' }), lambdaContext));
    const other = parse(await handler(attemptEvent({ idempotencyKey: 'another' }), lambdaContext));

    // Assess
    expect(second.attemptId).toBe(first.attemptId);
    expect(second.livenessSessionId).toBe(first.livenessSessionId);
    expect(other.attemptId).not.toBe(first.attemptId);
    expect(rateLimits.states.get('user-1')?.attempts).toHaveLength(2);
    expect(liveness.sessions).toHaveLength(2);
    expect(repository.attempts.size).toBe(2);
  });

  it.each([
    { name: 'a malformed id', id: '../etc' },
    { name: 'a 2,100-character id', id: 'v'.repeat(2100) },
  ])('answers 400 INVALID_PATH_PARAMETER for $name before reading anything', async ({ id }) => {
    // Prepare
    const { handler, repository } = setup();
    const getVerification = vi.spyOn(repository, 'getVerification');

    // Act
    const result = await handler(attemptEvent({ id }), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(parse(result)).toMatchObject({ code: 'INVALID_PATH_PARAMETER', message: expect.any(String) });
    expect(getVerification).not.toHaveBeenCalled();
  });

  it('answers 422 IDEMPOTENCY_KEY_REUSED when a key is replayed with a different body, creating nothing', async () => {
    // Prepare
    const { handler, rateLimits, repository } = setup();
    const first = await handler(
      attemptEvent({ idempotencyKey: 'k-1', body: { contentTypes: { selfie: 'image/jpeg' } } }),
      lambdaContext,
    );

    // Act
    const replay = await handler(
      attemptEvent({ idempotencyKey: 'k-1', body: { contentTypes: { selfie: 'image/png' } } }),
      lambdaContext,
    );
    const same = await handler(
      attemptEvent({ idempotencyKey: 'k-1', body: { contentTypes: { selfie: 'image/jpeg' } } }),
      lambdaContext,
    );

    // Assess
    expect(first.statusCode).toBe(201);
    expect(replay.statusCode).toBe(422);
    expect(parse(replay)).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', message: expect.any(String) });
    expect(same.statusCode).toBe(201);
    expect(parse(same).attemptId).toBe(parse(first).attemptId);
    expect(repository.attempts.size).toBe(1);
    expect(rateLimits.states.get('user-1')?.attempts).toHaveLength(1);
  });

  it('omits the liveness session when the feature is off', async () => {
    // Prepare
    const { handler, liveness } = setup({ liveness: false });

    // Act
    const result = await handler(attemptEvent(), lambdaContext);

    // Assess
    expect(parse(result).livenessSessionId).toBeUndefined();
    expect(liveness.sessions).toHaveLength(0);
  });
});
