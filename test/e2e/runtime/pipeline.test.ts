import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_ROUTES } from '../../../lambdas/handlers/http/routes.ts';
import { KycApiError, KycClient } from '../../../local/demo/kyc-client.ts';
import { loadSampleImages, type SampleImages } from '../../../local/demo/sample-images.ts';
import { decideReview } from '../../../local/demo/review-client.ts';
import { submitAttempt } from '../../../local/demo/scenarios.ts';
import { challengeFrames } from '../../../local/demo/liveness-frames.ts';
import { startE2eRuntime, type E2eRuntime } from '../support/local-runtime.ts';
import { motionPhoto, mp4Video } from '../../support/camera-media.ts';

// The whole pipeline through the local runtime, driven exactly like a frontend (fetch, FormData
// to the presigned POST, polling), with what was stored checked through the AWS SDK.
let e2e: E2eRuntime;
let images: SampleImages;

beforeAll(async () => {
  e2e = await startE2eRuntime();
  images = await loadSampleImages();
}, 180_000);

afterAll(async () => {
  await e2e?.stop();
});

const table = (): string => e2e.env.VERIFICATIONS_TABLE ?? '';

describe('local HTTP API', () => {
  it('serves health, the OpenAPI document with every route, and the upload page', async () => {
    // Act
    const health = await fetch(`${e2e.runtime.apiUrl}/health`);
    const openApi = (await (await fetch(`${e2e.runtime.apiUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const page = await fetch(`${e2e.runtime.apiUrl}/`);

    // Assess
    expect(health.status).toBe(200);
    for (const route of HTTP_ROUTES) expect(openApi.paths[route.path]?.[route.method.toLowerCase()]).toBeDefined();
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });

  it.each([
    ['no token', {}],
    ['a forged token', { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' }],
  ])('refuses %s with 401 { code, message }', async (_label, headers) => {
    // Act
    const response = await fetch(`${e2e.runtime.apiUrl}/v1/verifications`, { method: 'POST', headers });

    // Assess
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'UNAUTHORIZED', message: expect.any(String) });
  });
});

describe('verification pipeline', () => {
  it('takes a clean submission through upload, checks and review to approval, keeping the evidence in the vault', async () => {
    // Prepare
    // Sample person 1, as the demo's happy path: the offline face engine scores sample person 0's
    // challenge frames against their selfie below the face-match reject band (a false rejection
    // of the local stand-in, not of the workflow), so that person cannot show the happy path.
    const person = images.person(1);
    const client = await KycClient.forUser(e2e.runtime.apiUrl, 'e2e-happy');
    const reviewer = await KycClient.forStaff(
      e2e.runtime.apiUrl,
      'e2e-reviewer',
      'compliance_reviewer',
      e2e.signingKey,
    );
    const { verificationId } = await client.createVerification({
      level: 'basic',
      nationality: person.nationality,
      documentType: 'passport',
      personalData: { fullName: person.fullName, dateOfBirth: person.dateOfBirth, address: person.address },
    });

    // The selfie as a recent Android phone saves it: an Ultra HDR motion photo (a gain map and
    // a short video after the image, declared by its MPF index and XMP).
    const plainSelfie = await images.selfie(person);
    const gainMap = await sharp(plainSelfie).resize(256).greyscale().jpeg({ quality: 80 }).toBuffer();
    const video = mp4Video(200_000);
    const selfie = motionPhoto(plainSelfie, gainMap, video);

    // Act
    const attempt = await submitAttempt(client, verificationId, {
      document: await images.document(person),
      selfie: selfie.file,
      camera: person,
    });
    const decided = await client.waitForStatus(verificationId, { timeoutMs: 120_000 });
    // The local liveness stand-in scores sample photos between the approve and reject bands, so
    // a person decides (in AWS a live selfie clears the band and approval is automatic).
    if (decided.status === 'manual_review') {
      await decideReview(reviewer, verificationId, 'approve', 'E2E: documents checked by hand');
    }
    const view = await client.waitForStatus(verificationId, { until: ['approved', 'rejected'], timeoutMs: 60_000 });
    await e2e.runtime.eventsIdle();

    // Assess
    expect(['approved', 'manual_review'], JSON.stringify(decided.reasons)).toContain(decided.status);
    expect(view.status).toBe('approved');
    const meta = await e2e.dynamo.send(
      new GetCommand({ TableName: table(), Key: { pk: `V#${verificationId}`, sk: 'META' } }),
    );
    expect(meta.Item).toMatchObject({ status: 'approved', userId: 'e2e-happy' });
    expect(JSON.stringify(meta.Item)).not.toContain(person.fullName.split(' ')[1]);
    expect(JSON.stringify(meta.Item)).not.toContain(person.dateOfBirth);
    const documents = await e2e.dynamo.send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'pk = :pk and begins_with(sk, :sk)',
        ExpressionAttributeValues: { ':pk': `V#${verificationId}`, ':sk': `A#${attempt.attemptId}#D#` },
      }),
    );
    const stored = (documents.Items ?? []) as { slot: string; result: string; vaultKey?: string; sha256: string }[];
    expect(stored.map((document) => document.slot).sort()).toEqual(['document_front', 'selfie']);
    for (const document of stored) {
      expect(document.result).toBe('accepted');
      expect(document.sha256).toMatch(/^[0-9a-f]{64}$/);
      const head = await e2e.s3.send(new HeadObjectCommand({ Bucket: e2e.env.VAULT_BUCKET, Key: document.vaultKey }));
      expect(head.ContentLength).toBeGreaterThan(0);
    }
    // The vault keeps the selfie's image, not the gain map and video the phone appended.
    const selfieKey = stored.find((document) => document.slot === 'selfie')?.vaultKey;
    const kept = await e2e.s3.send(new GetObjectCommand({ Bucket: e2e.env.VAULT_BUCKET, Key: selfieKey }));
    expect(Buffer.from(await kept.Body!.transformToByteArray()).equals(selfie.image)).toBe(true);
    const intake = await e2e.s3.send(new ListObjectsV2Command({ Bucket: e2e.env.INTAKE_BUCKET }));
    expect((intake.Contents ?? []).filter((object) => object.Key?.includes(attempt.attemptId))).toEqual([]);
    // Processor log: every image handed to Rekognition is on the case's audit chain.
    const trail = await e2e.dynamo.send(
      new QueryCommand({
        TableName: e2e.env.AUDIT_TABLE,
        KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'subject' },
        ExpressionAttributeValues: { ':s': `verification:${verificationId}` },
      }),
    );
    const processed = (trail.Items ?? [])
      .filter((event) => event.action === 'processor.invoked')
      .map((event) => event.details as { operation: string; objectKey: string; requestId?: string; purpose: string });
    expect(new Set(processed.map((entry) => entry.operation))).toEqual(
      new Set(['DetectFaces', 'CompareFaces', 'DetectText', 'SearchFacesByImage', 'IndexFaces', 'FaceLiveness']),
    );
    for (const entry of processed) {
      expect(entry.objectKey).toContain(verificationId);
      expect(entry.requestId).toEqual(expect.any(String));
    }
  }, 300_000);

  it('rejects a selfie of another person with FACE_NOT_MATCH', async () => {
    // Prepare
    const holder = images.person(2);
    const impostor = images.person(3);
    const client = await KycClient.forUser(e2e.runtime.apiUrl, 'e2e-mismatch');
    const { verificationId } = await client.createVerification({
      level: 'basic',
      nationality: holder.nationality,
      documentType: 'passport',
      personalData: { fullName: holder.fullName, dateOfBirth: holder.dateOfBirth, address: holder.address },
    });

    // Act
    await submitAttempt(client, verificationId, {
      document: await images.document(holder),
      selfie: await images.selfie(impostor),
      camera: impostor,
    });
    const view = await client.waitForStatus(verificationId, { timeoutMs: 120_000 });

    // Assess
    expect(view.status).toBe('rejected');
    expect(view.reasons.map((reason) => reason.code)).toContain('FACE_NOT_MATCH');
    expect(view.reasons.every((reason) => reason.message !== '' && reason.tip !== '')).toBe(true);
  }, 300_000);

  it('refuses an upload the presigned POST does not allow (wrong key)', async () => {
    // Prepare
    const person = images.person(22);
    const client = await KycClient.forUser(e2e.runtime.apiUrl, 'e2e-tamper');
    const { verificationId } = await client.createVerification({
      level: 'basic',
      nationality: person.nationality,
      documentType: 'passport',
      personalData: { fullName: person.fullName, dateOfBirth: person.dateOfBirth, address: person.address },
    });
    const attempt = await client.createAttempt(verificationId);
    const post = attempt.uploads.selfie;
    if (!post) throw new Error('no selfie slot');

    // Act
    const upload = client.upload(
      { url: post.url, fields: { ...post.fields, key: 'elsewhere/evil.jpg' } },
      await images.selfie(person),
      'image/jpeg',
    );

    // Assess: s3rver does not enforce POST policy conditions (only AWS does), so locally the file
    // may land outside the verification layout; the on-upload handler must ignore it, not fail.
    await upload.catch(() => undefined);
    await e2e.runtime.eventsIdle();
    const view = await client.getVerification(verificationId);
    expect(view.status).toBe('awaiting_upload');
    expect(JSON.stringify(view.attempts)).not.toMatch(/"result":"accepted"/);
  });

  it('answers a cooldown with 429 COOLDOWN_ACTIVE and retryAfterSeconds', async () => {
    // Prepare: three consecutive failures.
    const holder = images.person(5);
    const other = images.person(6);
    const client = await KycClient.forUser(e2e.runtime.apiUrl, 'e2e-cooldown');
    const { verificationId } = await client.createVerification({
      level: 'basic',
      nationality: holder.nationality,
      documentType: 'passport',
      personalData: { fullName: holder.fullName, dateOfBirth: holder.dateOfBirth, address: holder.address },
    });
    const files = { document: await images.document(holder), selfie: await images.selfie(other), camera: other };
    for (let failure = 0; failure < 3; failure += 1) {
      await submitAttempt(client, verificationId, files);
      await client.waitForStatus(verificationId, { until: ['rejected', 'cooldown'], timeoutMs: 90_000 });
    }

    // Act
    const refusal = await client.createAttempt(verificationId).then(
      () => undefined,
      (error: unknown) => error,
    );
    const inChinese = await client
      .call('POST', `/v1/verifications/${verificationId}/attempts`, {}, { 'accept-language': 'zh-CN' })
      .then(
        () => undefined,
        (error: unknown) => error,
      );

    // Assess
    expect(refusal).toBeInstanceOf(KycApiError);
    expect((refusal as KycApiError).status).toBe(429);
    expect((refusal as KycApiError).body).toMatchObject({
      code: 'COOLDOWN_ACTIVE',
      message: 'Verification temporarily paused',
      tip: expect.stringContaining('cooldown'),
      retryAfterSeconds: expect.any(Number),
    });
    expect((inChinese as KycApiError).status).toBe(429);
    expect((inChinese as KycApiError).body).toMatchObject({
      code: 'COOLDOWN_ACTIVE',
      message: '认证已暂停',
      tip: expect.stringContaining('冷却期'),
      retryAfterSeconds: expect.any(Number),
    });
  }, 300_000);
});

describe('identity assurance: liveness bound to the applicant', () => {
  const open = async (userId: string, person: ReturnType<SampleImages['person']>) => {
    const client = await KycClient.forUser(e2e.runtime.apiUrl, userId);
    const { verificationId } = await client.createVerification({
      level: 'basic',
      nationality: person.nationality,
      documentType: 'passport',
      personalData: { fullName: person.fullName, dateOfBirth: person.dateOfBirth, address: person.address },
    });
    return { client, verificationId };
  };

  it('does not approve a live stand-in: victim document and photo, another person passing liveness', async () => {
    // Prepare: the victim's document and a still photo of the victim as selfie; the attacker's
    // accomplice does the liveness challenge with their own face.
    const victim = images.person(8);
    const standIn = images.person(9);
    const { client, verificationId } = await open('e2e-stand-in', victim);

    // Act
    const attempt = await submitAttempt(client, verificationId, {
      document: await images.document(victim),
      selfie: await images.selfie(victim),
      camera: standIn,
    });
    const view = await client.waitForStatus(verificationId, { timeoutMs: 120_000 });
    await e2e.runtime.eventsIdle();

    // Assess
    expect(view.status).toBe('rejected');
    expect(view.reasons.map((reason) => reason.code)).toContain('FACE_NOT_MATCH');
    const check = await e2e.dynamo.send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'pk = :pk and begins_with(sk, :sk)',
        ExpressionAttributeValues: { ':pk': `V#${verificationId}`, ':sk': `A#${attempt.attemptId}#C#` },
      }),
    );
    const decision = (check.Items ?? []).find((item) => JSON.stringify(item).includes('"outcome"'));
    expect(JSON.stringify(decision)).toMatch(/liveness_reference:selfie:below_reject/);
    // The liveness images of a decided attempt are in the vault, no longer in intake.
    const prefix = `liveness/${verificationId}/${attempt.attemptId}/`;
    const vault = await e2e.s3.send(new ListObjectsV2Command({ Bucket: e2e.env.VAULT_BUCKET, Prefix: prefix }));
    const intake = await e2e.s3.send(new ListObjectsV2Command({ Bucket: e2e.env.INTAKE_BUCKET, Prefix: prefix }));
    expect((vault.Contents ?? []).map((object) => object.Key)).toContain(
      `${prefix}${attempt.livenessSessionId}/reference.jpg`,
    );
    expect(intake.Contents ?? []).toEqual([]);
  }, 300_000);

  it('lets only the applicant complete their liveness session (404 for another user, 401 without a token)', async () => {
    // Prepare
    const person = images.person(10);
    const { client, verificationId } = await open('e2e-session-owner', person);
    const attacker = await KycClient.forUser(e2e.runtime.apiUrl, 'e2e-session-thief');
    const attempt = await client.createAttempt(verificationId);
    const sessionId = attempt.livenessSessionId ?? '';
    const frame = await images.selfie(images.person(11));
    const url = `${e2e.runtime.apiUrl}/_local/liveness-sessions/${encodeURIComponent(sessionId)}/complete`;
    const post = (headers: Record<string, string>) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ imageBase64: frame.toString('base64') }),
      });

    // Act
    const stolen = await attacker.completeLiveness(sessionId, [{ prompt: 'centre', image: frame }]).then(
      () => undefined,
      (error: unknown) => error,
    );
    const anonymous = await post({});
    const forged = await post({ authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' });
    await client.completeLiveness(sessionId, await challengeFrames(person.index));
    const again = await client.completeLiveness(sessionId, [{ prompt: 'centre', image: frame }]).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(sessionId).not.toBe('');
    expect(stolen).toMatchObject({ status: 404, body: { code: 'NOT_FOUND', message: expect.any(String) } });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: 'UNAUTHORIZED', message: expect.any(String) });
    expect(forged.status).toBe(401);
    expect(again).toMatchObject({ status: 409, body: { code: 'LIVENESS_SESSION_CLOSED' } });
  }, 120_000);
});

describe('event delivery', () => {
  it('left nothing in the dead-letter file', async () => {
    // Act
    await e2e.runtime.eventsIdle();
    const { existsSync, readFileSync } = await import('node:fs');

    // Assess
    const letters = existsSync(e2e.runtime.deadLetterFile)
      ? readFileSync(e2e.runtime.deadLetterFile, 'utf8').trim()
      : '';
    expect(letters).toBe('');
  });
});
