import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { unzipSync } from 'fflate';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_ROUTES, type HttpRoute } from '../../../lambdas/handlers/http/routes.ts';
import { ROLES, type Role } from '../../../lambdas/domain/verification.ts';
import { main } from '../../../local/cli/main.ts';
import { KycClient } from '../../../local/demo/kyc-client.ts';
import { issueLocalToken } from '../../../local/runtime/auth/local-tokens.ts';
import { loadSampleImages, type SampleImages } from '../../../local/demo/sample-images.ts';
import { startE2eRuntime, type E2eRuntime } from '../support/local-runtime.ts';
import { seedAttempt, seedVaultedDocument } from '../support/seed.ts';

// Evidence access through the local runtime, as the console and an operator would use it:
// the authorization matrix over every route and role, audited and watermarked document views
// traced back with `kyc watermark trace`, and the two-person export with its one-time link.
const DOWNLOAD_SECONDS = 4;
let e2e: E2eRuntime;
let images: SampleImages;
let tokens: Record<string, string>;
let caseId: string;
let matrixCaseId: string;
let otherUsersCaseId: string;
let documentJpeg: Buffer;
const work = mkdtempSync(join(tmpdir(), 'kyc-evidence-'));

/** A user token over HTTP, as the upload page gets one; staff tokens signed with the runtime's key, as `kyc token` does. */
async function tokenFor(user: string, role: Role): Promise<string> {
  if (role !== 'user') return issueLocalToken(e2e.signingKey, { userId: user, role });
  const response = await fetch(`${e2e.runtime.apiUrl}/_local/token?user=${user}&role=${role}`);
  return ((await response.json()) as { token: string }).token;
}

async function call(token: string | undefined, method: string, path: string, body?: unknown) {
  const response = await fetch(`${e2e.runtime.apiUrl}${path}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      'user-agent': 'evidence-e2e',
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    headers: response.headers,
  };
}

/** A verification of `owner` with an accepted passport page in the vault, recorded as the on-upload function does. */
async function seedCase(owner: string, image: Buffer): Promise<string> {
  const person = images.person(0);
  const client = new KycClient(e2e.runtime.apiUrl, await tokenFor(owner, 'user'));
  const { verificationId } = await client.createVerification({
    level: 'basic',
    nationality: person.nationality,
    documentType: 'passport',
    personalData: { fullName: person.fullName, dateOfBirth: person.dateOfBirth, address: person.address },
  });
  const attemptId = await seedAttempt(e2e, verificationId, { status: 'approved' });
  await seedVaultedDocument(e2e, verificationId, attemptId, { body: image });
  return verificationId;
}

async function trace(image: Buffer): Promise<{ code: number; out: string }> {
  const file = join(work, `${randomUUID()}.jpg`);
  writeFileSync(file, image);
  const out: string[] = [];
  const code = await main(['watermark', 'trace', file, '--data-dir', e2e.runtime.dataDir], {
    out: (text) => out.push(text),
    err: (text) => out.push(text),
    cwd: work,
    env: process.env,
  });
  return { code, out: out.join('\n') };
}

async function renditionCount(verificationId: string): Promise<number> {
  const listed = await e2e.s3.send(
    new ListObjectsV2Command({ Bucket: e2e.env.RENDITIONS_BUCKET, Prefix: `views/${verificationId}/` }),
  );
  return listed.KeyCount ?? 0;
}

/** The support look-up and data-package quotas of this runtime. */
const SMALL_QUOTA = 2;

beforeAll(async () => {
  e2e = await startE2eRuntime({
    config: {
      evidenceAccess: { exportDownloadSeconds: DOWNLOAD_SECONDS },
      // Small, so the quota test reaches them; every other test calls these routes at most once a user.
      routeQuotas: {
        supportView: { requests: SMALL_QUOTA, windowSeconds: 3600 },
        subjectAccess: { requests: SMALL_QUOTA, windowSeconds: 3600 },
      },
    },
  });
  images = await loadSampleImages();
  documentJpeg = await images.document(images.person(0));
  tokens = {};
  for (const role of ROLES) tokens[role] = await tokenFor(`matrix-${role}`, role);
  tokens.owner = await tokenFor('case-owner', 'user');
  tokens.reviewer = await tokenFor('rita-reviewer', 'compliance_reviewer');
  tokens.approver = await tokenFor('amos-approver', 'compliance_approver');
  tokens.approver2 = await tokenFor('ava-approver', 'compliance_approver');
  // Cases whose copies are not traced get a small page: rendering and marking cost scales with pixels.
  const small = await sharp(documentJpeg).resize({ width: 640 }).jpeg({ quality: 90 }).toBuffer();
  caseId = await seedCase('case-owner', documentJpeg);
  matrixCaseId = await seedCase('matrix-user', small);
  otherUsersCaseId = await seedCase('someone-else', small);
}, 240_000);

afterAll(async () => {
  await e2e?.stop();
  rmSync(work, { recursive: true, force: true });
});

/**
 * One request per route, for the authorization matrix. `allowed` is the exact status a role of
 * the route's table gets on this request; everyone else gets 403. New routes must be added here.
 */
interface MatrixCase {
  readonly path: () => string;
  readonly body?: () => unknown;
  readonly allowed: number;
}
const state: { exportForApproval?: string; exportForRejection?: string; documentlessCase?: string } = {};
const MATRIX: Record<string, MatrixCase> = {
  'GET /health': { path: () => '/health', allowed: 200 },
  'POST /v1/verifications': {
    path: () => '/v1/verifications',
    // matrix-user already holds a basic verification (one per user and level): ask for advanced.
    body: () => ({
      level: 'advanced',
      nationality: 'GBR',
      documentType: 'passport',
      personalData: { fullName: 'ANNA MARTIN', dateOfBirth: '1990-01-01', address: '1 High St' },
    }),
    allowed: 201,
  },
  'POST /v1/verifications/{id}/attempts': {
    path: () => `/v1/verifications/${matrixCaseId}/attempts`,
    body: () => ({}),
    allowed: 201,
  },
  'GET /v1/verifications/{id}': { path: () => `/v1/verifications/${matrixCaseId}`, allowed: 200 },
  'POST /v1/reviews/{verificationId}/decision': {
    path: () => `/v1/reviews/${matrixCaseId}/decision`,
    body: () => ({ decision: 'approve', note: 'matrix' }),
    allowed: 409, // no open review on this case: the role passes, the state refuses
  },
  'GET /v1/reviews': { path: () => '/v1/reviews', allowed: 200 },
  'POST /v1/verifications/{id}/reset': {
    path: () => `/v1/verifications/${matrixCaseId}/reset`,
    body: () => ({ reason: 'matrix walk of every role' }),
    allowed: 409, // not approved: nothing to reset
  },
  'POST /v1/verifications/{id}/reset-requests/{requestId}/decision': {
    path: () => `/v1/verifications/${matrixCaseId}/reset-requests/no-such-request/decision`,
    body: () => ({ decision: 'approve', note: 'matrix walk of every role' }),
    allowed: 404, // the role passes; there is no such reset request
  },
  'POST /v1/cases/{verificationId}/documents/{slot}/view': {
    path: () => `/v1/cases/${matrixCaseId}/documents/document_front/view`,
    body: () => ({ reason: 'authorization matrix' }),
    allowed: 200,
  },
  'POST /v1/exports': {
    path: () => '/v1/exports',
    body: () => ({ verificationIds: [matrixCaseId], reason: 'authorization matrix' }),
    allowed: 201,
  },
  'GET /v1/exports/{exportId}': { path: () => `/v1/exports/${state.exportForApproval}`, allowed: 200 },
  'POST /v1/exports/{exportId}/approve': {
    path: () => `/v1/exports/${state.exportForApproval}/approve`,
    allowed: 200,
  },
  'POST /v1/exports/{exportId}/reject': {
    path: () => `/v1/exports/${state.exportForRejection}/reject`,
    body: () => ({ note: 'not needed' }),
    allowed: 200,
  },
  'GET /v1/exports/{exportId}/download': {
    path: () => `/v1/exports/${state.exportForApproval}/download?token=${'x'.repeat(43)}`,
    allowed: 404, // public route: without the one-time token nobody gets anything
  },
  'POST /v1/accounts/{userId}/close': {
    path: () => '/v1/accounts/matrix-closed-account/close',
    body: () => ({ reason: 'authorization matrix' }),
    allowed: 200,
  },
  'POST /v1/cases/{verificationId}/legal-hold': {
    path: () => `/v1/cases/${matrixCaseId}/legal-hold`,
    body: () => ({ on: false, reason: 'authorization matrix' }),
    allowed: 200,
  },
  'GET /v1/cases': { path: () => '/v1/cases?status=open&limit=5', allowed: 200 },
  'GET /v1/cases/{verificationId}': { path: () => `/v1/cases/${matrixCaseId}`, allowed: 200 },
  'POST /v1/cases/{verificationId}/claim': {
    path: () => `/v1/cases/${matrixCaseId}/claim`,
    allowed: 409, // no open review on this case: the role passes, the state refuses
  },
  'POST /v1/cases/{verificationId}/assign': {
    path: () => `/v1/cases/${matrixCaseId}/assign`,
    body: () => ({ assignee: 'matrix-compliance_reviewer' }),
    allowed: 409, // no open review on this case
  },
  'POST /v1/cases/{verificationId}/notes': {
    path: () => `/v1/cases/${matrixCaseId}/notes`,
    body: () => ({ text: 'authorization matrix' }),
    allowed: 201,
  },
  'GET /v1/cases/{verificationId}/audit': { path: () => `/v1/cases/${matrixCaseId}/audit`, allowed: 200 },
  // The caller's own data; staff have no "own" records here and get 403.
  'GET /v1/me/data': { path: () => '/v1/me/data', allowed: 200 },
  'POST /v1/me/erasure': { path: () => '/v1/me/erasure', body: () => ({}), allowed: 202 },
  'GET /v1/support/verifications/{verificationId}': {
    // A case without documents: the matrix checks who may call; rendering is tested in support-metrics.
    path: () => `/v1/support/verifications/${state.documentlessCase}`,
    allowed: 200,
  },
  'GET /v1/metrics': { path: () => '/v1/metrics', allowed: 200 },
};

describe('authorization matrix: every route x every role', () => {
  beforeAll(async () => {
    for (const key of ['exportForApproval', 'exportForRejection'] as const) {
      const created = await call(tokens.reviewer, 'POST', '/v1/exports', {
        verificationIds: [matrixCaseId],
        reason: 'matrix export',
      });
      state[key] = created.body.exportId as string;
    }
    const created = await call(await tokenFor('matrix-support-subject', 'user'), 'POST', '/v1/verifications', {
      level: 'basic',
      nationality: 'GBR',
      documentType: 'passport',
      personalData: { fullName: 'ANNA MARTIN', dateOfBirth: '1990-01-01', address: '1 High St' },
    });
    state.documentlessCase = created.body.verificationId as string;
    // Closing an account needs a verification of that user (404 NOT_FOUND otherwise).
    const closing = await call(await tokenFor('matrix-closed-account', 'user'), 'POST', '/v1/verifications', {
      level: 'basic',
      nationality: 'GBR',
      documentType: 'passport',
      personalData: { fullName: 'CARL CLOSED', dateOfBirth: '1990-01-01', address: '2 High St' },
    });
    expect(closing.status).toBe(201);
  }, 60_000);

  it('has a request for every route of the route table', () => {
    // Assess
    expect(HTTP_ROUTES.map((route) => `${route.method} ${route.path}`).filter((key) => !MATRIX[key])).toEqual([]);
  });

  const cells = HTTP_ROUTES.flatMap((route) =>
    ROLES.map((role) => [`${route.method} ${route.path}`, role, route] as const),
  );
  it.each(cells)(
    '%s as %s answers exactly the status the table allows',
    async (key, role, route: HttpRoute) => {
      // Prepare
      const request = MATRIX[key]!;
      const expected = route.public || route.roles.includes(role) ? request.allowed : 403;

      // Act
      const response = await call(tokens[role], route.method, request.path(), request.body?.());

      // Assess
      expect(response.status).toBe(expected);
      if (expected >= 400) expect(Object.keys(response.body).sort()).toEqual(['code', 'message']);
    },
    60_000,
  );

  it.each(
    HTTP_ROUTES.filter((route) => /\{(id|verificationId)\}/.test(route.path)).map((route) => [
      `${route.method} ${route.path}`,
      route,
    ]),
  )("%s: a user reaching another user's verification gets 404 or 403, never data", async (_key, route) => {
    // Prepare
    const path = route.path.replace(/\{(id|verificationId)\}/, otherUsersCaseId).replace('{slot}', 'document_front');
    const body = route.method === 'POST' ? (MATRIX[`${route.method} ${route.path}`]?.body?.() ?? {}) : undefined;

    // Act
    const response = await call(tokens.user, route.method, path, body);

    // Assess
    expect(response.status).toBe(route.roles.includes('user') ? 404 : 403);
    expect(Object.keys(response.body).sort()).toEqual(['code', 'message']);
  });
});

describe('document views', () => {
  it.each([
    ['support', () => tokens.support],
    ['the case owner', () => tokens.owner],
    ['an admin', () => tokens.admin],
  ])('refuses %s with 403 and renders nothing', async (_who, token) => {
    // Prepare
    const before = await renditionCount(caseId);

    // Act
    const response = await call(token(), 'POST', `/v1/cases/${caseId}/documents/document_front/view`, {
      reason: 'curious',
    });

    // Assess
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('FORBIDDEN');
    expect(await renditionCount(caseId)).toBe(before);
  });

  it('answers 404 for an unknown case and for a slot without a document', async () => {
    // Act
    const unknown = await call(tokens.reviewer, 'POST', `/v1/cases/${randomUUID()}/documents/selfie/view`, {
      reason: 'check',
    });
    const empty = await call(tokens.reviewer, 'POST', `/v1/cases/${caseId}/documents/selfie/view`, {
      reason: 'check',
    });

    // Assess
    expect([unknown.status, empty.status]).toEqual([404, 404]);
  });

  it('audits the view, serves a marked copy for at most 60 s, and the copy re-encoded at q60 and halved traces to the access', async () => {
    // Act
    const response = await call(tokens.reviewer, 'POST', `/v1/cases/${caseId}/documents/document_front/view`, {
      reason: 'case review ticket 4711',
    });
    const received = Date.now();
    const { accessId, url, expiresAt } = response.body as { accessId: string; url: string; expiresAt: string };
    const rendition = Buffer.from(await (await fetch(url)).arrayBuffer());
    const meta = await sharp(rendition).metadata();
    const leaked = await sharp(rendition)
      .resize({ width: Math.round((meta.width ?? 0) / 2) })
      .jpeg({ quality: 60 })
      .toBuffer();
    const traced = await trace(leaked);
    const audit = await e2e.dynamo.send(
      new ScanCommand({
        TableName: e2e.env.AUDIT_TABLE,
        FilterExpression: '#a = :a',
        ExpressionAttributeNames: { '#a': 'action' },
        ExpressionAttributeValues: { ':a': 'document.viewed' },
      }),
    );

    // Assess
    expect(response.status).toBe(200);
    expect(accessId).toMatch(/^[0-9a-f]{16}$/);
    expect(Date.parse(expiresAt) - received).toBeLessThanOrEqual(60_000);
    expect(Number(new URL(url).searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(60);
    expect(new URL(url).pathname).toContain(e2e.env.RENDITIONS_BUCKET);
    expect(meta.format).toBe('jpeg');
    expect(traced.code, traced.out).toBe(0);
    expect(traced.out).toContain(accessId);
    expect(traced.out).toContain('rita-reviewer (compliance_reviewer) viewed document document_front');
    expect(traced.out).toContain(caseId);
    expect(traced.out).toContain('case review ticket 4711');
    const event = (audit.Items ?? []).find((item) => (item.details as { accessId?: string }).accessId === accessId);
    expect(event).toMatchObject({
      subject: `verification:${caseId}`,
      actor: 'compliance_reviewer:rita-reviewer',
      reason: 'case review ticket 4711',
      origin: expect.any(String),
      details: expect.objectContaining({
        slot: 'document_front',
        userAgent: 'evidence-e2e',
        requestId: expect.any(String),
      }),
    });
  }, 120_000);

  it('traces an image that never carried our mark to nobody (exit 1)', async () => {
    // Act
    const traced = await trace(await images.selfie(images.person(1)));

    // Assess
    expect(traced.code).toBe(1);
    expect(traced.out).toMatch(/No watermark of ours/);
  }, 60_000);
});

describe('two-person export', () => {
  it('refuses the requester as approver (403) even when they are a compliance_approver', async () => {
    // Prepare
    const created = await call(tokens.approver, 'POST', '/v1/exports', {
      verificationIds: [caseId],
      reason: 'regulator request 12',
    });

    // Act
    const own = await call(tokens.approver, 'POST', `/v1/exports/${created.body.exportId as string}/approve`);
    const status = await call(tokens.approver, 'GET', `/v1/exports/${created.body.exportId as string}`);

    // Assess
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'pending_approval' });
    expect(Date.parse(created.body.expiresAt as string) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    expect(own.status).toBe(403);
    expect(status.body.status).toBe('pending_approval');
  });

  it("builds the package on a second person's approval; its link works once, with watermarked documents and a manifest", async () => {
    // Prepare
    const created = await call(tokens.reviewer, 'POST', '/v1/exports', {
      verificationIds: [caseId],
      reason: 'regulator request 13',
    });
    const exportId = created.body.exportId as string;

    // Act
    const approved = await call(tokens.approver2, 'POST', `/v1/exports/${exportId}/approve`);
    const again = await call(tokens.approver, 'POST', `/v1/exports/${exportId}/approve`);
    const forApprover = await call(tokens.approver2, 'GET', `/v1/exports/${exportId}`);
    const forRequester = await call(tokens.reviewer, 'GET', `/v1/exports/${exportId}`);
    const secondRead = await call(tokens.reviewer, 'GET', `/v1/exports/${exportId}`);
    const downloadUrl = forRequester.body.downloadUrl as string;
    const first = await fetch(downloadUrl);
    const zip = Buffer.from(await first.arrayBuffer());
    const second = await fetch(downloadUrl);

    // Assess
    expect(approved.status).toBe(200);
    expect(again.status).toBe(409);
    expect(forApprover.body.downloadUrl).toBeUndefined();
    expect(forRequester.body).toMatchObject({ status: 'ready', decidedBy: 'ava-approver' });
    expect(Date.parse(forRequester.body.downloadExpiresAt as string) - Date.now()).toBeLessThanOrEqual(
      DOWNLOAD_SECONDS * 1000,
    );
    expect(secondRead.body.downloadUrl).toBeUndefined();
    expect(first.status).toBe(200);
    expect(second.status).toBe(410);
    expect(((await second.json()) as { code: string }).code).toBe('EXPORT_ALREADY_DOWNLOADED');
    const files = unzipSync(new Uint8Array(zip));
    const manifest = JSON.parse(Buffer.from(files['manifest.json']!).toString('utf8')) as {
      accessId: string;
      approvedBy: string;
      files: { path: string; sha256: string; bytes: number }[];
    };
    expect(manifest.approvedBy).toBe('ava-approver');
    expect(manifest.files.map((file) => file.path).sort()).toEqual(
      Object.keys(files)
        .filter((path) => path !== 'manifest.json')
        .sort(),
    );
    for (const file of manifest.files) {
      const { createHash } = await import('node:crypto');
      expect(createHash('sha256').update(files[file.path]!).digest('hex')).toBe(file.sha256);
    }
    const caseJson = JSON.parse(Buffer.from(files[`cases/${caseId}/case.json`]!).toString('utf8')) as {
      personalData: { fullName: string };
      auditTrail: { action: string }[];
    };
    expect(caseJson.personalData.fullName).toBe(images.person(0).fullName);
    expect(caseJson.auditTrail.map((event) => event.action)).toContain('export.packaged');
    const document = Object.keys(files).find((path) => path.endsWith('-document_front.jpg'))!;
    const traced = await trace(Buffer.from(files[document]!));
    expect(traced.code, traced.out).toBe(0);
    expect(traced.out).toContain(manifest.accessId);
    expect(traced.out).toContain(`export ${exportId}, approved by ava-approver`);
  }, 120_000);

  it('lets an unused link expire', async () => {
    // Prepare
    const created = await call(tokens.reviewer, 'POST', '/v1/exports', {
      verificationIds: [matrixCaseId],
      reason: 'regulator request 14',
    });
    const exportId = created.body.exportId as string;
    await call(tokens.approver, 'POST', `/v1/exports/${exportId}/approve`);
    const link = (await call(tokens.reviewer, 'GET', `/v1/exports/${exportId}`)).body.downloadUrl as string;

    // Act
    await new Promise((resolve) => setTimeout(resolve, DOWNLOAD_SECONDS * 1000 + 500));
    const late = await fetch(link);

    // Assess
    expect(late.status).toBe(410);
    expect(((await late.json()) as { code: string }).code).toBe('EXPORT_LINK_EXPIRED');
  }, 60_000);
});

describe('per-user quota on an expensive route', () => {
  it('answers 429 RATE_LIMITED with retryAfterSeconds once a reviewer used up the export-request quota (malformed requests not counted), and only for that reviewer', async () => {
    // Prepare: a reviewer of their own, so the other tests' requests do not count
    const quota = e2e.runtime.config.routeQuotas.exportCreate;
    const busy = await issueLocalToken(e2e.signingKey, { userId: 'quota-reviewer', role: 'compliance_reviewer' });
    const request = { verificationIds: [caseId], reason: 'quota check' };
    // Malformed requests are answered 400 before the quota counts them.
    for (let index = 0; index < 3; index += 1) {
      const malformed = await call(busy, 'POST', '/v1/exports', { verificationIds: 'x', reason: 'quota check' });
      expect(malformed.status).toBe(400);
    }
    for (let index = 0; index < quota.requests; index += 1) {
      const allowed = await call(busy, 'POST', '/v1/exports', request);
      expect(allowed.status, JSON.stringify(allowed.body)).toBe(201);
    }

    // Act
    const refused = await call(busy, 'POST', '/v1/exports', request);
    const other = await call(tokens.approver, 'POST', '/v1/exports', request);

    // Assess
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', message: 'Too many requests', tip: expect.any(String) });
    const retryAfter = refused.body.retryAfterSeconds as number;
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(quota.windowSeconds);
    expect(refused.headers.get('retry-after')).toBe(String(retryAfter));
    expect(other.status).toBe(201);
  }, 60_000);
});

describe('per-user quotas on the support look-up and the data package', () => {
  it.each([
    [
      'support',
      'GET /v1/support/verifications/{verificationId}',
      (): string => `/v1/support/verifications/${state.documentlessCase}`,
    ],
    ['user', 'GET /v1/me/data', (): string => '/v1/me/data'],
  ] as const)(
    'a %s caller gets 429 RATE_LIMITED past the quota of %s, others do not',
    async (role, _route, path) => {
      // Prepare: callers of their own, so the other tests' requests do not count
      const busy = await tokenFor(`quota-${role}-busy`, role);
      const other = await tokenFor(`quota-${role}-other`, role);
      for (let index = 0; index < SMALL_QUOTA; index += 1) {
        const allowed = await call(busy, 'GET', path());
        expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);
      }

      // Act
      const refused = await call(busy, 'GET', path());
      const fresh = await call(other, 'GET', path());

      // Assess
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
      expect(fresh.status).toBe(200);
    },
    60_000,
  );
});

describe('audit first', () => {
  it('renders nothing and returns no URL when the audit event cannot be written', async () => {
    // Prepare: the audit table disappears (run last: every audited route fails afterwards)
    const before = await renditionCount(caseId);
    const accessesBefore = await e2e.dynamo.send(
      new ScanCommand({
        TableName: e2e.env.VERIFICATIONS_TABLE,
        FilterExpression: 'begins_with(pk, :p)',
        ExpressionAttributeValues: { ':p': 'ACCESS#' },
      }),
    );
    const client = new DynamoDBClient({
      endpoint: e2e.runtime.endpoints.dynamodb,
      region: e2e.runtime.config.region,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    await client.send(new DeleteTableCommand({ TableName: e2e.env.AUDIT_TABLE }));
    client.destroy();

    // Act
    const response = await call(tokens.reviewer, 'POST', `/v1/cases/${caseId}/documents/document_front/view`, {
      reason: 'audit outage',
    });
    const accessesAfter = await e2e.dynamo.send(
      new ScanCommand({
        TableName: e2e.env.VERIFICATIONS_TABLE,
        FilterExpression: 'begins_with(pk, :p)',
        ExpressionAttributeValues: { ':p': 'ACCESS#' },
      }),
    );

    // Assess
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ code: 'INTERNAL_ERROR', message: expect.any(String) });
    expect(await renditionCount(caseId)).toBe(before);
    expect(accessesAfter.Count).toBe(accessesBefore.Count);
  });
});
