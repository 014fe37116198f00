import { beforeAll, describe, expect, it } from 'vitest';
import { createCreateVerificationHandler } from '../../../lambdas/handlers/http/create-verification.ts';
import type { PersonalData, SealedData } from '../../../lambdas/domain/records.ts';
import { logger } from '../../../lambdas/handlers/shared/logger.ts';
import { FakeAudit, FakeClock, FakeRepository } from './fakes.ts';
import { httpEvent, lambdaContext, parse } from './http-events.ts';

const validBody = {
  level: 'basic',
  nationality: 'GBR',
  documentType: 'passport',
  personalData: { fullName: 'Ada Lovelace', dateOfBirth: '1990-12-10', address: '1 Example Street, London' },
};

function setup() {
  const repository = new FakeRepository();
  const audit = new FakeAudit();
  const sealed: Array<{ data: PersonalData; verificationId: string }> = [];
  const crypto = {
    seal: async (data: PersonalData, context: { verificationId: string }): Promise<SealedData> => {
      sealed.push({ data, verificationId: context.verificationId });
      return { keyId: 'data-key', encryptedDataKey: 'ZWRr', iv: 'aXY=', ciphertext: 'Y3Q=', authTag: 'dGFn' };
    },
  };
  const handler = createCreateVerificationHandler({
    repository,
    crypto,
    audit,
    clock: new FakeClock(),
    newId: () => 'v-new',
  });
  return { handler, repository, audit, sealed };
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
      name: 'future date',
      body: { ...validBody, personalData: { ...validBody.personalData, dateOfBirth: '2030-01-01' } },
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
