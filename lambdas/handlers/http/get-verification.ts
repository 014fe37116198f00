/**
 * `GET /v1/verifications/{id}`: the status view of one verification, for its owner and for
 * staff (support and compliance roles). Shows status, level, document type, reasons with
 * message and fix tip in the negotiated language, and each attempt with the result and
 * reasons per slot. Never personal data, never images or storage keys: the same view is safe
 * for support, who must not see PII.
 */
import { configFromEnv, requireEnv } from '../../adapters/aws/environment.ts';
import { VerificationRepository } from '../../adapters/aws/verification-repository.ts';
import { describeReasons, isLanguage, DEFAULT_LANGUAGE, type Language } from '../../domain/reason-catalog/index.ts';
import type { AttemptRecord, DocumentRecord } from '../../domain/records.ts';
import type { Role } from '../../domain/verification.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { NotFoundError } from './middleware/http-errors.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { jsonResponse } from './middleware/types.ts';
import { routeFor } from './routes.ts';

/** Roles that may read any verification's status view. */
export const STAFF_READ_ROLES: readonly Role[] = ['support', 'compliance_reviewer', 'compliance_approver', 'admin'];

export interface GetVerificationDeps {
  readonly repository: Pick<VerificationRepository, 'getVerificationWithAttempts'>;
}

export function defaultGetVerificationDeps(env: NodeJS.ProcessEnv = process.env): GetVerificationDeps {
  configFromEnv(env);
  return { repository: new VerificationRepository({ tableName: requireEnv('verificationsTable', env) }) };
}

export function createGetVerificationHandler(source: DepsSource<GetVerificationDeps>) {
  const deps = resolveDeps(source);
  return httpHandler(routeFor('GET', '/v1/verifications/{id}'), async (event) => {
    const { repository } = deps();
    const caller = event.caller!;
    const language: Language = isLanguage(event.language) ? event.language : DEFAULT_LANGUAGE;
    const verificationId = event.pathParameters?.id ?? '';
    if (!/^[\w-]{1,64}$/.test(verificationId)) throw new NotFoundError('Verification not found');
    // One read, the attempts before the verification (see `getVerificationWithAttempts`).
    // Whatever decides an attempt moves the verification no later than it (together at upload,
    // the verification first when the workflow decides), so a write landing while it reads never
    // shows an attempt rejected or approved while the verification still reads pending. (The
    // reconciler's hand-over to review moves the attempt first; `manual_review` is no decision,
    // and a poller keeps waiting.)
    const { verification, attempts } = await repository.getVerificationWithAttempts(verificationId);
    const isStaff = caller.roles.some((role) => STAFF_READ_ROLES.includes(role));
    if (!verification || (!isStaff && verification.userId !== caller.userId)) {
      throw new NotFoundError('Verification not found');
    }
    return jsonResponse(200, {
      verificationId,
      status: verification.status,
      level: verification.level,
      documentType: verification.documentType,
      reasons: describeReasons(verification.reasons, language),
      ...(verification.status === 'cooldown' && verification.cooldownUntil
        ? { cooldownUntil: verification.cooldownUntil }
        : {}),
      createdAt: verification.createdAt,
      updatedAt: verification.updatedAt,
      attempts: attempts.map(({ attempt, documents }) => attemptView(attempt, documents, language)),
    });
  });
}

export function attemptView(attempt: AttemptRecord, documents: readonly DocumentRecord[], language: Language) {
  return {
    attemptId: attempt.attemptId,
    status: attempt.status,
    reasons: describeReasons(attempt.reasons, language),
    createdAt: attempt.createdAt,
    updatedAt: attempt.updatedAt,
    slots: attempt.requiredSlots.map((slot) => {
      const document = documents.find((candidate) => candidate.slot === slot);
      return {
        slot,
        result: document?.result ?? 'pending',
        reasons: describeReasons(document?.reasons ?? [], language),
      };
    }),
  };
}

export const handler = createGetVerificationHandler(defaultGetVerificationDeps);
