import { beforeAll, describe, expect, it } from 'vitest';
import { createCreateVerificationHandler } from '../../../lambdas/handlers/http/create-verification.ts';
import type { PersonalData, SealedData } from '../../../lambdas/domain/records.ts';
import { logger } from '../../../lambdas/handlers/shared/logger.ts';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import { FakeAudit, FakeClock, FakeRateLimits, FakeRepository } from './fakes.ts';
import { httpEvent, lambdaContext, parse } from './http-events.ts';

const validBody = {
  level: 'basic',
  nationality: 'GBR',
  documentType: 'passport',
  personalData: { fullName: 'Ada Lovelace', dateOfBirth: '1990-12-10', address: '1 Example Street, London' },
};

function setup(options: { minimumAge?: number; clock?: FakeClock } = {}) {
  const repository = new FakeRepository();
  const rateLimits = new FakeRateLimits();
  const clock = options.clock ?? new FakeClock();
  let ids = 0;
  const audit = new FakeAudit();
  const sealed: Array<{ data: PersonalData; verificationId: string }> = [];
  const crypto = {
    seal: async (data: PersonalData, context: { verificationId: string }): Promise<SealedData> => {
      sealed.push({ data, verificationId: context.verificationId });
      return { keyId: 'data-key', encryptedDataKey: 'ZWRr', iv: 'aXY=', ciphertext: 'Y3Q=', authTag: 'dGFn' };
    },
  };
  const handler = createCreateVerificationHandler({
    config: { applicants: { minimumAge: options.minimumAge ?? 18 } },
    repository,
    rateLimits,
    crypto,
    audit,
    clock,
    newId: () => (ids++ === 0 ? 'v-new' : `v-new-${ids}`),
  });
  return { handler, repository, audit, sealed, clock };
}

beforeAll(() => logger.setLogLevel('SILENT'));

describe('POST /v1/verifications', () => {
  it('seals the personal data, stores the verification and audits it', async () => {
    // Prepare
    const { handler, repository, audit, sealed } = setup();

    // Act
    const result = await handler(httpEvent({ method: 'POST', body: validBody }), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(201);
    expect(parse(result)).toEqual({ verificationId: 'v-new', status: 'awaiting_upload' });
    expect(sealed).toEqual([{ data: validBody.personalData, verificationId: 'v-new' }]);
    const stored = repository.verifications.get('v-new');
    expect(stored).toMatchObject({ userId: 'user-1', level: 'basic', status: 'awaiting_upload', version: 1 });
    expect(JSON.stringify(stored)).not.toContain('Lovelace');
    expect(audit.events).toEqual([
      expect.objectContaining({ subject: 'verification:v-new', action: 'verification.created', actor: 'user-1' }),
    ]);
    expect(JSON.stringify(audit.events)).not.toMatch(/Lovelace|1990/);
  });

  it.each([
    { name: 'unknown top-level field', body: { ...validBody, extra: 1 } },
    { name: 'unknown personal field', body: { ...validBody, personalData: { ...validBody.personalData, ssn: 'x' } } },
    { name: 'bad level', body: { ...validBody, level: 'gold' } },
    { name: 'alpha-2 nationality', body: { ...validBody, nationality: 'GB' } },
    { name: 'unassigned nationality', body: { ...validBody, nationality: 'XYZ' } },
    { name: 'bad document type', body: { ...validBody, documentType: 'library_card' } },
    {
      name: 'impossible date',
      body: { ...validBody, personalData: { ...validBody.personalData, dateOfBirth: '1990-02-30' } },
    },
    {
      name: 'wrong date format',
      body: { ...validBody, personalData: { ...validBody.personalData, dateOfBirth: '10/12/1990' } },
    },
    { name: 'blank name', body: { ...validBody, personalData: { ...validBody.personalData, fullName: '   ' } } },
    { name: 'missing address', body: { ...validBody, personalData: { fullName: 'A', dateOfBirth: '1990-01-01' } } },
    { name: 'no body', body: undefined },
  ])('refuses $name with 400 VALIDATION_ERROR', async ({ body }) => {
    // Prepare
    const { handler, repository } = setup();

    // Act
    const result = await handler(httpEvent({ method: 'POST', body }), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(parse(result)).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.any(String) });
    expect(result.body).not.toContain('Lovelace');
    expect(repository.verifications.size).toBe(0);
  });

  it('refuses staff without the user role', async () => {
    // Prepare
    const { handler } = setup();

    // Act
    const result = await handler(httpEvent({ method: 'POST', body: validBody, groups: '[support]' }), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(403);
  });
});

describe('POST /v1/verifications: strict personal data', () => {
  const withName = (fullName: string) => ({ ...validBody, personalData: { ...validBody.personalData, fullName } });
  const withBirth = (dateOfBirth: string) => ({
    ...validBody,
    personalData: { ...validBody.personalData, dateOfBirth },
  });

  it.each([
    { name: 'right-to-left override (U+202E)', fullName: 'Ada \u202Eecalevol', code: 'BIDI_CONTROL_CHARACTER' },
    { name: 'left-to-right embedding (U+202A)', fullName: 'Ada \u202ALovelace', code: 'BIDI_CONTROL_CHARACTER' },
    { name: 'first strong isolate (U+2068)', fullName: 'Ada \u2068Lovelace\u2069', code: 'BIDI_CONTROL_CHARACTER' },
    { name: 'zero-width space', fullName: 'Ada Love\u200Blace', code: 'ZERO_WIDTH_CHARACTER' },
    { name: 'zero-width joiner', fullName: 'Ada Love\u200Dlace', code: 'ZERO_WIDTH_CHARACTER' },
    { name: 'byte order mark', fullName: '\uFEFFAda Lovelace', code: 'ZERO_WIDTH_CHARACTER' },
    { name: 'a lone high surrogate', fullName: 'Ada \uD800Lovelace', code: 'INVALID_UNICODE' },
    { name: 'a lone low surrogate', fullName: 'Ada Lovelace\uDC00', code: 'INVALID_UNICODE' },
  ])('refuses a name with $name: 400 $code, nothing stored', async ({ fullName, code }) => {
    // Prepare
    const { handler, repository, sealed } = setup();

    // Act
    const result = await handler(httpEvent({ method: 'POST', body: withName(fullName) }), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(parse(result)).toMatchObject({ code, message: expect.any(String) });
    expect(repository.verifications.size).toBe(0);
    expect(sealed).toEqual([]);
  });

  it('refuses a lone surrogate sent as a JSON escape', async () => {
    // Prepare
    const { handler } = setup();
    const rawBody = JSON.stringify(validBody).replace('Ada Lovelace', 'Ada \\ud83dLovelace');

    // Act
    const result = await handler(httpEvent({ method: 'POST', rawBody }), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(parse(result).code).toBe('INVALID_UNICODE');
  });

  it('stores names in NFC (a decomposed é is sealed as one code point) and accepts a valid surrogate pair', async () => {
    // Prepare
    const { handler, sealed } = setup();
    const decomposed = 'Zoe\u0301 \u{1F600}Brontë';

    // Act
    const result = await handler(httpEvent({ method: 'POST', body: withName(decomposed) }), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(201);
    expect(sealed[0]?.data.fullName).toBe('Zo\u00E9 \u{1F600}Bront\u00EB');
    expect(sealed[0]?.data.fullName).toBe(decomposed.normalize('NFC'));
  });

  it.each([
    { name: 'tomorrow', dateOfBirth: '2026-01-02' },
    { name: 'today', dateOfBirth: '2026-01-01' },
    { name: 'next century', dateOfBirth: '2126-01-01' },
  ])('refuses a date of birth $name with 400 DATE_IN_FUTURE', async ({ dateOfBirth }) => {
    // Prepare
    const { handler, repository } = setup({ clock: new FakeClock(new Date('2026-01-01T12:00:00Z')) });

    // Act
    const result = await handler(httpEvent({ method: 'POST', body: withBirth(dateOfBirth) }), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(parse(result)).toMatchObject({ code: 'DATE_IN_FUTURE' });
    expect(repository.verifications.size).toBe(0);
  });

  it.each([
    { language: 'en', dateOfBirth: '2008-01-02', message: 'Below the minimum age' },
    { language: 'zh-CN', dateOfBirth: '2008-01-02', message: '未达到最低年龄' },
  ])('refuses someone a day short of 18 with 422 UNDERAGE in $language', async ({ language, dateOfBirth, message }) => {
    // Prepare
    const { handler, repository, sealed } = setup({ clock: new FakeClock(new Date('2026-01-01T12:00:00Z')) });

    // Act
    const result = await handler(
      httpEvent({ method: 'POST', body: withBirth(dateOfBirth), headers: { 'accept-language': language } }),
      lambdaContext,
    );

    // Assess
    expect(result.statusCode).toBe(422);
    expect(parse(result)).toMatchObject({ code: 'UNDERAGE', message, tip: expect.any(String), minimumAge: 18 });
    expect(repository.verifications.size).toBe(0);
    expect(sealed).toEqual([]);
  });

  it.each([
    { minimumAge: 18, dateOfBirth: '2008-01-01', status: 201 },
    { minimumAge: 21, dateOfBirth: '2008-01-01', status: 422 },
    { minimumAge: 16, dateOfBirth: '2010-01-01', status: 201 },
  ])(
    'minimum age $minimumAge (configurable), born $dateOfBirth -> $status',
    async ({ minimumAge, dateOfBirth, status }) => {
      // Prepare
      const { handler } = setup({ minimumAge, clock: new FakeClock(new Date('2026-01-01T12:00:00Z')) });

      // Act
      const result = await handler(httpEvent({ method: 'POST', body: withBirth(dateOfBirth) }), lambdaContext);

      // Assess
      expect(result.statusCode).toBe(status);
    },
  );
});

describe('POST /v1/verifications: per-user limits', () => {
  it('allows one verification per level: a second basic one is 409 VERIFICATION_EXISTS naming the first', async () => {
    // Prepare
    const { handler, repository } = setup();
    await handler(httpEvent({ method: 'POST', body: validBody }), lambdaContext);

    // Act
    const second = await handler(httpEvent({ method: 'POST', body: validBody }), lambdaContext);
    const advanced = await handler(
      httpEvent({ method: 'POST', body: { ...validBody, level: 'advanced' } }),
      lambdaContext,
    );
    const otherUser = await handler(httpEvent({ method: 'POST', body: validBody, userId: 'user-2' }), lambdaContext);

    // Assess
    expect(second.statusCode).toBe(409);
    expect(parse(second)).toMatchObject({ code: 'VERIFICATION_EXISTS', verificationId: 'v-new' });
    expect(advanced.statusCode).toBe(201);
    expect(otherUser.statusCode).toBe(201);
    expect(repository.verifications.size).toBe(3);
  });

  it(`limits creations to ${DEFAULT_CONFIG.rateLimits.verificationsPerWindow} per window with 429 RATE_LIMITED and retryAfterSeconds`, async () => {
    // Prepare: each verification is gone (erased or reset) before the next one, which frees its level
    const { handler, clock, repository } = setup();
    const statuses: number[] = [];
    for (let i = 0; i < DEFAULT_CONFIG.rateLimits.verificationsPerWindow; i += 1) {
      statuses.push((await handler(httpEvent({ method: 'POST', body: validBody }), lambdaContext)).statusCode);
      repository.verifications.clear();
      clock.advance(60);
    }

    // Act
    const refused = await handler(httpEvent({ method: 'POST', body: validBody }), lambdaContext);

    // Assess
    expect(statuses).toEqual(Array(DEFAULT_CONFIG.rateLimits.verificationsPerWindow).fill(201));
    expect(refused.statusCode).toBe(429);
    const body = parse(refused);
    expect(body).toEqual({
      code: 'RATE_LIMITED',
      message: 'Too many attempts',
      tip: expect.any(String),
      retryAfterSeconds:
        DEFAULT_CONFIG.rateLimits.windowSeconds - DEFAULT_CONFIG.rateLimits.verificationsPerWindow * 60,
    });
    expect(refused.headers['Retry-After']).toBe(String(body.retryAfterSeconds));
  });

  it('answers 429 RATE_LIMITED with the reason catalog message and tip in the language of Accept-Language', async () => {
    // Prepare
    const { handler, repository } = setup();
    const request = () =>
      httpEvent({ method: 'POST', body: validBody, headers: { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' } });
    for (let i = 0; i < DEFAULT_CONFIG.rateLimits.verificationsPerWindow; i += 1) {
      await handler(request(), lambdaContext);
      repository.verifications.clear();
    }

    // Act
    const refused = await handler(request(), lambdaContext);

    // Assess
    expect(refused.statusCode).toBe(429);
    expect(parse(refused)).toEqual({
      code: 'RATE_LIMITED',
      message: '尝试次数过多',
      tip: '请稍等一段时间后再试，并先查看上次提交未通过的原因。',
      retryAfterSeconds: DEFAULT_CONFIG.rateLimits.windowSeconds,
    });
    expect(refused.headers['Retry-After']).toBe(String(DEFAULT_CONFIG.rateLimits.windowSeconds));
  });

  it('does not count a refused creation (409 VERIFICATION_EXISTS) toward the creation limit, nor seal its data', async () => {
    // Prepare: one basic and one advanced verification, then three refused repeats
    const { handler, clock, repository, sealed } = setup();
    const create = async (level: string) =>
      (await handler(httpEvent({ method: 'POST', body: { ...validBody, level } }), lambdaContext)).statusCode;
    const statuses = [await create('basic'), await create('advanced')];
    for (let i = 0; i < 3; i += 1) {
      clock.advance(60);
      statuses.push(await create('basic'));
    }
    repository.verifications.delete('v-new'); // the basic verification is erased: its level is free again

    // Act
    const afterRefusals = await create('basic');

    // Assess
    expect(statuses).toEqual([201, 201, 409, 409, 409]);
    expect(afterRefusals).toBe(201);
    expect(sealed).toHaveLength(3);
  });
});
