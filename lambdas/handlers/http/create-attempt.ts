/**
 * `POST /v1/verifications/{id}/attempts`: starts an upload attempt for the caller's own
 * verification. Enforces the rate limit and cooldown atomically (rate-limit store), creates the
 * attempt with the slots its level and document type need, and answers 201 with one presigned
 * POST per slot and, when liveness is on, a Face Liveness session id.
 *
 * Opening an attempt closes the earlier ones still awaiting uploads (`superseded`): one live
 * attempt per verification. Another user's verification id answers 404 (not 403), so ids cannot be probed. An
 * `Idempotency-Key` header derives the attempt id, so a retried request returns the same
 * attempt and is counted once; the same key with a different body is a client bug or a replay
 * and answers 422 `IDEMPOTENCY_KEY_REUSED` instead of the first answer.
 */
import { createHash, randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import type { KycConfig } from '../../../lib/config.ts';
import { configFromEnv, requireEnv } from '../../adapters/aws/environment.ts';
import { DynamoDbAuditLog } from '../../adapters/aws/dynamodb-audit-log.ts';
import { RekognitionLiveness } from '../../adapters/aws/rekognition-liveness.ts';
import { DynamoDbRateLimitStore, type RateLimitStore } from '../../adapters/aws/rate-limit-store.ts';
import { s3PresignContextFromEnv } from '../../adapters/aws/s3-presign.ts';
import { intakeKey, UploadPresigner } from '../../adapters/aws/upload-presigner.ts';
import { ConcurrentModificationError, VerificationRepository } from '../../adapters/aws/verification-repository.ts';
import type { AttemptRecord, VerificationRecord } from '../../domain/records.ts';
import { allowedContentTypes, requiredSlots, SLOTS, type Slot } from '../../domain/verification.ts';
import type { AuditLog } from '../../ports/audit-log.ts';
import { systemClock, type Clock } from '../../ports/clock.ts';
import type { LivenessService } from '../../ports/liveness.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { logger } from '../shared/logger.ts';
import {
  BadRequestError,
  ConflictError,
  HttpError,
  NotFoundError,
  TooManyRequestsError,
} from './middleware/http-errors.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { headerValue, jsonResponse } from './middleware/types.ts';
import { validateBody } from './middleware/validate.ts';
import { routeFor } from './routes.ts';

/** Statuses in which a new attempt is refused (409): the case is decided or being decided. */
export const CLOSED_STATUSES = ['approved', 'processing', 'manual_review'] as const;

const DEFAULT_CONTENT_TYPE = 'image/jpeg';

export interface CreateAttemptDeps {
  readonly config: KycConfig;
  readonly repository: Pick<
    VerificationRepository,
    'getVerification' | 'updateVerification' | 'createAttempt' | 'getAttempt' | 'listAttempts' | 'transitionAttempt'
  >;
  readonly rateLimits: Pick<RateLimitStore, 'tryStartAttempt'>;
  readonly presigner: Pick<UploadPresigner, 'presign' | 'expiresInSeconds'>;
  readonly audit: Pick<AuditLog, 'append'>;
  /** Required when `config.features.liveness` is on (the adapter comes from the workflow area). */
  readonly liveness?: Pick<LivenessService, 'createSession'>;
  readonly clock?: Clock;
  readonly newId?: () => string;
}

/** Default dependencies from the function's environment (Rekognition Face Liveness when the feature is on). */
export function defaultCreateAttemptDeps(env: NodeJS.ProcessEnv = process.env): CreateAttemptDeps {
  const config = configFromEnv(env);
  const documentsKeyId = requireEnv('documentsKeyArn', env);
  return {
    config,
    repository: new VerificationRepository({ tableName: requireEnv('verificationsTable', env) }),
    rateLimits: new DynamoDbRateLimitStore({
      tableName: requireEnv('rateLimitsTable', env),
      limits: config.rateLimits,
    }),
    presigner: new UploadPresigner({
      bucket: requireEnv('intakeBucket', env),
      documentsKeyId,
      uploads: config.uploads,
      context: s3PresignContextFromEnv(env),
    }),
    audit: new DynamoDbAuditLog({ tableName: requireEnv('auditTable', env) }),
    ...(config.features.liveness
      ? {
          liveness: new RekognitionLiveness({
            outputBucket: requireEnv('intakeBucket', env),
            kmsKeyId: documentsKeyId,
          }),
        }
      : {}),
  };
}

const attemptBodySchema = z.optional(
  z.strictObject({
    contentTypes: z.optional(z.partialRecord(z.enum(SLOTS), z.string().check(z.maxLength(100)))),
  }),
);

/** Attempt id for an idempotency key: a UUID-shaped digest of user, verification and key. */
export function attemptIdFor(userId: string, verificationId: string, idempotencyKey: string): string {
  const hex = createHash('sha256').update(`${userId}\n${verificationId}\n${idempotencyKey}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** SHA-256 of the request's meaning (content types by slot, keys sorted), to detect a reused idempotency key. */
export function attemptRequestHash(contentTypes: Partial<Record<Slot, string>>): string {
  const canonical = Object.entries(contentTypes)
    .filter(([, type]) => type !== undefined)
    .sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

export function createCreateAttemptHandler(source: DepsSource<CreateAttemptDeps>) {
  const deps = resolveDeps(source);
  return httpHandler(routeFor('POST', '/v1/verifications/{id}/attempts'), async (event) => {
    const {
      config,
      repository,
      rateLimits,
      presigner,
      audit,
      liveness,
      clock = systemClock,
      newId = randomUUID,
    } = deps();
    const caller = event.caller!;
    const body = validateBody(attemptBodySchema, event.parsedBody);
    const verificationId = event.pathParameters?.id ?? '';
    const verification = /^[\w-]{1,64}$/.test(verificationId)
      ? await repository.getVerification(verificationId)
      : undefined;
    if (!verification || verification.userId !== caller.userId) throw new NotFoundError('Verification not found');

    const slots = requiredSlots(verification.level, verification.documentType);
    const contentTypes = chooseContentTypes(slots, body?.contentTypes ?? {});
    const idempotencyKey = headerValue(event, 'idempotency-key');
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,128}$/.test(idempotencyKey)) {
      throw new BadRequestError('INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1-128 printable characters');
    }
    const attemptId = idempotencyKey ? attemptIdFor(caller.userId, verificationId, idempotencyKey) : newId();

    const requestHash = attemptRequestHash(body?.contentTypes ?? {});
    const existing = idempotencyKey ? await repository.getAttempt(verificationId, attemptId) : undefined;
    const attempt = existing ?? (await startAttempt());
    if (attempt.requestHash !== undefined && attempt.requestHash !== requestHash) {
      throw new HttpError(
        422,
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was already used with a different request body; use a new key',
      );
    }

    const uploads: Record<string, { url: string; fields: Record<string, string> }> = {};
    for (const slot of attempt.requiredSlots) {
      const post = await presigner.presign({
        key: intakeKey(verificationId, attemptId, slot),
        contentType: contentTypes[slot] ?? DEFAULT_CONTENT_TYPE,
      });
      uploads[slot] = { url: post.url, fields: post.fields };
    }
    const expiresAt = new Date(clock.now().getTime() + presigner.expiresInSeconds * 1000).toISOString();
    return jsonResponse(201, {
      attemptId,
      uploads,
      ...(attempt.livenessSessionId ? { livenessSessionId: attempt.livenessSessionId } : {}),
      expiresAt,
    });

    async function startAttempt(): Promise<AttemptRecord> {
      if ((CLOSED_STATUSES as readonly string[]).includes(verification!.status)) {
        throw new ConflictError(
          'VERIFICATION_NOT_OPEN',
          `A new attempt cannot start while the verification is ${verification!.status}`,
        );
      }
      const now = clock.now();
      const decision = await rateLimits.tryStartAttempt(caller.userId, {
        attemptId,
        documentType: verification!.documentType,
        now,
      });
      if (!decision.allowed) {
        // A refusal changes no state, so it is logged rather than audited: auditing every
        // request of a client hammering the API would serialise them all on one hash chain.
        logger.info('attempt refused', {
          verificationId,
          code: decision.code,
          retryAfterSeconds: decision.retryAfterSeconds,
        });
        throw new TooManyRequestsError(decision.code, decision.retryAfterSeconds, event.language);
      }
      let livenessSessionId: string | undefined;
      if (config.features.liveness) {
        if (!liveness) throw new Error('Liveness is enabled but no LivenessService was configured');
        livenessSessionId = (await liveness.createSession({ verificationId, attemptId })).sessionId;
      }
      const record: AttemptRecord = {
        verificationId,
        attemptId,
        requiredSlots: slots,
        status: 'awaiting_upload',
        reasons: [],
        ...(livenessSessionId ? { livenessSessionId } : {}),
        ...(idempotencyKey ? { requestHash } : {}),
        createdAt: now.toISOString(),
        uploadExpiresAt: new Date(now.getTime() + presigner.expiresInSeconds * 1000).toISOString(),
        updatedAt: now.toISOString(),
      };
      if (!(await repository.createAttempt(record))) {
        // The same idempotency key raced us: the other request's attempt is the answer.
        const winner = await repository.getAttempt(verificationId, attemptId);
        if (!winner) throw new Error('Attempt vanished after a conflicting create');
        return winner;
      }
      await reopen(verification!);
      const superseded = await supersedeEarlierAttempts(record);
      await audit.append({
        subject: `verification:${verificationId}`,
        action: 'attempt.created',
        actor: caller.userId,
        origin: event.requestContext?.http?.sourceIp ?? 'unknown',
        details: {
          attemptId,
          slots,
          liveness: livenessSessionId !== undefined,
          riskFlags: decision.state.riskFlags,
          ...(superseded.length > 0 ? { supersededAttemptIds: superseded } : {}),
        },
      });
      return record;
    }

    /**
     * Closes every earlier attempt still awaiting uploads: only the newest attempt is live, so a
     * late upload to an older one (its POST policy still valid) is refused and destroyed.
     * "Newest" is by creation time, then attempt id, among the attempts this request sees
     * (its own included): with requests racing each other, each closes what is older than the
     * newest it sees, possibly its own attempt, and the newest of all is closed by none; every
     * other one is seen by a later request, so exactly one attempt stays live.
     */
    async function supersedeEarlierAttempts(live: AttemptRecord): Promise<string[]> {
      const closed: string[] = [];
      const older = (a: AttemptRecord, b: AttemptRecord): boolean =>
        a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.attemptId < b.attemptId);
      const attempts = (await repository.listAttempts(verificationId)).map(({ attempt }) => attempt);
      const newest = attempts
        .filter((attempt) => attempt.status === 'awaiting_upload')
        .reduce((best, attempt) => (older(best, attempt) ? attempt : best), live);
      for (const attempt of attempts) {
        if (!older(attempt, newest) || attempt.status !== 'awaiting_upload') continue;
        const moved = await repository.transitionAttempt(verificationId, attempt.attemptId, ['awaiting_upload'], {
          status: 'superseded',
        });
        if (moved) closed.push(attempt.attemptId);
      }
      return closed;
    }

    /** Puts the verification back to `awaiting_upload` (after a rejection or an expired cooldown). */
    async function reopen(current: VerificationRecord): Promise<void> {
      let record: VerificationRecord | undefined = current;
      for (let tries = 0; tries < 5 && record; tries += 1) {
        if (record.status === 'awaiting_upload' && record.reasons.length === 0) return;
        if ((CLOSED_STATUSES as readonly string[]).includes(record.status)) return;
        try {
          await repository.updateVerification(verificationId, record.version, {
            status: 'awaiting_upload',
            reasons: [],
            cooldownUntil: undefined,
          });
          return;
        } catch (error) {
          if (!(error instanceof ConcurrentModificationError)) throw error;
          record = await repository.getVerification(verificationId);
        }
      }
    }
  });
}

function chooseContentTypes(
  slots: readonly Slot[],
  requested: Partial<Record<Slot, string>>,
): Partial<Record<Slot, string>> {
  const chosen: Partial<Record<Slot, string>> = {};
  for (const [slot, type] of Object.entries(requested) as Array<[Slot, string | undefined]>) {
    if (type === undefined) continue;
    if (!slots.includes(slot)) {
      throw new BadRequestError('VALIDATION_ERROR', `Slot ${slot} is not part of this verification`);
    }
    if (!allowedContentTypes(slot).includes(type)) {
      throw new BadRequestError(
        'VALIDATION_ERROR',
        `Content type for ${slot} must be one of ${allowedContentTypes(slot).join(', ')}`,
      );
    }
    chosen[slot] = type;
  }
  return chosen;
}

export const handler = createCreateAttemptHandler(defaultCreateAttemptDeps);
