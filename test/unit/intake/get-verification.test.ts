import { beforeAll, describe, expect, it } from 'vitest';
import { createGetVerificationHandler } from '../../../lambdas/handlers/http/get-verification.ts';
import { logger } from '../../../lambdas/handlers/shared/logger.ts';
import { FakeRepository, sampleVerification } from './fakes.ts';
import { httpEvent, lambdaContext, parse } from './http-events.ts';

function setup() {
  const repository = new FakeRepository();
  repository.verifications.set('v-1', sampleVerification({ status: 'rejected', reasons: ['PHOTO_TOO_BLURRY'] }));
  repository.attempts.set('v-1/a-1', {
    verificationId: 'v-1',
    attemptId: 'a-1',
    requiredSlots: ['document_front', 'selfie'],
    status: 'rejected',
    reasons: ['PHOTO_TOO_BLURRY'],
    createdAt: '2026-03-01T09:10:00.000Z',
    uploadExpiresAt: '2026-03-01T09:15:00.000Z',
    updatedAt: '2026-03-01T09:11:00.000Z',
  });
  repository.documents.set('v-1/a-1/document_front', {
    verificationId: 'v-1',
    attemptId: 'a-1',
    slot: 'document_front',
    result: 'rejected',
    reasons: ['PHOTO_TOO_BLURRY'],
    sha256: 'ab'.repeat(32),
    sizeBytes: 200_000,
    contentType: 'image/jpeg',
    metrics: { blur: 12 },
    processors: ['quality-gate'],
    recordedAt: '2026-03-01T09:11:00.000Z',
  });
  return { handler: createGetVerificationHandler({ repository }), repository };
}

const get = (options: { userId?: string; groups?: string; language?: string } = {}) =>
  httpEvent({
    path: '/v1/verifications/v-1',
    pathParameters: { id: 'v-1' },
    userId: options.userId ?? 'user-1',
    ...(options.groups ? { groups: options.groups } : {}),
    headers: options.language ? { 'accept-language': options.language } : {},
  });

beforeAll(() => logger.setLogLevel('SILENT'));

describe('GET /v1/verifications/{id}', () => {
  it('shows the owner status, reasons with tips and per-slot results', async () => {
    // Prepare
    const { handler } = setup();

    // Act
    const result = await handler(get(), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(200);
    const body = parse(result);
    expect(body).toMatchObject({ verificationId: 'v-1', status: 'rejected', level: 'basic' });
    expect(body.reasons).toEqual([{ code: 'PHOTO_TOO_BLURRY', message: expect.any(String), tip: expect.any(String) }]);
    expect(body.attempts).toEqual([
      expect.objectContaining({
        attemptId: 'a-1',
        status: 'rejected',
        slots: [
          {
            slot: 'document_front',
            result: 'rejected',
            reasons: [expect.objectContaining({ code: 'PHOTO_TOO_BLURRY' })],
          },
          { slot: 'selfie', result: 'pending', reasons: [] },
        ],
      }),
    ]);
  });

  it('answers in the negotiated language', async () => {
    // Prepare
    const { handler } = setup();

    // Act
    const english = parse(await handler(get({ language: 'en-GB' }), lambdaContext));
    const chinese = parse(await handler(get({ language: 'zh-CN,zh;q=0.9' }), lambdaContext));

    // Assess
    const message = (body: Record<string, unknown>) => (body.reasons as Array<{ message: string }>)[0]?.message;
    expect(message(chinese)).not.toBe(message(english));
    expect(message(chinese)).toMatch(/\p{Script=Han}/u);
  });

  it.each(['[support]', '[compliance_reviewer]', '[admin]'])(
    'lets %s read without any personal data',
    async (groups) => {
      // Prepare
      const { handler } = setup();

      // Act
      const result = await handler(get({ userId: 'staff-1', groups }), lambdaContext);

      // Assess
      expect(result.statusCode).toBe(200);
      expect(result.body).not.toMatch(/personalData|ciphertext|nationality|sha256|vaultKey|intake\//);
    },
  );

  it('never shows an attempt refused while the verification still reads pending, when the refusal lands between its reads', async () => {
    // Prepare: an attempt awaiting uploads; its refusal (attempt and verification together,
    // as on-upload writes it) lands right after the handler's first read, whichever that is
    const { handler, repository } = setup();
    repository.verifications.set('v-1', sampleVerification({ status: 'awaiting_upload', reasons: [] }));
    repository.attempts.set('v-1/a-1', {
      ...(repository.attempts.get('v-1/a-1') as NonNullable<ReturnType<typeof repository.attempts.get>>),
      status: 'awaiting_upload',
      reasons: [],
    });
    let reads = 0;
    for (const name of ['getVerification', 'listAttempts'] as const) {
      const read = (repository[name] as (id: string) => Promise<unknown>).bind(repository);
      Object.assign(repository, {
        [name]: async (id: string) => {
          const value = await read(id);
          reads += 1;
          if (reads === 1) {
            await repository.transitionAttemptAndVerification(
              'v-1',
              'a-1',
              ['awaiting_upload'],
              { status: 'rejected', reasons: ['PHOTO_TOO_BLURRY'] },
              { expectedVersion: 1, changes: { status: 'rejected', reasons: ['PHOTO_TOO_BLURRY'] } },
            );
          }
          return value;
        },
      });
    }

    // Act
    const body = parse(await handler(get(), lambdaContext));

    // Assess: one of the two views, old or new; never the attempt newer than its verification
    const attempt = (body.attempts as { status: string }[])[0];
    expect(reads).toBe(2);
    expect([attempt?.status, body.status]).not.toEqual(['rejected', 'awaiting_upload']);
  });

  it('hides other users verifications behind 404', async () => {
    // Prepare
    const { handler } = setup();

    // Act
    const result = await handler(get({ userId: 'user-2' }), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(404);
  });
});
