/**
 * The demo scenarios (PRODUCT §7 `kyc demo`), each played through the HTTP API exactly as a
 * frontend would: create a verification, start an attempt, POST every file to its presigned
 * URL, complete the liveness session, poll the status. Every scenario states its expected
 * outcome and reports what it got; the images are synthetic (quality's generators), nothing
 * is downloaded.
 */
import { randomUUID } from 'node:crypto';
import { KycApiError, KycClient, type CreatedAttempt, type VerificationView } from './kyc-client.ts';
import { decideReview } from './review-client.ts';
import { loadSampleImages, type DemoPerson, type SampleImages } from './sample-images.ts';
import { challengeFrames } from './liveness-frames.ts';
import type { LocalSigningKey } from '../runtime/auth/local-signing-key.ts';

export interface ScenarioResult {
  readonly name: string;
  readonly expected: string;
  readonly actual: string;
  readonly passed: boolean;
  readonly durationMs: number;
}

export interface ScenarioOptions {
  readonly apiUrl: string;
  /** The runtime's token signing key (its data folder's), for the reviewer's staff token. */
  readonly signingKey: LocalSigningKey;
  readonly report: (line: string) => void;
  /** Only run the scenarios with these names (all by default). */
  readonly only?: readonly string[];
  /** Longest wait for one verification to settle. */
  readonly settleTimeoutMs?: number;
}

interface ScenarioContext {
  readonly apiUrl: string;
  readonly signingKey: LocalSigningKey;
  readonly images: SampleImages;
  readonly run: string;
  readonly settleTimeoutMs: number;
}

interface Scenario {
  readonly name: string;
  readonly expected: string;
  play(context: ScenarioContext): Promise<string>;
}

/** Everything a frontend does for one attempt: create it, upload each slot, do the liveness check. */
export async function submitAttempt(
  client: KycClient,
  verificationId: string,
  files: {
    readonly document: Buffer;
    readonly selfie: Buffer;
    /** The person in front of the camera for the liveness challenge. */
    readonly camera: DemoPerson;
  },
): Promise<CreatedAttempt> {
  const attempt = await client.createAttempt(verificationId);
  for (const [slot, post] of Object.entries(attempt.uploads)) {
    const file = slot === 'selfie' ? files.selfie : files.document;
    await client.upload(post, file, 'image/jpeg', `${slot}.jpg`);
  }
  if (attempt.livenessSessionId)
    await client.completeLiveness(attempt.livenessSessionId, await challengeFrames(files.camera.index));
  return attempt;
}

function describeOutcome(view: VerificationView): string {
  const codes = view.reasons.map((reason) => reason.code);
  return codes.length > 0 ? `${view.status} [${codes.join(', ')}]` : view.status;
}

/** A Basic verification with the person's passport and declared data, as a frontend creates it. */
export function newVerification(person: DemoPerson) {
  return {
    level: 'basic' as const,
    nationality: person.nationality,
    documentType: 'passport' as const,
    personalData: { fullName: person.fullName, dateOfBirth: person.dateOfBirth, address: person.address },
  };
}

async function verifyOnce(
  context: ScenarioContext,
  client: KycClient,
  person: DemoPerson,
  files: { document: Buffer; selfie: Buffer; camera: DemoPerson },
): Promise<{ verificationId: string; view: VerificationView }> {
  const { verificationId } = await client.createVerification(newVerification(person));
  await submitAttempt(client, verificationId, files);
  const view = await client.waitForStatus(verificationId, { timeoutMs: context.settleTimeoutMs });
  return { verificationId, view };
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'happy path',
    expected: 'approved',
    async play(context) {
      const person = context.images.person(1);
      const client = await KycClient.forUser(context.apiUrl, `demo-${context.run}-happy`);
      const files = {
        document: await context.images.document(person),
        selfie: await context.images.selfie(person),
        camera: person,
      };
      return describeOutcome((await verifyOnce(context, client, person, files)).view);
    },
  },
  {
    name: 'face mismatch',
    expected: 'rejected [FACE_NOT_MATCH]',
    async play(context) {
      const holder = context.images.person(2);
      const impostor = context.images.person(3);
      const client = await KycClient.forUser(context.apiUrl, `demo-${context.run}-mismatch`);
      const files = {
        document: await context.images.document(holder),
        selfie: await context.images.selfie(impostor),
        camera: impostor,
      };
      return describeOutcome((await verifyOnce(context, client, holder, files)).view);
    },
  },
  {
    name: 'blurry document, then fixed',
    expected: 'rejected [PHOTO_TOO_BLURRY] -> approved',
    async play(context) {
      const person = context.images.person(4);
      const client = await KycClient.forUser(context.apiUrl, `demo-${context.run}-blurry`);
      const selfie = await context.images.selfie(person);
      const first = await verifyOnce(context, client, person, {
        document: await context.images.document(person, { blurry: true }),
        selfie,
        camera: person,
      });
      await submitAttempt(client, first.verificationId, {
        document: await context.images.document(person),
        selfie,
        camera: person,
      });
      const second = await client.waitForStatus(first.verificationId, {
        until: ['approved', 'manual_review', 'cooldown'],
        timeoutMs: context.settleTimeoutMs,
      });
      return `${describeOutcome(first.view)} -> ${describeOutcome(second)}`;
    },
  },
  {
    name: 'three failures -> cooldown',
    expected: 'cooldown, next attempt 429 COOLDOWN_ACTIVE',
    async play(context) {
      const holder = context.images.person(5);
      const other = context.images.person(6);
      const client = await KycClient.forUser(context.apiUrl, `demo-${context.run}-cooldown`);
      const { verificationId } = await client.createVerification(newVerification(holder));
      const files = {
        document: await context.images.document(holder),
        selfie: await context.images.selfie(other),
        camera: other,
      };
      let view: VerificationView | undefined;
      for (let failure = 1; failure <= 3; failure += 1) {
        await submitAttempt(client, verificationId, files);
        view = await client.waitForStatus(verificationId, {
          until: ['rejected', 'cooldown'],
          timeoutMs: context.settleTimeoutMs,
        });
        if (view.status === 'cooldown') break;
      }
      let refusal = 'allowed';
      try {
        await client.createAttempt(verificationId);
      } catch (error) {
        refusal = error instanceof KycApiError ? `${error.status} ${error.body.code}` : (error as Error).message;
      }
      return `${view?.status ?? 'unknown'}, next attempt ${refusal}`;
    },
  },
  {
    name: 'duplicate identity -> manual review -> approved by a reviewer',
    expected: 'manual_review [DUPLICATE_IDENTITY, MANUAL_REVIEW_REQUIRED] -> approved',
    async play(context) {
      const person = context.images.person(7);
      const files = {
        document: await context.images.document(person),
        selfie: await context.images.selfie(person),
        camera: person,
      };
      const first = await KycClient.forUser(context.apiUrl, `demo-${context.run}-original`);
      const reviewer = await KycClient.forStaff(
        context.apiUrl,
        `demo-${context.run}-reviewer`,
        'compliance_reviewer',
        context.signingKey,
      );
      const original = await verifyOnce(context, first, person, files);
      // The original account must be verified first; locally a reviewer may have to confirm it
      // (see the happy path), exactly as compliance would.
      if (original.view.status === 'manual_review') {
        await decideReview(reviewer, original.verificationId, 'approve', 'Demo: original account checked by hand');
      }
      const verified = await first.waitForStatus(original.verificationId, {
        until: ['approved', 'rejected'],
        timeoutMs: context.settleTimeoutMs,
      });
      if (verified.status !== 'approved') return `first account ${describeOutcome(verified)}`;
      const second = await KycClient.forUser(context.apiUrl, `demo-${context.run}-duplicate`);
      const duplicate = await verifyOnce(context, second, person, files);
      await decideReview(
        reviewer,
        duplicate.verificationId,
        'approve',
        'Demo: same person re-registering; approved after checking',
      );
      const after = await second.waitForStatus(duplicate.verificationId, {
        until: ['approved', 'rejected'],
        timeoutMs: context.settleTimeoutMs,
      });
      return `${describeOutcome(duplicate.view)} -> ${describeOutcome(after)}`;
    },
  },
];

/**
 * Why verifications of this run wait for a person (the review queue's `causes`), to explain an
 * unexpected `manual_review` outcome; empty when there is nothing to explain.
 */
async function reviewCauses(context: ScenarioContext, actual: string): Promise<string> {
  if (!actual.includes('manual_review')) return '';
  try {
    const reviewer = await KycClient.forStaff(
      context.apiUrl,
      `demo-${context.run}-auditor`,
      'compliance_reviewer',
      context.signingKey,
    );
    const { items } = await reviewer.call<{ items: { causes?: string[] }[] }>('GET', '/v1/reviews?limit=100');
    const causes = [...new Set(items.flatMap((item) => item.causes ?? []))];
    return causes.length > 0 ? ` (open review causes: ${causes.join(', ')})` : '';
  } catch {
    return '';
  }
}

/** Names of the scenarios, in the order they run. */
export const SCENARIO_NAMES = SCENARIOS.map((scenario) => scenario.name);

/**
 * Plays the scenarios one after another and reports each outcome; resolves to the results.
 *
 * @example
 * ```ts
 * const signingKey = await loadOrCreateSigningKey('.local-data');
 * const results = await runScenarios({ apiUrl: 'http://127.0.0.1:3000', signingKey, report: console.log });
 * ```
 */
export async function runScenarios(options: ScenarioOptions): Promise<ScenarioResult[]> {
  const context: ScenarioContext = {
    apiUrl: options.apiUrl,
    signingKey: options.signingKey,
    images: await loadSampleImages(),
    run: randomUUID().slice(0, 8),
    settleTimeoutMs: options.settleTimeoutMs ?? 90_000,
  };
  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS) {
    if (options.only && !options.only.includes(scenario.name)) continue;
    const started = Date.now();
    let actual: string;
    try {
      actual = await scenario.play(context);
    } catch (error) {
      const cause = (error as Error).cause as Error | undefined;
      actual = `error: ${(error as Error).message}${cause ? ` (${cause.name}: ${cause.message})` : ''}`;
    }
    const passed = actual === scenario.expected;
    if (!passed) actual = `${actual}${await reviewCauses(context, actual)}`;
    const result = {
      name: scenario.name,
      expected: scenario.expected,
      actual,
      passed,
      durationMs: Date.now() - started,
    };
    results.push(result);
    options.report(
      `${passed ? 'PASS' : 'FAIL'}  ${scenario.name}: ${actual}${passed ? '' : `  (expected ${scenario.expected})`}  [${(result.durationMs / 1000).toFixed(1)} s]`,
    );
  }
  const passedCount = results.filter((result) => result.passed).length;
  options.report(`${passedCount} passed, ${results.length - passedCount} failed`);
  return results;
}
