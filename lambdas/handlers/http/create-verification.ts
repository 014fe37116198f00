/**
 * `POST /v1/verifications`: validates the request, seals the personal data (envelope
 * encryption under the data key), stores the verification as `awaiting_upload`, audits it and
 * answers 201 `{ verificationId, status }`. Personal data never reaches a log or an event.
 */
import { randomUUID } from 'node:crypto';
import { configFromEnv, requireEnv } from '../../adapters/aws/environment.ts';
import { DynamoDbAuditLog } from '../../adapters/aws/dynamodb-audit-log.ts';
import { EnvelopeCrypto } from '../../adapters/aws/envelope-crypto.ts';
import { VerificationRepository } from '../../adapters/aws/verification-repository.ts';
import type { PersonalData, SealedData, VerificationRecord } from '../../domain/records.ts';
import type { AuditLog } from '../../ports/audit-log.ts';
import { systemClock, type Clock } from '../../ports/clock.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { jsonResponse } from './middleware/types.ts';
import { validateBody } from './middleware/validate.ts';
import { routeFor } from './routes.ts';
import { createVerificationSchema } from './verification-schema.ts';

export interface CreateVerificationDeps {
  readonly repository: Pick<VerificationRepository, 'createVerification'>;
  readonly crypto: { seal(data: PersonalData, context: { verificationId: string }): Promise<SealedData> };
  readonly audit: Pick<AuditLog, 'append'>;
  readonly clock?: Clock;
  readonly newId?: () => string;
}

/** Default dependencies from the function's environment. */
export function defaultCreateVerificationDeps(env: NodeJS.ProcessEnv = process.env): CreateVerificationDeps {
  configFromEnv(env);
  return {
    repository: new VerificationRepository({ tableName: requireEnv('verificationsTable', env) }),
    crypto: new EnvelopeCrypto({ keyId: requireEnv('dataKeyArn', env) }),
    audit: new DynamoDbAuditLog({ tableName: requireEnv('auditTable', env) }),
  };
}

export function createCreateVerificationHandler(source: DepsSource<CreateVerificationDeps>) {
  const deps = resolveDeps(source);
  return httpHandler(routeFor('POST', '/v1/verifications'), async (event) => {
    const { repository, crypto, audit, clock = systemClock, newId = randomUUID } = deps();
    const caller = event.caller!;
    const body = validateBody(
      createVerificationSchema(() => clock.now()),
      event.parsedBody,
    );
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
    await repository.createVerification(record);
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

export const handler = createCreateVerificationHandler(defaultCreateVerificationDeps);
