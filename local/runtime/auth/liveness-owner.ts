/**
 * Who may complete a local Face Liveness session: only the applicant the session was created
 * for. The session carries its attempt's output prefix (`liveness/<verificationId>/<attemptId>/`,
 * as create-attempt asks Rekognition); the owner is the user of that verification, and the
 * attempt must name this session. The caller proves who they are with the same bearer JWT the
 * API accepts. No or an invalid token: 401; another user's, an unknown or a foreign session: 404
 * (the same answer, so session ids cannot be probed).
 *
 * @example
 * ```ts
 * const authorize = livenessOwnerAuthorizer({ signingKey, repository: new VerificationRepository({ tableName }) });
 * await startRekognitionServer({ dataDir, authorizeLivenessCompletion: authorize });
 * ```
 */
import type { VerificationRepository } from '../../../lambdas/adapters/aws/verification-repository.ts';
import { LivenessCompletionDeniedError, type LivenessCompletionAuthorizer } from '../../aws/rekognition/liveness.ts';
import type { LocalSigningKey } from './local-signing-key.ts';
import { InvalidTokenError, verifyLocalToken } from './local-tokens.ts';

export interface LivenessOwnerOptions {
  readonly signingKey: LocalSigningKey;
  readonly repository: Pick<VerificationRepository, 'getVerification' | 'getAttempt'>;
}

const PREFIX = /^liveness\/([\w-]{1,64})\/([\w-]{1,64})\/$/;

export function livenessOwnerAuthorizer(options: LivenessOwnerOptions): LivenessCompletionAuthorizer {
  return async ({ sessionId, outputPrefix, authorization }) => {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (!token) throw new LivenessCompletionDeniedError(401, 'Missing bearer token');
    let userId: string | undefined;
    try {
      userId = (await verifyLocalToken(options.signingKey, token)).sub;
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new LivenessCompletionDeniedError(401, error.message);
      throw error;
    }
    const notFound = new LivenessCompletionDeniedError(404, 'Liveness session not found');
    const match = PREFIX.exec(outputPrefix ?? '');
    if (!match || !userId) throw notFound;
    const [, verificationId = '', attemptId = ''] = match;
    const [verification, attempt] = await Promise.all([
      options.repository.getVerification(verificationId),
      options.repository.getAttempt(verificationId, attemptId),
    ]);
    if (verification?.userId !== userId || attempt?.livenessSessionId !== sessionId) throw notFound;
  };
}
