import { createSign, createVerify, generateKeyPairSync } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  buildArchiveFile,
  buildDigestBody,
  digestKey,
  digestMessage,
  parseArchiveFile,
  serializeDigest,
  timeOfKey,
  verifyAuditTrail,
  type AuditDigest,
  type StoredObject,
} from '../../../lambdas/domain/audit-archive.ts';
import { chainEvent, hashOf } from '../../../lambdas/domain/audit-chain.ts';
import type { AuditEvent } from '../../../lambdas/domain/records.ts';
import { createAuditArchiver } from '../../../lambdas/handlers/events/audit-archiver.ts';
import { marshall } from '@aws-sdk/util-dynamodb';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const KEY_ID = 'local-audit-signing';

/** Signs the 32-byte digest message as KMS does with MessageType DIGEST (ECDSA over SHA-256). */
function sign(message: Uint8Array): string {
  // node's ECDSA hashes its input; KMS DIGEST signs the given hash. Sign/verify the same way in
  // both places here: the test only needs an honest signer and a verifier that catches forgery.
  return createSign('SHA256').update(message).sign(privateKey).toString('base64');
}
async function verifySignature(message: Uint8Array, signature: AuditDigest['signature']): Promise<boolean> {
  return Promise.resolve(
    signature.keyId === KEY_ID &&
      createVerify('SHA256').update(message).verify(publicKey, Buffer.from(signature.value, 'base64')),
  );
}

const T0 = Date.parse('2026-03-01T10:00:00.000Z');

function chain(subject: string, count: number, offset = 0): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let index = 0; index < count; index += 1) {
    events.push(
      chainEvent(
        events.at(-1),
        { subject, action: `step.${index}`, actor: 'system:test', details: { index } },
        new Date(T0 + (offset + index) * 1000),
      ),
    );
  }
  return events;
}

function signedDigest(previous: StoredObject | undefined, files: StoredObject[], at: Date): StoredObject {
  const body = buildDigestBody({ createdAt: at, coveredUntil: new Date(at.getTime() - 60_000), previous, files });
  const digest: AuditDigest = {
    ...body,
    signature: { keyId: KEY_ID, algorithm: 'ECDSA_SHA_256', value: sign(digestMessage(body)) },
  };
  return { key: digestKey(at), body: serializeDigest(digest) };
}

/** A day of activity: two subjects, two archive batches, two digests. */
function trail(): { events: AuditEvent[]; files: StoredObject[]; digests: StoredObject[] } {
  const a = chain('verification:a', 4);
  const b = chain('verification:b', 3, 10);
  const file1 = buildArchiveFile([...a.slice(0, 2), ...b.slice(0, 1)], new Date(T0 + 60_000));
  const file2 = buildArchiveFile([...a.slice(2), ...b.slice(1)], new Date(T0 + 3_700_000));
  const digest1 = signedDigest(undefined, [file1], new Date(T0 + 3_600_000));
  const digest2 = signedDigest(digest1, [file2], new Date(T0 + 7_200_000));
  return { events: [...a, ...b], files: [file1, file2], digests: [digest1, digest2] };
}

const verify = (input: ReturnType<typeof trail>, subject?: string) =>
  verifyAuditTrail({ ...input, verifySignature, ...(subject ? { subject } : {}) });

function replaceEvent(events: AuditEvent[], subject: string, sequence: number, change: (e: AuditEvent) => AuditEvent) {
  return events.map((event) => (event.subject === subject && event.sequence === sequence ? change(event) : event));
}

describe('audit archive and signed digests', () => {
  it('round-trips an archive file as sorted canonical JSON lines and encodes the time in its key', () => {
    // Prepare
    const events = chain('verification:x', 3).reverse();
    const at = new Date(T0 + 5_000);
    // Act
    const file = buildArchiveFile(events, at);
    // Assess
    expect(file.key).toMatch(/^audit\/events\/2026\/03\/01\/10\/\d{15}-[0-9a-f]{16}\.jsonl\.gz$/);
    expect(timeOfKey(file.key)?.toISOString()).toBe(at.toISOString());
    expect(parseArchiveFile(file.body).map((event) => event.sequence)).toEqual([1, 2, 3]);
    expect(timeOfKey(digestKey(at))?.toISOString()).toBe(at.toISOString());
  });

  it('reports an untouched trail intact, with what it checked', async () => {
    // Act
    const report = await verify(trail());
    // Assess
    expect(report.problems).toEqual([]);
    expect(report.intact).toBe(true);
    expect(report.checked).toEqual({ subjects: 2, events: 7, files: 2, digests: 2, pendingFiles: 0 });
  });

  it.each([
    [
      'an edited field of an event',
      (t: ReturnType<typeof trail>) => ({
        ...t,
        events: replaceEvent(t.events, 'verification:a', 2, (e) => ({ ...e, actor: 'system:forged' })),
      }),
      { kind: 'chain', subject: 'verification:a', sequence: 2 },
    ],
    [
      'a deleted event in the middle of a chain',
      (t: ReturnType<typeof trail>) => ({
        ...t,
        events: t.events.filter((e) => !(e.subject === 'verification:a' && e.sequence === 2)),
      }),
      { kind: 'chain', subject: 'verification:a', sequence: 3 },
    ],
    [
      'a deleted last event (the chain alone still verifies)',
      (t: ReturnType<typeof trail>) => ({
        ...t,
        events: t.events.filter((e) => !(e.subject === 'verification:b' && e.sequence === 3)),
      }),
      { kind: 'archive', subject: 'verification:b', sequence: 3 },
    ],
    [
      'two events swapped',
      (t: ReturnType<typeof trail>) => {
        const events = [...t.events];
        const first = events.findIndex((e) => e.subject === 'verification:a' && e.sequence === 2);
        const second = events.findIndex((e) => e.subject === 'verification:a' && e.sequence === 3);
        const [x, y] = [events[first]!, events[second]!];
        events[first] = { ...y, sequence: x.sequence };
        events[second] = { ...x, sequence: y.sequence };
        return { ...t, events };
      },
      { kind: 'chain', subject: 'verification:a', sequence: 2 },
    ],
    [
      'a chain rewritten consistently from one event on',
      (t: ReturnType<typeof trail>) => {
        const kept = t.events.filter((e) => e.subject !== 'verification:b' || e.sequence < 2);
        let previous = kept.find((e) => e.subject === 'verification:b' && e.sequence === 1)!;
        for (const original of t.events.filter((e) => e.subject === 'verification:b' && e.sequence >= 2)) {
          const unhashed = { ...original, actor: 'system:forged', previousHash: previous.hash };
          previous = { ...unhashed, hash: hashOf(unhashed) };
          kept.push(previous);
        }
        return { ...t, events: kept };
      },
      { kind: 'archive', subject: 'verification:b', sequence: 2 },
    ],
    [
      'an edited archived file',
      (t: ReturnType<typeof trail>) => {
        const [file1, file2] = t.files as [StoredObject, StoredObject];
        const events = parseArchiveFile(file1.body).map((e) => ({ ...e, actor: 'system:forged' }));
        const body = gzipSync(Buffer.from(events.map((e) => JSON.stringify(e)).join('\n')));
        return { ...t, files: [{ key: file1.key, body }, file2] };
      },
      { kind: 'archive', key: trail().files[0]!.key },
    ],
    [
      'a removed archived file',
      (t: ReturnType<typeof trail>) => ({ ...t, files: t.files.slice(1) }),
      { kind: 'archive', key: trail().files[0]!.key },
    ],
    [
      'a forged digest (re-signed with another key)',
      (t: ReturnType<typeof trail>) => {
        const [digest1, digest2] = t.digests as [StoredObject, StoredObject];
        const parsed = JSON.parse(Buffer.from(digest2.body).toString('utf8')) as AuditDigest;
        const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const forged: AuditDigest = {
          ...parsed,
          heads: [],
          signature: {
            ...parsed.signature,
            value: createSign('SHA256')
              .update(digestMessage({ ...parsed, heads: [] }))
              .sign(other.privateKey)
              .toString('base64'),
          },
        };
        return { ...t, digests: [digest1, { key: digest2.key, body: serializeDigest(forged) }] };
      },
      { kind: 'digest', key: trail().digests[1]!.key },
    ],
    [
      'a removed digest',
      (t: ReturnType<typeof trail>) => ({ ...t, digests: t.digests.slice(1) }),
      { kind: 'digest', key: trail().digests[1]!.key },
    ],
  ])('catches %s and names the first broken link', async (_name, tamper, expected) => {
    // Act
    const report = await verify(tamper(trail()));
    // Assess
    expect(report.intact).toBe(false);
    expect(report.problems[0]).toMatchObject(expected);
  });

  it('checks one subject alone with --subject, ignoring another subject that was tampered with', async () => {
    // Prepare
    const t = trail();
    const tampered = { ...t, events: replaceEvent(t.events, 'verification:a', 2, (e) => ({ ...e, actor: 'x' })) };
    // Act
    const other = await verify(tampered, 'verification:b');
    const same = await verify(tampered, 'verification:a');
    // Assess
    expect(other.intact).toBe(true);
    expect(other.checked.subjects).toBe(1);
    expect(same.intact).toBe(false);
  });

  it('counts files newer than the last digest as pending, and files slipped in behind a digest as a break', async () => {
    // Prepare
    const t = trail();
    const late = buildArchiveFile(chain('verification:c', 1, 100), new Date(T0 + 9_000_000));
    const slipped = buildArchiveFile(chain('verification:d', 1, 200), new Date(T0 + 120_000));
    const events = [...t.events, ...parseArchiveFile(late.body), ...parseArchiveFile(slipped.body)];
    // Act
    const pending = await verify({ ...t, events, files: [...t.files, late] });
    const behind = await verify({ ...t, events, files: [...t.files, slipped] });
    // Assess
    expect(pending.intact).toBe(true);
    expect(pending.checked.pendingFiles).toBe(1);
    expect(behind.problems[0]).toMatchObject({ kind: 'coverage', key: slipped.key });
  });

  it('keeps a change the stream shows as a tamper record, which verification reports even after the event is put back', async () => {
    // Prepare: a trail, and the archiver seeing an event edited and then restored (two MODIFYs)
    const t = trail();
    const original = t.events.find((e) => e.subject === 'verification:a' && e.sequence === 2)!;
    const edited = { ...original, actor: 'system:forged' };
    const stored: StoredObject[] = [];
    const archive = createAuditArchiver({
      store: { put: async (key: string, body: Uint8Array) => void stored.push({ key, body }) } as never,
      now: () => new Date(T0 + 8_000_000),
    });
    const modify = (oldImage: AuditEvent, newImage: AuditEvent) => ({
      eventName: 'MODIFY' as const,
      dynamodb: {
        Keys: marshall({ subject: oldImage.subject, sequence: oldImage.sequence }),
        OldImage: marshall(oldImage, { removeUndefinedValues: true }),
        NewImage: marshall(newImage, { removeUndefinedValues: true }),
        ApproximateCreationDateTime: (T0 + 7_900_000) / 1000,
      },
    });
    // Act
    const result = await archive({ Records: [modify(original, edited), modify(edited, original)] } as never);
    const report = await verifyAuditTrail({ ...t, verifySignature, tamperRecords: stored });
    const otherSubject = await verifyAuditTrail({
      ...t,
      verifySignature,
      tamperRecords: stored,
      subject: 'verification:b',
    });
    // Assess: the table reads intact again, the tamper records do not let it pass
    expect(result).toEqual({ archived: 0, anomalies: 2 });
    expect(stored.map((object) => object.key)).toEqual([
      expect.stringMatching(/^audit\/tamper\/2026\/03\/01\/12\/\d{15}-[0-9a-f]{16}\.json$/),
      expect.stringMatching(/^audit\/tamper\//),
    ]);
    expect(JSON.parse(Buffer.from(stored[0]!.body).toString('utf8'))).toMatchObject({
      eventName: 'MODIFY',
      subject: 'verification:a',
      sequence: 2,
      oldImage: { actor: 'system:test' },
      newImage: { actor: 'system:forged' },
    });
    expect(report.intact).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'tamper', subject: 'verification:a', sequence: 2 }),
      expect.objectContaining({ kind: 'tamper', subject: 'verification:a', sequence: 2 }),
    ]);
    expect(report.problems[0]?.reason).toMatch(/recorded a MODIFY .*changed or deleted after it was written/);
    expect(otherSubject.intact).toBe(true);
  });

  it('fails the batch when a tamper record cannot be kept (the stream retries it)', async () => {
    // Prepare
    const [event] = chain('verification:a', 1);
    const archive = createAuditArchiver({
      store: {
        put: async () => {
          throw new Error('bucket unavailable');
        },
      } as never,
      now: () => new Date(T0),
    });
    // Act
    const run = archive({
      Records: [
        {
          eventName: 'REMOVE',
          dynamodb: { Keys: marshall({ subject: 'verification:a', sequence: 1 }), OldImage: marshall(event!) },
        },
      ],
    } as never);
    // Assess
    await expect(run).rejects.toThrow('bucket unavailable');
  });
});
