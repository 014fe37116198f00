import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  HeadObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectRetentionCommand,
  PutObjectRetentionCommand,
} from '@aws-sdk/client-s3';
import { IndexFacesCommand, ListFacesCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verificationPk } from '../../../lambdas/adapters/aws/verification-repository.ts';
import { checkSk } from '../../../lambdas/adapters/aws/workflow-repository.ts';
import { addYearsUtc } from '../../../lambdas/domain/retention.ts';
import type { Role } from '../../../lambdas/domain/verification.ts';
import { main } from '../../../local/cli/main.ts';
import { KycClient } from '../../../local/demo/kyc-client.ts';
import { demoPerson, loadSampleImages } from '../../../local/demo/sample-images.ts';
import { loadOrCreateSigningKey } from '../../../local/runtime/auth/local-signing-key.ts';
import { issueLocalToken } from '../../../local/runtime/auth/local-tokens.ts';
import { startE2eRuntime, type E2eRuntime } from '../support/local-runtime.ts';
import { seedAttempt as seedAttemptRecord, seedVaultedDocument } from '../support/seed.ts';

// Account closure and legal hold through the local runtime, with the vault's Object Lock state
// checked through the S3 API exactly as an operator would see it.
let e2e: E2eRuntime;

beforeAll(async () => {
  e2e = await startE2eRuntime();
}, 180_000);

const work = mkdtempSync(join(tmpdir(), 'kyc-records-'));

afterAll(async () => {
  await e2e?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function tokenFor(userId: string, role: Role): Promise<string> {
  return issueLocalToken(await loadOrCreateSigningKey(e2e.runtime.dataDir), { userId, role, ttlSeconds: 600 });
}

async function call(
  token: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${e2e.runtime.apiUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A verification of `owner` with one accepted document in the vault, recorded as on-upload does. */
async function seedCase(owner: string): Promise<{ verificationId: string; key: string }> {
  const client = new KycClient(e2e.runtime.apiUrl, await tokenFor(owner, 'user'));
  const { verificationId } = await client.createVerification({
    level: 'basic',
    nationality: 'GBR',
    documentType: 'passport',
    personalData: { fullName: 'ANNA SMITH', dateOfBirth: '1990-01-01', address: '1 High Street, London' },
  });
  const attemptId = randomUUID();
  const key = await seedVaultedDocument(e2e, verificationId, attemptId, {
    body: Buffer.alloc(2048, 1),
    processors: [],
  });
  return { verificationId, key };
}

const retention = async (key: string): Promise<Date | undefined> =>
  (await e2e.s3.send(new GetObjectRetentionCommand({ Bucket: e2e.env.VAULT_BUCKET, Key: key }))).Retention
    ?.RetainUntilDate;

describe('records lifecycle on the local runtime', () => {
  it('locks new vault evidence for the configured years and refuses to delete or shorten it', async () => {
    // Prepare
    const { key } = await seedCase('lock-owner');
    const bucket = e2e.env.VAULT_BUCKET;
    // Act
    const until = await retention(key);
    const deletion = e2e.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    const shortening = e2e.s3.send(
      new PutObjectRetentionCommand({
        Bucket: bucket,
        Key: key,
        Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(Date.now() + 86_400_000) },
      }),
    );
    // Assess
    expect(until!.getTime()).toBeGreaterThanOrEqual(addYearsUtc(new Date(), 5).getTime() - 86_400_000);
    await expect(deletion).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(shortening).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('closes an account: relationship end recorded once, evidence locked until at least 5 years after it, audited', async () => {
    // Prepare
    const { verificationId, key } = await seedCase('closing-owner');
    const before = await retention(key);
    const admin = await tokenFor('ada-admin', 'admin');
    // Act
    const closed = await call(admin, '/v1/accounts/closing-owner/close', { reason: 'customer left the platform' });
    const again = await call(admin, '/v1/accounts/closing-owner/close', { reason: 'second request' });
    const byReviewer = await call(await tokenFor('rita', 'compliance_reviewer'), '/v1/accounts/closing-owner/close', {
      reason: 'not allowed',
    });
    // Assess
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ userId: 'closing-owner', verifications: 1, evidenceObjects: 1 });
    const endedAt = new Date(closed.body.relationshipEndedAt as string);
    expect(again.body.relationshipEndedAt).toBe(closed.body.relationshipEndedAt);
    expect(byReviewer.status).toBe(403);
    const after = await retention(key);
    expect(after!.getTime()).toBeGreaterThanOrEqual(addYearsUtc(endedAt, 5).getTime());
    expect(after!.getTime()).toBeGreaterThanOrEqual(before!.getTime());
    const account = await e2e.dynamo.send(
      new GetCommand({ TableName: e2e.env.VERIFICATIONS_TABLE, Key: { pk: 'ACCOUNT#closing-owner', sk: 'ACCOUNT' } }),
    );
    expect(account.Item).toMatchObject({
      relationshipEndedAt: closed.body.relationshipEndedAt,
      closedBy: 'admin:ada-admin',
    });
    const audit = await e2e.dynamo.send(
      new QueryCommand({
        TableName: e2e.env.AUDIT_TABLE,
        KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'subject' },
        ExpressionAttributeValues: { ':s': `verification:${verificationId}` },
      }),
    );
    expect((audit.Items ?? []).map((event) => event.action)).toContain('account.closed');
  });

  it('answers 404 NOT_FOUND when closing the account of a user of whom no verification is known, and records nothing', async () => {
    // Prepare
    const admin = await tokenFor('ada-admin', 'admin');
    // Act
    const closed = await call(admin, '/v1/accounts/nobody-known/close', { reason: 'customer left the platform' });
    // Assess
    expect(closed.status).toBe(404);
    expect(closed.body).toEqual({ code: 'NOT_FOUND', message: expect.any(String) });
    const account = await e2e.dynamo.send(
      new GetCommand({ TableName: e2e.env.VERIFICATIONS_TABLE, Key: { pk: 'ACCOUNT#nobody-known', sk: 'ACCOUNT' } }),
    );
    expect(account.Item).toBeUndefined();
  });

  it('sets and lifts a legal hold on every object of a case; approvers and admins only', async () => {
    // Prepare
    const { verificationId, key } = await seedCase('held-owner');
    const approver = await tokenFor('amos', 'compliance_approver');
    const holdStatus = async (): Promise<string | undefined> =>
      (await e2e.s3.send(new GetObjectLegalHoldCommand({ Bucket: e2e.env.VAULT_BUCKET, Key: key }))).LegalHold?.Status;
    // Act
    const set = await call(approver, `/v1/cases/${verificationId}/legal-hold`, {
      on: true,
      reason: 'regulator request',
    });
    const whileHeld = await holdStatus();
    const support = await call(await tokenFor('sam', 'support'), `/v1/cases/${verificationId}/legal-hold`, {
      on: false,
      reason: 'not allowed',
    });
    const unknown = await call(approver, `/v1/cases/${randomUUID()}/legal-hold`, { on: true, reason: 'no such case' });
    const lifted = await call(await tokenFor('ada-admin', 'admin'), `/v1/cases/${verificationId}/legal-hold`, {
      on: false,
      reason: 'request closed',
    });
    // Assess
    expect(set).toMatchObject({ status: 200, body: { verificationId, legalHold: true, evidenceObjects: 1 } });
    expect(whileHeld).toBe('ON');
    expect(support.status).toBe(403);
    expect(unknown.status).toBe(404);
    expect(lifted.body.legalHold).toBe(false);
    expect(await holdStatus()).toBe('OFF');
  });
});

// ---------------------------------------------------------------------------------------------
// User rights (GET /v1/me/data, POST /v1/me/erasure) and the deletion job (kyc records purge).

const YEAR_MS = 365.25 * 86_400_000;

async function callGet(token: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${e2e.runtime.apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A verification created through the API (personal data sealed as in production). */
async function createVerification(owner: string, fullName: string, level: 'basic' | 'advanced' = 'basic') {
  const client = new KycClient(e2e.runtime.apiUrl, await tokenFor(owner, 'user'));
  const { verificationId } = await client.createVerification({
    level,
    nationality: 'GBR',
    documentType: 'passport',
    personalData: { fullName, dateOfBirth: '1990-01-01', address: '1 High Street, London' },
  });
  return verificationId;
}

/**
 * An attempt with `status` and, unless `vaulted` is false, one accepted document in the vault
 * recorded at `recordedAt`, with its work-list entry as the on-upload function writes it.
 */
async function seedAttempt(
  verificationId: string,
  options: { status: string; recordedAt?: Date; image?: Buffer; vaulted?: boolean },
): Promise<{ attemptId: string; key: string }> {
  const at = options.recordedAt ?? new Date();
  const attemptId = await seedAttemptRecord(e2e, verificationId, { status: options.status, at });
  const key = `evidence/${verificationId}/${attemptId}/document_front`;
  if (options.vaulted === false) return { attemptId, key };
  await seedVaultedDocument(e2e, verificationId, attemptId, {
    body: options.image ?? Buffer.alloc(2048, 1),
    at,
    workList: true,
  });
  return { attemptId, key };
}

/** Moves an object's retention into the past in the local Object Lock state (as if its years had run). */
function expireLock(key: string): void {
  const file = join(e2e.runtime.dataDir, 's3-object-lock.json');
  const state = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, { retainUntil?: string }>>;
  const bucket = state[e2e.env.VAULT_BUCKET ?? '']!;
  bucket[key] = { ...bucket[key], retainUntil: new Date(Date.now() - 86_400_000).toISOString() };
  writeFileSync(file, JSON.stringify(state));
}

/** Closes `owner`'s account through the API, then moves the relationship end `yearsAgo` into the past. */
async function closeAccountYearsAgo(owner: string, yearsAgo: number): Promise<void> {
  const closed = await call(await tokenFor('ada-admin', 'admin'), `/v1/accounts/${owner}/close`, {
    reason: 'customer left',
  });
  expect(closed.status).toBe(200);
  const endedAt = new Date(Date.now() - yearsAgo * YEAR_MS).toISOString();
  await e2e.dynamo.send(
    new UpdateCommand({
      TableName: e2e.env.VERIFICATIONS_TABLE,
      Key: { pk: `ACCOUNT#${owner}`, sk: 'ACCOUNT' },
      UpdateExpression: 'SET relationshipEndedAt = :at, gsi1sk = :sk',
      ExpressionAttributeValues: { ':at': endedAt, ':sk': `${endedAt}#${owner}` },
    }),
  );
}

async function auditEvents(subject: string): Promise<Record<string, unknown>[]> {
  const events = await e2e.dynamo.send(
    new QueryCommand({
      TableName: e2e.env.AUDIT_TABLE,
      KeyConditionExpression: '#s = :s',
      ExpressionAttributeNames: { '#s': 'subject' },
      ExpressionAttributeValues: { ':s': subject },
    }),
  );
  return events.Items ?? [];
}

async function auditActions(subject: string): Promise<string[]> {
  return (await auditEvents(subject)).map((event) => String(event.action));
}

async function exists(key: string): Promise<boolean> {
  try {
    await e2e.s3.send(new HeadObjectCommand({ Bucket: e2e.env.VAULT_BUCKET, Key: key }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'NotFound') return false;
    throw error;
  }
}

async function item(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
  return (await e2e.dynamo.send(new GetCommand({ TableName: e2e.env.VERIFICATIONS_TABLE, Key: { pk, sk } }))).Item;
}

function rekognitionClient(): RekognitionClient {
  return new RekognitionClient({
    endpoint: e2e.runtime.endpoints.rekognition,
    region: e2e.runtime.config.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/**
 * Indexes `selfie`'s face for the attempt into the runtime's collection and records its id on the
 * attempt's duplicates check, as the duplicates step does.
 */
async function indexFaceOf(owner: string, verificationId: string, attemptId: string, selfie: Buffer): Promise<string> {
  const rekognition = rekognitionClient();
  const indexed = await rekognition.send(
    new IndexFacesCommand({
      CollectionId: e2e.env.FACE_COLLECTION_ID,
      Image: { Bytes: selfie },
      ExternalImageId: `${owner}:${attemptId}`,
      MaxFaces: 1,
    }),
  );
  rekognition.destroy();
  const faceId = indexed.FaceRecords?.[0]?.Face?.FaceId as string;
  await e2e.dynamo.send(
    new PutCommand({
      TableName: e2e.env.VERIFICATIONS_TABLE,
      Item: {
        pk: verificationPk(verificationId),
        sk: checkSk(attemptId, 'duplicates'),
        entity: 'check',
        verificationId,
        attemptId,
        name: 'duplicates',
        result: { status: 'pass' },
        processors: ['rekognition:IndexFaces@selfie'],
        faceIds: [faceId],
        recordedAt: new Date().toISOString(),
      },
    }),
  );
  return faceId;
}

/** The ids of the faces in the runtime's collection. */
async function facesInCollection(): Promise<string[]> {
  const rekognition = rekognitionClient();
  const faces = await rekognition.send(
    new ListFacesCommand({ CollectionId: e2e.env.FACE_COLLECTION_ID, MaxResults: 1000 }),
  );
  rekognition.destroy();
  return (faces.Faces ?? []).map((face) => face.FaceId ?? '');
}

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await main(args, {
    out: (text) => out.push(text),
    err: (text) => out.push(text),
    cwd: work,
    env: process.env,
  });
  return { code, out: out.join('\n') };
}

describe("GET /v1/me/data: the person's own records and images", () => {
  it("returns only the caller's records, personal data decrypted, images watermarked to the access; audited first", async () => {
    // Prepare
    const image = await (await loadSampleImages()).selfie(demoPerson(0));
    const mine = await createVerification('data-owner', 'MARY OWNER');
    const { attemptId } = await seedAttempt(mine, { status: 'approved', image });
    // The checks the workflow recorded, with their scores.
    for (const [name, result] of [
      ['face_match', { kind: 'scored', similarity: 97.31 }],
      ['liveness', { status: 'SUCCEEDED', confidence: 91.27, bindings: { selfieSimilarity: 98.41 } }],
    ] as const) {
      await e2e.dynamo.send(
        new PutCommand({
          TableName: e2e.env.VERIFICATIONS_TABLE,
          Item: {
            pk: verificationPk(mine),
            sk: checkSk(attemptId, name),
            entity: 'check',
            verificationId: mine,
            attemptId,
            name,
            result,
            processors: [`rekognition:${name}`],
            recordedAt: new Date().toISOString(),
          },
        }),
      );
    }
    const theirs = await createVerification('data-stranger', 'STRANGER NAME');
    await seedAttempt(theirs, { status: 'approved', image });
    // Act
    const response = await callGet(await tokenFor('data-owner', 'user'), '/v1/me/data');
    const answered = Date.now();
    const download = await fetch(response.body.url as string);
    const files = unzipSync(new Uint8Array(await download.arrayBuffer()));

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ verifications: 1, images: 1 });
    expect(Date.parse(response.body.expiresAt as string)).toBeLessThanOrEqual(answered + 600_000);
    const names = Object.keys(files).sort();
    expect(names).toEqual([
      'manifest.json',
      `verifications/${mine}/images/${names.find((name) => name.endsWith('.jpg'))!.split('/images/')[1]}`,
      `verifications/${mine}/records.json`,
    ]);
    const records = JSON.parse(Buffer.from(files[`verifications/${mine}/records.json`]!).toString('utf8')) as {
      personalData: { fullName: string };
      attempts: Array<{ status: string; documents: Array<Record<string, unknown>> }>;
    };
    expect(records.personalData.fullName).toBe('MARY OWNER');
    expect(records.attempts[0]).toMatchObject({
      status: 'approved',
      documents: [{ slot: 'document_front', result: 'accepted' }],
    });
    expect(JSON.stringify(records)).not.toMatch(/vaultKey|STRANGER|taskToken/);
    // The checks' outcomes, never their scores (no oracle for a forged face).
    const checks = (records.attempts[0] as unknown as { checks: Array<Record<string, unknown>> }).checks;
    expect(checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'face_match', result: { kind: 'scored' }, withheld: ['result.similarity'] }),
        expect.objectContaining({
          name: 'liveness',
          result: { status: 'SUCCEEDED', bindings: {} },
          withheld: ['result.confidence', 'result.bindings.selfieSimilarity'],
        }),
      ]),
    );
    expect(JSON.stringify(records)).not.toMatch(/97\.31|91\.27|98\.41/);
    expect(JSON.parse(Buffer.from(files['manifest.json']!).toString('utf8')).notes).toEqual([
      expect.stringContaining('withheld to prevent fraud'),
    ]);
    expect(JSON.stringify(files['manifest.json'] && Buffer.from(files['manifest.json']).toString())).not.toContain(
      theirs,
    );
    const copy = join(work, 'my-copy.jpg');
    writeFileSync(copy, files[names[1]!]!);
    const traced = await cli(['watermark', 'trace', copy, '--data-dir', e2e.runtime.dataDir]);
    expect(traced.out, traced.out).toContain(`access ${String(response.body.accessId)}`);
    expect(await auditActions('account:data-owner')).toContain('subject_access.requested');
    expect(await auditActions(`verification:${mine}`)).toContain('personal_data.accessed');
    expect(await auditActions(`verification:${theirs}`)).not.toContain('personal_data.accessed');
  }, 60_000);

  it('refuses a query parameter (it never names whose data) with a JSON 400', async () => {
    // Act
    const response = await callGet(await tokenFor('data-owner', 'user'), '/v1/me/data?user=alice');

    // Assess
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ code: 'VALIDATION_ERROR', message: expect.stringContaining('user') });
  });

  it.each(['support', 'compliance_reviewer', 'admin'] as const)('refuses %s with 403', async (role) => {
    // Act
    const response = await callGet(await tokenFor(`staff-${role}`, role), '/v1/me/data');

    // Assess
    expect(response.status).toBe(403);
    expect(Object.keys(response.body).sort()).toEqual(['code', 'message']);
  });
});

describe('POST /v1/me/erasure and the deletion job', () => {
  it('refuses a body naming someone (an unknown key) with a JSON 400 and erases nothing', async () => {
    // Prepare
    const draft = await createVerification('erasure-naming-owner', 'NINA NAMING');
    const token = await tokenFor('erasure-naming-owner', 'user');

    // Act
    const response = await call(token, '/v1/me/erasure', { userId: 'bob' });

    // Assess
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.any(String) });
    expect(await item(`V#${draft}`, 'META')).toBeDefined();
  });

  it('erases drafts and counters at once, keeps locked evidence and says until when and why; idempotent', async () => {
    // Prepare
    const kept = await createVerification('erasing-owner', 'ERIN ERASE');
    const { key, attemptId } = await seedAttempt(kept, { status: 'rejected' });
    const draftAttempt = await seedAttempt(kept, { status: 'awaiting_upload', vaulted: false });
    const draft = await createVerification('erasing-owner', 'ERIN ERASE', 'advanced');
    const lockedUntil = await retention(key);
    const token = await tokenFor('erasing-owner', 'user');

    // Act
    const first = await call(token, '/v1/me/erasure', {});
    const second = await call(token, '/v1/me/erasure', {});

    // Assess
    expect(first.status).toBe(202);
    expect(first.body.erased).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'attempt', attemptId: draftAttempt.attemptId, why: 'never_reached_vault' }),
        { kind: 'verification', verificationId: draft },
        expect.objectContaining({ kind: 'rate_limit_counters' }),
      ]),
    );
    expect(first.body).toMatchObject({
      reason: 'retention_period',
      retainedUntil: lockedUntil!.toISOString(),
      retained: [{ verificationId: kept, attemptId, vaultObjects: 1, reason: 'retention_period' }],
    });
    expect(first.body.message).toMatch(/AMLD art\. 40/);
    expect(await exists(key)).toBe(true);
    expect(await item(`V#${draft}`, 'META')).toBeUndefined();
    expect(await item(`V#${kept}`, `A#${draftAttempt.attemptId}`)).toBeUndefined();
    expect(second.status).toBe(202);
    expect(second.body).toMatchObject({
      erased: [],
      retainedUntil: first.body.retainedUntil,
      requestedAt: first.body.requestedAt,
    });
    expect(await item('ERASURE#erasing-owner', 'ERASURE')).toMatchObject({ gsi1pk: 'RETENTION#ERASURE' });
    expect(await auditActions('account:erasing-owner')).toEqual(
      expect.arrayContaining(['erasure.requested', 'erasure.deferred']),
    );
  }, 60_000);

  it('deletes only what is due, honouring locks and legal holds, and audits each deletion', async () => {
    // Prepare: closed 6 years ago with an expired lock (due), the same under a legal hold, the
    // same with its lock still running, and an open account with an old rejected attempt (due)
    // next to the approved attempt the account rests on (kept while the account is open).
    const sixYearsAgo = new Date(Date.now() - 6 * YEAR_MS);
    const due = await createVerification('purge-due', 'DUE PERSON');
    const dueObject = await seedAttempt(due, { status: 'approved', recordedAt: sixYearsAgo });
    const held = await createVerification('purge-held', 'HELD PERSON');
    const heldObject = await seedAttempt(held, { status: 'approved', recordedAt: sixYearsAgo });
    const locked = await createVerification('purge-locked', 'LOCKED PERSON');
    const lockedObject = await seedAttempt(locked, { status: 'approved', recordedAt: sixYearsAgo });
    const open = await createVerification('purge-open', 'OPEN PERSON');
    const oldRejected = await seedAttempt(open, { status: 'rejected', recordedAt: sixYearsAgo });
    const basis = await seedAttempt(open, { status: 'approved', recordedAt: sixYearsAgo });
    for (const owner of ['purge-due', 'purge-held', 'purge-locked']) await closeAccountYearsAgo(owner, 6);
    // The due and the held attempts' selfies were indexed by the duplicates check.
    const images = await loadSampleImages();
    const dueFace = await indexFaceOf('purge-due', due, dueObject.attemptId, await images.selfie(images.person(1)));
    const heldFace = await indexFaceOf('purge-held', held, heldObject.attemptId, await images.selfie(images.person(2)));
    const hold = await call(await tokenFor('amos', 'compliance_approver'), `/v1/cases/${held}/legal-hold`, {
      on: true,
      reason: 'court order',
    });
    expect(hold.status).toBe(200);
    for (const { key } of [dueObject, heldObject, oldRejected, basis]) expireLock(key);
    const lockedUntil = await retention(lockedObject.key);

    // Act
    const dryRun = await cli(['records', 'purge', '--data-dir', e2e.runtime.dataDir, '--dry-run', '--json']);
    const afterDryRun = await Promise.all([dueObject.key, oldRejected.key].map(exists));
    const facesAfterDryRun = await facesInCollection();
    const run = await cli(['records', 'purge', '--data-dir', e2e.runtime.dataDir, '--json']);

    // Assess
    expect(dryRun.code, dryRun.out).toBe(0);
    expect(afterDryRun).toEqual([true, true]);
    const planned = JSON.parse(dryRun.out) as { erased: Array<{ userId: string }> };
    expect(planned.erased.map((entry) => entry.userId).sort()).toEqual(['purge-due', 'purge-open']);
    expect(run.code, run.out).toBe(0);
    expect(await exists(dueObject.key)).toBe(false);
    expect(await exists(oldRejected.key)).toBe(false);
    expect(await exists(heldObject.key)).toBe(true);
    expect(await exists(lockedObject.key)).toBe(true);
    expect(await exists(basis.key)).toBe(true);
    expect((await retention(lockedObject.key))?.toISOString()).toBe(lockedUntil?.toISOString()); // never shortened
    expect(await item(`V#${due}`, 'META')).toBeUndefined();
    expect(await item('ACCOUNT#purge-due', 'ACCOUNT')).toBeUndefined();
    expect(await item(`V#${open}`, `A#${oldRejected.attemptId}#D#document_front`)).toBeUndefined();
    expect(await item(`V#${open}`, 'META')).toBeDefined();
    expect(await item(`V#${open}`, `A#${basis.attemptId}#D#document_front`)).not.toHaveProperty('gsi1pk');
    expect(await item(`V#${held}`, 'META')).toBeDefined();
    expect(await item('ACCOUNT#purge-held', 'ACCOUNT')).toBeDefined();
    expect(await auditActions(`verification:${due}`)).toEqual(
      expect.arrayContaining(['evidence.deleted', 'attempt.erased', 'verification.erased']),
    );
    expect(await auditActions('account:purge-due')).toContain('account.records_purged');
    expect(await auditActions(`verification:${open}`)).toContain('evidence.deleted');
    // The erased attempt's face left the collection with its evidence (audited); the held one stays.
    expect(facesAfterDryRun).toEqual(expect.arrayContaining([dueFace, heldFace]));
    const facesAfter = await facesInCollection();
    expect(facesAfter).not.toContain(dueFace);
    expect(facesAfter).toContain(heldFace);
    const removed = (await auditEvents(`verification:${due}`)).find((event) => event.action === 'faces.removed');
    expect(removed?.details).toMatchObject({ attemptId: dueObject.attemptId, faces: 1 });
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------
describe('a legal hold is never told to the applicant (AML tipping-off)', () => {
  it('neither their data package nor their erasure answer names the hold; staff see it in the audit trail', async () => {
    // Prepare: a regulator's hold on the applicant's case
    const { verificationId } = await seedCase('held-quietly');
    const held = await call(await tokenFor('amos', 'compliance_approver'), `/v1/cases/${verificationId}/legal-hold`, {
      on: true,
      reason: 'regulator request',
    });
    const owner = await tokenFor('held-quietly', 'user');

    // Act
    const data = await callGet(owner, '/v1/me/data');
    const files = unzipSync(new Uint8Array(await (await fetch(data.body.url as string)).arrayBuffer()));
    const records = Buffer.from(files[`verifications/${verificationId}/records.json`]!).toString('utf8');
    const erasure = await call(owner, '/v1/me/erasure', {});

    // Assess
    expect(held.status).toBe(200);
    expect(data.status).toBe(200);
    expect(records).toContain(verificationId);
    expect(records).not.toMatch(/hold|regulator/i);
    expect(erasure.status).toBe(202);
    expect(JSON.stringify(erasure.body)).not.toMatch(/hold|regulator|court/i);
    expect(erasure.body.reason).toBe('retention_period');
    expect(erasure.body.retained).toEqual([expect.objectContaining({ verificationId, reason: 'retention_period' })]);
    expect(Date.parse(erasure.body.retainedUntil as string)).toBeGreaterThan(Date.now());
    const deferred = await auditEvents('account:held-quietly');
    expect(deferred.find((event) => event.action === 'erasure.deferred')?.details).toMatchObject({
      retentionReason: 'legal_hold',
    });
  });
});
