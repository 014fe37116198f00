/**
 * Crash test of the local runtime (part of `npm test`; alone: `npm run test:stress`): `kyc local`
 * runs as its own process group (Node and DynamoDB Local's Java); a batch of verifications goes through every path
 * (approve, reject, manual review, cooldown) while the whole group is killed with SIGKILL at
 * four moments: right after uploads, during the workflow's checks, while a case waits for
 * review and while another is in cooldown. Each time the runtime starts again on the same data
 * folder. At the end a reviewer decides the waiting cases after the restart (rejects a duplicate
 * identity, approves an Advanced case: 200, then `approved`), every
 * invariant is checked against the stored data, and a SIGTERM stops the runtime with exit 0.
 *
 * Invariants: every verification reaches the status its path demands; every attempt that was
 * submitted has exactly one document per required slot and the intake bucket is empty (no upload lost, none recorded
 * twice); no attempt is left in `processing`; every audit chain verifies; every user's
 * rate-limit record counts each attempt and each outcome exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ListBucketsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../lambdas/domain/audit-chain.ts';
import type { AuditEvent } from '../../lambdas/domain/records.ts';
import { findFreePort } from '../../local/aws/free-port.ts';
import { issueLocalToken } from '../../local/runtime/auth/local-tokens.ts';
import { loadOrCreateSigningKey } from '../../local/runtime/auth/local-signing-key.ts';
import { KycClient, type VerificationView } from '../../local/demo/kyc-client.ts';
import { loadSampleImages, type DemoPerson } from '../../local/demo/sample-images.ts';
import { challengeFrames } from '../../local/demo/liveness-frames.ts';
import { submitAttempt } from '../../local/demo/scenarios.ts';
import { PROOF_OF_ADDRESS_PDF } from '../support/proof-of-address.ts';

const REPO = new URL('../../', import.meta.url).pathname;
/** 24 h of cooldown -> about 43 s; the 7-day review SLA -> about 5 minutes (no escalation here). */
const TIME_SCALE = 0.0005;

interface Started {
  readonly child: ChildProcess;
  readonly apiUrl: string;
  readonly dynamodb: string;
  readonly s3: string;
  readonly exited: Promise<number | null>;
}

/** Starts `kyc local` as the leader of a new process group; resolves once it printed its URLs. */
async function startLocal(
  dataDir: string,
  port: number,
  log: string[],
  env: Readonly<Record<string, string>> = {},
): Promise<Started> {
  const child = spawn(
    process.execPath,
    ['bin/kyc.mjs', 'local', '--port', String(port), '--data-dir', dataDir, '--time-scale', String(TIME_SCALE)],
    { cwd: REPO, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    log.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  });
  child.stderr?.on('data', (chunk: Buffer) => log.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  const deadline = Date.now() + 180_000;
  while (!/Press Ctrl-C/.test(out)) {
    if (child.exitCode !== null) throw new Error(`kyc local exited ${child.exitCode}: ${log.slice(-5).join(' | ')}`);
    if (Date.now() > deadline) throw new Error('kyc local did not start in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const endpoint = (name: string) => new RegExp(`AWS_ENDPOINT_URL_${name}=(\\S+)`).exec(out)?.[1] ?? '';
  return { child, apiUrl: `http://127.0.0.1:${port}`, dynamodb: endpoint('DYNAMODB'), s3: endpoint('S3'), exited };
}

/** SIGKILL to the whole process group; resolves once no process of the group is left. */
async function killGroup(started: Started): Promise<void> {
  const group = started.child.pid as number;
  process.kill(-group, 'SIGKILL');
  await started.exited;
  for (let i = 0; i < 200; i += 1) {
    try {
      process.kill(-group, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`process group ${group} still has processes after SIGKILL`);
}

const waitFor = async (client: KycClient, id: string, until: readonly string[]): Promise<VerificationView> =>
  client.waitForStatus(id, { until, timeoutMs: 150_000, intervalMs: 100 });

describe('kyc local survives kill -9 of its process group', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kyc-crash-'));
  const log: string[] = [];
  let current: Started | undefined;
  afterAll(async () => {
    // What the runtime said (ids and codes only), to explain a failure.
    const telling = /\[local\]|recovered|stop|reconciler|failed|refused|"level":"(WARN|ERROR)"|upload processed/i;
    console.log(log.filter((line) => telling.test(line)).join('\n'));
    if (process.env.KYC_CRASH_LOG) writeFileSync(process.env.KYC_CRASH_LOG, log.join('\n'));
    if (current && current.child.exitCode === null) await killGroup(current).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every promise across four crashes and stops gracefully', async () => {
    // Prepare
    const port = await findFreePort();
    const images = await loadSampleImages();
    const files = async (holder: DemoPerson, face: DemoPerson) => ({
      document: await images.document(holder),
      selfie: await images.selfie(face),
      camera: face,
    });
    const newVerification = (person: DemoPerson) => ({
      level: 'basic' as const,
      nationality: person.nationality,
      documentType: 'passport' as const,
      personalData: { fullName: person.fullName, dateOfBirth: person.dateOfBirth, address: person.address },
    });
    const alice = images.person(1);
    const holder = images.person(2);
    const impostor = images.person(3);
    const carol = images.person(5);
    const other = images.person(6);
    const dana = images.person(7);
    const kills: string[] = [];

    // Act 1: uploads of three paths, then SIGKILL right after the last upload was stored. The
    // quality gate's DetectFaces answers only after 45 s in this run (a fault plan of the local
    // runtime), so no upload is processed yet when the kill comes, however fast the pipeline or
    // slow the machine: the restart must find and process all six.
    const slowGate = {
      KYC_FAULT_PLAN: JSON.stringify({
        rules: [{ service: 'rekognition', operation: 'DetectFaces', fault: 'latency', rate: 1, latencyMs: 45_000 }],
      }),
    };
    current = await startLocal(dataDir, port, log, slowGate);
    const approveUser = await KycClient.forUser(current.apiUrl, 'crash-approve');
    const rejectUser = await KycClient.forUser(current.apiUrl, 'crash-reject');
    const cooldownUser = await KycClient.forUser(current.apiUrl, 'crash-cooldown');
    const duplicateUser = await KycClient.forUser(current.apiUrl, 'crash-duplicate');
    const reviewerToken = await issueLocalToken(await loadOrCreateSigningKey(dataDir), {
      userId: 'crash-reviewer',
      role: 'compliance_reviewer',
    });
    const approve = (await approveUser.createVerification(newVerification(alice))).verificationId;
    const reject = (await rejectUser.createVerification(newVerification(holder))).verificationId;
    const cooldown = (await cooldownUser.createVerification(newVerification(carol))).verificationId;
    await Promise.all([
      submitAttempt(approveUser, approve, await files(alice, alice)),
      submitAttempt(rejectUser, reject, await files(holder, impostor)),
      submitAttempt(cooldownUser, cooldown, await files(carol, other)),
    ]);
    await killGroup(current);
    kills.push('after uploads');

    // Act 2: restart; SIGKILL while the workflow's checks run.
    current = await startLocal(dataDir, port, log);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const views = await Promise.all([
        approveUser.getVerification(approve),
        rejectUser.getVerification(reject),
        cooldownUser.getVerification(cooldown),
      ]);
      if (views.some((view) => view.status === 'processing')) break;
      if (Date.now() > deadline) throw new Error('no verification reached processing after the first restart');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await killGroup(current);
    kills.push('during checks');

    // Act 3: restart; the batch settles; a duplicate identity and an Advanced case go to review,
    // then a third failure to cooldown; SIGKILL at once, while both wait.
    current = await startLocal(dataDir, port, log);
    const approved = await waitFor(approveUser, approve, ['approved', 'rejected', 'manual_review', 'cooldown']);
    const rejected = await waitFor(rejectUser, reject, ['approved', 'rejected', 'manual_review', 'cooldown']);
    await waitFor(cooldownUser, cooldown, ['rejected', 'cooldown']);
    const duplicate = (await duplicateUser.createVerification(newVerification(alice))).verificationId;
    await submitAttempt(duplicateUser, duplicate, await files(alice, alice));
    const inReview = await waitFor(duplicateUser, duplicate, ['manual_review', 'approved', 'rejected']);
    // An Advanced verification always goes to a person; it is approved after the restart.
    const advancedUser = await KycClient.forUser(current.apiUrl, 'crash-advanced');
    const advanced = (await advancedUser.createVerification({ ...newVerification(dana), level: 'advanced' as const }))
      .verificationId;
    const advancedAttempt = await advancedUser.createAttempt(advanced, { proof_of_address: 'application/pdf' });
    const advancedFiles: Record<string, [Buffer, string]> = {
      document_front: [await images.document(dana), 'image/jpeg'],
      selfie: [await images.selfie(dana), 'image/jpeg'],
      proof_of_address: [PROOF_OF_ADDRESS_PDF, 'application/pdf'],
    };
    for (const [slot, post] of Object.entries(advancedAttempt.uploads)) {
      const [file, type] = advancedFiles[slot] ?? [];
      if (!file || !type) throw new Error(`no file for slot ${slot}`);
      await advancedUser.upload(post, file, type, `${slot}.${type === 'application/pdf' ? 'pdf' : 'jpg'}`);
    }
    if (advancedAttempt.livenessSessionId)
      await advancedUser.completeLiveness(advancedAttempt.livenessSessionId, await challengeFrames(dana.index));
    const advancedInReview = await waitFor(advancedUser, advanced, ['manual_review', 'approved', 'rejected']);
    // The cooldown (24 h scaled to about 43 s) starts last, so the kill falls inside it.
    let inCooldown: VerificationView | undefined;
    for (let failure = 2; failure <= 3; failure += 1) {
      await submitAttempt(cooldownUser, cooldown, await files(carol, other));
      inCooldown = await waitFor(cooldownUser, cooldown, failure === 3 ? ['cooldown'] : ['rejected']);
    }
    await killGroup(current);
    kills.push('waiting for review, during cooldown');

    // Act 4: restart; the reviewer decides; the cooldown ends on its own.
    current = await startLocal(dataDir, port, log);
    // A duplicate identity cannot be approved (the document number belongs to the first
    // account): the reviewer rejects it, after the restart, with the HTTP API.
    const decision = await fetch(`${current.apiUrl}/v1/reviews/${duplicate}/decision`, {
      method: 'POST',
      headers: { authorization: `Bearer ${reviewerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'reject', reasons: ['DUPLICATE_IDENTITY'], note: 'Decided after a restart' }),
    });
    const afterReview = await waitFor(duplicateUser, duplicate, ['approved', 'rejected']);
    const approval = await fetch(`${current.apiUrl}/v1/reviews/${advanced}/decision`, {
      method: 'POST',
      headers: { authorization: `Bearer ${reviewerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'approve', note: 'Approved after a restart' }),
    });
    const approvedAfterRestart = await waitFor(advancedUser, advanced, ['approved', 'rejected']);
    const reopened = await waitFor(cooldownUser, cooldown, ['awaiting_upload']);
    // The cooldown the API enforces ended with the workflow's wait: the next attempt is accepted.
    const nextAttempt = await cooldownUser.createAttempt(cooldown).then(
      () => 'created',
      (error: unknown) => (error as Error).message,
    );
    const stored = await storedState(current);
    process.kill(-(current.child.pid as number), 'SIGTERM');
    const exitCode = await current.exited;

    // Assess
    expect(kills).toHaveLength(3);
    expect([approved.status, rejected.status]).toEqual(['approved', 'rejected']);
    expect(inReview.status).toBe('manual_review');
    expect(inCooldown?.status).toBe('cooldown');
    expect(decision.status).toBe(200);
    expect(afterReview.status).toBe('rejected');
    expect(advancedInReview.status).toBe('manual_review');
    expect(approval.status).toBe(200);
    expect(approvedAfterRestart.status).toBe('approved');
    expect(reopened.status).toBe('awaiting_upload');
    expect(nextAttempt).toBe('created');
    const statusOf = (id: string) => stored.verifications.find((v) => v.verificationId === id)?.status;
    expect([approve, reject, duplicate, cooldown, advanced].map(statusOf)).toEqual([
      'approved',
      'rejected',
      'rejected',
      'awaiting_upload',
      'approved',
    ]);
    expect(stored.verifications).toHaveLength(5);
    const attemptsOf = (id: string) => stored.attempts.filter((a) => a.verificationId === id);
    expect(
      [approve, reject, duplicate, cooldown, advanced].map((id) =>
        attemptsOf(id)
          .map((a) => a.status)
          .sort(),
      ),
    ).toEqual([
      ['approved'],
      ['rejected'],
      ['rejected'],
      ['awaiting_upload', 'rejected', 'rejected', 'rejected'],
      ['approved'],
    ]);
    expect(stored.attempts.filter((a) => a.status === 'processing')).toEqual([]);
    for (const attempt of stored.attempts.filter((a) => a.status !== 'awaiting_upload')) {
      const slots = stored.documents
        .filter((d) => d.verificationId === attempt.verificationId && d.attemptId === attempt.attemptId)
        .map((d) => d.slot)
        .sort();
      expect(slots).toEqual([...attempt.requiredSlots].sort());
    }
    expect(stored.intakeObjects).toEqual([]);
    expect(stored.brokenChains).toEqual([]);
    expect(stored.auditSubjects).toBeGreaterThanOrEqual(4);
    const limits = (user: string) => stored.rateLimits.find((r) => r.pk === `USER#${user}`);
    const attemptIds = (id: string) =>
      attemptsOf(id)
        .map((a) => a.attemptId)
        .sort();
    for (const [user, id, failures] of [
      ['crash-approve', approve, 0],
      ['crash-reject', reject, 1],
      ['crash-duplicate', duplicate, 1],
      ['crash-advanced', advanced, 0],
    ] as const) {
      const record = limits(user);
      expect(record?.attempts.map((a) => a.attemptId).sort(), user).toEqual(attemptIds(id));
      expect([...(record?.recordedOutcomes ?? [])].sort(), user).toEqual(attemptIds(id));
      expect(record?.consecutiveFailures, user).toBe(failures);
    }
    const carolLimits = limits('crash-cooldown');
    expect(carolLimits?.attempts.map((a) => a.attemptId).sort()).toEqual(attemptIds(cooldown));
    const decided = attemptsOf(cooldown)
      .filter((a) => a.status === 'rejected')
      .map((a) => a.attemptId)
      .sort();
    expect([...(carolLimits?.recordedOutcomes ?? [])].sort()).toEqual(decided);
    expect(carolLimits?.cooledDown).toBe(true);
    expect(carolLimits?.cooldownUntil).toBeUndefined();
    expect(exitCode).toBe(0);
  }, 900_000);
});

interface StoredState {
  verifications: { verificationId: string; status: string }[];
  attempts: { verificationId: string; attemptId: string; status: string; requiredSlots: string[] }[];
  documents: { verificationId: string; attemptId: string; slot: string }[];
  rateLimits: {
    pk: string;
    attempts: { attemptId: string }[];
    recordedOutcomes: string[];
    consecutiveFailures: number;
    cooledDown: boolean;
    cooldownUntil?: number;
  }[];
  intakeObjects: string[];
  brokenChains: string[];
  auditSubjects: number;
}

/** Reads what the runtime stored, as an operator with the AWS CLI would. */
async function storedState(started: Started): Promise<StoredState> {
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const raw = new DynamoDBClient({ endpoint: started.dynamodb, region: 'us-east-1', credentials });
  const dynamo = DynamoDBDocumentClient.from(raw);
  const s3 = new S3Client({
    endpoint: started.s3,
    region: 'us-east-1',
    credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    const tables = (await raw.send(new ListTablesCommand({}))).TableNames ?? [];
    const table = (pattern: RegExp) => {
      const name = tables.find((t) => pattern.test(t));
      if (!name) throw new Error(`no table matching ${pattern} in ${tables.join(', ')}`);
      return name;
    };
    const scan = async (name: string) => {
      const items: Record<string, unknown>[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await dynamo.send(new ScanCommand({ TableName: name, ExclusiveStartKey: start }));
        items.push(...((page.Items ?? []) as Record<string, unknown>[]));
        start = page.LastEvaluatedKey;
      } while (start);
      return items;
    };
    const verificationItems = await scan(table(/verification/i));
    const sk = (item: Record<string, unknown>) => String(item.sk);
    const auditTable = table(/audit/i);
    const auditItems = await scan(auditTable);
    const subjects = [...new Set(auditItems.map((item) => String(item.subject)))];
    const brokenChains: string[] = [];
    for (const subject of subjects) {
      const page = await dynamo.send(
        new QueryCommand({
          TableName: auditTable,
          KeyConditionExpression: '#s = :s',
          ExpressionAttributeNames: { '#s': 'subject' },
          ExpressionAttributeValues: { ':s': subject },
        }),
      );
      const result = verifyChain((page.Items ?? []) as AuditEvent[]);
      if (!result.valid) brokenChains.push(`${subject}: ${result.reason}`);
    }
    const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets ?? [];
    const intake = buckets.find((b) => /intake/i.test(b.Name ?? ''))?.Name ?? '';
    const objects = (await s3.send(new ListObjectsV2Command({ Bucket: intake }))).Contents ?? [];
    return {
      verifications: verificationItems.filter((i) => sk(i) === 'META') as never,
      attempts: verificationItems.filter((i) => /^A#[^#]+$/.test(sk(i))) as never,
      documents: verificationItems.filter((i) => /^A#[^#]+#D#/.test(sk(i))) as never,
      rateLimits: (await scan(table(/ratelimit/i))) as never,
      intakeObjects: objects.map((o) => o.Key ?? ''),
      brokenChains,
      auditSubjects: subjects.length,
    };
  } finally {
    raw.destroy();
    s3.destroy();
  }
}
