/**
 * `POST /v1/verifications`: validates the request, seals the personal data (envelope
 * encryption under the data key), stores the verification as `awaiting_upload`, audits it and
 * answers 201 `{ verificationId, status }`. Personal data never reaches a log or an event.
 *
 * Refusals, cheapest first: 400 with a specific code for malformed personal data (see
 * `verification-schema.ts`); 422 `UNDERAGE` (message and tip in the caller's language) below
 * `applicants.minimumAge`; 429 `RATE_LIMITED` with `retryAfterSeconds` beyond
 * `rateLimits.verificationsPerWindow` creations per window (each one costs a KMS data key);
 * 409 `VERIFICATION_EXISTS` when the user already holds a verification of that level (one per
 * user and level, decided atomically with the write; looked up first as well, so that a refused
 * creation does not count toward the creation limit).
 */
import { randomUUID } from 'node:crypto';
import { configFromEnv, requireEnv } from '../../adapters/aws/environment.ts';
import { DynamoDbAuditLog } from '../../adapters/aws/dynamodb-audit-log.ts';
import { EnvelopeCrypto } from '../../adapters/aws/envelope-crypto.ts';
import { IntakeVerificationRepository } from '../../adapters/aws/intake-verification-repository.ts';
import type { KycConfig } from '../../../lib/config.ts';
import { DynamoDbRateLimitStore, type RateLimitStore } from '../../adapters/aws/rate-limit-store.ts';
import { describeUnderage } from '../../domain/reason-catalog/underage.ts';
import type { PersonalData, SealedData, VerificationRecord } from '../../domain/records.ts';
import type { AuditLog } from '../../ports/audit-log.ts';
import { systemClock, type Clock } from '../../ports/clock.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { ConflictError, HttpError, TooManyRequestsError } from './middleware/http-errors.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { jsonResponse } from './middleware/types.ts';
import { validateBody } from './middleware/validate.ts';
import { routeFor } from './routes.ts';
import { ageOn, createVerificationSchema } from './verification-schema.ts';

export interface CreateVerificationDeps {
  readonly config: Pick<KycConfig, 'applicants'>;
  readonly repository: Pick<IntakeVerificationRepository, 'findUserVerification' | 'createUserVerification'>;
  readonly rateLimits: Pick<RateLimitStore, 'tryCreateVerification'>;
  readonly crypto: { seal(data: PersonalData, context: { verificationId: string }): Promise<SealedData> };
  readonly audit: Pick<AuditLog, 'append'>;
  readonly clock?: Clock;
  readonly newId?: () => string;
}

/** Default dependencies from the function's environment. */
export function defaultCreateVerificationDeps(env: NodeJS.ProcessEnv = process.env): CreateVerificationDeps {
  const config = configFromEnv(env);
  return {
    config,
    repository: new IntakeVerificationRepository({ tableName: requireEnv('verificationsTable', env) }),
    rateLimits: new DynamoDbRateLimitStore({
      tableName: requireEnv('rateLimitsTable', env),
      limits: config.rateLimits,
    }),
    crypto: new EnvelopeCrypto({ keyId: requireEnv('dataKeyArn', env) }),
    audit: new DynamoDbAuditLog({ tableName: requireEnv('auditTable', env) }),
  };
}

export function createCreateVerificationHandler(source: DepsSource<CreateVerificationDeps>) {
  const deps = resolveDeps(source);
  return httpHandler(routeFor('POST', '/v1/verifications'), async (event) => {
    const { config, repository, rateLimits, crypto, audit, clock = systemClock, newId = randomUUID } = deps();
    const caller = event.caller!;
    const body = validateBody(
      createVerificationSchema(() => clock.now()),
      event.parsedBody,
    );
    const today = clock.now().toISOString().slice(0, 10);
    if (ageOn(body.personalData.dateOfBirth, today) < config.applicants.minimumAge) {
      const { message, tip } = describeUnderage(event.language);
      throw new HttpError(422, 'UNDERAGE', message, { details: { tip, minimumAge: config.applicants.minimumAge } });
    }
    // The user's verification of that level is looked up before the creation quota is taken, so
    // a refused creation (409) costs no quota and no KMS data key. The check and the write are not
    // atomic, and need not be: the quota is still taken before every write, so a user can never
    // create more than the limit; a verification created by a concurrent request between this
    // read and the write below is still caught by the write's condition (409, that one counted).
    const existing = await repository.findUserVerification(caller.userId, body.level);
    if (existing) throw verificationExists(body.level, existing.verificationId);
    const creation = await rateLimits.tryCreateVerification(caller.userId, clock.now());
    if (!creation.allowed) {
      throw new TooManyRequestsError('RATE_LIMITED', creation.retryAfterSeconds, event.language);
    }
    const verificationId = newId();
    const personalData = await crypto.seal(body.personalData, { verificationId });
    const now = clock.now().toISOString();
    const record: VerificationRecord = {
      verificationId,
      userId: caller.userId,
      level: body.level,
      nationality: body.nationality,
      documentType: body.documentType,
      personalData,
      status: 'awaiting_upload',
      reasons: [],
      consecutiveFailures: 0,
      frozen: false,
      riskFlags: [],
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    const created = await repository.createUserVerification(record);
    if (!created.created) throw verificationExists(body.level, created.existingVerificationId);
    await audit.append({
      subject: `verification:${verificationId}`,
      action: 'verification.created',
      actor: caller.userId,
      origin: event.requestContext?.http?.sourceIp ?? 'unknown',
      details: { level: body.level, documentType: body.documentType },
    });
    return jsonResponse(201, { verificationId, status: record.status });
  });
}

/** 409 `VERIFICATION_EXISTS`, naming the verification the user already holds when known. */
function verificationExists(level: string, verificationId: string | undefined): ConflictError {
  return new ConflictError('VERIFICATION_EXISTS', `You already have a ${level} verification`, {
    details: verificationId ? { verificationId } : {},
  });
}

export const handler = createCreateVerificationHandler(defaultCreateVerificationDeps);
