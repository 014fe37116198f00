import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import { AuditProcessorLog } from '../../../lambdas/adapters/aws/audit-processor-log.ts';
import { DynamoDbCaseStore } from '../../../lambdas/adapters/aws/case-repository.ts';
import { DynamoDbAuditLog } from '../../../lambdas/adapters/aws/dynamodb-audit-log.ts';
import { VerificationRepository } from '../../../lambdas/adapters/aws/verification-repository.ts';
import { DynamoDbWorkflowStore } from '../../../lambdas/adapters/aws/workflow-repository.ts';
import type { PersonalData, SealedData } from '../../../lambdas/domain/records.ts';
import { createAddCaseNoteHandler } from '../../../lambdas/handlers/http/add-case-note.ts';
import { createAssignCaseHandler } from '../../../lambdas/handlers/http/assign-case.ts';
import type { CaseRouteDeps } from '../../../lambdas/handlers/http/case-deps.ts';
import { createCaseAuditHandler } from '../../../lambdas/handlers/http/case-audit.ts';
import { createClaimCaseHandler } from '../../../lambdas/handlers/http/claim-case.ts';
import { createGetCaseHandler } from '../../../lambdas/handlers/http/get-case.ts';
import { createListCasesHandler } from '../../../lambdas/handlers/http/list-cases.ts';
import { createReviewDecisionHandler } from '../../../lambdas/handlers/http/review-decision.ts';
import { logger } from '../../../lambdas/handlers/shared/logger.ts';
import type { ReviewTask } from '../../../lambdas/ports/workflow-store.ts';
import { RecordingReviewCompleter } from '../../support/workflow-fakes.ts';
import { sampleVerification } from '../../unit/intake/fakes.ts';
import { httpEvent, lambdaContext, parse } from '../../unit/intake/http-events.ts';
import { startDynamoFixture, type DynamoFixture } from '../intake/dynamodb-fixture.ts';

// The case API's handlers on the real adapters against DynamoDB Local (tables with the same
// indexes the CDK app deploys): filters and paging checked against a plain in-memory oracle,
// cursors that must not be trusted, and every DynamoDB command spied on (no Scan, ever).
const NOW = new Date('2026-05-01T12:00:00.000Z');
const clock = { now: () => new Date(NOW) };
const QUEUES = ['standard', 'advanced', 'duplicates', 'exceptions'] as const;
const CASES = 30;

let fixture: DynamoFixture;
let deps: CaseRouteDeps;
let store: DynamoDbWorkflowStore;
const seeded: ReviewTask[] = [];
const opened: string[] = [];

const hours = (n: number) => new Date(NOW.getTime() + n * 3600_000).toISOString();
const seal = (data: PersonalData): SealedData => ({
  keyId: 'k',
  encryptedDataKey: 'e',
  iv: 'i',
  authTag: 't',
  ciphertext: Buffer.from(JSON.stringify(data)).toString('base64'),
});

/** The seeded cases a filter should return, in due order: the oracle the index queries are held to. */
function expected(filter: Record<string, string>): string[] {
  const status = filter.status ?? 'open';
  return seeded
    .filter((task) => (task.decision === undefined ? 'open' : `${task.decision}d`) === status)
    .filter((task) => !filter.queue || task.queue === filter.queue)
    .filter((task) =>
      filter.assignee === undefined
        ? true
        : filter.assignee === 'unassigned'
          ? task.assignee === undefined
          : task.assignee === filter.assignee,
    )
    .filter((task) => !filter.level || task.level === filter.level)
    .filter((task) => !filter.dueBefore || task.dueAt < new Date(filter.dueBefore).toISOString())
    .filter((task) => !filter.from || task.createdAt >= new Date(filter.from).toISOString())
    .filter((task) => !filter.to || task.createdAt < new Date(filter.to).toISOString())
    .sort((a, b) => `${a.dueAt}#${a.verificationId}`.localeCompare(`${b.dueAt}#${b.verificationId}`))
    .map((task) => task.verificationId);
}

function event(options: {
  method?: string;
  verificationId?: string;
  query?: Record<string, string>;
  body?: unknown;
  userId?: string;
  groups?: string[];
}) {
  return {
    ...httpEvent({
      method: options.method ?? 'GET',
      ...(options.body !== undefined ? { body: options.body } : {}),
      ...(options.verificationId ? { pathParameters: { verificationId: options.verificationId } } : {}),
      userId: options.userId ?? 'rita',
      groups: options.groups ?? ['compliance_reviewer'],
    }),
    ...(options.query ? { queryStringParameters: options.query } : {}),
  };
}

const list = (query: Record<string, string>, groups = ['compliance_reviewer']) =>
  createListCasesHandler(deps)(event({ query, groups }), lambdaContext);

async function walk(filter: Record<string, string>, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const result = await list({ ...filter, limit: String(limit), ...(cursor ? { cursor } : {}) });
    expect(result.statusCode, result.body).toBe(200);
    const body = parse(result) as { items: Array<{ verificationId: string }>; nextCursor?: string };
    expect(body.items.length).toBeLessThanOrEqual(limit);
    ids.push(...body.items.map((item) => item.verificationId));
    cursor = body.nextCursor;
    pages += 1;
  } while (cursor && pages < 50);
  return { ids, pages };
}

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  fixture = await startDynamoFixture();
  const tableName = fixture.tables.verifications;
  store = new DynamoDbWorkflowStore({ tableName, client: fixture.documents, clock });
  const audit = new DynamoDbAuditLog({ tableName: fixture.tables.auditEvents, client: fixture.documents, clock });
  deps = {
    cases: new DynamoDbCaseStore({ tableName, client: fixture.documents }),
    reviews: store,
    personalData: {
      open: async (sealed, context) => {
        opened.push(context.verificationId);
        return JSON.parse(Buffer.from(sealed.ciphertext, 'base64').toString('utf8')) as PersonalData;
      },
    },
    audit,
    config: DEFAULT_CONFIG,
    clock,
  };
  const verifications = new VerificationRepository({ tableName, client: fixture.documents, clock });
  // Inserted out of due order; queues, levels, assignees and decisions spread over the cases.
  const order = Array.from({ length: CASES }, (_, i) => (i * 7) % CASES);
  for (const i of order) {
    const verificationId = `case-${String(i).padStart(2, '0')}`;
    const level = i % 3 === 0 ? 'advanced' : 'basic';
    await verifications.createVerification(
      sampleVerification({
        verificationId,
        userId: `user-${i}`,
        level,
        status: 'manual_review',
        personalData: seal({ fullName: `PERSON ${i}`, dateOfBirth: '1990-01-01', address: `${i} High St` }),
        createdAt: hours(-100 + i),
        updatedAt: hours(-100 + i),
      }),
    );
    const task: ReviewTask = {
      verificationId,
      attemptId: `att-${i}`,
      taskToken: `tok-${i}`,
      queue: QUEUES[i % 4]!,
      reasons: ['MANUAL_REVIEW_REQUIRED'],
      causes: ['face_match:between_bands'],
      priority: 1,
      // Some already overdue, two sharing a due time.
      dueAt: hours(i === 11 ? 10 - 24 : (i % 10) * 5 - 12 + i / 10),
      escalated: false,
      escalations: 0,
      level,
      createdAt: hours(-90 + ((i * 13) % CASES)),
      ...(i % 5 === 0 ? { assignee: 'rita' } : i % 5 === 1 ? { assignee: 'sam' } : {}),
    };
    await store.putReviewTask(task);
    if (i % 7 === 6) {
      const decision = i % 2 === 0 ? 'approve' : 'reject';
      seeded.push(
        await store.decideReviewTask(verificationId, task.attemptId, task.taskToken, {
          decision,
          decidedBy: task.assignee ?? 'sam',
          reasons: decision === 'reject' ? ['FACE_NOT_MATCH'] : [],
          note: 'seeded',
          decidedAt: NOW.toISOString(),
        }),
      );
    } else seeded.push(task);
  }
}, 120_000);

afterAll(async () => {
  await fixture?.server.stop();
});

describe('GET /v1/cases: filters and paging against DynamoDB Local', () => {
  it.each<[string, Record<string, string>, number]>([
    ['every open case', {}, 4],
    ['one queue', { queue: 'standard' }, 3],
    ["one reviewer's open cases", { assignee: 'rita' }, 2],
    ['unclaimed cases', { assignee: 'unassigned' }, 5],
    ['one level', { level: 'advanced' }, 3],
    ['approved cases', { status: 'approved' }, 1],
    ['rejected cases of a queue', { status: 'rejected', queue: 'duplicates' }, 1],
    ['a queue and an assignee', { queue: 'advanced', assignee: 'sam' }, 1],
    ['a queue and unclaimed', { queue: 'exceptions', assignee: 'unassigned' }, 2],
    ['due before a time', { dueBefore: hours(0) }, 3],
    ['opened in a time range', { from: hours(-80), to: hours(-70) }, 2],
    ['queue, level and due before', { queue: 'standard', level: 'basic', dueBefore: hours(24) }, 2],
    ['level and reviewer', { level: 'basic', assignee: 'sam' }, 2],
    ['a filter nothing matches', { queue: 'duplicates', assignee: 'nobody' }, 2],
  ])('lists %s in due order over pages, exactly as the oracle does', async (_name, filter, limit) => {
    // Prepare
    const want = expected(filter);

    // Act
    const { ids, pages } = await walk(filter, limit);

    // Assess
    expect(ids).toEqual(want);
    expect(pages).toBe(Math.max(1, Math.ceil(want.length / limit)));
  });

  it('pages through every open case with several cursors and shows SLA state', async () => {
    // Act
    const first = parse(await list({ limit: '5' })) as {
      items: Array<{ verificationId: string; overdue: boolean; dueAt: string; status: string; level?: string }>;
      nextCursor?: string;
    };
    const { ids, pages } = await walk({}, 5);

    // Assess
    expect(pages).toBeGreaterThanOrEqual(4);
    expect(new Set(ids).size).toBe(ids.length);
    expect(first.items[0]).toMatchObject({ status: 'open', overdue: true });
    expect(first.items.every((item) => item.overdue === item.dueAt < NOW.toISOString())).toBe(true);
    expect(first.items.every((item) => item.level === 'basic' || item.level === 'advanced')).toBe(true);
    expect(JSON.stringify(first)).not.toMatch(/taskToken|tok-|PERSON|High St/);
  });

  it.each([
    ['garbled text', () => '%%%not-a-cursor%%%'],
    ['base64 of something else', () => Buffer.from('hello').toString('base64url')],
    ['JSON of the wrong shape', () => Buffer.from(JSON.stringify({ v: 1, k: 'x' })).toString('base64url')],
    [
      'a cursor for another filter',
      async () => parse(await list({ limit: '2', queue: 'advanced' })).nextCursor as string,
    ],
    [
      'a forged key outside the partition',
      async () => {
        const cursor = parse(await list({ limit: '2' })).nextCursor as string;
        const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { k: Record<string, string> };
        decoded.k.gsi1pk = 'STATUS#approved';
        return Buffer.from(JSON.stringify(decoded)).toString('base64url');
      },
    ],
    [
      'a forged key with an extra attribute',
      async () => {
        const cursor = parse(await list({ limit: '2' })).nextCursor as string;
        const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { k: Record<string, string> };
        decoded.k.gsi2pk = 'REVIEWER#rita';
        return Buffer.from(JSON.stringify(decoded)).toString('base64url');
      },
    ],
    ['a truncated cursor', async () => (parse(await list({ limit: '2' })).nextCursor as string).slice(0, 30)],
  ])('answers 400 INVALID_CURSOR to %s, never a 5xx', async (_name, cursor) => {
    // Act
    const result = await list({ limit: '2', cursor: await cursor() });

    // Assess
    expect(result.statusCode).toBe(400);
    expect(Object.keys(parse(result)).sort()).toEqual(['code', 'message']);
    expect(parse(result).code).toBe('INVALID_CURSOR');
  });

  it.each([
    ['an unknown status', { status: 'closed' }],
    ['a zero limit', { limit: '0' }],
    ['a limit over 100', { limit: '101' }],
    ['a limit that is no number', { limit: 'ten' }],
    ['a fractional limit', { limit: '2.5' }],
    ['an unknown queue', { queue: 'vip' }],
    ['an unknown level', { level: 'gold' }],
    ['a malformed assignee', { assignee: 'rita smith' }],
    ['a dueBefore that is no time', { dueBefore: 'tomorrow' }],
    ['an impossible date', { from: '2026-02-31' }],
    ['from after to', { from: hours(5), to: hours(1) }],
    ['an unknown parameter', { sort: 'name' }],
  ])('answers 400 VALIDATION_ERROR to %s', async (_name, query) => {
    // Act
    const result = await list(query);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(parse(result).code).toBe('VALIDATION_ERROR');
    expect(Object.keys(parse(result)).sort()).toEqual(['code', 'message']);
  });

  it('reads only the case indexes with Query: no Scan, no base table', async () => {
    // Prepare
    const before = fixture.sent.length;

    // Act
    await walk({}, 7);
    await walk({ queue: 'standard', assignee: 'rita' }, 1);
    await walk({ assignee: 'sam' }, 2);
    await walk({ status: 'rejected', level: 'basic', from: hours(-95) }, 3);

    // Assess
    const sent = fixture.sent.slice(before);
    expect(sent.length).toBeGreaterThan(0);
    expect(new Set(sent.map((command) => command.operation))).toEqual(new Set(['Query']));
    expect(new Set(sent.map((command) => command.input.IndexName))).toEqual(
      new Set(['byStatus', 'byQueue', 'byReviewer']),
    );
    expect(fixture.sent.some((command) => command.operation === 'Scan')).toBe(false);
  });
});

describe('the case routes', () => {
  const caseId = 'case-02'; // open, unassigned, standard-or-later queue
  const call = (
    create: (d: CaseRouteDeps) => (e: never, c: never) => Promise<{ statusCode: number; body?: string }>,
    options: Parameters<typeof event>[0],
    withDeps: CaseRouteDeps = deps,
  ) => create(withDeps)(event(options) as never, lambdaContext as never);

  it('shows the case with decrypted personal data, attempts, checks, risk flags, processor log and notes, audited first', async () => {
    // Prepare
    const table = fixture.tables.verifications;
    const documents = DynamoDBDocumentClient.from(fixture.client);
    for (let n = 0; n < 5; n += 1) {
      await documents.send(
        new PutCommand({
          TableName: table,
          Item: {
            pk: `V#${caseId}`,
            sk: `A#a${n}`,
            entity: 'attempt',
            verificationId: caseId,
            attemptId: `a${n}`,
            requiredSlots: ['document_front', 'selfie'],
            status: n < 4 ? 'rejected' : 'manual_review',
            reasons: n < 4 ? ['PHOTO_TOO_BLURRY'] : [],
            createdAt: hours(-3 + n / 10),
            uploadExpiresAt: hours(-2),
            updatedAt: hours(-2),
          },
        }),
      );
    }
    await documents.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: `V#${caseId}`,
          sk: 'A#a4#D#document_front',
          entity: 'document',
          verificationId: caseId,
          attemptId: 'a4',
          slot: 'document_front',
          result: 'accepted',
          reasons: [],
          sha256: 'f'.repeat(64),
          sizeBytes: 1234,
          contentType: 'image/jpeg',
          vaultKey: `evidence/${caseId}/a4/document_front`,
          vaultVersionId: 'vault-version-1',
          metrics: { blurVariance: 412.5 },
          processors: ['quality-gate'],
          recordedAt: hours(-2),
        },
      }),
    );
    await store.recordCheck({
      verificationId: caseId,
      attemptId: 'a4',
      name: 'duplicates',
      result: { status: 'match' },
      processors: ['rekognition:SearchFacesByImage@selfie'],
      matchedUserIds: ['user-77'],
      recordedAt: hours(-2),
    });
    await new AuditProcessorLog({ audit: deps.audit, actor: 'system:face-match' }).record({
      processor: 'rekognition',
      operation: 'CompareFaces',
      purpose: 'face_match',
      verificationId: caseId,
      attemptId: 'a4',
      objectKey: `evidence/${caseId}/a4/selfie`,
      objectVersion: 'v9',
      requestId: 'rq-1',
      succeeded: true,
      at: hours(-2),
    });
    const note = await call(createAddCaseNoteHandler, {
      method: 'POST',
      verificationId: caseId,
      body: { text: '  Address line checked against the utility bill.\nLooks fine.  ' },
    });
    opened.length = 0;

    // Act
    const result = await call(createGetCaseHandler, { verificationId: caseId, userId: 'sam' });

    // Assess
    expect(note.statusCode).toBe(201);
    expect(result.statusCode, result.body).toBe(200);
    const body = parse(result) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(body.personalData).toEqual({ fullName: 'PERSON 2', dateOfBirth: '1990-01-01', address: '2 High St' });
    expect(opened).toEqual([caseId]);
    expect(body.attempts).toHaveLength(5);
    expect(body.attempts[4].slots[0]).toMatchObject({
      slot: 'document_front',
      result: 'accepted',
      metrics: { blurVariance: 412.5 },
      viewable: true,
    });
    expect(body.attempts[4].checks[0]).toMatchObject({ name: 'duplicates', matchedUserIds: ['user-77'] });
    expect(body.attempts[0].reasons[0]).toMatchObject({ code: 'PHOTO_TOO_BLURRY', message: expect.any(String) });
    expect(body.riskFlags.map((flag: { flag: string }) => flag.flag)).toEqual(['velocity', 'duplicate_identity']);
    expect(body.review.current).toMatchObject({ attemptId: 'att-2', status: 'open', escalations: 0 });
    expect(body.processorLog).toEqual([
      expect.objectContaining({ operation: 'CompareFaces', slot: 'selfie', objectVersion: 'v9', requestId: 'rq-1' }),
    ]);
    expect(body.notes).toEqual([
      expect.objectContaining({ author: 'rita', text: 'Address line checked against the utility bill.\nLooks fine.' }),
    ]);
    expect(body.actions.decide).toMatchObject({
      method: 'POST',
      path: `/v1/reviews/${caseId}/decision`,
      available: true,
    });
    expect(result.body).not.toMatch(/evidence\/|vault-version|https?:|taskToken|tok-2/);
    const trail = await deps.audit.list(`verification:${caseId}`);
    const viewed = trail.filter((entry) => entry.action === 'case.viewed');
    expect(viewed.at(-1)).toMatchObject({ actor: 'compliance_reviewer:sam', origin: '192.0.2.10' });
    const added = trail.find((entry) => entry.action === 'case.note_added');
    expect(JSON.stringify(added)).not.toContain('utility bill');
    expect(added?.details?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('sends no personal data when the audit event cannot be written', async () => {
    // Prepare
    opened.length = 0;
    const failing: CaseRouteDeps = {
      ...deps,
      audit: {
        list: deps.audit.list.bind(deps.audit),
        append: async () => {
          throw new Error('audit table unavailable');
        },
      },
    };

    // Act
    const result = await call(createGetCaseHandler, { verificationId: caseId }, failing);

    // Assess
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain('PERSON');
    expect(opened).toEqual([]);
  });

  it.each([
    ['the case subject themself', { userId: 'user-2' }, 403, 'OWN_VERIFICATION'],
    ['an unknown case', { verificationId: 'case-none' }, 404, 'NOT_FOUND'],
  ])('refuses %s', async (_name, options, status, code) => {
    // Act
    const result = await call(createGetCaseHandler, { verificationId: caseId, ...options });

    // Assess
    expect(result.statusCode).toBe(status);
    expect(parse(result).code).toBe(code);
  });

  it('lets exactly one of two reviewers claim a case; the other gets 409 CASE_ALREADY_CLAIMED', async () => {
    // Act
    const [a, b] = await Promise.all([
      call(createClaimCaseHandler, { method: 'POST', verificationId: 'case-07', userId: 'ana' }),
      call(createClaimCaseHandler, { method: 'POST', verificationId: 'case-07', userId: 'ben' }),
    ]);
    const winner = a.statusCode === 200 ? 'ana' : 'ben';
    const again = await call(createClaimCaseHandler, { method: 'POST', verificationId: 'case-07', userId: winner });

    // Assess
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    expect(parse(a.statusCode === 409 ? a : b)).toEqual({ code: 'CASE_ALREADY_CLAIMED', message: expect.any(String) });
    expect(again.statusCode).toBe(200);
    const mine = parse(await list({ assignee: winner })) as { items: Array<{ verificationId: string }> };
    expect(mine.items.map((item) => item.verificationId)).toEqual(['case-07']);
    const unclaimed = parse(await list({ assignee: 'unassigned', limit: '100' })) as {
      items: Array<{ verificationId: string }>;
    };
    expect(unclaimed.items.map((item) => item.verificationId)).not.toContain('case-07');
    const claims = (await deps.audit.list('verification:case-07')).filter((entry) => entry.action === 'case.claimed');
    expect(claims).toHaveLength(1);
  });

  it('refuses a claim with a body field (the route takes none) and claims nothing', async () => {
    // Act
    const refused = await call(createClaimCaseHandler, {
      method: 'POST',
      verificationId: 'case-08',
      userId: 'ana',
      body: { assignee: 'ana' },
    });

    // Assess
    expect(refused.statusCode).toBe(400);
    expect(parse(refused)).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect((await store.getReviewTask('case-08', 'att-8'))?.assignee).toBeUndefined();
  });

  it('keeps a claim that lands while an escalation re-arms the task: the stale write loses and is retried', async () => {
    // Prepare
    const stale = (await store.getReviewTask('case-08', 'att-8'))!;
    await call(createClaimCaseHandler, { method: 'POST', verificationId: 'case-08', userId: 'dora' });

    // Act
    const lost = store.putReviewTask({ ...stale, taskToken: 'tok-8b', escalated: true, escalations: 1 });
    await expect(lost).rejects.toMatchObject({ name: 'WorkflowConflictError' });
    const fresh = (await store.getReviewTask('case-08', 'att-8'))!;
    await store.putReviewTask({ ...fresh, taskToken: 'tok-8b', escalated: true, escalations: 1 });

    // Assess
    expect(await store.getReviewTask('case-08', 'att-8')).toMatchObject({ assignee: 'dora', taskToken: 'tok-8b' });
    const dora = parse(await list({ assignee: 'dora' })) as {
      items: Array<{ verificationId: string; escalated: boolean }>;
    };
    expect(dora.items).toEqual([expect.objectContaining({ verificationId: 'case-08', escalated: true })]);
  });

  it('lets a supervisor reassign and unassign, never to the subject, and refuses decided cases', async () => {
    // Act
    const moved = await call(createAssignCaseHandler, {
      method: 'POST',
      verificationId: 'case-07',
      body: { assignee: 'carl' },
      userId: 'ada',
      groups: ['compliance_approver'],
    });
    const carl = parse(await list({ assignee: 'carl' })) as { items: Array<{ verificationId: string }> };
    const back = await call(createAssignCaseHandler, {
      method: 'POST',
      verificationId: 'case-07',
      body: { assignee: null },
      userId: 'root',
      groups: ['admin'],
    });
    const toSubject = await call(createAssignCaseHandler, {
      method: 'POST',
      verificationId: 'case-07',
      body: { assignee: 'user-7' },
      userId: 'ada',
      groups: ['compliance_approver'],
    });
    const decided = await call(createAssignCaseHandler, {
      method: 'POST',
      verificationId: 'case-06',
      body: { assignee: 'carl' },
      userId: 'ada',
      groups: ['compliance_approver'],
    });
    const badBody = await call(createAssignCaseHandler, {
      method: 'POST',
      verificationId: 'case-07',
      body: { assignee: 'carl', extra: 1 },
      userId: 'ada',
      groups: ['compliance_approver'],
    });

    // Assess
    expect(moved.statusCode).toBe(200);
    expect(carl.items.map((item) => item.verificationId)).toEqual(['case-07']);
    expect(back.statusCode).toBe(200);
    expect((await store.getReviewTask('case-07', 'att-7'))?.assignee).toBeUndefined();
    expect([toSubject.statusCode, parse(toSubject).code]).toEqual([403, 'OWN_VERIFICATION']);
    expect([decided.statusCode, parse(decided).code]).toEqual([409, 'REVIEW_NOT_OPEN']);
    expect(badBody.statusCode).toBe(400);
    const assigned = (await deps.audit.list('verification:case-07')).filter((e) => e.action === 'case.assigned');
    expect(assigned.map((e) => [e.details?.previousAssignee, e.details?.assignee])).toEqual([
      [expect.any(String), 'carl'],
      ['carl', ''],
    ]);
  });

  it.each([
    ['a blank note', { text: '   ' }],
    ['a note over 2000 characters', { text: 'x'.repeat(2001) }],
    ['a note with a bidi control', { text: 'ok \u202E kO' }],
    ['a note with a control character', { text: 'bell \u0007' }],
    ['a body with another field', { text: 'fine', pinned: true }],
  ])('answers 400 to %s and stores nothing', async (_name, body) => {
    // Prepare
    const before = (await deps.cases.loadCase('case-03'))?.notes.length;

    // Act
    const result = await call(createAddCaseNoteHandler, { method: 'POST', verificationId: 'case-03', body });

    // Assess
    expect(result.statusCode).toBe(400);
    expect((await deps.cases.loadCase('case-03'))?.notes.length).toBe(before);
  });

  it('keeps the decision route working from the case: the decided case leaves the open lists', async () => {
    // Prepare
    const decide = createReviewDecisionHandler({
      store,
      reviews: new RecordingReviewCompleter(),
      audit: deps.audit,
      clock,
    });
    const view = parse(await call(createGetCaseHandler, { verificationId: 'case-04' })) as {
      actions: { decide: { path: string } };
    };

    // Act
    const decided = await decide(
      {
        ...event({ method: 'POST', body: { decision: 'approve', note: 'All checks fine' } }),
        pathParameters: { verificationId: view.actions.decide.path.split('/')[3]! },
      },
      lambdaContext,
    );
    const open = (await walk({}, 100)).ids;
    const approved = (await walk({ status: 'approved' }, 100)).ids;
    const queue = (await walk({ queue: 'standard' }, 100)).ids;

    // Assess
    expect(decided.statusCode).toBe(200);
    expect(open).not.toContain('case-04');
    expect(queue).not.toContain('case-04');
    expect(approved).toContain('case-04');
  });

  it('lets only the reviewer holding a case decide it; the table refuses anyone else even past the check', async () => {
    // Prepare: case-10 and case-15 are open and assigned to rita.
    const decide = (userId: string, verificationId: string) =>
      createReviewDecisionHandler({ store, reviews: new RecordingReviewCompleter(), audit: deps.audit, clock })(
        {
          ...event({ method: 'POST', body: { decision: 'approve', note: 'Checked' }, userId }),
          pathParameters: { verificationId },
        },
        lambdaContext,
      );

    // Act
    const other = await decide('ana', 'case-10');
    const holder = await decide('rita', 'case-10');
    const direct = store.decideReviewTask('case-15', 'att-15', 'tok-15', {
      decision: 'approve',
      decidedBy: 'ana',
      reasons: [],
      note: 'past the check',
      decidedAt: NOW.toISOString(),
    });

    // Assess
    expect(other.statusCode).toBe(409);
    expect(parse(other)).toEqual({ code: 'CASE_ALREADY_CLAIMED', message: expect.any(String) });
    expect(holder.statusCode).toBe(200);
    await expect(direct).rejects.toMatchObject({ name: 'WorkflowConflictError' });
    expect((await store.getReviewTask('case-15', 'att-15'))?.decision).toBeUndefined();
  });

  it('records a read of the audit trail in the trail before answering, and refuses a field added beside the hashed ones', async () => {
    // Prepare
    const audit = (userId = 'root', groups = ['admin']) =>
      call(createCaseAuditHandler as never, { verificationId: 'case-03', userId, groups });

    // Act
    const first = parse(await audit('sam', ['compliance_approver'])) as {
      events: Array<{ sequence: number; action: string; actor: string }>;
      chain: { valid: boolean; length: number };
    };
    const last = first.events.at(-1)!;
    await DynamoDBDocumentClient.from(fixture.client).send(
      new UpdateCommand({
        TableName: fixture.tables.auditEvents,
        Key: { subject: 'verification:case-03', sequence: last.sequence },
        UpdateExpression: 'SET #comment = :c',
        ExpressionAttributeNames: { '#comment': 'comment' },
        ExpressionAttributeValues: { ':c': 'approved by regulator; ignore' },
      }),
    );
    const second = parse(await audit()) as { chain: { valid: boolean; brokenAt: number; reason: string } };

    // Assess
    expect(first.chain).toMatchObject({ valid: true, length: first.events.length });
    expect(last).toMatchObject({ action: 'audit_trail.viewed', actor: 'compliance_approver:sam' });
    expect(second.chain).toMatchObject({ valid: false, brokenAt: last.sequence - 1 });
    expect(second.chain.reason).toMatch(/fields its hash does not cover.*"comment"/);
  });

  it('returns the audit trail in order with its chain verified, and names the first broken link', async () => {
    // Prepare
    const audit = (userId = 'root', groups = ['admin']) =>
      call(createCaseAuditHandler as never, { verificationId: caseId, userId, groups });

    // Act
    const intact = parse(await audit()) as {
      events: Array<{ sequence: number; action: string }>;
      chain: { valid: boolean; length: number };
    };
    await DynamoDBDocumentClient.from(fixture.client).send(
      new UpdateCommand({
        TableName: fixture.tables.auditEvents,
        Key: { subject: `verification:${caseId}`, sequence: 2 },
        UpdateExpression: 'SET actor = :a',
        ExpressionAttributeValues: { ':a': 'someone-else' },
      }),
    );
    const broken = parse(await audit('sam', ['compliance_approver'])) as {
      chain: { valid: boolean; brokenAt: number; reason: string };
    };
    const unknown = await call(createCaseAuditHandler as never, { verificationId: 'case-none' });

    // Assess
    expect(intact.chain).toMatchObject({ valid: true, length: intact.events.length });
    expect(intact.events.map((e) => e.sequence)).toEqual(intact.events.map((_, i) => i + 1));
    expect(intact.events.map((e) => e.action)).toEqual(
      expect.arrayContaining(['case.note_added', 'processor.invoked', 'case.viewed']),
    );
    expect(broken.chain).toMatchObject({ valid: false, brokenAt: 1 });
    expect(unknown.statusCode).toBe(404);
  });
});
