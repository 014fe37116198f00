import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mrzCandidateLines, readMrz } from '../../../lambdas/domain/mrz.ts';
import { looksLikeMrz } from '../../../lambdas/domain/redaction.ts';
import { TextDetector } from '../../../local/aws/rekognition/text-detection.ts';
import { main } from '../../../local/cli/main.ts';
import { submitAttempt } from '../../../local/demo/scenarios.ts';
import { KycClient } from '../../../local/demo/kyc-client.ts';
import { decideReview } from '../../../local/demo/review-client.ts';
import { loadSampleImages, type DemoPerson, type SampleImages } from '../../../local/demo/sample-images.ts';
import { FaceEngineDetector } from '../../../local/face-engine/face-detector.ts';
import { issueLocalToken } from '../../../local/runtime/auth/local-tokens.ts';
import type { Role } from '../../../lambdas/domain/verification.ts';
import { startE2eRuntime, type E2eRuntime } from '../support/local-runtime.ts';

// The support view and the metrics through the local runtime, with real cases made through the
// API as a frontend makes them: an applicant approved, and a second account of the same person
// that is first rejected at the quality gate (blurry), then resubmits, lands in the duplicates
// queue, and is rejected by a reviewer. Support reads both cases; compliance reads the metrics.
let e2e: E2eRuntime;
let images: SampleImages;
let person: DemoPerson;
let reviewer: KycClient;
let support: KycClient;
let admin: KycClient;
let approvedCase: string;
let duplicateCase: string;
let metricsWhileQueued: Record<string, unknown>;
const ocr = new TextDetector();
const faces = new FaceEngineDetector();
const work = mkdtempSync(join(tmpdir(), 'kyc-support-'));
/** A staff bearer token signed with the runtime's key, as `kyc token` issues it. */
const tokenFor = (userId: string, role: Role): Promise<string> => issueLocalToken(e2e.signingKey, { userId, role });
const today = (): string => new Date().toISOString().slice(0, 10);

async function metrics(client: KycClient): Promise<Record<string, unknown>> {
  return client.call('GET', `/v1/metrics?from=${today()}&to=${today()}`);
}

/** Polls until `check` holds for the metrics (counters follow the status change by a write). */
async function waitForMetrics(check: (body: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 30_000;
  let last: Record<string, unknown> = {};
  while (Date.now() < deadline) {
    last = await metrics(admin);
    if (check(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`metrics never matched; last: ${JSON.stringify(last)}`);
}

const decisionsTotal = (body: Record<string, unknown>): number => (body.decisions as { total: number }).total;
const openIn = (body: Record<string, unknown>, queue: string): number =>
  (body.queues as Array<{ queue: string; open: number }>).find((entry) => entry.queue === queue)?.open ?? -1;

beforeAll(async () => {
  // Liveness and OCR are covered elsewhere; without them each case takes a fraction of the time.
  e2e = await startE2eRuntime({ config: { features: { liveness: false, ocr: false } } });
  images = await loadSampleImages();
  person = images.person(1);
  const key = e2e.signingKey;
  reviewer = await KycClient.forStaff(e2e.runtime.apiUrl, 'rita-reviewer', 'compliance_reviewer', key);
  support = await KycClient.forStaff(e2e.runtime.apiUrl, 'sam-support', 'support', key);
  admin = await KycClient.forStaff(e2e.runtime.apiUrl, 'ada-admin', 'admin', key);
  const files = { document: await images.document(person), selfie: await images.selfie(person), camera: person };
  const declared = {
    level: 'basic' as const,
    nationality: person.nationality,
    documentType: 'passport' as const,
    personalData: { fullName: person.fullName, dateOfBirth: person.dateOfBirth, address: person.address },
  };

  // The original account: approved (by a reviewer if the local engines send it to one).
  const original = await KycClient.forUser(e2e.runtime.apiUrl, 'support-e2e-original');
  approvedCase = (await original.createVerification(declared)).verificationId;
  await submitAttempt(original, approvedCase, files);
  const first = await original.waitForStatus(approvedCase, { timeoutMs: 120_000 });
  if (first.status === 'manual_review') await decideReview(reviewer, approvedCase, 'approve', 'checked by hand');
  expect((await original.waitForStatus(approvedCase, { until: ['approved'], timeoutMs: 60_000 })).status).toBe(
    'approved',
  );

  // The second account of the same person: blurry first (quality gate), then the sharp page.
  const second = await KycClient.forUser(e2e.runtime.apiUrl, 'support-e2e-duplicate');
  duplicateCase = (await second.createVerification(declared)).verificationId;
  await submitAttempt(second, duplicateCase, { ...files, document: await images.document(person, { blurry: true }) });
  await second.waitForStatus(duplicateCase, { until: ['rejected'], timeoutMs: 60_000 });
  await submitAttempt(second, duplicateCase, files);
  const queued = await second.waitForStatus(duplicateCase, {
    until: ['manual_review', 'rejected'],
    timeoutMs: 120_000,
  });
  expect(queued.reasons.map((reason) => reason.code)).toContain('DUPLICATE_IDENTITY');
  metricsWhileQueued = await waitForMetrics((body) => openIn(body, 'duplicates') === 1);
  await decideReview(reviewer, duplicateCase, 'reject', 'same person, second account', ['DUPLICATE_IDENTITY']);
  await second.waitForStatus(duplicateCase, { until: ['rejected'], timeoutMs: 60_000 });
}, 300_000);

afterAll(async () => {
  await ocr.close();
  await e2e?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('GET /v1/metrics', () => {
  it('counts the queued duplicate in its queue while it waits for a reviewer', () => {
    // Assess
    expect(openIn(metricsWhileQueued, 'duplicates')).toBe(1);
    expect(openIn(metricsWhileQueued, 'standard')).toBe(0);
  });

  it('reports decisions, rates by reason, resubmissions and times to decision of the day', async () => {
    // Act
    const body = await waitForMetrics((candidate) => decisionsTotal(candidate) >= 3);

    // Assess: approved original; blurry rejection (automatic, no time to decision); manual duplicate rejection
    expect(body.decisions).toMatchObject({ total: 3, approved: 1, rejected: 2 });
    const decisions = body.decisions as { automatic: number; manual: number };
    expect(decisions.manual).toBeGreaterThanOrEqual(1);
    expect(decisions.automatic + decisions.manual).toBe(3);
    expect(body.approvalRate).toBeCloseTo(1 / 3, 3);
    expect(body.rejectionsByReason).toEqual(
      expect.arrayContaining([
        { code: 'PHOTO_TOO_BLURRY', count: 1, rate: 0.3333 },
        { code: 'DUPLICATE_IDENTITY', count: 1, rate: 0.3333 },
      ]),
    );
    expect(body.resubmissions).toEqual({ decided: 1, approved: 0, successRate: 0 });
    const times = body.timeToDecision as Record<'automatic' | 'manual', { count: number; medianSeconds: number }>;
    expect(times.automatic.count + times.manual.count).toBe(2);
    expect(times.manual.medianSeconds).toBeGreaterThan(0);
    expect(openIn(body, 'duplicates')).toBe(0);
    expect(body.days).toEqual([{ date: today(), approved: 1, rejected: 2, slaBreaches: 0 }]);
  });

  it.each([
    ['from=2026-13-01', 'INVALID_RANGE'],
    ['from=2020-01-01&to=2026-01-01', 'INVALID_RANGE'],
    ['window=7', 'VALIDATION_ERROR'],
  ])('answers ?%s with 400 %s', async (query, code) => {
    // Act
    const response = await fetch(`${e2e.runtime.apiUrl}/v1/metrics?${query}`, {
      headers: { authorization: `Bearer ${await tokenFor('rita-reviewer', 'compliance_reviewer')}` },
    });

    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ code, message: expect.any(String) });
  });
});

describe('GET /v1/support/verifications/{id}', () => {
  // One support read of the second account (zh-CN): each read renders a thumbnail.
  let body: Record<string, unknown>;
  beforeAll(async () => {
    body = await support.call('GET', `/v1/support/verifications/${duplicateCase}`, undefined, {
      'accept-language': 'zh-CN',
    });
  }, 120_000);

  it('shows status, reasons in the caller language and the attempt history with the first name only', () => {
    // Assess
    const [given, ...rest] = person.fullName.split(' ');
    expect(body).toMatchObject({ verificationId: duplicateCase, status: 'rejected', firstName: given });
    expect(body.reasons).toEqual([
      expect.objectContaining({ code: 'DUPLICATE_IDENTITY', message: expect.stringMatching(/[\u4e00-\u9fff]/) }),
    ]);
    expect((body.attempts as unknown[]).length).toBe(2);
    const text = JSON.stringify(body);
    for (const secret of [rest.join(' '), person.dateOfBirth, person.documentNumber, person.address, 'evidence/']) {
      expect(text).not.toContain(secret);
    }
  });

  it('audits the view and hands out a redacted, watermarked thumbnail that no detector reads', async () => {
    // Act
    const thumbnail = body.thumbnail as { url: string; accessId: string; expiresAt: string; redaction: string };
    const image = Buffer.from(await (await fetch(thumbnail.url)).arrayBuffer());
    const meta = await sharp(image).metadata();
    const large = await sharp(image)
      .resize({ width: (meta.width ?? 0) * 3, kernel: 'lanczos3' })
      .png()
      .toBuffer();
    const lines = [...(await ocr.detect(image)), ...(await ocr.detect(large))]
      .filter((detection) => detection.Type === 'LINE')
      .map((detection) => detection.DetectedText);
    const found = [...(await faces.detectFaces(image)), ...(await faces.detectFaces(large))];
    const traced = await trace(image);
    const audit = await e2e.dynamo.send(
      new QueryCommand({
        TableName: e2e.env.AUDIT_TABLE,
        KeyConditionExpression: 'subject = :s',
        ExpressionAttributeValues: { ':s': `verification:${duplicateCase}` },
      }),
    );

    // Assess: small, no face, no MRZ line, no document number, nothing pointing at an original
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBeLessThanOrEqual(320);
    expect(meta.format).toBe('jpeg');
    expect(found.filter((face) => face.confidence >= 50)).toEqual([]);
    expect(readMrz(lines)).toBeUndefined();
    expect(mrzCandidateLines(lines)).toEqual([]);
    expect(lines.filter(looksLikeMrz)).toEqual([]);
    expect(lines.join(' ').replace(/\s/g, '')).not.toContain(person.documentNumber);
    const text = JSON.stringify(body);
    expect(text).not.toContain('evidence/');
    expect(text).not.toContain(e2e.env.VAULT_BUCKET);
    expect(text).not.toMatch(/vaultKey/i);
    const url = new URL(thumbnail.url);
    expect(url.pathname).toContain(`${e2e.env.RENDITIONS_BUCKET}/support/`);
    expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(60);
    expect(Date.parse(thumbnail.expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);
    expect(traced.code, traced.out).toBe(0);
    expect(traced.out).toContain(thumbnail.accessId);
    const viewed = (audit.Items ?? []).find(
      (item) =>
        item.action === 'support.verification_viewed' &&
        (item.details as { accessId?: string }).accessId === thumbnail.accessId,
    );
    expect(viewed).toMatchObject({ actor: 'support:sam-support' });
    const redactions = (audit.Items ?? []).filter(
      (item) => (item.details as { purpose?: string }).purpose === 'support_redaction',
    );
    expect(redactions.length).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it.each([['compliance_reviewer'], ['compliance_approver'], ['admin'], ['user']] as const)(
    'refuses %s with 403',
    async (role) => {
      // Act
      const response = await fetch(`${e2e.runtime.apiUrl}/v1/support/verifications/${approvedCase}`, {
        headers: { authorization: `Bearer ${await tokenFor(`someone-${role}`, role)}` },
      });

      // Assess
      expect(response.status).toBe(403);
    },
  );

  it('answers 404 for an unknown verification', async () => {
    // Act
    const response = await fetch(`${e2e.runtime.apiUrl}/v1/support/verifications/${randomUUID()}`, {
      headers: { authorization: `Bearer ${await tokenFor('sam-support', 'support')}` },
    });

    // Assess
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ code: 'NOT_FOUND', message: expect.any(String) });
  });
});

async function trace(image: Buffer): Promise<{ code: number; out: string }> {
  const file = join(work, `${randomUUID()}.jpg`);
  writeFileSync(file, image);
  const out: string[] = [];
  const code = await main(['watermark', 'trace', file, '--data-dir', e2e.runtime.dataDir], {
    out: (line) => out.push(line),
    err: (line) => out.push(line),
    cwd: work,
    env: process.env,
  });
  return { code, out: out.join('\n') };
}
