/**
 * One face may verify one account (PRODUCT §1), also when two accounts submit it at the same
 * moment. Through the running local runtime, as two frontends: two users with one person's
 * passport and selfie submit at once. Before the duplicates check indexed the face ahead of its
 * search, both searched an empty collection and both were approved; now at least the later one
 * finds the other and goes to a reviewer with `DUPLICATE_IDENTITY`. A reviewer then rejects it,
 * and its face leaves the collection: only the approved account's face stays.
 */
import { ListFacesCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KycClient, type VerificationView } from '../../../local/demo/kyc-client.ts';
import { decideReview } from '../../../local/demo/review-client.ts';
import { loadSampleImages } from '../../../local/demo/sample-images.ts';
import { newVerification, submitAttempt } from '../../../local/demo/scenarios.ts';
import { startE2eRuntime, type E2eRuntime } from '../support/local-runtime.ts';

let e2e: E2eRuntime;

beforeAll(async () => {
  // Liveness and OCR have their own suites; without them each case takes a fraction of the time.
  e2e = await startE2eRuntime({ config: { features: { liveness: false, ocr: false, webhooks: false } } });
}, 180_000);

afterAll(async () => {
  await e2e?.stop();
});

/** The faces in the runtime's collection, by user (`ExternalImageId`). */
async function indexedUsers(): Promise<string[]> {
  const rekognition = new RekognitionClient({
    endpoint: e2e.runtime.endpoints.rekognition,
    region: e2e.runtime.config.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const collectionId = e2e.env.FACE_COLLECTION_ID;
  const faces = await rekognition.send(new ListFacesCommand({ CollectionId: collectionId, MaxResults: 100 }));
  rekognition.destroy();
  // ExternalImageId is `<userId>:<attemptId>`.
  return (faces.Faces ?? []).map((face) => (face.ExternalImageId ?? '').split(':')[0] ?? '').sort();
}

describe('two accounts, one face, at the same moment', () => {
  it('are not both approved: the later is held as a duplicate identity, and its face leaves when rejected', async () => {
    // Prepare
    const images = await loadSampleImages();
    const person = images.person(4);
    const files = { document: await images.document(person), selfie: await images.selfie(person), camera: person };
    const accounts = await Promise.all(
      ['race-a', 'race-b'].map(async (user) => {
        const client = await KycClient.forUser(e2e.runtime.apiUrl, user);
        const { verificationId } = await client.createVerification(newVerification(person));
        return { user, client, verificationId };
      }),
    );

    // Act: both submit at once, as two browsers would
    const outcomes: { user: string; view: VerificationView }[] = await Promise.all(
      accounts.map(async ({ user, client, verificationId }) => {
        await submitAttempt(client, verificationId, files);
        return { user, view: await client.waitForStatus(verificationId, { timeoutMs: 180_000 }) };
      }),
    );
    const held = outcomes.filter(({ view }) => view.status === 'manual_review');
    const reviewer = await KycClient.forStaff(e2e.runtime.apiUrl, 'rita-race', 'compliance_reviewer', e2e.signingKey);
    for (const { view } of held)
      await decideReview(reviewer, view.verificationId, 'reject', 'second account of one person', [
        'DUPLICATE_IDENTITY',
      ]);
    const finals = await Promise.all(
      accounts.map(({ client, verificationId }) =>
        client.waitForStatus(verificationId, { until: ['approved', 'rejected'], timeoutMs: 60_000 }),
      ),
    );
    await e2e.runtime.eventsIdle();

    // Assess
    const table = outcomes.map(
      ({ user, view }) => `${user}: ${view.status} [${view.reasons.map((r) => r.code).join(',')}]`,
    );
    expect(outcomes.filter(({ view }) => view.status === 'approved').length, table.join('\n')).toBeLessThanOrEqual(1);
    expect(held.length, table.join('\n')).toBeGreaterThanOrEqual(1);
    for (const { view } of held) expect(view.reasons.map((reason) => reason.code)).toContain('DUPLICATE_IDENTITY');
    const approvedUsers = accounts.filter((_, index) => finals[index]?.status === 'approved').map(({ user }) => user);
    expect(await indexedUsers()).toEqual(approvedUsers);
  }, 300_000);
});
