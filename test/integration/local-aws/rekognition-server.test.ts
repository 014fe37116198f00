import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  AssociateFacesCommand,
  CompareFacesCommand,
  CreateCollectionCommand,
  CreateFaceLivenessSessionCommand,
  CreateUserCommand,
  DeleteCollectionCommand,
  DeleteFacesCommand,
  DescribeCollectionCommand,
  DetectFacesCommand,
  DetectTextCommand,
  GetFaceLivenessSessionResultsCommand,
  IndexFacesCommand,
  ListFacesCommand,
  RekognitionClient,
  SearchFacesByImageCommand,
  SearchFacesCommand,
  SearchUsersByImageCommand,
} from '@aws-sdk/client-rekognition';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../local/aws/client-config.ts';
import {
  fixedTokenAuthorizer,
  startRekognitionServer,
  type RekognitionServer,
} from '../../../local/aws/rekognition-server.ts';
import type { FaceEngine } from '../../../local/aws/rekognition/face-engine-port.ts';
import { localS3ClientConfig, startLocalS3, type LocalS3 } from '../../../local/aws/s3.ts';
import { FaceEngineLoadError } from '../../../local/face-engine/errors.ts';
import { face, sampleImage, TestFaceEngine } from './rekognition-test-engine.ts';

const BUCKET = 'kyc-liveness-test';
const OWNER_TOKEN = 'owner-token';
const ALICE = [1, 0, 0];
const ALICE_AGAIN = [0.97, 0.05, 0.02];
const BOB = [0, 1, 0];

describe('local Rekognition', () => {
  let dataDir: string;
  let s3Server: LocalS3;
  let s3: S3Client;
  let server: RekognitionServer;
  let rekognition: RekognitionClient;
  let clock = Date.now();
  const engine = new TestFaceEngine();
  const images: Record<
    'alice' | 'aliceAgain' | 'aliceTurned' | 'bob' | 'group' | 'empty' | 'spoof' | 'spoofTurned',
    Buffer
  > = {} as never;

  /** Posts the frames of a challenge (centre, turn_left, turn_right, ...); one image = one centre frame. */
  const completeAs = async (token: string | null, sessionId: string, ...frames: Buffer[]): Promise<Response> => {
    const prompts = ['centre', 'turn_left', 'turn_right', 'centre'];
    return fetch(`${server.endpoint}/_local/liveness-sessions/${sessionId}/complete`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({
        frames: frames.map((image, index) => ({ prompt: prompts[index % 4], imageBase64: image.toString('base64') })),
      }),
    });
  };

  const complete = (sessionId: string, ...frames: Buffer[]): Promise<Response> =>
    completeAs(OWNER_TOKEN, sessionId, ...frames);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kyc-rekognition-'));
    images.alice = await sampleImage(10);
    images.aliceAgain = await sampleImage(20, 'png');
    images.bob = await sampleImage(30);
    images.group = await sampleImage(40);
    images.empty = await sampleImage(50);
    images.spoof = await sampleImage(60);
    images.aliceTurned = await sampleImage(70);
    images.spoofTurned = await sampleImage(80);
    engine.register(images.alice, [face(ALICE)]);
    engine.register(images.aliceAgain, [face(ALICE_AGAIN)]);
    engine.register(images.bob, [face(BOB, { occlusion: { sunglasses: true } })]);
    engine.register(images.group, [
      face(ALICE_AGAIN, { box: { left: 0.1, top: 0.1, width: 0.4, height: 0.5 } }),
      face(BOB, { box: { left: 0.6, top: 0.2, width: 0.2, height: 0.25 } }),
    ]);
    engine.register(images.spoof, [face(ALICE, { live: 0.12, real: 0.3 })]);
    // The same faces moved across the frame, as in a head turn.
    const moved = { box: { left: 0.45, top: 0.2, width: 0.4, height: 0.5 } };
    engine.register(images.aliceTurned, [face(ALICE, moved)]);
    engine.register(images.spoofTurned, [face(ALICE, { live: 0.12, real: 0.3, ...moved })]);
    s3Server = await startLocalS3({ directory: join(dataDir, 's3'), buckets: [BUCKET] });
    s3 = new S3Client(localS3ClientConfig(s3Server.endpoint));
    server = await startRekognitionServer({
      dataDir,
      s3Client: s3,
      faceEngine: engine,
      now: () => clock,
      authorizeLivenessCompletion: fixedTokenAuthorizer(OWNER_TOKEN),
    });
    rekognition = new RekognitionClient(localClientConfig(server.endpoint));
  });

  afterAll(async () => {
    rekognition?.destroy();
    await server?.stop();
    s3?.destroy();
    await s3Server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('DetectFaces and CompareFaces', () => {
    it('detects faces with bounding box, confidence, pose and quality (DEFAULT)', async () => {
      // Act
      const { FaceDetails } = await rekognition.send(new DetectFacesCommand({ Image: { Bytes: images.alice } }));

      // Assess
      expect(FaceDetails).toHaveLength(1);
      const [detail] = FaceDetails!;
      expect(detail).toMatchObject({
        BoundingBox: { Left: 0.3, Top: 0.2, Width: 0.4, Height: 0.5 },
        Confidence: 99,
        Pose: { Roll: 1, Yaw: -2, Pitch: 3 },
      });
      expect(detail?.Quality?.Brightness).toBeGreaterThan(0);
      expect(detail?.Quality?.Sharpness).toBeGreaterThan(0);
      expect(detail?.Sunglasses).toBeUndefined();
    });

    it('adds Sunglasses and FaceOccluded with ALL, reading the image from S3', async () => {
      // Prepare
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'selfies/bob.jpg', Body: images.bob }));

      // Act
      const { FaceDetails } = await rekognition.send(
        new DetectFacesCommand({
          Image: { S3Object: { Bucket: BUCKET, Name: 'selfies/bob.jpg' } },
          Attributes: ['ALL'],
        }),
      );

      // Assess
      expect(FaceDetails?.[0]?.Sunglasses).toEqual({ Value: true, Confidence: 100 });
      expect(FaceDetails?.[0]?.FaceOccluded).toEqual({ Value: true, Confidence: 100 });
    });

    it('compares the largest source face with every target face at the default threshold of 80', async () => {
      // Act
      const result = await rekognition.send(
        new CompareFacesCommand({ SourceImage: { Bytes: images.alice }, TargetImage: { Bytes: images.group } }),
      );

      // Assess
      expect(result.SourceImageFace).toEqual({
        BoundingBox: { Left: 0.3, Top: 0.2, Width: 0.4, Height: 0.5 },
        Confidence: 99,
      });
      expect(result.FaceMatches).toHaveLength(1);
      expect(result.FaceMatches?.[0]?.Similarity).toBeGreaterThan(99);
      expect(result.FaceMatches?.[0]?.Face?.BoundingBox?.Left).toBe(0.1);
      expect(result.UnmatchedFaces?.map((unmatched) => unmatched.BoundingBox?.Left)).toEqual([0.6]);
    });

    it('answers InvalidParameterException when the source image has no face', async () => {
      // Act
      const compare = rekognition.send(
        new CompareFacesCommand({ SourceImage: { Bytes: images.empty }, TargetImage: { Bytes: images.alice } }),
      );

      // Assess
      await expect(compare).rejects.toMatchObject({ name: 'InvalidParameterException' });
    });

    it.each([
      [
        'bytes that are no image',
        () => ({ Bytes: Buffer.from('definitely not a jpeg') }),
        'InvalidImageFormatException',
      ],
      [
        'a JPEG header without an image',
        () => ({ Bytes: Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x01]) }),
        'InvalidImageFormatException',
      ],
      [
        'bytes over 5 MB',
        () => ({ Bytes: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(5 * 1024 * 1024)]) }),
        'ImageTooLargeException',
      ],
      [
        'a missing S3 object',
        () => ({ S3Object: { Bucket: BUCKET, Name: 'missing.jpg' } }),
        'InvalidS3ObjectException',
      ],
      [
        'both Bytes and S3Object',
        () => ({ Bytes: images.alice, S3Object: { Bucket: BUCKET, Name: 'x.jpg' } }),
        'InvalidParameterException',
      ],
    ])('rejects %s', async (_name, image, errorName) => {
      // Act
      const detect = rekognition.send(new DetectFacesCommand({ Image: image() }));

      // Assess
      await expect(detect).rejects.toMatchObject({ name: errorName, $metadata: { httpStatusCode: 400 } });
    });

    it('rejects S3 images over 15 MB with ImageTooLargeException', async () => {
      // Prepare
      const big = Buffer.concat([images.alice, Buffer.alloc(15 * 1024 * 1024)]);
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'big.jpg', Body: big }));

      // Act
      const detect = rekognition.send(
        new DetectFacesCommand({ Image: { S3Object: { Bucket: BUCKET, Name: 'big.jpg' } } }),
      );

      // Assess
      await expect(detect).rejects.toMatchObject({ name: 'ImageTooLargeException' });
    });
  });

  describe('collections and users', () => {
    it('indexes, searches, associates and deletes faces', async () => {
      // Prepare
      const CollectionId = 'kyc-faces-test';
      await rekognition.send(new CreateCollectionCommand({ CollectionId }));

      // Act
      const duplicate = await rekognition
        .send(new CreateCollectionCommand({ CollectionId }))
        .catch((error: unknown) => error);
      const indexedAlice = await rekognition.send(
        new IndexFacesCommand({
          CollectionId,
          Image: { Bytes: images.alice },
          ExternalImageId: 'verification-1',
          MaxFaces: 1,
        }),
      );
      const indexedBob = await rekognition.send(new IndexFacesCommand({ CollectionId, Image: { Bytes: images.bob } }));
      const indexedGroup = await rekognition.send(
        new IndexFacesCommand({ CollectionId, Image: { Bytes: images.group }, MaxFaces: 1 }),
      );
      const aliceFaceId = indexedAlice.FaceRecords?.[0]?.Face?.FaceId ?? '';
      const bobFaceId = indexedBob.FaceRecords?.[0]?.Face?.FaceId ?? '';
      const described = await rekognition.send(new DescribeCollectionCommand({ CollectionId }));
      const byImage = await rekognition.send(
        new SearchFacesByImageCommand({ CollectionId, Image: { Bytes: images.aliceAgain } }),
      );
      const byFace = await rekognition.send(new SearchFacesCommand({ CollectionId, FaceId: aliceFaceId }));
      const listed = await rekognition.send(new ListFacesCommand({ CollectionId, MaxResults: 2 }));
      await rekognition.send(new CreateUserCommand({ CollectionId, UserId: 'user-alice' }));
      const associated = await rekognition.send(
        new AssociateFacesCommand({ CollectionId, UserId: 'user-alice', FaceIds: [aliceFaceId, bobFaceId] }),
      );
      const users = await rekognition.send(
        new SearchUsersByImageCommand({ CollectionId, Image: { Bytes: images.aliceAgain } }),
      );
      const deleted = await rekognition.send(
        new DeleteFacesCommand({ CollectionId, FaceIds: [aliceFaceId, bobFaceId] }),
      );

      // Assess
      expect(duplicate).toMatchObject({ name: 'ResourceAlreadyExistsException' });
      expect(aliceFaceId).toMatch(/^[0-9a-f-]{36}$/);
      expect(indexedAlice.FaceRecords?.[0]?.Face).toMatchObject({ ExternalImageId: 'verification-1', Confidence: 99 });
      expect(indexedGroup.FaceRecords).toHaveLength(1);
      expect(indexedGroup.UnindexedFaces?.[0]?.Reasons).toEqual(['EXCEEDS_MAX_FACES']);
      expect(described).toMatchObject({ FaceCount: 3, FaceModelVersion: '7.0' });
      expect(byImage.FaceMatches?.map((match) => match.Face?.ExternalImageId)).toContain('verification-1');
      expect(byImage.FaceMatches?.every((match) => (match.Similarity ?? 0) >= 80)).toBe(true);
      expect(byFace.FaceMatches?.map((match) => match.Face?.FaceId)).not.toContain(aliceFaceId);
      expect(byFace.FaceMatches).toHaveLength(1);
      expect(listed.Faces).toHaveLength(2);
      expect(listed.NextToken).toBeDefined();
      expect(associated.AssociatedFaces).toEqual([{ FaceId: aliceFaceId }]);
      expect(associated.UnsuccessfulFaceAssociations?.[0]).toMatchObject({
        FaceId: bobFaceId,
        Reasons: ['LOW_MATCH_CONFIDENCE'],
      });
      expect(users.UserMatches?.map((match) => match.User?.UserId)).toEqual(['user-alice']);
      expect(deleted.DeletedFaces).toEqual([bobFaceId]);
      expect(deleted.UnsuccessfulFaceDeletions?.[0]).toMatchObject({
        FaceId: aliceFaceId,
        Reasons: ['ASSOCIATED_TO_AN_EXISTING_USER'],
      });
    });

    it('keeps collections across a restart', async () => {
      // Prepare
      const CollectionId = 'kyc-durable-test';
      await rekognition.send(new CreateCollectionCommand({ CollectionId }));
      await rekognition.send(new IndexFacesCommand({ CollectionId, Image: { Bytes: images.alice } }));

      // Act
      const restarted = await startRekognitionServer({
        dataDir,
        s3Client: s3,
        faceEngine: engine,
        authorizeLivenessCompletion: fixedTokenAuthorizer(OWNER_TOKEN),
      });
      const client = new RekognitionClient(localClientConfig(restarted.endpoint));
      const found = await client.send(
        new SearchFacesByImageCommand({ CollectionId, Image: { Bytes: images.aliceAgain } }),
      );
      client.destroy();
      await restarted.stop();

      // Assess
      expect(found.FaceMatches).toHaveLength(1);
    });

    it('answers ResourceNotFoundException for an unknown or deleted collection', async () => {
      // Prepare
      await rekognition.send(new CreateCollectionCommand({ CollectionId: 'short-lived' }));
      await rekognition.send(new DeleteCollectionCommand({ CollectionId: 'short-lived' }));

      // Act
      const describe = rekognition.send(new DescribeCollectionCommand({ CollectionId: 'short-lived' }));

      // Assess
      await expect(describe).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    });
  });

  describe('Face Liveness', () => {
    const createSession = async (): Promise<string> =>
      (
        await rekognition.send(
          new CreateFaceLivenessSessionCommand({
            KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/6f1a9c2e-3b4d-4e5f-8a7b-9c0d1e2f3a4b',
            Settings: { OutputConfig: { S3Bucket: BUCKET, S3KeyPrefix: 'liveness' }, AuditImagesLimit: 1 },
          }),
        )
      ).SessionId!;

    it('refuses frames that are not declared JSON with 415, leaving the session open', async () => {
      // Prepare
      const SessionId = await createSession();

      // Act
      const response = await fetch(`${server.endpoint}/_local/liveness-sessions/${SessionId}/complete`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain', Authorization: `Bearer ${OWNER_TOKEN}` },
        body: JSON.stringify({ frames: [{ prompt: 'centre', imageBase64: images.alice.toString('base64') }] }),
      });
      const after = await rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId }));

      // Assess
      expect(response.status).toBe(415);
      expect(await response.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', message: expect.any(String) });
      expect(after.Status).toBe('CREATED');
    });

    it('completes a session through the local route and stores the reference image in S3', async () => {
      // Prepare
      const SessionId = await createSession();
      const before = await rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId }));

      // Act
      const response = await complete(SessionId, images.aliceAgain, images.aliceTurned);
      const after = await rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId }));

      // Assess: raw 0.9 (lower of live 0.95 and real 0.9) on the calibrated scale; the centre
      // frame is the reference, the other one the audit image (AuditImagesLimit 1)
      expect(before.Status).toBe('CREATED');
      expect(response.status).toBe(200);
      // The client learns that the challenge is done, never its score (the backend reads that).
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toEqual({ sessionId: SessionId, status: 'COMPLETE' });
      expect(after).toMatchObject({ SessionId, Status: 'SUCCEEDED', Confidence: 97.273 });
      expect(after.ReferenceImage?.S3Object).toEqual({ Bucket: BUCKET, Name: `liveness/${SessionId}/reference.jpg` });
      for (const key of [`liveness/${SessionId}/reference.jpg`, `liveness/${SessionId}/audit_images/0.jpg`]) {
        const stored = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
        const metadata = await sharp(Buffer.from(await stored.Body!.transformToByteArray())).metadata();
        expect(metadata.format).toBe('jpeg');
      }
    });

    it('knows the faces of the reference image it stored: those of its frame, without running the engine again', async () => {
      // Prepare: a completed session; the stored reference is the centre frame re-encoded, bytes the engine never saw
      const SessionId = await createSession();
      await complete(SessionId, images.aliceAgain, images.aliceTurned);
      const stored = await s3.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: `liveness/${SessionId}/reference.jpg` }),
      );
      const reference = Buffer.from(await stored.Body!.transformToByteArray());

      // Act: the pipeline's next step, the reference against the applicant's selfie
      const compared = await rekognition.send(
        new CompareFacesCommand({ SourceImage: { Bytes: reference }, TargetImage: { Bytes: images.alice } }),
      );

      // Assess: the frame's face (ALICE_AGAIN) matched the selfie's (ALICE) at its box
      expect(reference.equals(images.aliceAgain)).toBe(false);
      expect(compared.SourceImageFace?.BoundingBox).toMatchObject({ Left: 0.3, Top: 0.2, Width: 0.4, Height: 0.5 });
      expect(compared.FaceMatches).toHaveLength(1);
      expect(compared.FaceMatches?.[0]?.Similarity).toBeGreaterThan(99);
    });

    it('reports IN_PROGRESS while the frame is being scored', async () => {
      // Prepare
      const SessionId = await createSession();
      const release = engine.hold(images.alice);

      // Act
      const completion = complete(SessionId, images.alice);
      let during = await rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId }));
      for (let i = 0; i < 50 && during.Status === 'CREATED'; i += 1) {
        await new Promise((done) => setTimeout(done, 20));
        during = await rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId }));
      }
      release();
      await completion;
      const after = await rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId }));

      // Assess
      expect(during.Status).toBe('IN_PROGRESS');
      expect(after.Status).toBe('SUCCEEDED');
    });

    it('reports a low confidence for a spoof', async () => {
      // Prepare
      const SessionId = await createSession();

      // Act
      await complete(SessionId, images.spoof, images.spoofTurned);
      const result = await rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId }));

      // Assess: raw 0.12 -> 24 on the calibrated scale, under the reject band
      expect(result).toMatchObject({ Status: 'SUCCEEDED', Confidence: 24 });
    });

    it.each([
      ['a single frame (no movement can be seen)', ['alice']],
      ['the same frame twice (a still photo)', ['alice', 'alice']],
      ['another person in the turn frame', ['alice', 'bob']],
    ] as const)('scores 0 for %s', async (_name, frames) => {
      // Prepare
      const SessionId = await createSession();

      // Act
      const response = await complete(SessionId, ...frames.map((name) => images[name]));
      const result = await rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId }));

      // Assess
      expect(response.status).toBe(200);
      expect(result).toMatchObject({ Status: 'SUCCEEDED', Confidence: 0 });
    });

    it.each([
      ['no frames', { frames: [] }],
      ['an unknown prompt', { frames: [{ prompt: 'jump', imageBase64: 'aGVsbG8=' }] }],
      ['17 frames', { frames: Array.from({ length: 17 }, () => ({ prompt: 'centre', imageBase64: 'aGVsbG8=' })) }],
      ['bytes that are no image', { frames: [{ prompt: 'centre', imageBase64: 'aGVsbG8=' }] }],
    ])('refuses a completion with %s (400) and leaves the session open', async (_name, body) => {
      // Prepare
      const SessionId = await createSession();

      // Act
      const response = await fetch(`${server.endpoint}/_local/liveness-sessions/${SessionId}/complete`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${OWNER_TOKEN}` },
        body: JSON.stringify(body),
      });
      const result = await rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId }));

      // Assess
      expect(response.status).toBe(400);
      expect(result.Status).toBe('CREATED');
    });

    it.each([
      ['no face', 'empty'],
      ['two faces', 'group'],
    ] as const)('fails a session whose frame shows %s', async (_name, image) => {
      // Prepare
      const SessionId = await createSession();

      // Act
      await complete(SessionId, images[image]);
      const result = await rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId }));

      // Assess
      expect(result.Status).toBe('FAILED');
      expect(result.Confidence).toBeUndefined();
    });

    it('expires sessions not completed within 3 minutes and refuses to complete them', async () => {
      // Prepare
      const SessionId = await createSession();
      clock += 3 * 60 * 1000 + 1;

      // Act
      const result = await rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId }));
      const response = await complete(SessionId, images.alice);

      // Assess
      expect(result.Status).toBe('EXPIRED');
      expect(response.status).toBe(409);
      expect(await response.json()).toEqual({
        code: 'LIVENESS_SESSION_CLOSED',
        message: `Session ${SessionId} is EXPIRED and cannot be completed`,
      });
    });

    it.each([
      ['no token', null],
      ['a wrong token', 'someone-else'],
    ])('refuses a completion with %s: 401 { code, message }, the session untouched', async (_name, token) => {
      // Prepare
      const SessionId = await createSession();

      // Act
      const response = await completeAs(token, SessionId, images.alice);
      const after = await rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId }));

      // Assess
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toMatchObject({ code: 'UNAUTHORIZED', message: expect.any(String) });
      expect(after.Status).toBe('CREATED');
    });

    it.each([
      ['a body that is not JSON', '{', 400, 'INVALID_REQUEST'],
      ['no image', '{}', 400, 'INVALID_REQUEST'],
      ['an image that is not JPEG or PNG', JSON.stringify({ imageBase64: 'aGVsbG8=' }), 400, 'INVALID_IMAGE_FORMAT'],
    ])('answers %s with %i %s', async (_name, body, status, code) => {
      // Prepare
      const SessionId = await createSession();

      // Act
      const response = await fetch(`${server.endpoint}/_local/liveness-sessions/${SessionId}/complete`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${OWNER_TOKEN}` },
        body,
      });

      // Assess
      expect(response.status).toBe(status);
      expect(await response.json()).toMatchObject({ code, message: expect.any(String) });
    });

    it('answers SessionNotFoundException for an unknown session', async () => {
      // Act
      const get = await rekognition
        .send(new GetFaceLivenessSessionResultsCommand({ SessionId: '00000000-0000-4000-8000-000000000000' }))
        .catch((error: unknown) => error);
      const response = await complete('00000000-0000-4000-8000-000000000000', images.alice);

      // Assess
      expect(get).toMatchObject({ name: 'SessionNotFoundException' });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: 'NOT_FOUND' });
    });
  });

  describe('DetectText', () => {
    it('reads lines and words offline with their geometry', async () => {
      // Prepare
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="220"><rect width="100%" height="100%" fill="white"/>
        <text x="30" y="80" font-family="DejaVu Sans Mono" font-size="44">P&lt;UTOERIKSSON&lt;&lt;ANNA</text>
        <text x="30" y="170" font-family="DejaVu Sans" font-size="40">IDENTITY CARD 2026</text></svg>`;
      const png = await sharp(Buffer.from(svg)).png().toBuffer();

      // Act
      const { TextDetections } = await rekognition.send(new DetectTextCommand({ Image: { Bytes: png } }));

      // Assess
      const lines = TextDetections?.filter((detection) => detection.Type === 'LINE') ?? [];
      const words = TextDetections?.filter((detection) => detection.Type === 'WORD') ?? [];
      expect(lines.map((line) => line.DetectedText)).toEqual(['P<UTOERIKSSON<<ANNA', 'IDENTITY CARD 2026']);
      expect(words.map((word) => word.DetectedText)).toEqual(['P<UTOERIKSSON<<ANNA', 'IDENTITY', 'CARD', '2026']);
      expect(words.map((word) => word.ParentId)).toEqual([0, 1, 1, 1]);
      const box = lines[1]?.Geometry?.BoundingBox;
      expect(box?.Left).toBeGreaterThan(0.01);
      expect(box?.Top).toBeGreaterThan(0.5);
      expect((box?.Left ?? 0) + (box?.Width ?? 0)).toBeLessThan(1);
      expect(lines[0]?.Confidence).toBeGreaterThan(50);
    });
  });

  describe('DetectText regions of interest', () => {
    // Two lines in the upper half, two in the lower; the words of the last line sit at known x.
    const page = () =>
      sharp(
        Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="600"><rect width="100%" height="100%" fill="white"/>
        <text x="40" y="90" font-family="DejaVu Sans" font-size="44">PASSPORT OFFICE</text>
        <text x="40" y="200" font-family="DejaVu Sans" font-size="44">SURNAME MARTIN</text>
        <text x="40" y="420" font-family="DejaVu Sans Mono" font-size="44">P&lt;GBRMARTIN&lt;&lt;ANNA</text>
        <text x="40" y="530" font-family="DejaVu Sans" font-size="44">ALPHA</text>
        <text x="600" y="530" font-family="DejaVu Sans" font-size="44">OMEGA</text></svg>`),
      )
        .png()
        .toBuffer();
    const lines = (detections: { Type?: string; DetectedText?: string }[] | undefined) =>
      (detections ?? []).filter((detection) => detection.Type === 'LINE').map((detection) => detection.DetectedText);

    it('reads only the words inside the region, with their geometry in the whole image', async () => {
      // Act
      const whole = await rekognition.send(new DetectTextCommand({ Image: { Bytes: await page() } }));
      const lower = await rekognition.send(
        new DetectTextCommand({
          Image: { Bytes: await page() },
          Filters: { RegionsOfInterest: [{ BoundingBox: { Left: 0, Top: 0.5, Width: 1, Height: 0.5 } }] },
        }),
      );

      // The same page stored on its side with an EXIF orientation that turns it upright
      const sideways = await sharp(
        await sharp(await page())
          .rotate(-90)
          .jpeg({ quality: 95 })
          .toBuffer(),
      )
        .withMetadata({ orientation: 6 })
        .jpeg({ quality: 95 })
        .toBuffer();
      const lowerUpright = await rekognition.send(
        new DetectTextCommand({
          Image: { Bytes: sideways },
          Filters: { RegionsOfInterest: [{ BoundingBox: { Left: 0, Top: 0.5, Width: 1, Height: 0.5 } }] },
        }),
      );

      // Assess
      expect(lines(whole.TextDetections)).toEqual([
        'PASSPORT OFFICE',
        'SURNAME MARTIN',
        'P<GBRMARTIN<<ANNA',
        'ALPHA OMEGA',
      ]);
      expect(lines(lower.TextDetections)).toEqual(['P<GBRMARTIN<<ANNA', 'ALPHA OMEGA']);
      expect(lines(lowerUpright.TextDetections)).toEqual(['P<GBRMARTIN<<ANNA', 'ALPHA OMEGA']);
      const boxOf = (output: typeof whole, text: string) =>
        output.TextDetections?.find((detection) => detection.DetectedText === text)?.Geometry?.BoundingBox;
      for (const text of ['P<GBRMARTIN<<ANNA', 'OMEGA']) {
        const [a, b] = [boxOf(whole, text), boxOf(lower, text)];
        expect(b?.Top).toBeGreaterThan(0.5);
        expect(Math.abs((a?.Top ?? 0) - (b?.Top ?? 1))).toBeLessThan(0.01);
        expect(Math.abs((a?.Left ?? 0) - (b?.Left ?? 1))).toBeLessThan(0.01);
        expect(Math.abs((a?.Height ?? 0) - (b?.Height ?? 1))).toBeLessThan(0.01);
      }
      const words = lower.TextDetections?.filter((detection) => detection.Type === 'WORD') ?? [];
      expect(words.map((word) => word.ParentId)).toEqual([0, 1, 1]);
      expect(words.map((word) => word.Id)).toEqual([2, 3, 4]);
    });

    it('keeps a word more than half inside a box or a polygon, and the line spans the words kept', async () => {
      // Act: a box ending halfway through the gap between ALPHA and OMEGA, then a triangle
      // holding the lower left corner only
      const box = await rekognition.send(
        new DetectTextCommand({
          Image: { Bytes: await page() },
          Filters: { RegionsOfInterest: [{ BoundingBox: { Left: 0, Top: 0.8, Width: 0.4, Height: 0.2 } }] },
        }),
      );
      const triangle = await rekognition.send(
        new DetectTextCommand({
          Image: { Bytes: await page() },
          Filters: {
            RegionsOfInterest: [
              {
                Polygon: [
                  { X: 0, Y: 0.6 },
                  { X: 0.5, Y: 1 },
                  { X: 0, Y: 1 },
                ],
              },
            ],
          },
        }),
      );

      // Assess
      expect(lines(box.TextDetections)).toEqual(['ALPHA']);
      const line = box.TextDetections?.find((detection) => detection.Type === 'LINE')?.Geometry?.BoundingBox;
      expect((line?.Left ?? 0) + (line?.Width ?? 1)).toBeLessThan(0.4);
      expect(lines(triangle.TextDetections)).toEqual(['ALPHA']);
    });

    it.each([
      ['eleven regions', Array.from({ length: 11 }, () => ({ BoundingBox: { Left: 0, Top: 0, Width: 1, Height: 1 } }))],
      ['a region with neither shape', [{}]],
      ['a coordinate outside 0..1', [{ BoundingBox: { Left: 0, Top: 1.5, Width: 1, Height: 1 } }]],
    ])('refuses %s with InvalidParameterException', async (_name, regions) => {
      // Act / Assess
      await expect(
        rekognition.send(
          new DetectTextCommand({ Image: { Bytes: await page() }, Filters: { RegionsOfInterest: regions } }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    });
  });

  describe('face engine failures', () => {
    it('answers a clear InternalServerError when the engine cannot be loaded, and retries the load', async () => {
      // Prepare
      let attempts = 0;
      const broken = await startRekognitionServer({
        dataDir: join(dataDir, 'broken'),
        authorizeLivenessCompletion: fixedTokenAuthorizer(OWNER_TOKEN),
        faceEngine: async () => {
          attempts += 1;
          throw new Error('model files missing');
        },
      });
      const client = new RekognitionClient({ ...localClientConfig(broken.endpoint), maxAttempts: 1 });

      // Act
      const first = await client
        .send(new DetectFacesCommand({ Image: { Bytes: images.alice } }))
        .catch((error: unknown) => error);
      const second = await client
        .send(new DetectFacesCommand({ Image: { Bytes: images.alice } }))
        .catch((error: unknown) => error);
      client.destroy();
      await broken.stop();

      // Assess
      expect(first).toMatchObject({
        name: 'InternalServerError',
        message: 'The local face engine could not be loaded',
      });
      expect(second).toMatchObject({ name: 'InternalServerError' });
      expect(attempts).toBe(2);
    });

    it("runs the engine once per image, embeddings included, so comparisons after the quality gate's DetectFaces come from memory", async () => {
      // Prepare: an engine that records what it is asked
      const asked: string[] = [];
      const recording: FaceEngine = {
        detect: (image, options) => {
          asked.push(options?.embeddings === false ? 'boxes' : 'embeddings');
          return engine.detect(image);
        },
        similarity: (a, b) => engine.similarity(a, b),
      };
      const server = await startRekognitionServer({
        dataDir: join(dataDir, 'recording'),
        authorizeLivenessCompletion: fixedTokenAuthorizer(OWNER_TOKEN),
        faceEngine: recording,
      });
      const client = new RekognitionClient(localClientConfig(server.endpoint));
      const bob = { Bytes: images.bob };

      // Act: the quality gate's question, the face match's, then both again
      const detected = await client.send(new DetectFacesCommand({ Image: bob }));
      await client.send(new CompareFacesCommand({ SourceImage: bob, TargetImage: bob }));
      await client.send(new DetectFacesCommand({ Image: bob }));
      await client.send(new CompareFacesCommand({ SourceImage: bob, TargetImage: bob }));
      client.destroy();
      await server.stop();

      // Assess
      expect(detected.FaceDetails).toHaveLength(1);
      expect(asked).toEqual(['embeddings']);
    });

    it('answers InternalServerError, not an invalid image, when a loaded engine fails, and does not remember the failure', async () => {
      // Prepare: an engine whose worker stops during the first detection, and works again after
      let detections = 0;
      const flaky: FaceEngine = {
        async detect() {
          detections += 1;
          if (detections === 1)
            throw new FaceEngineLoadError("the face engine's worker stopped (exit code 1)", 'worker');
          return [face(ALICE)];
        },
        similarity: () => 0,
      };
      const server = await startRekognitionServer({
        dataDir: join(dataDir, 'flaky'),
        authorizeLivenessCompletion: fixedTokenAuthorizer(OWNER_TOKEN),
        faceEngine: flaky,
      });
      const client = new RekognitionClient({ ...localClientConfig(server.endpoint), maxAttempts: 1 });

      // Act
      const first = await client
        .send(new DetectFacesCommand({ Image: { Bytes: images.alice } }))
        .catch((error: unknown) => error);
      const second = await client.send(new DetectFacesCommand({ Image: { Bytes: images.alice } }));
      client.destroy();
      await server.stop();

      // Assess: a retryable service error first (the SDK counts it as a server fault), then the faces
      expect(first).toMatchObject({ name: 'InternalServerError', $fault: 'server' });
      expect(second.FaceDetails).toHaveLength(1);
      expect(detections).toBe(2);
    });
  });

  describe('protocol', () => {
    it.each([
      [
        'malformed JSON',
        { 'X-Amz-Target': 'RekognitionService.DetectFaces' },
        '{"Image":',
        400,
        'SerializationException',
      ],
      [
        'an unknown operation',
        { 'X-Amz-Target': 'RekognitionService.DetectLabels' },
        '{}',
        400,
        'UnknownOperationException',
      ],
      [
        'an oversized body',
        { 'X-Amz-Target': 'RekognitionService.DetectFaces' },
        'x'.repeat(8 * 1024 * 1024),
        413,
        'ImageTooLargeException',
      ],
    ])('answers %s with an AWS-shaped error', async (_name, headers, body, status, type) => {
      // Act
      const response = await fetch(server.endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-amz-json-1.1', ...headers },
        body,
      });

      // Assess
      expect(response.status).toBe(status);
      expect(await response.json()).toMatchObject({ __type: type });
    });
  });
});
