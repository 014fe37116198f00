import {
  CompareFacesCommand,
  CreateFaceLivenessSessionCommand,
  DetectTextCommand,
  GetFaceLivenessSessionResultsCommand,
  IndexFacesCommand,
  RekognitionClient,
  SearchFacesByImageCommand,
} from '@aws-sdk/client-rekognition';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GenerateMacCommand, KMSClient } from '@aws-sdk/client-kms';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBridgeStatusEvents } from '../../../lambdas/adapters/aws/eventbridge-status-events.ts';
import { KmsKeyedHasher } from '../../../lambdas/adapters/aws/kms-keyed-hasher.ts';
import { RekognitionDocumentText } from '../../../lambdas/adapters/aws/rekognition-document-text.ts';
import { RekognitionFaceService } from '../../../lambdas/adapters/aws/rekognition-face-service.ts';
import { RekognitionLiveness } from '../../../lambdas/adapters/aws/rekognition-liveness.ts';
import { SfnReviewCompleter } from '../../../lambdas/adapters/aws/sfn-review-completer.ts';
import { DynamoDbWorkflowStore } from '../../../lambdas/adapters/aws/workflow-repository.ts';
import { sdkDocuments } from '../../../local/aws/dynamodb-documents.ts';
import { sdkCalls } from '../../../local/aws/sdk-calls.ts';
import * as eventBridgeSdk from '@aws-sdk/client-eventbridge';
import * as kmsSdk from '@aws-sdk/client-kms';
import * as rekognitionSdk from '@aws-sdk/client-rekognition';
import * as sfnSdk from '@aws-sdk/client-sfn';

const rekognition = mockClient(RekognitionClient);
const kms = mockClient(KMSClient);
const eventBridge = mockClient(EventBridgeClient);
const sfn = mockClient(SFNClient);
const dynamo = mockClient(DynamoDBDocumentClient);

afterEach(() => {
  rekognition.reset();
  kms.reset();
  eventBridge.reset();
  sfn.reset();
  dynamo.reset();
});

const selfie = { bucket: 'vault', key: 'evidence/v/a/selfie', versionId: 'v1' };
const portrait = { bucket: 'vault', key: 'evidence/v/a/document_front' };

describe('RekognitionFaceService', () => {
  const faces = new RekognitionFaceService({
    collectionId: 'kyc-faces',
    client: sdkCalls(new RekognitionClient({}), rekognitionSdk),
  });
  const text = new RekognitionDocumentText({ client: sdkCalls(new RekognitionClient({}), rekognitionSdk) });

  it('compares vault objects by S3Object reference and returns the best similarity', async () => {
    // Prepare
    rekognition.on(CompareFacesCommand).resolves({ FaceMatches: [{ Similarity: 91.5 }, { Similarity: 97.25 }] });

    // Act
    const result = await faces.compareFaces(selfie, portrait);

    // Assess
    expect(result).toEqual({ similarity: 97.25 });
    const input = rekognition.commandCalls(CompareFacesCommand)[0]?.args[0].input;
    expect(input?.SourceImage).toEqual({ S3Object: { Bucket: 'vault', Name: selfie.key, Version: 'v1' } });
    expect(input?.TargetImage).toEqual({ S3Object: { Bucket: 'vault', Name: portrait.key } });
  });

  it('reports similarity 0 when no face matches', async () => {
    // Prepare
    rekognition.on(CompareFacesCommand).resolves({ FaceMatches: [], UnmatchedFaces: [{}] });

    // Act / Assess
    expect(await faces.compareFaces(selfie, portrait)).toEqual({ similarity: 0 });
  });

  it('searches the collection and maps ExternalImageId to users', async () => {
    // Prepare
    rekognition.on(SearchFacesByImageCommand).resolves({
      FaceMatches: [
        { Similarity: 99, Face: { ExternalImageId: 'user-9', FaceId: 'f-9' } },
        { Similarity: 97, Face: { ExternalImageId: 'user-8:att-3', FaceId: 'f-8' } },
        { Similarity: 96, Face: { ExternalImageId: 'user:with:colons:att-4' } },
        { Similarity: 98, Face: {} },
      ],
    });

    // Act
    const hits = await faces.searchFaces(selfie, 95);

    // Assess: a face indexed before attempts were recorded names its user alone
    expect(hits).toEqual([
      { userId: 'user-9', faceId: 'f-9', similarity: 99 },
      { userId: 'user-8', attemptId: 'att-3', faceId: 'f-8', similarity: 97 },
      { userId: 'user:with:colons', attemptId: 'att-4', similarity: 96 },
    ]);
    expect(rekognition.commandCalls(SearchFacesByImageCommand)[0]?.args[0].input).toMatchObject({
      CollectionId: 'kyc-faces',
      FaceMatchThreshold: 95,
    });
  });

  it('treats an empty collection (InvalidParameterException) as no hits', async () => {
    // Prepare
    rekognition
      .on(SearchFacesByImageCommand)
      .rejects(Object.assign(new Error('no faces'), { name: 'InvalidParameterException' }));

    // Act / Assess
    expect(await faces.searchFaces(selfie, 95)).toEqual([]);
  });

  it('indexes one face with the user and attempt ids as ExternalImageId', async () => {
    // Prepare
    rekognition.on(IndexFacesCommand).resolves({ FaceRecords: [{ Face: { FaceId: 'f-1' } }] });

    // Act
    const result = await faces.indexFace(selfie, { userId: 'user-1', attemptId: 'att-1' });

    // Assess
    expect(result).toEqual({ faceId: 'f-1' });
    expect(rekognition.commandCalls(IndexFacesCommand)[0]?.args[0].input).toMatchObject({
      ExternalImageId: 'user-1:att-1',
      MaxFaces: 1,
    });
  });

  it('returns detected LINE texts top to bottom', async () => {
    // Prepare
    rekognition.on(DetectTextCommand).resolves({
      TextDetections: [
        { Type: 'LINE', DetectedText: 'second', Geometry: { BoundingBox: { Top: 0.8 } } },
        { Type: 'WORD', DetectedText: 'word', Geometry: { BoundingBox: { Top: 0.1 } } },
        { Type: 'LINE', DetectedText: 'first', Geometry: { BoundingBox: { Top: 0.2 } } },
      ],
    });

    // Act / Assess
    expect(await text.detectText(portrait)).toEqual(['first', 'second']);
    expect(rekognition.commandCalls(DetectTextCommand)[0]?.args[0].input.Filters).toBeUndefined();
  });

  it('asks for a region of interest as a bounding box filter', async () => {
    // Prepare
    rekognition.on(DetectTextCommand).resolves({ TextDetections: [] });

    // Act
    await text.detectText(portrait, { left: 0, top: 0.5, width: 1, height: 0.5 });

    // Assess
    expect(rekognition.commandCalls(DetectTextCommand)[0]?.args[0].input).toMatchObject({
      Image: { S3Object: { Name: portrait.key } },
      Filters: { RegionsOfInterest: [{ BoundingBox: { Left: 0, Top: 0.5, Width: 1, Height: 0.5 } }] },
    });
  });
});

describe('RekognitionLiveness', () => {
  const liveness = new RekognitionLiveness({
    outputBucket: 'intake',
    kmsKeyId: 'arn:aws:kms:eu-west-1:1:key/docs',
    client: sdkCalls(new RekognitionClient({}), rekognitionSdk),
  });

  it('creates a session bound to its attempt: images go to intake under liveness/<verification>/<attempt>/ with our key', async () => {
    // Prepare
    rekognition.on(CreateFaceLivenessSessionCommand).resolves({ SessionId: 's-1' });

    // Act
    const result = await liveness.createSession({ verificationId: 'v-1', attemptId: 'a-1' });

    // Assess
    expect(result).toEqual({ sessionId: 's-1' });
    expect(rekognition.commandCalls(CreateFaceLivenessSessionCommand)[0]?.args[0].input).toEqual({
      KmsKeyId: 'arn:aws:kms:eu-west-1:1:key/docs',
      ClientRequestToken: 'a-1',
      Settings: { OutputConfig: { S3Bucket: 'intake', S3KeyPrefix: 'liveness/v-1/a-1/' }, AuditImagesLimit: 1 },
    });
  });

  it('reads status, confidence and the reference and audit image locations', async () => {
    // Prepare
    rekognition.on(GetFaceLivenessSessionResultsCommand).resolves({
      SessionId: 's-1',
      Status: 'SUCCEEDED',
      Confidence: 93.2,
      ReferenceImage: { S3Object: { Bucket: 'intake', Name: 'liveness/v-1/a-1/s-1/reference.jpg' } },
      AuditImages: [{ S3Object: { Bucket: 'intake', Name: 'liveness/v-1/a-1/s-1/audit_images/0.jpg' } }],
    });

    // Act / Assess
    expect(await liveness.getResult('s-1')).toEqual({
      sessionId: 's-1',
      status: 'SUCCEEDED',
      confidence: 93.2,
      referenceImage: { bucket: 'intake', key: 'liveness/v-1/a-1/s-1/reference.jpg' },
      auditImages: [{ bucket: 'intake', key: 'liveness/v-1/a-1/s-1/audit_images/0.jpg' }],
    });
  });
});

describe('KmsKeyedHasher', () => {
  it('returns the hex HMAC from GenerateMac HMAC_SHA_256', async () => {
    // Prepare
    kms.on(GenerateMacCommand).resolves({ Mac: new Uint8Array([0xab, 0x01]) });
    const hasher = new KmsKeyedHasher({ keyId: 'hmac-key', client: sdkCalls(new KMSClient({}), kmsSdk) });

    // Act
    const hash = await hasher.hash('L898902C3');

    // Assess
    expect(hash).toBe('ab01');
    expect(kms.commandCalls(GenerateMacCommand)[0]?.args[0].input).toMatchObject({
      KeyId: 'hmac-key',
      MacAlgorithm: 'HMAC_SHA_256',
    });
  });
});

describe('EventBridgeStatusEvents', () => {
  const events = new EventBridgeStatusEvents({
    eventBusName: 'bus',
    client: sdkCalls(new EventBridgeClient({}), eventBridgeSdk),
  });

  it('publishes "Verification Status Changed" with ids, status and reasons only', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });

    // Act
    await events.statusChanged({
      verificationId: 'v-1',
      attemptId: 'a-1',
      status: 'rejected',
      reasons: ['FACE_NOT_MATCH'],
    });

    // Assess
    const entry = eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({
      EventBusName: 'bus',
      Source: 'serverless-kyc',
      DetailType: 'Verification Status Changed',
    });
    expect(JSON.parse(entry?.Detail ?? '{}')).toEqual({
      verificationId: 'v-1',
      attemptId: 'a-1',
      status: 'rejected',
      reasons: ['FACE_NOT_MATCH'],
    });
  });

  it('fails when EventBridge refuses the entry, so the step is retried', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });

    // Act / Assess
    await expect(
      events.statusChanged({ verificationId: 'v-1', status: 'approved', reasons: [] }),
    ).rejects.toMatchObject({ name: 'EventPublishError', errorCode: 'InternalFailure' });
  });
});

describe('SfnReviewCompleter', () => {
  it('sends the decision as JSON with SendTaskSuccess', async () => {
    // Prepare
    sfn.on(SendTaskSuccessCommand).resolves({});

    // Act
    await new SfnReviewCompleter({ client: sdkCalls(new SFNClient({}), sfnSdk) }).completeReview('tok', {
      decision: 'approve',
    });

    // Assess
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: 'tok',
      output: '{"decision":"approve"}',
    });
  });
});

describe('DynamoDbWorkflowStore', () => {
  const store = new DynamoDbWorkflowStore({ tableName: 'verifications', client: sdkDocuments(new DynamoDBClient({})) });
  const conditional = () => new ConditionalCheckFailedException({ message: 'failed', $metadata: {} });

  it('decides a review only when undecided and still holding the token; the loser gets a conflict', async () => {
    // Prepare
    dynamo.on(UpdateCommand).rejectsOnce(conditional());

    // Act
    const act = store.decideReviewTask('v-1', 'a-1', 'tok', {
      decision: 'approve',
      decidedBy: 'r-1',
      reasons: [],
      note: 'n',
      decidedAt: '2026-01-01T00:00:00Z',
    });

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'WorkflowConflictError' });
    const input = dynamo.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toBe(
      'attribute_exists(pk) AND attribute_not_exists(#decision) AND taskToken = :token AND ' +
        '(attribute_not_exists(assignee) OR assignee = :by)',
    );
    expect(input?.UpdateExpression).toContain('REMOVE gsi2pk, gsi2sk');
  });

  it('claims a document number conditionally and reports another owner as false', async () => {
    // Prepare
    dynamo.on(PutCommand).rejectsOnce(conditional());

    // Act
    const claimed = await store.claimDocument('abc', { userId: 'u-1', verificationId: 'v-1' }, 'now');

    // Assess
    expect(claimed).toBe(false);
    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      Item: { pk: 'UNIQ#DOC#abc', sk: 'UNIQ', userId: 'u-1' },
      ConditionExpression: 'attribute_not_exists(pk) OR userId = :userId',
    });
  });

  it('indexes an open review task in byReviewer by due date and refuses to overwrite a decision or a claim', async () => {
    // Prepare
    dynamo.on(PutCommand).resolves({});
    const task = {
      verificationId: 'v-1',
      attemptId: 'a-1',
      taskToken: 'tok',
      queue: 'standard',
      reasons: ['MANUAL_REVIEW_REQUIRED' as const],
      causes: ['face_match:between_bands'],
      priority: 1,
      dueAt: '2026-01-08T00:00:00Z',
      escalated: false,
      escalations: 0,
      createdAt: '2026-01-01T00:00:00Z',
    };

    // Act
    await store.putReviewTask(task);

    // Assess
    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      Item: {
        pk: 'V#v-1',
        sk: 'R#a-1',
        entity: 'review',
        gsi2pk: 'REVIEWER#UNASSIGNED',
        gsi2sk: '2026-01-08T00:00:00Z#v-1',
        gsi1pk: 'CASE#open',
        gsi4pk: 'QUEUE#standard',
      },
      ConditionExpression: 'attribute_not_exists(decision) AND attribute_not_exists(assignee)',
    });
  });
});
