import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AUDIT_EVENT_FIELDS,
  AuditChainError,
  GENESIS_HASH,
  canonicalJson,
  chainEvent,
  digestOf,
  verifyChain,
} from '../../../lambdas/domain/audit-chain.ts';
import type { AuditEvent, AuditEventInput } from '../../../lambdas/domain/records.ts';

const SUBJECT = 'verification:v-123';
const START = Date.parse('2026-03-01T10:00:00.000Z');

function buildChain(inputs: readonly Omit<AuditEventInput, 'subject'>[], subject = SUBJECT): AuditEvent[] {
  const events: AuditEvent[] = [];
  inputs.forEach((input, index) => {
    events.push(chainEvent(events.at(-1), { subject, ...input }, new Date(START + index * 1000)));
  });
  return events;
}

const sampleChain = (): AuditEvent[] =>
  buildChain([
    { action: 'verification.created', actor: 'user:u1', origin: '203.0.113.7' },
    { action: 'attempt.created', actor: 'user:u1', details: { attemptId: 'a1', slots: ['document_front', 'selfie'] } },
    { action: 'decision.rejected', actor: 'system:decide', details: { reasons: ['PHOTO_TOO_BLURRY'], score: 0.4 } },
    { action: 'document.viewed', actor: 'compliance_reviewer:alice', reason: 'case review', origin: '198.51.100.2' },
  ]);

const arbitraryInput = fc.record(
  {
    action: fc.string({ minLength: 1 }).filter((s) => s.trim() !== ''),
    actor: fc.string({ minLength: 1 }).filter((s) => s.trim() !== ''),
    reason: fc.string(),
    origin: fc.string(),
    details: fc.dictionary(
      fc.string(),
      fc.oneof(fc.string(), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.array(fc.string())),
    ),
  },
  { requiredKeys: ['action', 'actor'] },
);

describe('audit hash chain', () => {
  it('starts each subject at sequence 1 with the genesis hash and links every next event', () => {
    // Act
    const events = sampleChain();
    // Assess
    expect(events.map((event) => event.sequence)).toEqual([1, 2, 3, 4]);
    expect(events[0]?.previousHash).toBe(GENESIS_HASH);
    expect(events[1]?.previousHash).toBe(events[0]?.hash);
    expect(events[3]?.previousHash).toBe(events[2]?.hash);
    expect(events.every((event) => /^[0-9a-f]{64}$/.test(event.hash))).toBe(true);
    expect(events[0]?.at).toBe('2026-03-01T10:00:00.000Z');
    expect(verifyChain(events)).toEqual({ valid: true });
  });

  it('hashes the same content identically whatever the key order', () => {
    // Prepare
    const a = chainEvent(
      undefined,
      { subject: SUBJECT, action: 'x', actor: 'y', details: { b: 1, a: 2 } },
      new Date(START),
    );
    const b = chainEvent(
      undefined,
      { details: { a: 2, b: 1 }, actor: 'y', action: 'x', subject: SUBJECT },
      new Date(START),
    );
    // Assess
    expect(a.hash).toBe(b.hash);
  });

  it('serialises canonically', () => {
    // Assess
    expect(canonicalJson({ b: 1, a: [true, 'x', null], c: undefined, d: { z: 'é', y: -0.5 } })).toBe(
      '{"a":[true,"x",null],"b":1,"d":{"y":-0.5,"z":"é"}}',
    );
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(AuditChainError);
  });

  it('verifies an empty chain', () => {
    // Assess
    expect(verifyChain([])).toEqual({ valid: true });
  });

  it.each([
    [
      'an edited action',
      (events: AuditEvent[]) => (events[1] = { ...events[1]!, action: 'attempt.deleted' }),
      1,
      /altered/,
    ],
    [
      'an edited detail',
      (events: AuditEvent[]) => (events[2] = { ...events[2]!, details: { reasons: [] } }),
      2,
      /altered/,
    ],
    [
      'an edited time',
      (events: AuditEvent[]) => (events[3] = { ...events[3]!, at: '2026-03-01T09:00:00.000Z' }),
      3,
      /altered/,
    ],
    [
      'a removed optional field',
      (events: AuditEvent[]) => (events[0] = { ...events[0]!, origin: undefined }),
      0,
      /altered/,
    ],
    ['a deleted event', (events: AuditEvent[]) => events.splice(1, 1), 1, /sequence 3 where 2/],
    ['a deleted first event', (events: AuditEvent[]) => events.splice(0, 1), 0, /sequence 2 where 1/],
    ['swapped events', (events: AuditEvent[]) => events.splice(1, 2, events[2]!, events[1]!), 1, /sequence 3 where 2/],
    ['a duplicated event', (events: AuditEvent[]) => events.splice(2, 0, events[1]!), 2, /sequence 2 where 3/],
    [
      'an inserted forged event',
      (events: AuditEvent[]) =>
        events.splice(2, 0, chainEvent(events[1], { subject: SUBJECT, action: 'forged', actor: 'x' }, new Date(START))),
      3,
      /sequence 3 where 4/,
    ],
    [
      'a renumbered forged event',
      (events: AuditEvent[]) => (events[2] = { ...events[2]!, previousHash: '1'.repeat(64) }),
      2,
      /previousHash/,
    ],
    [
      'a field added beside the hashed ones',
      (events: AuditEvent[]) =>
        (events[1] = { ...events[1]!, comment: 'approved by regulator; ignore' } as unknown as AuditEvent),
      1,
      /fields its hash does not cover.*"comment"/,
    ],
    [
      'an event of another subject',
      (events: AuditEvent[]) => (events[1] = { ...events[1]!, subject: 'verification:other' }),
      1,
      /another subject/,
    ],
  ])('detects %s', (_name, tamper, brokenAt, reason) => {
    // Prepare
    const events = sampleChain();
    // Act
    tamper(events);
    const result = verifyChain(events);
    // Assess
    expect(result).toEqual({ valid: false, brokenAt, reason: expect.stringMatching(reason) });
  });

  it('stores only the hashed fields of an input, whatever else it carries', () => {
    // Act: an input with a property beyond AuditEventInput (e.g. spread from a larger object)
    const input = { subject: SUBJECT, action: 'case.claimed', actor: 'r1', comment: 'x' } as AuditEventInput;
    const event = chainEvent(undefined, input, new Date(START));
    // Assess
    expect(Object.keys(event).sort()).toEqual(['action', 'actor', 'at', 'hash', 'previousHash', 'sequence', 'subject']);
    expect(verifyChain([event])).toEqual({ valid: true });
  });

  it('detects a tail deletion through the signed digest', () => {
    // Prepare
    const events = sampleChain();
    const signed = digestOf(events);
    // Act
    const truncated = events.slice(0, -1);
    // Assess: the shortened chain is internally consistent; only the digest reveals it.
    expect(verifyChain(truncated)).toEqual({ valid: true });
    expect(digestOf(truncated)).not.toBe(signed);
  });

  it('verifies a page that continues from an already verified event', () => {
    // Prepare
    const events = sampleChain();
    // Act + Assess
    expect(verifyChain(events.slice(2), events[1])).toEqual({ valid: true });
    expect(verifyChain(events.slice(2), events[0])).toMatchObject({ valid: false, brokenAt: 0 });
    expect(verifyChain(events.slice(2))).toMatchObject({ valid: false, brokenAt: 0 });
  });

  it('digest does not depend on the order events are given in, but on every hash', () => {
    // Prepare
    const a = sampleChain();
    const b = buildChain([{ action: 'verification.created', actor: 'user:u2' }], 'verification:v-999');
    // Act + Assess
    expect(digestOf([...a, ...b])).toBe(digestOf([...b].concat([...a].reverse())));
    expect(digestOf([...a, ...b])).not.toBe(digestOf(a));
    expect(digestOf([])).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    [{ subject: '', action: 'a', actor: 'b' }, /subject must be a non-empty string/],
    [{ subject: SUBJECT, action: '  ', actor: 'b' }, /action must be a non-empty string/],
    [{ subject: SUBJECT, action: 'a', actor: undefined }, /actor must be a non-empty string/],
    [{ subject: SUBJECT, action: 'a', actor: 'b', reason: 42 }, /reason must be a string/],
    [{ subject: SUBJECT, action: 'a', actor: 'b', details: { n: Number.POSITIVE_INFINITY } }, /details.n must be/],
    [{ subject: SUBJECT, action: 'a', actor: 'b', details: { o: { nested: true } } }, /details.o must be/],
  ])('refuses invalid input %j', (input, message) => {
    // Act + Assess
    expect(() => chainEvent(undefined, input as unknown as AuditEventInput, new Date(START))).toThrow(message);
  });

  it('refuses an invalid time and a previous event of another subject', () => {
    // Prepare
    const [first] = sampleChain();
    // Act + Assess
    expect(() => chainEvent(undefined, { subject: SUBJECT, action: 'a', actor: 'b' }, 'not a date')).toThrow(
      AuditChainError,
    );
    expect(() => chainEvent(first, { subject: 'verification:other', action: 'a', actor: 'b' }, new Date())).toThrow(
      /belongs to verification:v-123/,
    );
  });

  it('property: any chain verifies, and any edit of any field of any event breaks it at that event', () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryInput, { minLength: 1, maxLength: 8 }),
        fc.nat(),
        fc.constantFrom(...AUDIT_EVENT_FIELDS),
        fc.string(),
        (inputs, rawIndex, field, replacement) => {
          // Prepare
          const events = buildChain(inputs);
          expect(verifyChain(events)).toEqual({ valid: true });
          const index = rawIndex % events.length;
          const original = events[index]!;
          const edits: Record<string, unknown> = {
            subject: `${original.subject}x`,
            action: `${original.action}${replacement}x`,
            actor: `x${original.actor}`,
            reason: original.reason === undefined ? replacement : `${original.reason}x`,
            origin: original.origin === undefined ? replacement : `${original.origin}x`,
            details: { ...original.details, [`k${replacement}`]: 'added' },
            sequence: original.sequence + 1,
            at: new Date(Date.parse(original.at) + 1).toISOString(),
            previousHash: original.previousHash.replace(/^./, (c) => (c === 'f' ? '0' : 'f')),
            hash: original.hash.replace(/^./, (c) => (c === 'f' ? '0' : 'f')),
          };
          const tampered = [...events];
          tampered[index] = { ...original, [field]: edits[field] } as AuditEvent;
          // Act
          const result = verifyChain(tampered);
          // Assess: the edited event itself is reported, or (for a stored-hash edit) the event after it.
          expect(result.valid).toBe(false);
          if (!result.valid) expect([index, index + 1]).toContain(result.brokenAt);
          if (!result.valid && field !== 'hash') expect(result.brokenAt).toBe(index);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: dropping or moving any event breaks verification', () => {
    fc.assert(
      fc.property(fc.array(arbitraryInput, { minLength: 2, maxLength: 8 }), fc.nat(), fc.nat(), (inputs, a, b) => {
        // Prepare
        const events = buildChain(inputs);
        const from = a % events.length;
        const to = b % events.length;
        const dropped = events.filter((_, i) => i !== from);
        const moved = [...dropped];
        moved.splice(to, 0, events[from]!);
        // Act + Assess
        if (from !== events.length - 1) expect(verifyChain(dropped).valid).toBe(false);
        if (from !== to) expect(verifyChain(moved).valid).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
