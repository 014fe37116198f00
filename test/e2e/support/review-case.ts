/**
 * A real case in manual review, through the local runtime (liveness off): sample person 1 asks
 * for the Advanced level, which every real check passes and which always goes to a person
 * (PRODUCT §4). (Until 2026-12-04 a Basic case whose face match fell between the bands, under an
 * approval threshold of 100; the local engine now scores that person 100.)
 */
import { KycClient } from '../../../local/demo/kyc-client.ts';
import { loadSampleImages } from '../../../local/demo/sample-images.ts';
import { submitAttempt } from '../../../local/demo/scenarios.ts';
import { startE2eRuntime, type E2eRuntime } from './local-runtime.ts';

export interface ReviewCase {
  readonly e2e: E2eRuntime;
  /** The applicant's client. */
  readonly user: KycClient;
  readonly verificationId: string;
  readonly attemptId: string;
  readonly fullName: string;
}

/**
 * Starts a runtime and takes one verification of `userId` into manual review.
 *
 * @example
 * ```ts
 * beforeAll(async () => ({ e2e, verificationId } = await startWithCaseInReview('cases-e2e-user')), 240_000);
 * ```
 */
export async function startWithCaseInReview(userId: string): Promise<ReviewCase> {
  const e2e = await startE2eRuntime({ config: { features: { liveness: false } } });
  const images = await loadSampleImages();
  const person = images.person(1);
  const user = await KycClient.forUser(e2e.runtime.apiUrl, userId);
  const { verificationId } = await user.createVerification({
    level: 'advanced',
    nationality: person.nationality,
    documentType: 'passport',
    personalData: { fullName: person.fullName, dateOfBirth: person.dateOfBirth, address: person.address },
  });
  const { attemptId } = await submitAttempt(user, verificationId, {
    document: await images.document(person),
    selfie: await images.selfie(person),
    camera: person,
  });
  const settled = await user.waitForStatus(verificationId, { timeoutMs: 150_000 });
  if (settled.status !== 'manual_review') {
    await e2e.stop();
    throw new Error(`expected manual review, got ${settled.status} ${JSON.stringify(settled.reasons)}`);
  }
  return { e2e, user, verificationId, attemptId, fullName: person.fullName };
}
