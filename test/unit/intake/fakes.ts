/** In-memory stand-ins for the ports and adapters the intake handlers use. */
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import {
  ConcurrentModificationError,
  type UserVerificationCreation,
  type VerificationChanges,
} from '../../../lambdas/adapters/aws/verification-repository.ts';
import type { RateLimitStore } from '../../../lambdas/adapters/aws/rate-limit-store.ts';
import {
  decideAttempt,
  decideCreation,
  emptyRateLimitState,
  recordAttemptOutcome,
  type AttemptDecision,
  type AttemptOutcome,
  type AttemptRequest,
  type CreationDecision,
  type RateLimitState,
} from '../../../lambdas/domain/rate-limit.ts';
import type {
  AttemptRecord,
  AttemptStatus,
  AuditEvent,
  AuditEventInput,
  DocumentRecord,
  VerificationRecord,
} from '../../../lambdas/domain/records.ts';
import type { CounterUpdate } from '../../../lambdas/domain/decision-metrics.ts';
import type { ReasonCode } from '../../../lambdas/domain/reason-codes.ts';
import type { Slot } from '../../../lambdas/domain/verification.ts';
import type { AuditLog } from '../../../lambdas/ports/audit-log.ts';
import type { Clock } from '../../../lambdas/ports/clock.ts';

export class FakeClock implements Clock {
  public constructor(public current = new Date('2026-03-01T10:00:00Z')) {}
  public now(): Date {
    return new Date(this.current);
  }
  public advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

export class FakeAudit implements AuditLog {
  public readonly events: AuditEventInput[] = [];
  public async append(event: AuditEventInput): Promise<AuditEvent> {
    this.events.push(event);
    return { ...event, sequence: this.events.length, at: '', previousHash: '', hash: '' };
  }
  public async list(subject: string): Promise<AuditEvent[]> {
    return this.events
      .filter((event) => event.subject === subject)
      .map((event, index) => ({ ...event, sequence: index + 1, at: '', previousHash: '', hash: '' }));
  }
  public actions(): string[] {
    return this.events.map((event) => event.action);
  }
}

export class FakeRepository {
  public readonly verifications = new Map<string, VerificationRecord>();
  public readonly attempts = new Map<string, AttemptRecord>();
  /** Metric counter updates written with successful transitions, in order. */
  public readonly counters: CounterUpdate[] = [];
  public readonly documents = new Map<string, DocumentRecord>();
  public readonly rejectedImages = new Set<string>();

  public async createVerification(record: VerificationRecord): Promise<void> {
    if (this.verifications.has(record.verificationId)) throw new ConcurrentModificationError('V', 'META');
    this.verifications.set(record.verificationId, record);
  }
  public async findUserVerification(userId: string, level: VerificationRecord['level']) {
    const existing = [...this.verifications.values()].find(
      (candidate) => candidate.userId === userId && candidate.level === level,
    );
    return existing ? { verificationId: existing.verificationId } : undefined;
  }
  public async createUserVerification(record: VerificationRecord): Promise<UserVerificationCreation> {
    const existing = [...this.verifications.values()].find(
      (candidate) => candidate.userId === record.userId && candidate.level === record.level,
    );
    if (existing) return { created: false, existingVerificationId: existing.verificationId };
    await this.createVerification(record);
    return { created: true };
  }
  public async getVerification(id: string): Promise<VerificationRecord | undefined> {
    return this.verifications.get(id);
  }
  public async updateVerification(
    id: string,
    expectedVersion: number,
    changes: VerificationChanges,
  ): Promise<VerificationRecord> {
    const current = this.verifications.get(id);
    if (!current || current.version !== expectedVersion) throw new ConcurrentModificationError(id, 'META');
    const next = { ...current, ...changes, version: current.version + 1 } as VerificationRecord;
    if ('cooldownUntil' in changes && changes.cooldownUntil === undefined)
      delete (next as { cooldownUntil?: string }).cooldownUntil;
    this.verifications.set(id, next);
    return next;
  }
  public async createAttempt(record: AttemptRecord): Promise<boolean> {
    const key = `${record.verificationId}/${record.attemptId}`;
    if (this.attempts.has(key)) return false;
    this.attempts.set(key, record);
    return true;
  }
  public async getAttempt(verificationId: string, attemptId: string): Promise<AttemptRecord | undefined> {
    return this.attempts.get(`${verificationId}/${attemptId}`);
  }
  public async listAttempts(verificationId: string) {
    return [...this.attempts.values()]
      .filter((attempt) => attempt.verificationId === verificationId)
      .map((attempt) => ({
        attempt,
        documents: [...this.documents.values()].filter((doc) => doc.attemptId === attempt.attemptId),
      }));
  }
  /** As the real one reads: the attempts, then the verification (the test may act in between). */
  public async getVerificationWithAttempts(verificationId: string) {
    const attempts = await this.listAttempts(verificationId);
    return { verification: await this.getVerification(verificationId), attempts };
  }
  public async transitionAttempt(
    verificationId: string,
    attemptId: string,
    from: readonly AttemptStatus[],
    change: { status: AttemptStatus; reasons?: readonly ReasonCode[] },
    counters: readonly CounterUpdate[] = [],
  ): Promise<boolean> {
    const key = `${verificationId}/${attemptId}`;
    const current = this.attempts.get(key);
    if (!current || !from.includes(current.status)) return false;
    this.attempts.set(key, { ...current, status: change.status, reasons: change.reasons ?? [] });
    this.counters.push(...counters);
    return true;
  }
  public async transitionAttemptAndVerification(
    verificationId: string,
    attemptId: string,
    from: readonly AttemptStatus[],
    change: { status: AttemptStatus; reasons?: readonly ReasonCode[] },
    verification: { readonly expectedVersion: number; readonly changes: VerificationChanges },
    counters: readonly CounterUpdate[] = [],
  ): Promise<boolean> {
    // All or nothing, as the DynamoDB transaction: both conditions are checked before any write.
    const current = this.attempts.get(`${verificationId}/${attemptId}`);
    if (!current || !from.includes(current.status)) return false;
    if (this.verifications.get(verificationId)?.version !== verification.expectedVersion) {
      throw new ConcurrentModificationError(verificationId, 'META');
    }
    await this.updateVerification(verificationId, verification.expectedVersion, verification.changes);
    return this.transitionAttempt(verificationId, attemptId, from, change, counters);
  }
  public async createDocument(record: DocumentRecord): Promise<boolean> {
    const key = `${record.verificationId}/${record.attemptId}/${record.slot}`;
    if (this.documents.has(key)) return false;
    this.documents.set(key, record);
    return true;
  }
  public async getDocument(verificationId: string, attemptId: string, slot: Slot): Promise<DocumentRecord | undefined> {
    return this.documents.get(`${verificationId}/${attemptId}/${slot}`);
  }
  public async listDocuments(verificationId: string, attemptId: string): Promise<DocumentRecord[]> {
    return [...this.documents.values()].filter(
      (doc) => doc.verificationId === verificationId && doc.attemptId === attemptId,
    );
  }
  public async rememberRejectedImage(verificationId: string, sha256: string): Promise<void> {
    this.rejectedImages.add(`${verificationId}/${sha256}`);
  }
  public async isImageRejected(verificationId: string, sha256: string): Promise<boolean> {
    return this.rejectedImages.has(`${verificationId}/${sha256}`);
  }
}

/** Rate-limit store over the pure rules, in memory. */
export class FakeRateLimits implements RateLimitStore {
  public readonly states = new Map<string, RateLimitState>();
  public readonly outcomes: Array<{ userId: string; attemptId: string; outcome: AttemptOutcome }> = [];
  public readonly creations = new Map<string, readonly number[]>();
  public constructor(private readonly limits = DEFAULT_CONFIG.rateLimits) {}
  public async tryCreateVerification(userId: string, now: Date): Promise<CreationDecision> {
    const decision = decideCreation(this.creations.get(userId) ?? [], now.getTime(), this.limits);
    if (decision.allowed) this.creations.set(userId, decision.createdAt);
    return decision;
  }
  public async tryStartAttempt(userId: string, request: AttemptRequest): Promise<AttemptDecision> {
    const decision = decideAttempt(this.states.get(userId) ?? emptyRateLimitState(), request, this.limits);
    if (decision.allowed) this.states.set(userId, decision.state);
    return decision;
  }
  public async recordOutcome(userId: string, attemptId: string, outcome: AttemptOutcome, now = new Date()) {
    this.outcomes.push({ userId, attemptId, outcome });
    const next = recordAttemptOutcome(
      this.states.get(userId) ?? emptyRateLimitState(),
      { attemptId, outcome, now },
      this.limits,
    );
    this.states.set(userId, next.state);
    const until = next.state.cooldownUntil;
    return {
      consecutiveFailures: next.state.consecutiveFailures,
      riskFlags: next.state.riskFlags,
      ...(until !== undefined && until > now.getTime() ? { cooldownUntil: new Date(until).toISOString() } : {}),
    };
  }
}

export function sampleVerification(overrides: Partial<VerificationRecord> = {}): VerificationRecord {
  return {
    verificationId: 'v-1',
    userId: 'user-1',
    level: 'basic',
    nationality: 'GBR',
    documentType: 'passport',
    personalData: { keyId: 'k', encryptedDataKey: 'e', iv: 'i', ciphertext: 'c', authTag: 't' },
    status: 'awaiting_upload',
    reasons: [],
    consecutiveFailures: 0,
    frozen: false,
    riskFlags: [],
    createdAt: '2026-03-01T09:00:00.000Z',
    updatedAt: '2026-03-01T09:00:00.000Z',
    version: 1,
    ...overrides,
  };
}
