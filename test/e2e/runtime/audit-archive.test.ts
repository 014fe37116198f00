import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArchiveFile, type AuditDigest } from '../../../lambdas/domain/audit-archive.ts';
import type { AuditEvent } from '../../../lambdas/domain/records.ts';
import { auditCommand } from '../../../local/cli/commands/audit.ts';
import type { CliIo } from '../../../local/cli/io.ts';
import { KycClient } from '../../../local/demo/kyc-client.ts';
import { startE2eRuntime, type E2eRuntime } from '../support/local-runtime.ts';

// The audit trail as an auditor checks it: a day's activity through the API, archived from the
// audit table's stream, digested and signed, then `kyc audit verify` after each kind of tampering.
let e2e: E2eRuntime;

beforeAll(async () => {
  e2e = await startE2eRuntime();
}, 180_000);

afterAll(async () => {
  await e2e?.stop();
});

async function kycAudit(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const io: CliIo = { out: (text) => lines.push(text), err: (text) => lines.push(text), cwd: process.cwd(), env: {} };
  const code = await auditCommand([...args, '--data-dir', e2e.runtime.dataDir], io);
  return { code, out: lines.join('\n') };
}

const auditTable = (): string => e2e.env.AUDIT_TABLE ?? '';
const archiveBucket = (): string => e2e.env.AUDIT_ARCHIVE_BUCKET ?? '';

async function allEvents(): Promise<AuditEvent[]> {
  const output = await e2e.dynamo.send(new ScanCommand({ TableName: auditTable(), ConsistentRead: true }));
  return (output.Items ?? []) as AuditEvent[];
}

async function objectBytes(key: string): Promise<Uint8Array> {
  const output = await e2e.s3.send(new GetObjectCommand({ Bucket: archiveBucket(), Key: key }));
  return output.Body!.transformToByteArray();
}

async function putObject(key: string, body: Uint8Array): Promise<void> {
  await e2e.s3.send(new PutObjectCommand({ Bucket: archiveBucket(), Key: key, Body: body }));
}

/** The event with sequence 2 of a subject that has at least three events. */
async function middleEvent(): Promise<{ event: AuditEvent; next: AuditEvent }> {
  const events = await allEvents();
  const event = events.find(
    (candidate) => candidate.sequence === 2 && events.some((e) => e.subject === candidate.subject && e.sequence === 3),
  );
  if (!event) throw new Error('no subject with three audit events');
  const next = events.find((e) => e.subject === event.subject && e.sequence === 3)!;
  return { event, next };
}

/** The subject the table-tampering tests changed (and put back). */
let tampered: string | undefined;

/** The whole trail's report, asserting that tamper records are its only problems. */
async function tamperOnly(): Promise<{ problems: Array<{ kind: string; subject?: string; sequence?: number }> }> {
  const result = await kycAudit('verify', '--json');
  const report = JSON.parse(result.out) as { problems: Array<{ kind: string; subject?: string; sequence?: number }> };
  expect(result.code).toBe(1);
  expect(report.problems.filter((problem) => problem.kind !== 'tamper')).toEqual([]);
  return report;
}

describe('kyc audit verify on the local runtime', () => {
  it('archives and signs a day of activity, and verifies it intact', async () => {
    // Prepare: activity that writes audit events for several subjects.
    for (const user of ['audit-a', 'audit-b']) {
      const client = await KycClient.forUser(e2e.runtime.apiUrl, user);
      const { verificationId } = await client.createVerification({
        level: 'basic',
        nationality: 'GBR',
        documentType: 'passport',
        personalData: { fullName: 'ANNA SMITH', dateOfBirth: '1990-01-01', address: '1 High Street, London' },
      });
      await client.createAttempt(verificationId);
      await client.createAttempt(verificationId).catch(() => undefined);
    }
    await e2e.runtime.drainStreams();

    // Act
    const digest = await kycAudit('digest');
    const verified = await kycAudit('verify');

    // Assess
    expect(digest.code).toBe(0);
    expect(digest.out).toMatch(/Signed digest audit\/digests\/.+\.json: [1-9]\d* new archived file/);
    expect(verified.code).toBe(0);
    expect(verified.out).toMatch(/^Audit trail intact: [1-9]\d* subject chain\(s\)/);
    expect((await allEvents()).length).toBeGreaterThanOrEqual(4);
    // One subject alone; a subject with no events is an error, never "intact".
    const [first] = await allEvents();
    const one = await kycAudit('verify', '--subject', first!.subject);
    expect(one.code).toBe(0);
    expect(one.out).toMatch(/^Audit trail intact: 1 subject chain\(s\)/);
    const typo = await kycAudit('verify', '--subject', 'verification:no-such-case');
    expect(typo.code).toBe(2);
    expect(typo.out).toContain('no audit events for subject "verification:no-such-case"');
  });

  it('catches an edited archived file and a forged digest', async () => {
    // Prepare
    const listed = JSON.parse((await kycAudit('verify', '--json')).out) as {
      intact: boolean;
      checked: { files: number };
    };
    expect(listed.intact).toBe(true);
    const files = await e2e.s3.send(new ListObjectsV2Command({ Bucket: archiveBucket(), Prefix: 'audit/events/' }));
    const fileKey = files.Contents?.[0]?.Key ?? '';
    const original = await objectBytes(fileKey);
    const edited = parseArchiveFile(original).map((event) => ({ ...event, actor: 'system:forged' }));
    await putObject(fileKey, gzipSync(Buffer.from(edited.map((event) => JSON.stringify(event)).join('\n'))));
    const editedFile = await kycAudit('verify');
    await putObject(fileKey, original);

    // The archive is locked (nothing can be deleted): forge the newest digest in place, then restore it.
    const digests = await e2e.s3.send(new ListObjectsV2Command({ Bucket: archiveBucket(), Prefix: 'audit/digests/' }));
    const forgedKey = digests.Contents!.at(-1)!.Key!;
    const genuine = await objectBytes(forgedKey);
    const lastDigest = JSON.parse(Buffer.from(genuine).toString('utf8')) as AuditDigest;
    const forged: AuditDigest = { ...lastDigest, heads: [] };
    await putObject(forgedKey, Buffer.from(JSON.stringify(forged)));
    const forgedDigest = await kycAudit('verify');
    await putObject(forgedKey, genuine);

    // Assess
    expect(editedFile.code).toBe(1);
    expect(editedFile.out).toContain(`First broken link: archive: `);
    expect(editedFile.out).toContain(fileKey);
    expect(forgedDigest.code).toBe(1);
    expect(forgedDigest.out).toContain(`digest: object ${forgedKey}`);
    expect((await kycAudit('verify')).code).toBe(0);
  });

  it('verifies one subject with --subject, and exits 2 on a folder without local data', async () => {
    // Prepare
    const { event } = await middleEvent();
    // Act
    const one = await kycAudit('verify', '--subject', event.subject);
    const lines: string[] = [];
    const missing = await auditCommand(['verify', '--data-dir', '/nonexistent/kyc-data'], {
      out: (text) => lines.push(text),
      err: (text) => lines.push(text),
      cwd: process.cwd(),
      env: {},
    });
    // Assess
    expect(one.code).toBe(0);
    expect(one.out).toMatch(/intact: 1 subject chain\(s\)/);
    expect(missing).toBe(2);
    expect(lines.join('\n')).toMatch(/holds no local runtime data/);
  });

  it('names the edited event when a field of an event is changed in the table, and keeps the change on record', async () => {
    // Prepare
    const { event } = await middleEvent();
    tampered = event.subject;
    await e2e.dynamo.send(new PutCommand({ TableName: auditTable(), Item: { ...event, actor: 'system:forged' } }));
    try {
      // Act
      const result = await kycAudit('verify');
      // Assess
      expect(result.code).toBe(1);
      expect(result.out).toContain(`First broken link: chain: subject ${event.subject}, sequence 2`);
    } finally {
      await e2e.dynamo.send(new PutCommand({ TableName: auditTable(), Item: event }));
    }
    // Put back as it was, the chain reads intact again; the stream's record of the change does not go.
    await e2e.runtime.drainStreams();
    const restored = await kycAudit('verify');
    expect(restored.code).toBe(1);
    expect(restored.out).toContain(`First broken link: tamper: subject ${event.subject}, sequence 2`);
    expect(restored.out).toMatch(/recorded a MODIFY of this event/);
  });

  it("catches a deleted event and two events put in each other's place", async () => {
    // Prepare
    const { event, next } = await middleEvent();
    await e2e.dynamo.send(
      new DeleteCommand({ TableName: auditTable(), Key: { subject: event.subject, sequence: event.sequence } }),
    );
    const deleted = await kycAudit('verify');
    await e2e.dynamo.send(new PutCommand({ TableName: auditTable(), Item: event }));
    await e2e.dynamo.send(new PutCommand({ TableName: auditTable(), Item: { ...next, sequence: 2 } }));
    await e2e.dynamo.send(new PutCommand({ TableName: auditTable(), Item: { ...event, sequence: 3 } }));
    const reordered = await kycAudit('verify');
    await e2e.dynamo.send(new PutCommand({ TableName: auditTable(), Item: event }));
    await e2e.dynamo.send(new PutCommand({ TableName: auditTable(), Item: next }));

    // Assess
    expect(deleted.code).toBe(1);
    expect(deleted.out).toContain(`subject ${event.subject}, sequence 3`);
    expect(reordered.code).toBe(1);
    expect(reordered.out).toContain(`First broken link: chain: subject ${event.subject}, sequence 2`);
    await e2e.runtime.drainStreams();
    const after = await tamperOnly();
    expect(after.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'tamper', subject: event.subject, sequence: 2 }),
        expect.objectContaining({ kind: 'tamper', subject: event.subject, sequence: 3 }),
      ]),
    );
  });

  it('keeps the evidence of tampering across a restart, and verifies the same data folder with the runtime stopped', async () => {
    // Prepare: the tests above changed events and put them back
    const untouched = (await allEvents()).find((e) => e.subject !== (tampered ?? ''))!.subject;
    await e2e.runtime.stop();
    // Act
    const whole = await kycAudit('verify', '--json');
    const one = await kycAudit('verify', '--subject', untouched);
    // Assess: only the tamper records break the trail; an untouched chain is intact
    const report = JSON.parse(whole.out) as { intact: boolean; problems: Array<{ kind: string; subject?: string }> };
    expect(whole.code).toBe(1);
    expect(report.problems.length).toBeGreaterThanOrEqual(3);
    expect(new Set(report.problems.map((problem) => problem.kind))).toEqual(new Set(['tamper']));
    expect(new Set(report.problems.map((problem) => problem.subject))).toEqual(new Set([tampered]));
    expect(one.code).toBe(0);
    expect(one.out).toMatch(/^Audit trail intact/);
  }, 120_000);
});
