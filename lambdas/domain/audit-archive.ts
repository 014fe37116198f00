/**
 * The audit archive and its signed digests (PRODUCT §5: "audit events are append-only and
 * tamper-evident"), in the style of CloudTrail log-file integrity validation.
 *
 *   auditEvents table ──stream──> archiver ──> audit/events/YYYY/MM/DD/HH/<ms>-<batch>.jsonl.gz
 *                                                     │ (Object Lock COMPLIANCE)
 *   hourly digester ──lists new files──> audit/digests/YYYY/MM/DD/HH/<ms>.json
 *        digest n = { files: [{ key, sha256 }], heads: [{ subject, sequence, hash }],
 *                     previousDigest: { key, sha256 of digest n-1's bytes } }  + ECDSA signature
 *
 * Verification reports problems in this order: table chains, archived events against the table,
 * digests (signature, digest chain, listed files, signed heads), archived files that no digest
 * lists, then the tamper records the archiver kept; the first is the first broken link.
 *
 * What each layer catches:
 * - the per-subject hash chain (`audit-chain.ts`): an edited, inserted, reordered or removed
 *   event in the middle of a chain;
 * - the archive: a chain rewritten consistently from some event on, or a removed tail event
 *   (the archived copy, under Object Lock, no longer matches the table);
 * - the digests: an archived file edited or removed (its SHA-256 is listed), a digest forged or
 *   removed (signature, and each digest names the hash of the one before it);
 * - the tamper records: any change or removal of a stored event the table's stream showed,
 *   also one undone afterwards (`audit/tamper/`, kept by the archiver under Object Lock).
 *
 * Pure code (`node:crypto` and `node:zlib` only); storage and signing are behind ports.
 *
 * @example
 * ```ts
 * const file = buildArchiveFile(events, new Date());
 * await store.put(file.key, file.body);
 * const digest = buildDigestBody({ createdAt, coveredUntil, previous, files: [fileEntry(file.key, file.body)] });
 * ```
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { canonicalJson, hashOf, verifyChain } from './audit-chain.ts';
import type { AuditEvent } from './records.ts';

export const ARCHIVE_EVENTS_PREFIX = 'audit/events/';
export const ARCHIVE_DIGESTS_PREFIX = 'audit/digests/';
/** Where the archiver keeps each MODIFY or REMOVE the table's stream shows (tampering). */
export const ARCHIVE_TAMPER_PREFIX = 'audit/tamper/';
/** Version of the digest document layout. */
export const DIGEST_VERSION = 1;
/** Signing algorithm of digests (KMS ECC_NIST_P256 key, `MessageType: DIGEST`). */
export const DIGEST_SIGNING_ALGORITHM = 'ECDSA_SHA_256';

/** An archived file as a digest lists it. */
export interface ArchiveFileEntry {
  readonly key: string;
  readonly sha256: string;
  readonly events: number;
}

/** The newest event of one subject's chain that a digest commits to. */
export interface ChainHead {
  readonly subject: string;
  readonly sequence: number;
  readonly hash: string;
}

/** What is signed. */
export interface AuditDigestBody {
  readonly version: number;
  readonly createdAt: string;
  /** Files archived up to this instant (by the time in their key) are listed here or earlier. */
  readonly coveredUntil: string;
  readonly previousDigest: { readonly key: string; readonly sha256: string } | null;
  readonly files: readonly ArchiveFileEntry[];
  readonly heads: readonly ChainHead[];
}

export interface AuditDigest extends AuditDigestBody {
  readonly signature: { readonly keyId: string; readonly algorithm: string; readonly value: string };
}

/** A stored object: its key and exact bytes. */
export interface StoredObject {
  readonly key: string;
  readonly body: Uint8Array;
}

/** Malformed archive input (never thrown for tampering: verification reports that). */
export class AuditArchiveError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuditArchiveError';
  }
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** `YYYY/MM/DD/HH/` of a time, in UTC: archive keys sort by time. */
function hourPath(at: Date): string {
  return `${at.getUTCFullYear()}/${pad(at.getUTCMonth() + 1)}/${pad(at.getUTCDate())}/${pad(at.getUTCHours())}/`;
}

/** Milliseconds since the epoch, zero-padded so keys of one hour sort by time. */
const stamp = (at: Date): string => pad(at.getTime(), 15);

/**
 * The archive key of a batch archived at `at`: `audit/events/YYYY/MM/DD/HH/<ms>-<batch>.jsonl.gz`,
 * `<batch>` a hash of the batch's event hashes (two batches archived in the same millisecond
 * never collide).
 */
export function archiveKey(events: readonly AuditEvent[], at: Date): string {
  const batch = sha256Hex(events.map((event) => event.hash).join('\n')).slice(0, 16);
  return `${ARCHIVE_EVENTS_PREFIX}${hourPath(at)}${stamp(at)}-${batch}.jsonl.gz`;
}

/** The key of a digest created at `at`. */
export function digestKey(at: Date): string {
  return `${ARCHIVE_DIGESTS_PREFIX}${hourPath(at)}${stamp(at)}.json`;
}

/** The archive time encoded in an archive or digest key, or undefined for a foreign key. */
export function timeOfKey(key: string): Date | undefined {
  const match = /\/(\d{15})(?:-[0-9a-f]{16}\.jsonl\.gz|\.json)$/.exec(key);
  return match ? new Date(Number(match[1])) : undefined;
}

/** The first archive key after `at`, for `ListObjectsV2 StartAfter`. */
export function archiveKeyStartAfter(at: Date): string {
  return `${ARCHIVE_EVENTS_PREFIX}${hourPath(at)}${stamp(at)}.`;
}

function compareEvents(a: AuditEvent, b: AuditEvent): number {
  if (a.subject !== b.subject) return a.subject < b.subject ? -1 : 1;
  return a.sequence - b.sequence;
}

/**
 * One archive file: the events as canonical JSON lines (sorted by subject, then sequence),
 * gzip-compressed.
 *
 * @example
 * ```ts
 * const { key, body } = buildArchiveFile(insertedEvents, new Date());
 * ```
 */
export function buildArchiveFile(events: readonly AuditEvent[], at: Date): StoredObject {
  if (events.length === 0) throw new AuditArchiveError('an archive file needs at least one event');
  const sorted = [...events].sort(compareEvents);
  const lines = sorted.map((event) => canonicalJson(event as never)).join('\n');
  return { key: archiveKey(sorted, at), body: gzipSync(Buffer.from(`${lines}\n`, 'utf8')) };
}

/** The events of an archive file. @throws AuditArchiveError when it is not gzip JSON lines. */
export function parseArchiveFile(body: Uint8Array): AuditEvent[] {
  let text: string;
  try {
    text = gunzipSync(body).toString('utf8');
  } catch (error) {
    throw new AuditArchiveError('archive file is not gzip', { cause: error });
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      try {
        return JSON.parse(line) as AuditEvent;
      } catch (error) {
        throw new AuditArchiveError(`archive line ${index + 1} is not JSON`, { cause: error });
      }
    });
}

/** The digest entry of an archive file. */
export function fileEntry(file: StoredObject): ArchiveFileEntry {
  return { key: file.key, sha256: sha256Hex(file.body), events: parseArchiveFile(file.body).length };
}

/** The newest event per subject among `events`. */
export function chainHeads(events: Iterable<AuditEvent>): ChainHead[] {
  const heads = new Map<string, ChainHead>();
  for (const event of events) {
    const head = heads.get(event.subject);
    if (!head || event.sequence > head.sequence) {
      heads.set(event.subject, { subject: event.subject, sequence: event.sequence, hash: event.hash });
    }
  }
  return [...heads.values()].sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0));
}

/**
 * The body of the next digest. `previous` is the last digest object (its exact bytes are
 * hashed), or undefined for the first digest of the archive.
 */
export function buildDigestBody(input: {
  readonly createdAt: Date;
  readonly coveredUntil: Date;
  readonly previous: StoredObject | undefined;
  readonly files: readonly StoredObject[];
}): AuditDigestBody {
  const files = [...input.files].sort((a, b) => (a.key < b.key ? -1 : 1));
  return {
    version: DIGEST_VERSION,
    createdAt: input.createdAt.toISOString(),
    coveredUntil: input.coveredUntil.toISOString(),
    previousDigest: input.previous ? { key: input.previous.key, sha256: sha256Hex(input.previous.body) } : null,
    files: files.map(fileEntry),
    heads: chainHeads(files.flatMap((file) => parseArchiveFile(file.body))),
  };
}

/** The 32-byte SHA-256 that is signed (KMS `Sign`, `MessageType: DIGEST`). */
export function digestMessage(body: AuditDigestBody): Uint8Array {
  const unsigned: AuditDigestBody = {
    version: body.version,
    createdAt: body.createdAt,
    coveredUntil: body.coveredUntil,
    previousDigest: body.previousDigest,
    files: body.files,
    heads: body.heads,
  };
  return createHash('sha256')
    .update(canonicalJson(unsigned as never), 'utf8')
    .digest();
}

/** Serialises a signed digest (the bytes the next digest hashes). */
export function serializeDigest(digest: AuditDigest): Uint8Array {
  return Buffer.from(`${JSON.stringify(digest, null, 2)}\n`, 'utf8');
}

/**
 * A change of a stored audit event the table's stream showed: a MODIFY or a REMOVE. No role may
 * make one, so each is evidence of tampering, kept under Object Lock even when the event was
 * put back as it was afterwards (the chain then reads intact). Ids and images as the stream gave
 * them; the images are audit events, no more personal than the archive's copies.
 */
export interface TamperRecord {
  readonly eventName: string;
  readonly subject?: string;
  readonly sequence?: number;
  /** When the stream record was made (its `ApproximateCreationDateTime`), when known. */
  readonly changedAt?: string;
  readonly oldImage?: Record<string, unknown>;
  readonly newImage?: Record<string, unknown>;
}

/**
 * A tamper record as an object: `audit/tamper/YYYY/MM/DD/HH/<ms>-<hash>.json`, `<hash>` over
 * the record, so two records of one millisecond never collide and a redelivery writes the same key.
 */
export function buildTamperRecord(record: TamperRecord, at: Date): StoredObject {
  const body = Buffer.from(`${canonicalJson(record as never)}\n`, 'utf8');
  return { key: `${ARCHIVE_TAMPER_PREFIX}${hourPath(at)}${stamp(at)}-${sha256Hex(body).slice(0, 16)}.json`, body };
}

function parseTamperRecord(object: StoredObject): TamperRecord | undefined {
  try {
    const record = JSON.parse(Buffer.from(object.body).toString('utf8')) as TamperRecord;
    return typeof record === 'object' && record !== null && typeof record.eventName === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** The first problem found, or every problem, in verification order. */
export interface AuditProblem {
  readonly kind: 'chain' | 'archive' | 'digest' | 'coverage' | 'head' | 'tamper';
  /** `subject seq N`, an object key, or both. */
  readonly subject?: string;
  readonly sequence?: number;
  readonly key?: string;
  readonly reason: string;
}

export interface AuditVerificationReport {
  readonly intact: boolean;
  readonly problems: readonly AuditProblem[];
  readonly checked: { subjects: number; events: number; files: number; digests: number; pendingFiles: number };
}

export interface AuditVerificationInput {
  /** Every event of the table (or of one subject), any order. */
  readonly events: readonly AuditEvent[];
  /** Archived files. */
  readonly files: readonly StoredObject[];
  /** Digest objects. */
  readonly digests: readonly StoredObject[];
  /** Checks a digest's signature over `digestMessage(body)`. */
  readonly verifySignature: (message: Uint8Array, signature: AuditDigest['signature']) => Promise<boolean>;
  /** Only this subject's chain and archived events (digests and files are still checked whole). */
  readonly subject?: string;
  /** Tamper records the archiver kept (`audit/tamper/`); each is a problem. */
  readonly tamperRecords?: readonly StoredObject[];
}

function groupBySubject(events: readonly AuditEvent[]): Map<string, AuditEvent[]> {
  const chains = new Map<string, AuditEvent[]>();
  for (const event of events) {
    const chain = chains.get(event.subject) ?? [];
    chain.push(event);
    chains.set(event.subject, chain);
  }
  for (const chain of chains.values()) chain.sort(compareEvents);
  return chains;
}

function parseDigest(object: StoredObject): AuditDigest | string {
  try {
    const digest = JSON.parse(Buffer.from(object.body).toString('utf8')) as AuditDigest;
    if (
      typeof digest !== 'object' ||
      digest === null ||
      !Array.isArray(digest.files) ||
      !Array.isArray(digest.heads) ||
      typeof digest.signature?.value !== 'string'
    ) {
      return 'digest is not a signed digest document';
    }
    return digest;
  } catch {
    return 'digest is not JSON';
  }
}

/**
 * Verifies the whole audit trail: every subject chain in the table, every archived file
 * against its digest and against the table, every digest's signature and the digest chain.
 * Problems come in that order; the first is the first broken link.
 *
 * @example
 * ```ts
 * const report = await verifyAuditTrail({ events, files, digests, verifySignature });
 * if (!report.intact) console.log(report.problems[0]);
 * ```
 */
export async function verifyAuditTrail(input: AuditVerificationInput): Promise<AuditVerificationReport> {
  const problems: AuditProblem[] = [];
  const inScope = (subject: string): boolean => input.subject === undefined || subject === input.subject;
  const chains = groupBySubject(input.events.filter((event) => inScope(event.subject)));

  // 1. Chains in the table.
  for (const [subject, chain] of chains) {
    const result = verifyChain(chain);
    if (!result.valid) {
      const broken = chain[result.brokenAt];
      problems.push({ kind: 'chain', subject, sequence: broken?.sequence, reason: result.reason });
    }
  }
  const tableEvent = (subject: string, sequence: number): AuditEvent | undefined =>
    chains.get(subject)?.find((event) => event.sequence === sequence);

  // 2. Digests: order, signature, chain of digests, listed files.
  const digests = [...input.digests].sort((a, b) => (a.key < b.key ? -1 : 1));
  const filesByKey = new Map(input.files.map((file) => [file.key, file]));
  const listed = new Set<string>();
  let coveredUntil: Date | undefined;
  const digestProblems: AuditProblem[] = [];
  for (const [index, object] of digests.entries()) {
    const digest = parseDigest(object);
    if (typeof digest === 'string') {
      digestProblems.push({ kind: 'digest', key: object.key, reason: digest });
      continue;
    }
    if (!(await input.verifySignature(digestMessage(digest), digest.signature))) {
      digestProblems.push({
        kind: 'digest',
        key: object.key,
        reason: 'signature does not verify (digest forged or altered)',
      });
    }
    const before = digests[index - 1];
    const expectedPrevious = before ? { key: before.key, sha256: sha256Hex(before.body) } : null;
    if (JSON.stringify(digest.previousDigest) !== JSON.stringify(expectedPrevious)) {
      digestProblems.push({
        kind: 'digest',
        key: object.key,
        reason: before
          ? `previousDigest does not name ${before.key} with its SHA-256 (a digest was removed, inserted or altered)`
          : 'the first digest names a previous digest that is missing',
      });
    }
    for (const entry of digest.files) {
      listed.add(entry.key);
      const file = filesByKey.get(entry.key);
      if (!file)
        digestProblems.push({
          kind: 'archive',
          key: entry.key,
          reason: `archived file missing (listed in ${object.key})`,
        });
      else if (sha256Hex(file.body) !== entry.sha256) {
        digestProblems.push({
          kind: 'archive',
          key: entry.key,
          reason: `SHA-256 differs from ${object.key} (file altered)`,
        });
      }
    }
    for (const head of digest.heads) {
      if (!inScope(head.subject)) continue;
      const event = tableEvent(head.subject, head.sequence);
      if (!event || event.hash !== head.hash) {
        digestProblems.push({
          kind: 'head',
          subject: head.subject,
          sequence: head.sequence,
          key: object.key,
          reason: event ? 'table event differs from the signed chain head' : 'signed chain head missing from the table',
        });
      }
    }
    coveredUntil = new Date(digest.coveredUntil);
  }

  // 3. Archived files: parse, coverage, and agreement with the table.
  const coverageProblems: AuditProblem[] = [];
  let pendingFiles = 0;
  for (const file of [...input.files].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    const archivedAt = timeOfKey(file.key);
    if (!listed.has(file.key)) {
      if (coveredUntil && archivedAt && archivedAt.getTime() <= coveredUntil.getTime()) {
        coverageProblems.push({
          kind: 'coverage',
          key: file.key,
          reason: 'archived file is in no digest (added afterwards)',
        });
      } else pendingFiles += 1;
    }
    let events: AuditEvent[];
    try {
      events = parseArchiveFile(file.body);
    } catch (error) {
      problems.push({ kind: 'archive', key: file.key, reason: (error as Error).message });
      continue;
    }
    for (const archived of events) {
      if (!inScope(archived.subject)) continue;
      if (hashOf(archived) !== archived.hash) {
        problems.push({
          kind: 'archive',
          subject: archived.subject,
          sequence: archived.sequence,
          key: file.key,
          reason: 'archived copy does not match its own hash (file altered)',
        });
        continue;
      }
      const event = tableEvent(archived.subject, archived.sequence);
      if (!event) {
        problems.push({
          kind: 'archive',
          subject: archived.subject,
          sequence: archived.sequence,
          key: file.key,
          reason: 'archived event missing from the table (deleted)',
        });
      } else if (event.hash !== archived.hash) {
        problems.push({
          kind: 'archive',
          subject: archived.subject,
          sequence: archived.sequence,
          key: file.key,
          reason: 'table event differs from its archived copy (rewritten)',
        });
      }
    }
  }
  problems.push(...digestProblems, ...coverageProblems);

  // 4. Changes the stream saw: an event changed or removed, even if put back since.
  for (const object of [...(input.tamperRecords ?? [])].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    const record = parseTamperRecord(object);
    if (record?.subject !== undefined && !inScope(record.subject)) continue;
    problems.push({
      kind: 'tamper',
      ...(record?.subject !== undefined ? { subject: record.subject } : {}),
      ...(record?.sequence !== undefined ? { sequence: record.sequence } : {}),
      key: object.key,
      reason: record
        ? `the table's stream recorded a ${record.eventName} of this event${record.changedAt ? ` at ${record.changedAt}` : ''}: ` +
          'it was changed or deleted after it was written (even if it was put back since)'
        : 'tamper record is not readable',
    });
  }
  return {
    intact: problems.length === 0,
    problems,
    checked: {
      subjects: chains.size,
      events: [...chains.values()].reduce((sum, chain) => sum + chain.length, 0),
      files: input.files.length,
      digests: digests.length,
      pendingFiles,
    },
  };
}

/** One line naming a problem, for the CLI. */
export function describeProblem(problem: AuditProblem): string {
  const where = [
    problem.subject ? `subject ${problem.subject}` : undefined,
    problem.sequence !== undefined ? `sequence ${problem.sequence}` : undefined,
    problem.key ? `object ${problem.key}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  return `${problem.kind}: ${where}: ${problem.reason}`;
}
