/**
 * Tamper-evident audit trail (PRODUCT §5: "audit events are append-only and tamper-evident").
 *
 * Each subject (e.g. `verification:<id>`) has its own hash chain. An event's hash covers the
 * previous event's hash and the event's canonical body, so changing, removing, inserting or
 * reordering any event breaks every link after it:
 *
 *   seq 1                      seq 2                      seq 3
 *   prev = 000…0 (genesis)     prev = h1                  prev = h2
 *   h1 = sha256(prev ‖ body1)  h2 = sha256(h1 ‖ body2)    h3 = sha256(h2 ‖ body3)
 *
 * The store (DynamoDB, key subject + sequence) writes with a condition that the sequence is
 * new, so two writers cannot fork a chain; `digestOf` gives a value to sign (KMS Sign) so the
 * head of the chain itself cannot be rewritten silently. Pure code: `node:crypto` only.
 *
 * @example
 * ```ts
 * const first = chainEvent(undefined, { subject: 'verification:v1', action: 'verification.created', actor: 'u1' }, now);
 * const second = chainEvent(first, { subject: 'verification:v1', action: 'attempt.created', actor: 'u1' }, later);
 * verifyChain([first, second]); // { valid: true }
 * ```
 */
import { createHash } from 'node:crypto';
import type { AuditEvent, AuditEventInput } from './records.ts';

/** `previousHash` of the first event of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** Sequence number of the first event of every chain. */
export const FIRST_SEQUENCE = 1;

/** An audit event that cannot be chained as asked (bad input or a chain that does not fit). */
export class AuditChainError extends Error {
  public readonly subject: string | undefined;
  public readonly field: string | undefined;

  public constructor(message: string, context: { subject?: string; field?: string } = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuditChainError';
    this.subject = context.subject;
    this.field = context.field;
  }
}

/** Result of `verifyChain`: `brokenAt` is the index (in the given array) of the first bad event. */
export type ChainVerification = { valid: true } | { valid: false; brokenAt: number; reason: string };

type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json | undefined };

/**
 * Deterministic JSON: object keys sorted by code point at every depth, `undefined` members
 * left out, no whitespace. Non-finite numbers are refused (JSON would turn them into `null`,
 * making two different events hash alike).
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [true, 'x'] }); // '{"a":[true,"x"],"b":1}'
 * ```
 */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new AuditChainError(`cannot serialise non-finite number ${String(value)}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item: Json) => canonicalJson(item)).join(',')}]`;
  const object = value as { readonly [key: string]: Json | undefined };
  const members = Object.keys(object)
    .sort()
    .flatMap((key) => {
      const member = object[key];
      return member === undefined ? [] : [`${JSON.stringify(key)}:${canonicalJson(member)}`];
    });
  return `{${members.join(',')}}`;
}

/**
 * Every field a stored event may have: the hashed body (`bodyOf`) and the two hashes. A field
 * beyond these was not there when the event was written (nothing writes one), so a chain that
 * holds one is not intact, whatever its hashes say.
 */
export const AUDIT_EVENT_FIELDS = [
  'subject',
  'action',
  'actor',
  'reason',
  'origin',
  'details',
  'sequence',
  'at',
  'previousHash',
  'hash',
] as const;
const EVENT_FIELDS: ReadonlySet<string> = new Set(AUDIT_EVENT_FIELDS);

/** The hashed body of an event: everything but its own hash and the previous hash. */
function bodyOf(event: AuditEventInput & { readonly sequence: number; readonly at: string }): Json {
  return {
    subject: event.subject,
    action: event.action,
    actor: event.actor,
    reason: event.reason,
    origin: event.origin,
    details: event.details as Json | undefined,
    sequence: event.sequence,
    at: event.at,
  };
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The hash an event must carry, recomputed from its previous hash and body. */
export function hashOf(event: Omit<AuditEvent, 'hash'>): string {
  return sha256Hex(`${event.previousHash}\n${canonicalJson(bodyOf(event))}`);
}

function validateInput(input: AuditEventInput): void {
  const { subject } = input;
  for (const field of ['subject', 'action', 'actor'] as const) {
    if (typeof input[field] !== 'string' || input[field].trim() === '') {
      throw new AuditChainError(`audit event ${field} must be a non-empty string`, { subject, field });
    }
  }
  for (const field of ['reason', 'origin'] as const) {
    if (input[field] !== undefined && typeof input[field] !== 'string') {
      throw new AuditChainError(`audit event ${field} must be a string when present`, { subject, field });
    }
  }
  for (const [key, value] of Object.entries(input.details ?? {})) {
    const ok =
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value)) ||
      (Array.isArray(value) && value.every((item) => typeof item === 'string'));
    if (!ok) {
      throw new AuditChainError(`audit event details.${key} must be a string, finite number, boolean or string[]`, {
        subject,
        field: `details.${key}`,
      });
    }
  }
}

/**
 * Creates the next event of a subject's chain. `previous` is the subject's latest event, or
 * `undefined` for the first one (sequence 1, previous hash = 64 zeros).
 *
 * @throws AuditChainError when the input is invalid, `at` is not a valid time, or `previous`
 *   belongs to another subject.
 *
 * @example
 * ```ts
 * const event = chainEvent(latest, { subject, action: 'document.viewed', actor: 'compliance:alice',
 *   reason: 'case review', origin: '203.0.113.7' }, new Date());
 * await auditStore.append(event); // conditional put: sequence must be new
 * ```
 */
export function chainEvent(previous: AuditEvent | undefined, input: AuditEventInput, at: Date | string): AuditEvent {
  validateInput(input);
  if (previous && previous.subject !== input.subject) {
    throw new AuditChainError(`previous event belongs to ${previous.subject}, not ${input.subject}`, {
      subject: input.subject,
      field: 'subject',
    });
  }
  const time = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(time.getTime())) {
    throw new AuditChainError(`audit event time ${String(at)} is not a valid date`, {
      subject: input.subject,
      field: 'at',
    });
  }
  // Only the hashed fields: a property an input carries beyond them would be stored unhashed.
  const unhashed: Omit<AuditEvent, 'hash'> = {
    subject: input.subject,
    action: input.action,
    actor: input.actor,
    ...(input.reason !== undefined ? { reason: input.reason } : {}),
    ...(input.origin !== undefined ? { origin: input.origin } : {}),
    ...(input.details !== undefined ? { details: input.details } : {}),
    sequence: previous ? previous.sequence + 1 : FIRST_SEQUENCE,
    at: time.toISOString(),
    previousHash: previous ? previous.hash : GENESIS_HASH,
  };
  return { ...unhashed, hash: hashOf(unhashed) };
}

/**
 * Checks a run of one subject's events, in stored order. Without `after`, the run must start
 * at the genesis event; with `after` (the last event of the previous, already verified page),
 * it must continue from it. Detects edited fields (hash mismatch), fields added beside the
 * hashed ones, deleted, inserted or reordered events (sequence gap or broken link) and events of
 * another subject.
 *
 * @example
 * ```ts
 * const result = verifyChain(events);
 * if (!result.valid) alarm(`audit chain broken at ${result.brokenAt}: ${result.reason}`);
 * ```
 */
export function verifyChain(events: readonly AuditEvent[], after?: AuditEvent): ChainVerification {
  let previous = after;
  for (const [index, event] of events.entries()) {
    const expectedSequence = previous ? previous.sequence + 1 : FIRST_SEQUENCE;
    const expectedPrevious = previous ? previous.hash : GENESIS_HASH;
    const subject = previous?.subject ?? events[0]?.subject;
    if (event.subject !== subject) {
      return { valid: false, brokenAt: index, reason: `event belongs to another subject` };
    }
    if (event.sequence !== expectedSequence) {
      return {
        valid: false,
        brokenAt: index,
        reason: `sequence ${String(event.sequence)} where ${expectedSequence} was expected (event missing, inserted or out of order)`,
      };
    }
    if (event.previousHash !== expectedPrevious) {
      return { valid: false, brokenAt: index, reason: 'previousHash does not match the hash of the event before it' };
    }
    const unhashed = Object.keys(event).filter((field) => !EVENT_FIELDS.has(field));
    if (unhashed.length > 0) {
      return {
        valid: false,
        brokenAt: index,
        reason: `event carries fields its hash does not cover (added after it was written): ${unhashed
          .map((field) => JSON.stringify(field))
          .join(', ')}`,
      };
    }
    let recomputed: string;
    try {
      recomputed = hashOf(event);
    } catch (error) {
      return { valid: false, brokenAt: index, reason: `event cannot be serialised: ${(error as Error).message}` };
    }
    if (recomputed !== event.hash) {
      return { valid: false, brokenAt: index, reason: 'hash does not match the event content (event was altered)' };
    }
    previous = event;
  }
  return { valid: true };
}

/**
 * A SHA-256 digest (hex) committing to a set of events, for signing (e.g. KMS Sign of a daily
 * digest) so even the newest event of each chain cannot be rewritten unnoticed. Independent of
 * the order the events are given in: they are sorted by subject, then sequence.
 *
 * @example
 * ```ts
 * const digest = digestOf(todaysEvents);
 * await keys.sign(Buffer.from(digest, 'hex'));
 * ```
 */
export function digestOf(events: readonly AuditEvent[]): string {
  const heads = [...events]
    .sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : a.sequence - b.sequence))
    .map((event) => [event.subject, event.sequence, event.hash]);
  return sha256Hex(canonicalJson(heads));
}
