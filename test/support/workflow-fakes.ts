/**
 * In-memory implementations of the workflow's ports, for unit and integration tests that run
 * the real step handlers (and the synthesized state machine) without AWS.
 */
import { RecordingMetrics } from '../../lambdas/ports/operational-metrics.ts';
import { DEFAULT_CONFIG, type KycConfig } from '../../lib/config.ts';
import type { OutcomeResult } from '../../lambdas/adapters/aws/rate-limit-store.ts';
import { chainEvent } from '../../lambdas/domain/audit-chain.ts';
import type { CounterUpdate } from '../../lambdas/domain/decision-metrics.ts';
import { emptyRateLimitState, recordAttemptOutcome, type RateLimitState } from '../../lambdas/domain/rate-limit.ts';
import type {
  AttemptRecord,
  AttemptStatus,
  AuditEvent,
  AuditEventInput,
  DocumentRecord,
  PersonalData,
  SealedData,
  VerificationRecord,
} from '../../lambdas/domain/records.ts';
import type { ReasonCode } from '../../lambdas/domain/reason-codes.ts';
import type { DocumentType, Slot, VerificationLevel } from '../../lambdas/domain/verification.ts';
import type { WorkflowDeps } from '../../lambdas/handlers/workflow/deps.ts';
import type { AuditLog } from '../../lambdas/ports/audit-log.ts';
import type { Clock } from '../../lambdas/ports/clock.ts';
import type { EvidenceVault } from '../../lambdas/ports/evidence-vault.ts';
import type {
  DocumentText,
  FaceOwner,
  FaceSearchHit,
  FaceService,
  ImageRef,
  ImageRegion,
} from '../../lambdas/ports/face-service.ts';
import type { LivenessSessionResult, LivenessService } from '../../lambdas/ports/liveness.ts';
import type { ReviewEscalation, StatusChange, StatusEvents } from '../../lambdas/ports/status-events.ts';
import type { ReviewCompleter } from '../../lambdas/ports/workflow.ts';
import {
  WorkflowConflictError,
  type CheckName,
  type CheckRecord,
  type DocumentOwner,
  type ReviewDecisionInput,
  type ReviewTask,
  type ReviewTaskWrite,
  type VerificationChanges,
  type WorkflowStore,
} from '../../lambdas/ports/workflow-store.ts';

export class FakeClock implements Clock {
  constructor(public current = new Date()) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export class InMemoryWorkflowStore implements WorkflowStore {
  readonly verifications = new Map<string, VerificationRecord>();
  readonly attempts = new Map<string, AttemptRecord>();
  readonly documents = new Map<string, DocumentRecord>();
  readonly checks = new Map<string, CheckRecord>();
  readonly owners = new Map<string, DocumentOwner>();
  readonly reviews = new Map<string, ReviewTask>();
  /** Metric counter updates written with successful transitions and review writes, in order. */
  readonly counters: CounterUpdate[] = [];

  constructor(private readonly clock: Clock) {}

  async getVerification(verificationId: string) {
    return this.verifications.get(verificationId);
  }
  async updateVerification(verificationId: string, expectedVersion: number, changes: VerificationChanges) {
    const current = this.verifications.get(verificationId);
    if (!current || current.version !== expectedVersion) {
      throw new WorkflowConflictError('version changed', `V#${verificationId}`);
    }
    const next = { ...current, version: current.version + 1, updatedAt: this.clock.now().toISOString() } as Record<
      string,
      unknown
    >;
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) delete next[key];
      else next[key] = value;
    }
    this.verifications.set(verificationId, next as unknown as VerificationRecord);
    return next as unknown as VerificationRecord;
  }
  async getAttempt(verificationId: string, attemptId: string) {
    return this.attempts.get(`${verificationId}/${attemptId}`);
  }
  async transitionAttempt(
    verificationId: string,
    attemptId: string,
    from: readonly AttemptStatus[],
    change: { status: AttemptStatus; reasons?: readonly ReasonCode[] },
    counters: readonly CounterUpdate[] = [],
  ) {
    const key = `${verificationId}/${attemptId}`;
    const attempt = this.attempts.get(key);
    if (!attempt || !from.includes(attempt.status)) return false;
    this.attempts.set(key, {
      ...attempt,
      status: change.status,
      reasons: change.reasons ?? [],
      updatedAt: this.clock.now().toISOString(),
    });
    this.counters.push(...counters);
    return true;
  }
  async listDocuments(verificationId: string, attemptId: string) {
    return [...this.documents.values()].filter((d) => d.verificationId === verificationId && d.attemptId === attemptId);
  }
  async recordCheck(check: CheckRecord) {
    this.checks.set(`${check.verificationId}/${check.attemptId}/${check.name}`, check);
  }
  async getCheck(verificationId: string, attemptId: string, name: CheckName) {
    return this.checks.get(`${verificationId}/${attemptId}/${name}`);
  }
  async findDocumentOwner(documentHash: string) {
    return this.owners.get(documentHash);
  }
  async claimDocument(documentHash: string, owner: DocumentOwner) {
    const existing = this.owners.get(documentHash);
    if (existing && existing.userId !== owner.userId) return false;
    this.owners.set(documentHash, owner);
    return true;
  }
  async putReviewTask(task: ReviewTask, options: ReviewTaskWrite = {}) {
    const key = `${task.verificationId}/${task.attemptId}`;
    const stored = this.reviews.get(key);
    if (options.reopens) {
      if (stored?.decidedAt !== options.reopens.decidedAt) throw new WorkflowConflictError('changed meanwhile', key);
    } else if (task.decision === undefined && stored?.decision !== undefined) {
      throw new WorkflowConflictError('decided meanwhile', key);
    }
    if (options.creates && this.reviews.has(key)) throw new WorkflowConflictError('exists', key);
    this.reviews.set(key, task);
    this.counters.push(...(options.counters ?? []));
  }
  async getReviewTask(verificationId: string, attemptId: string) {
    return this.reviews.get(`${verificationId}/${attemptId}`);
  }
  async findOpenReviewTask(verificationId: string) {
    return [...this.reviews.values()]
      .filter((t) => t.verificationId === verificationId && t.decision === undefined)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  }
  async findLatestReviewTask(verificationId: string) {
    return [...this.reviews.values()]
      .filter((t) => t.verificationId === verificationId)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  }
  async decideReviewTask(
    verificationId: string,
    attemptId: string,
    taskToken: string,
    input: ReviewDecisionInput,
    counters: readonly CounterUpdate[] = [],
  ) {
    const key = `${verificationId}/${attemptId}`;
    const task = this.reviews.get(key);
    const heldByAnother = task?.assignee !== undefined && task.assignee !== input.decidedBy;
    if (!task || task.decision !== undefined || task.taskToken !== taskToken || heldByAnother) {
      throw new WorkflowConflictError('already decided', key);
    }
    const next: ReviewTask = {
      ...task,
      decision: input.decision,
      decidedBy: input.decidedBy,
      note: input.note,
      decidedAt: input.decidedAt,
      reasons: input.reasons,
    };
    this.reviews.set(key, next);
    this.counters.push(...counters);
    return next;
  }
  async listOpenReviewTasks(options: { assignee?: string; limit: number }) {
    return [...this.reviews.values()]
      .filter((t) => t.decision === undefined && (t.assignee ?? undefined) === options.assignee)
      .sort((a, b) => a.dueAt.localeCompare(b.dueAt))
      .slice(0, options.limit);
  }

  /** Seeds a verification with one attempt and its accepted documents. */
  seed(input: {
    verificationId: string;
    attemptId: string;
    userId?: string;
    level?: VerificationLevel;
    documentType?: DocumentType;
    nationality?: string;
    livenessSessionId?: string;
    slots?: Slot[];
  }): void {
    const now = this.clock.now().toISOString();
    const documentType = input.documentType ?? 'passport';
    if (!this.verifications.has(input.verificationId)) {
      this.verifications.set(input.verificationId, {
        verificationId: input.verificationId,
        userId: input.userId ?? 'user-1',
        level: input.level ?? 'basic',
        nationality: input.nationality ?? 'GBR',
        documentType,
        personalData: sealFake({ fullName: 'Anna Maria Eriksson', dateOfBirth: '1974-08-12', address: 'x' }),
        status: 'awaiting_upload',
        reasons: [],
        consecutiveFailures: 0,
        frozen: false,
        riskFlags: [],
        createdAt: now,
        updatedAt: now,
        version: 1,
      });
    }
    this.attempts.set(`${input.verificationId}/${input.attemptId}`, {
      verificationId: input.verificationId,
      attemptId: input.attemptId,
      requiredSlots: input.slots ?? ['document_front', 'selfie'],
      status: 'awaiting_upload',
      reasons: [],
      ...(input.livenessSessionId ? { livenessSessionId: input.livenessSessionId } : {}),
      createdAt: now,
      uploadExpiresAt: now,
      updatedAt: now,
    });
    for (const slot of input.slots ?? ['document_front', 'selfie']) {
      this.documents.set(`${input.verificationId}/${input.attemptId}/${slot}`, {
        verificationId: input.verificationId,
        attemptId: input.attemptId,
        slot,
        result: 'accepted',
        reasons: [],
        sha256: `${slot}-sha`,
        sizeBytes: 200_000,
        contentType: 'image/jpeg',
        vaultKey: `evidence/${input.verificationId}/${input.attemptId}/${slot}`,
        metrics: {},
        processors: ['quality-gate'],
        recordedAt: now,
      });
    }
  }
}

/** A stand-in for envelope encryption: base64 JSON (tests only). */
export function sealFake(data: PersonalData): SealedData {
  return {
    keyId: 'fake',
    encryptedDataKey: '',
    iv: '',
    authTag: '',
    ciphertext: Buffer.from(JSON.stringify(data)).toString('base64'),
  };
}

export const fakePersonalData = {
  async open(sealed: SealedData): Promise<PersonalData> {
    return JSON.parse(Buffer.from(sealed.ciphertext, 'base64').toString('utf8')) as PersonalData;
  },
};

/** Face service and document text reader scripted per image key; throws the queued errors first. */
export class FakeFaceService implements FaceService, DocumentText {
  readonly processor = 'fake-rekognition';
  similarity = 99;
  searchHits: FaceSearchHit[] = [];
  textLines: string[] = [];
  /** Faces in the collection, in the order they were indexed (removed ones leave). */
  readonly indexed: Array<{ key: string; userId: string; attemptId: string; faceId: string }> = [];
  readonly removed: string[] = [];
  readonly errors: Partial<
    Record<'compareFaces' | 'searchFaces' | 'detectText' | 'indexFace' | 'removeFaces', Error[]>
  > = {};
  /**
   * Whose face an image shows (a collection that matches by face): when set, a search finds the
   * indexed faces of the same person, at similarity 99, instead of `searchHits`.
   */
  personOf: ((image: ImageRef) => string) | undefined = undefined;
  private faceIds = 0;
  readonly calls: string[] = [];

  private fail(op: keyof FakeFaceService['errors']): void {
    this.calls.push(op);
    const queue = this.errors[op];
    const error = queue?.shift();
    if (error) throw error;
  }
  /** Per-pair similarity (e.g. a liveness stand-in); `undefined` falls back to `similarity`. */
  similarityFor: (source: ImageRef, target: ImageRef) => number | undefined = () => undefined;
  /** Per-image search hits; `undefined` falls back to `searchHits`. */
  searchHitsFor: (image: ImageRef) => FaceSearchHit[] | undefined = () => undefined;
  async compareFaces(source: ImageRef, target: ImageRef) {
    this.fail('compareFaces');
    return { similarity: this.similarityFor(source, target) ?? this.similarity };
  }
  async searchFaces(image: ImageRef, threshold: number) {
    this.fail('searchFaces');
    const personOf = this.personOf;
    const hits = personOf
      ? this.indexed
          .filter((face) => personOf({ bucket: image.bucket, key: face.key }) === personOf(image))
          .map((face) => ({ userId: face.userId, attemptId: face.attemptId, faceId: face.faceId, similarity: 99 }))
      : (this.searchHitsFor(image) ?? this.searchHits);
    return hits.filter((h) => h.similarity >= threshold);
  }
  async indexFace(image: ImageRef, owner: FaceOwner) {
    this.fail('indexFace');
    this.faceIds += 1;
    const faceId = `face-${this.faceIds}`;
    this.indexed.push({ key: image.key, ...owner, faceId });
    return { faceId };
  }
  async removeFaces(faceIds: readonly string[]) {
    this.fail('removeFaces');
    for (const faceId of faceIds) {
      this.removed.push(faceId);
      const index = this.indexed.findIndex((face) => face.faceId === faceId);
      if (index >= 0) this.indexed.splice(index, 1);
    }
  }
  /** Every DetectText call: the image's key and the region read (`undefined`: the whole image). */
  readonly textReads: Array<{ key: string; region?: ImageRegion }> = [];
  /** Per-call text lines; `undefined` falls back to `textLines`. */
  textLinesFor: (image: ImageRef, region?: ImageRegion) => string[] | undefined = () => undefined;
  async detectText(image: ImageRef, region?: ImageRegion) {
    this.fail('detectText');
    this.textReads.push({ key: image.key, ...(region ? { region } : {}) });
    return this.textLinesFor(image, region) ?? this.textLines;
  }
}

/** Bucket the fake liveness sessions write their images to. */
export const FAKE_LIVENESS_BUCKET = 'intake';

/**
 * Face Liveness sessions: a SUCCEEDED session stores its reference image under the prefix of the
 * attempt that holds its id (as Rekognition does with the attempt's OutputConfig).
 */
export class FakeLiveness implements LivenessService {
  result: Omit<LivenessSessionResult, 'sessionId'> = { status: 'SUCCEEDED', confidence: 97 };
  constructor(
    private readonly locate: (sessionId: string) => { verificationId: string; attemptId: string } | undefined,
  ) {}
  async createSession() {
    return { sessionId: 'session-1' };
  }
  async getResult(sessionId: string): Promise<LivenessSessionResult> {
    const owner = this.locate(sessionId);
    const reference =
      this.result.status === 'SUCCEEDED' && owner && !('referenceImage' in this.result)
        ? {
            referenceImage: {
              bucket: FAKE_LIVENESS_BUCKET,
              key: `liveness/${owner.verificationId}/${owner.attemptId}/${sessionId}/reference.jpg`,
            },
          }
        : {};
    return { sessionId, ...reference, ...this.result };
  }
}

/** The vault's copy operation, recording what was copied. */
export class RecordingEvidenceVault implements EvidenceVault {
  readonly copies: Array<{ from: ImageRef; to: string }> = [];
  async copyToVault(source: ImageRef, vaultKey: string) {
    this.copies.push({ from: source, to: vaultKey });
    return { versionId: `v${this.copies.length}` };
  }
  readonly deleted: ImageRef[] = [];
  async deleteObject(source: ImageRef) {
    this.deleted.push(source);
  }
}

export class RecordingEvents implements StatusEvents {
  readonly changes: StatusChange[] = [];
  readonly escalations: ReviewEscalation[] = [];
  async statusChanged(change: StatusChange) {
    this.changes.push(change);
  }
  async reviewEscalated(escalation: ReviewEscalation) {
    this.escalations.push(escalation);
  }
}

export class InMemoryAuditLog implements AuditLog {
  readonly events: AuditEvent[] = [];
  constructor(private readonly clock: Clock) {}
  async append(input: AuditEventInput) {
    const previous = [...this.events].reverse().find((e) => e.subject === input.subject);
    const event = chainEvent(previous, input, this.clock.now());
    this.events.push(event);
    return event;
  }
  async list(subject: string) {
    return this.events.filter((e) => e.subject === subject);
  }
}

/** Rate-limit store on the intake's pure rate-limit rules. */
export class InMemoryRateLimits {
  readonly states = new Map<string, RateLimitState>();
  constructor(
    private readonly config: KycConfig,
    private readonly clock: Clock,
  ) {}
  async recordOutcome(userId: string, attemptId: string, outcome: 'passed' | 'failed'): Promise<OutcomeResult> {
    const now = this.clock.now();
    const next = recordAttemptOutcome(
      this.states.get(userId) ?? emptyRateLimitState(),
      { attemptId, outcome, now },
      this.config.rateLimits,
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

export class RecordingReviewCompleter implements ReviewCompleter {
  readonly completed: Array<{ taskToken: string; output: Readonly<Record<string, unknown>> }> = [];
  constructor(private readonly forward?: (token: string, output: Readonly<Record<string, unknown>>) => void) {}
  async completeReview(taskToken: string, output: Readonly<Record<string, unknown>>) {
    this.completed.push({ taskToken, output });
    this.forward?.(taskToken, output);
  }
}

export interface FakeWorkflowWorld {
  readonly deps: WorkflowDeps;
  readonly clock: FakeClock;
  readonly store: InMemoryWorkflowStore;
  readonly faces: FakeFaceService;
  readonly liveness: FakeLiveness;
  readonly vault: RecordingEvidenceVault;
  readonly events: RecordingEvents;
  readonly audit: InMemoryAuditLog;
  readonly rateLimits: InMemoryRateLimits;
  readonly reviews: RecordingReviewCompleter;
  readonly metrics: RecordingMetrics;
}

/** A complete set of fake ports around the real step handlers. */
export function fakeWorkflowWorld(
  options: {
    config?: KycConfig;
    forwardReview?: (token: string, output: Readonly<Record<string, unknown>>) => void;
  } = {},
): FakeWorkflowWorld {
  const config = options.config ?? DEFAULT_CONFIG;
  const clock = new FakeClock();
  const store = new InMemoryWorkflowStore(clock);
  const faces = new FakeFaceService();
  const liveness = new FakeLiveness((sessionId) => {
    const attempts = [...store.attempts.values()].filter((a) => a.livenessSessionId === sessionId);
    return attempts.length === 1 ? attempts[0] : undefined;
  });
  const vault = new RecordingEvidenceVault();
  const events = new RecordingEvents();
  const audit = new InMemoryAuditLog(clock);
  const rateLimits = new InMemoryRateLimits(config, clock);
  const reviews = new RecordingReviewCompleter(options.forwardReview);
  const metrics = new RecordingMetrics();
  const deps: WorkflowDeps = {
    config,
    vaultBucket: 'vault',
    livenessBucket: FAKE_LIVENESS_BUCKET,
    evidence: vault,
    store,
    audit,
    faces,
    text: faces,
    liveness,
    hasher: { hash: async (message: string) => `hmac(${message})` },
    personalData: fakePersonalData,
    rateLimits,
    events,
    reviews,
    clock,
    metrics,
    // Waits pass on the fake clock at once.
    sleep: async (ms: number) => clock.advance(ms),
  };
  return { deps, clock, store, faces, liveness, vault, events, audit, rateLimits, reviews, metrics };
}
