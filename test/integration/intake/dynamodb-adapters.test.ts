import { PutCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, resolveConfig } from '../../../lib/config.ts';
import {
  DynamoDbAuditLog,
  insertStatement,
  isDuplicateItem,
} from '../../../lambdas/adapters/aws/dynamodb-audit-log.ts';
import { IntakeVerificationRepository } from '../../../lambdas/adapters/aws/intake-verification-repository.ts';
import { DynamoDbRateLimitStore } from '../../../lambdas/adapters/aws/rate-limit-store.ts';
import { UploadPresigner } from '../../../lambdas/adapters/aws/upload-presigner.ts';
import {
  ConcurrentModificationError,
  VerificationRepository,
} from '../../../lambdas/adapters/aws/verification-repository.ts';
import { verifyChain } from '../../../lambdas/domain/audit-chain.ts';
import { createCreateAttemptHandler } from '../../../lambdas/handlers/http/create-attempt.ts';
import { logger } from '../../../lambdas/handlers/shared/logger.ts';
import { sampleVerification } from '../../unit/intake/fakes.ts';
import { httpEvent, lambdaContext, parse } from '../../unit/intake/http-events.ts';
import { startDynamoFixture, type DynamoFixture } from './dynamodb-fixture.ts';

let fixture: DynamoFixture;

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  fixture = await startDynamoFixture();
});
afterAll(async () => {
  await fixture?.server.stop();
});

function attemptsHandler(now: () => Date) {
  const config = resolveConfig({ features: { ...DEFAULT_CONFIG.features, liveness: false } });
  const clock = { now };
  return createCreateAttemptHandler({
    config,
    clock,
    repository: new VerificationRepository({
      tableName: fixture.tables.verifications,
      client: fixture.documents,
      clock,
    }),
    rateLimits: new DynamoDbRateLimitStore({
      tableName: fixture.tables.rateLimits,
      limits: config.rateLimits,
      client: fixture.documents,
      clock,
    }),
    audit: new DynamoDbAuditLog({ tableName: fixture.tables.auditEvents, client: fixture.documents, clock }),
    presigner: new UploadPresigner({
      bucket: 'kyc-intake',
      documentsKeyId: 'doc-key',
      uploads: config.uploads,
      context: { region: 'eu-west-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } },
    }),
  });
}

async function seedVerification(verificationId: string, userId: string): Promise<void> {
  const repository = new VerificationRepository({ tableName: fixture.tables.verifications, client: fixture.documents });
  await repository.createVerification(sampleVerification({ verificationId, userId }));
}

const post = (verificationId: string, userId: string, idempotencyKey?: string) =>
  httpEvent({
    method: 'POST',
    pathParameters: { id: verificationId },
    userId,
    headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {},
  });

describe('rate limit and cooldown against DynamoDB Local', () => {
  it('lets exactly 5 of 50 concurrent attempt creations through', async () => {
    // Prepare
    await seedVerification('v-conc', 'user-conc');
    const handler = attemptsHandler(() => new Date());

    // Act
    const results = await Promise.all(
      Array.from({ length: 50 }, () => handler(post('v-conc', 'user-conc'), lambdaContext)),
    );

    // Assess
    const statuses = results.map((result) => result.statusCode);
    expect(statuses.filter((status) => status === 201)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(45);
    for (const result of results.filter((r) => r.statusCode === 429)) {
      expect(parse(result)).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
      expect(Number(result.headers['Retry-After'])).toBeGreaterThan(3500);
    }
    const audit = new DynamoDbAuditLog({ tableName: fixture.tables.auditEvents, client: fixture.documents });
    const events = await audit.list('verification:v-conc');
    expect(events.map((event) => event.action)).toEqual(Array(5).fill('attempt.created'));
    expect(verifyChain(events)).toEqual({ valid: true });
  });

  it('counts retries with the same Idempotency-Key once', async () => {
    // Prepare
    await seedVerification('v-idem', 'user-idem');
    const handler = attemptsHandler(() => new Date());

    // Act
    const retries = await Promise.all(
      Array.from({ length: 10 }, () => handler(post('v-idem', 'user-idem', 'key-1'), lambdaContext)),
    );
    const others = [];
    for (let i = 0; i < 5; i += 1) others.push(await handler(post('v-idem', 'user-idem', `other-${i}`), lambdaContext));

    // Assess
    expect(retries.every((result) => result.statusCode === 201)).toBe(true);
    expect(new Set(retries.map((result) => parse(result).attemptId)).size).toBe(1);
    expect(others.map((result) => result.statusCode)).toEqual([201, 201, 201, 201, 429]);
  });

  it('refuses with COOLDOWN_ACTIVE and the remaining seconds after 3 recorded failures', async () => {
    // Prepare
    await seedVerification('v-cool', 'user-cool');
    const failedAt = new Date('2026-03-01T10:00:00Z');
    const store = new DynamoDbRateLimitStore({
      tableName: fixture.tables.rateLimits,
      limits: DEFAULT_CONFIG.rateLimits,
      client: fixture.documents,
    });
    for (const attemptId of ['f-1', 'f-2', 'f-3', 'f-3']) {
      await store.recordOutcome('user-cool', attemptId, 'failed', failedAt);
    }
    const handler = attemptsHandler(() => new Date(failedAt.getTime() + 2 * 3600_000));

    // Act
    const result = await handler(post('v-cool', 'user-cool'), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(429);
    expect(parse(result)).toMatchObject({ code: 'COOLDOWN_ACTIVE', retryAfterSeconds: 22 * 3600 });
    expect(result.headers['Retry-After']).toBe(String(22 * 3600));
  });

  it('resets the failure count on a pass and records each outcome once', async () => {
    // Prepare
    const store = new DynamoDbRateLimitStore({
      tableName: fixture.tables.rateLimits,
      limits: DEFAULT_CONFIG.rateLimits,
      client: fixture.documents,
    });

    // Act
    const first = await store.recordOutcome('user-pass', 'p-1', 'failed');
    const repeated = await store.recordOutcome('user-pass', 'p-1', 'failed');
    const passed = await store.recordOutcome('user-pass', 'p-2', 'passed');

    // Assess
    expect(first.consecutiveFailures).toBe(1);
    expect(repeated.consecutiveFailures).toBe(1);
    expect(passed.consecutiveFailures).toBe(0);
  });

  it('ignores an expired item that TTL has not deleted yet', async () => {
    // Prepare
    const documents = DynamoDBDocumentClient.from(fixture.client);
    await documents.send(
      new PutCommand({
        TableName: fixture.tables.rateLimits,
        Item: {
          pk: 'USER#user-ttl',
          attempts: [],
          consecutiveFailures: 0,
          cooldownUntil: Date.now() + 86_400_000,
          riskFlags: [],
          recordedOutcomes: [],
          cooledDown: true,
          version: 4,
          expiresAt: Math.floor(Date.now() / 1000) - 10,
        },
      }),
    );
    const store = new DynamoDbRateLimitStore({
      tableName: fixture.tables.rateLimits,
      limits: DEFAULT_CONFIG.rateLimits,
      client: fixture.documents,
    });

    // Act
    const decision = await store.tryStartAttempt('user-ttl', {
      attemptId: 't-1',
      documentType: 'passport',
      now: new Date(),
    });

    // Assess
    expect(decision.allowed).toBe(true);
    const item = await documents.send(
      new GetCommand({ TableName: fixture.tables.rateLimits, Key: { pk: 'USER#user-ttl' } }),
    );
    expect(item.Item).toMatchObject({ version: 5, attempts: [expect.objectContaining({ attemptId: 't-1' })] });
    expect(item.Item?.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });
});

describe('VerificationRepository against DynamoDB Local', () => {
  const repository = () =>
    new IntakeVerificationRepository({ tableName: fixture.tables.verifications, client: fixture.documents });

  it('creates once, updates by version and keeps the GSI keys in step', async () => {
    // Prepare
    const repo = repository();
    await repo.createVerification(sampleVerification({ verificationId: 'v-repo', userId: 'u-repo' }));

    // Act
    const duplicate = await repo.createVerification(sampleVerification({ verificationId: 'v-repo' })).catch((e) => e);
    const updated = await repo.updateVerification('v-repo', 1, { status: 'rejected', reasons: ['PHOTO_TOO_BLURRY'] });
    const stale = await repo.updateVerification('v-repo', 1, { status: 'processing' }).catch((e) => e);

    // Assess
    expect(duplicate).toBeInstanceOf(ConcurrentModificationError);
    expect(stale).toBeInstanceOf(ConcurrentModificationError);
    expect(updated).toMatchObject({ status: 'rejected', reasons: ['PHOTO_TOO_BLURRY'], version: 2 });
    expect(updated).not.toHaveProperty('pk');
    const raw = await DynamoDBDocumentClient.from(fixture.client).send(
      new GetCommand({ TableName: fixture.tables.verifications, Key: { pk: 'V#v-repo', sk: 'META' } }),
    );
    expect(raw.Item).toMatchObject({
      gsi1pk: 'STATUS#rejected',
      gsi1sk: expect.stringMatching(/#v-repo$/),
      gsi3pk: 'USER#u-repo',
    });
  });

  it('records attempts, documents and rejected hashes once each', async () => {
    // Prepare
    const repo = repository();
    const attempt = {
      verificationId: 'v-docs',
      attemptId: 'a-1',
      requiredSlots: ['document_front', 'selfie'] as const,
      status: 'awaiting_upload' as const,
      reasons: [],
      createdAt: '2026-03-01T10:00:00.000Z',
      uploadExpiresAt: '2026-03-01T10:05:00.000Z',
      updatedAt: '2026-03-01T10:00:00.000Z',
    };
    const document = {
      verificationId: 'v-docs',
      attemptId: 'a-1',
      slot: 'selfie' as const,
      result: 'rejected' as const,
      reasons: ['NO_FACE_DETECTED' as const],
      sha256: 'f'.repeat(64),
      sizeBytes: 150_000,
      contentType: 'image/jpeg',
      metrics: { faces: 0 },
      processors: ['quality-gate'],
      intakeVersionId: 'ver-1',
      recordedAt: '2026-03-01T10:01:00.000Z',
    };

    // Act
    const created = [await repo.createAttempt(attempt), await repo.createAttempt(attempt)];
    const recorded = [await repo.createDocument(document), await repo.createDocument(document)];
    const moved = [
      await repo.transitionAttempt('v-docs', 'a-1', ['awaiting_upload'], {
        status: 'rejected',
        reasons: ['NO_FACE_DETECTED'],
      }),
      await repo.transitionAttempt('v-docs', 'a-1', ['awaiting_upload'], { status: 'processing' }),
    ];
    await repo.rememberRejectedImage('v-docs', document.sha256, {
      attemptId: 'a-1',
      slot: 'selfie',
      reasons: document.reasons,
    });

    // Assess
    expect(created).toEqual([true, false]);
    expect(recorded).toEqual([true, false]);
    expect(moved).toEqual([true, false]);
    expect(await repo.isImageRejected('v-docs', document.sha256)).toBe(true);
    expect(await repo.isImageRejected('v-other', document.sha256)).toBe(false);
    expect(await repo.listDocuments('v-docs', 'a-1')).toEqual([document]);
    const listed = await repo.listAttempts('v-docs');
    expect(listed).toHaveLength(1);
    expect(listed[0]?.attempt).toMatchObject({ attemptId: 'a-1', status: 'rejected', reasons: ['NO_FACE_DETECTED'] });
    expect(listed[0]?.documents).toEqual([document]);
  });

  it('reads a verification with its attempts and their documents in one Query, skipping the other items of its partition', async () => {
    // Prepare: a verification with two attempts, a document and a check, and the items that
    // share its partition (legal hold, review task, rejected image, note), plus a neighbour
    const repo = repository();
    const table = fixture.tables.verifications;
    const documents = DynamoDBDocumentClient.from(fixture.client);
    await repo.createVerification(sampleVerification({ verificationId: 'v-one', userId: 'u-one' }));
    await repo.createVerification(sampleVerification({ verificationId: 'v-onf', userId: 'u-onf' }));
    for (const [attemptId, createdAt] of [
      ['a-2', '2026-03-02T10:00:00.000Z'],
      ['a-1', '2026-03-01T10:00:00.000Z'],
    ] as const) {
      await repo.createAttempt({
        verificationId: 'v-one',
        attemptId,
        requiredSlots: ['document_front', 'selfie'],
        status: 'awaiting_upload',
        reasons: [],
        createdAt,
        uploadExpiresAt: createdAt,
        updatedAt: createdAt,
      });
    }
    await repo.createDocument({
      verificationId: 'v-one',
      attemptId: 'a-2',
      slot: 'selfie',
      result: 'accepted',
      reasons: [],
      sha256: 'e'.repeat(64),
      sizeBytes: 120_000,
      contentType: 'image/jpeg',
      metrics: { faces: 1 },
      processors: ['quality-gate'],
      intakeVersionId: 'ver-1',
      recordedAt: '2026-03-02T10:01:00.000Z',
    });
    for (const sk of ['A#a-2#C#face_match', 'HOLD', 'R#a-2', `REJ#${'d'.repeat(64)}`, 'NOTE#2026#n-1']) {
      await documents.send(new PutCommand({ TableName: table, Item: { pk: 'V#v-one', sk, entity: sk.slice(0, 4) } }));
    }
    const before = fixture.sent.length;

    // Act
    const read = await repo.getVerificationWithAttempts('v-one');
    const missing = await repo.getVerificationWithAttempts('v-none');
    const sent = fixture.sent.slice(before).map((command) => command.operation);

    // Assess: what the two single reads give, from one request each
    expect(sent).toEqual(['Query', 'Query']);
    expect(read.verification).toEqual(await repo.getVerification('v-one'));
    expect(read.verification?.verificationId).toBe('v-one');
    expect(read.attempts).toEqual(await repo.listAttempts('v-one'));
    expect(
      read.attempts.map(({ attempt, documents: docs }) => [attempt.attemptId, docs.map((doc) => doc.slot)]),
    ).toEqual([
      ['a-1', []],
      ['a-2', ['selfie']],
    ]);
    expect(missing).toEqual({ verification: undefined, attempts: [] });
  });

  it('moves an attempt and its verification in one transaction, or neither', async () => {
    // Prepare: an attempt awaiting uploads, and a counter the decision adds to
    const repo = repository();
    await repo.createVerification(sampleVerification({ verificationId: 'v-tx', userId: 'u-tx' }));
    await repo.createAttempt({
      verificationId: 'v-tx',
      attemptId: 'a-tx',
      requiredSlots: ['document_front', 'selfie'],
      status: 'awaiting_upload',
      reasons: [],
      createdAt: '2026-03-01T10:00:00.000Z',
      uploadExpiresAt: '2026-03-01T10:05:00.000Z',
      updatedAt: '2026-03-01T10:00:00.000Z',
    });
    const counter = { key: { pk: 'METRICS#tx', sk: 'COUNTS' }, entity: 'metrics', add: { rejected: 1 } };
    const reject = { status: 'rejected' as const, reasons: ['PHOTO_TOO_BLURRY' as const] };
    const changes = { status: 'rejected' as const, reasons: ['PHOTO_TOO_BLURRY' as const], consecutiveFailures: 1 };
    const raw = (pk: string, sk: string) =>
      DynamoDBDocumentClient.from(fixture.client)
        .send(new GetCommand({ TableName: fixture.tables.verifications, Key: { pk, sk } }))
        .then((output) => output.Item);

    // Act: a stale verification version, then the right one, then the same move again
    const stale = await repo
      .transitionAttemptAndVerification(
        'v-tx',
        'a-tx',
        ['awaiting_upload'],
        reject,
        {
          expectedVersion: 7,
          changes,
        },
        [counter],
      )
      .catch((error: unknown) => error);
    const afterStale = {
      attempt: await repo.getAttempt('v-tx', 'a-tx'),
      verification: await repo.getVerification('v-tx'),
      counter: await raw('METRICS#tx', 'COUNTS'),
    };
    const moved = await repo.transitionAttemptAndVerification(
      'v-tx',
      'a-tx',
      ['awaiting_upload'],
      reject,
      { expectedVersion: 1, changes },
      [counter],
    );
    const again = await repo.transitionAttemptAndVerification(
      'v-tx',
      'a-tx',
      ['awaiting_upload'],
      reject,
      { expectedVersion: 2, changes: { status: 'processing' } },
      [counter],
    );

    // Assess: the stale version wrote nothing at all; the move wrote all three; the repeat
    // (attempt no longer awaiting uploads) wrote nothing either, verification included
    expect(stale).toBeInstanceOf(ConcurrentModificationError);
    expect(afterStale.attempt?.status).toBe('awaiting_upload');
    expect(afterStale.verification).toMatchObject({ status: 'awaiting_upload', version: 1 });
    expect(afterStale.counter).toBeUndefined();
    expect(moved).toBe(true);
    expect(again).toBe(false);
    expect(await repo.getAttempt('v-tx', 'a-tx')).toMatchObject({ status: 'rejected', reasons: ['PHOTO_TOO_BLURRY'] });
    expect(await repo.getVerification('v-tx')).toMatchObject({
      status: 'rejected',
      reasons: ['PHOTO_TOO_BLURRY'],
      consecutiveFailures: 1,
      version: 2,
    });
    expect(await raw('V#v-tx', 'META')).toMatchObject({ gsi1pk: 'STATUS#rejected' });
    expect(await raw('METRICS#tx', 'COUNTS')).toMatchObject({ rejected: 1 });
  });
});

describe('DynamoDbAuditLog against DynamoDB Local', () => {
  it('keeps one unbroken chain under 20 concurrent appends', async () => {
    // Prepare
    const audit = new DynamoDbAuditLog({ tableName: fixture.tables.auditEvents, client: fixture.documents });

    // Act
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        audit.append({ subject: 'verification:v-chain', action: 'test.appended', actor: `writer-${index}` }),
      ),
    );

    // Assess
    const events = await audit.list('verification:v-chain');
    expect(events.map((event) => event.sequence)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    expect(new Set(events.map((event) => event.actor)).size).toBe(20);
    expect(verifyChain(events)).toEqual({ valid: true });
  });

  it('links consecutive appends to the event it just wrote without reading the head, and re-reads a stale one', async () => {
    // Prepare: count the Query requests (head reads) the two writers send.
    const queries = (): number => fixture.sent.filter((command) => command.operation === 'Query').length;
    const start = queries();
    const first = new DynamoDbAuditLog({ tableName: fixture.tables.auditEvents, client: fixture.documents });
    const second = new DynamoDbAuditLog({ tableName: fixture.tables.auditEvents, client: fixture.documents });
    const subject = 'verification:v-remembered';

    // Act
    await first.append({ subject, action: 'test.one', actor: 'a' });
    await first.append({ subject, action: 'test.two', actor: 'a' });
    await first.append({ subject, action: 'test.three', actor: 'a' });
    const readsInARow = queries() - start;
    await second.append({ subject, action: 'test.other-writer', actor: 'b' });
    await first.append({ subject, action: 'test.after-the-other', actor: 'a' });
    const readsAfterStale = queries() - start - readsInARow;

    // Assess: one head read for three appends in a row; the other writer reads once; the first
    // writer's remembered head is stale, its INSERT collides, and it reads the head once.
    expect(readsInARow).toBe(1);
    expect(readsAfterStale).toBe(2);
    const events = await first.list(subject);
    expect(events.map((event) => [event.sequence, event.action])).toEqual([
      [1, 'test.one'],
      [2, 'test.two'],
      [3, 'test.three'],
      [4, 'test.other-writer'],
      [5, 'test.after-the-other'],
    ]);
    expect(verifyChain(events)).toEqual({ valid: true });
  });

  it('keeps one unbroken chain when three writers that remember their heads append concurrently', async () => {
    // Prepare
    const writers = [0, 1, 2].map(
      () => new DynamoDbAuditLog({ tableName: fixture.tables.auditEvents, client: fixture.documents }),
    );
    const subject = 'verification:v-alternating';

    // Act: rounds of concurrent appends, each writer's memory stale after the others' turns.
    for (let round = 0; round < 5; round += 1) {
      await Promise.all(
        writers.flatMap((writer, index) => [
          writer.append({ subject, action: 'test.appended', actor: `writer-${index}` }),
          writer.append({ subject, action: 'test.appended', actor: `writer-${index}` }),
        ]),
      );
    }

    // Assess
    const events = await writers[0]!.list(subject);
    expect(events.map((event) => event.sequence)).toEqual(Array.from({ length: 30 }, (_, index) => index + 1));
    expect(verifyChain(events)).toEqual({ valid: true });
  });

  it('refuses the append-only writer a second event with an existing key (the only audit write IAM grants)', async () => {
    // Prepare
    const audit = new DynamoDbAuditLog({ tableName: fixture.tables.auditEvents, client: fixture.documents });
    const original = await audit.append({ subject: 'verification:v-forge', action: 'test.original', actor: 'a' });

    // Act
    const overwrite = fixture.documents.send(
      insertStatement(fixture.tables.auditEvents, { ...original, action: 'test.forged', actor: 'mallory' }),
    );

    // Assess
    await expect(
      overwrite.then(
        () => 'written',
        (error: unknown) => isDuplicateItem(error),
      ),
    ).resolves.toBe(true);
    const events = await audit.list('verification:v-forge');
    expect(events).toEqual([original]);
  });
});
