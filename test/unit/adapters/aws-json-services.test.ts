import * as cognitoSdk from '@aws-sdk/client-cognito-identity-provider';
import * as eventBridgeSdk from '@aws-sdk/client-eventbridge';
import * as kmsSdk from '@aws-sdk/client-kms';
import * as rekognitionSdk from '@aws-sdk/client-rekognition';
import * as secretsSdk from '@aws-sdk/client-secrets-manager';
import * as sfnSdk from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import {
  AwsJsonClient,
  COGNITO_IDENTITY_PROVIDER,
  EVENTBRIDGE,
  KMS,
  REKOGNITION,
  SECRETS_MANAGER,
  SFN,
  type AwsJsonService,
  type JsonCommand,
} from '../../../lambdas/adapters/aws/aws-json-client.ts';
import * as cognito from '../../../lambdas/adapters/aws/cognito-commands.ts';
import * as eventBridge from '../../../lambdas/adapters/aws/eventbridge-commands.ts';
import * as kms from '../../../lambdas/adapters/aws/kms-commands.ts';
import * as rekognition from '../../../lambdas/adapters/aws/rekognition-commands.ts';
import * as secrets from '../../../lambdas/adapters/aws/secrets-manager-commands.ts';
import * as sfn from '../../../lambdas/adapters/aws/sfn-commands.ts';
import { comparable, useRecordingServer } from '../../support/recording-server.ts';

// The functions' Step Functions, EventBridge, KMS, Rekognition, Cognito and Secrets Manager calls
// (AwsJsonClient) against
// the SDK's clients on the wire: for every command the functions send, both requests must agree
// on target, content type, JSON body (bytes as base64, times as epoch seconds) and every header
// but the SDK's bookkeeping; and each client must read the same answer into the same output
// (bytes as Uint8Array, times as Date).

const b64 = (bytes: number[]): string => Buffer.from(bytes).toString('base64');

/** Each service's answer to each operation, by target. */
const ANSWERS: Readonly<Record<string, unknown>> = {
  'AWSStepFunctions.StartExecution': {
    executionArn: 'arn:aws:states:eu-west-1:1:execution:sm:a-1',
    startDate: 1796000000.123,
  },
  'AWSStepFunctions.DescribeExecution': {
    executionArn: 'arn:aws:states:eu-west-1:1:execution:sm:a-1',
    stateMachineArn: 'arn:aws:states:eu-west-1:1:stateMachine:sm',
    name: 'a-1',
    status: 'SUCCEEDED',
    startDate: 1796000000.5,
    stopDate: 1796000100,
    input: '{"verificationId":"v-1"}',
  },
  'AWSStepFunctions.SendTaskHeartbeat': {},
  'AWSStepFunctions.SendTaskSuccess': {},
  'AWSEvents.PutEvents': { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] },
  'TrentService.GenerateDataKey': {
    KeyId: 'arn:aws:kms:eu-west-1:1:key/k',
    Plaintext: b64(Array.from({ length: 32 }, (_, index) => index)),
    CiphertextBlob: b64([9, 8, 7, 6, 5]),
  },
  'TrentService.Decrypt': {
    KeyId: 'arn:aws:kms:eu-west-1:1:key/k',
    Plaintext: b64([1, 2, 3]),
    EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
  },
  'TrentService.GenerateMac': { Mac: b64([255, 0, 128]), MacAlgorithm: 'HMAC_SHA_256', KeyId: 'k' },
  'TrentService.Sign': { KeyId: 'k', Signature: b64([48, 69, 2, 33]), SigningAlgorithm: 'ECDSA_SHA_256' },
  'TrentService.Verify': { KeyId: 'k', SignatureValid: true, SigningAlgorithm: 'ECDSA_SHA_256' },
  'RekognitionService.CompareFaces': {
    FaceMatches: [
      { Similarity: 99.25, Face: { BoundingBox: { Width: 0.1, Height: 0.2, Left: 0.3, Top: 0.4 }, Confidence: 99.9 } },
    ],
    UnmatchedFaces: [],
  },
  'RekognitionService.SearchFacesByImage': {
    SearchedFaceConfidence: 99,
    FaceMatches: [{ Similarity: 98.5, Face: { FaceId: 'f-1', ExternalImageId: 'u-1:a-1', Confidence: 99 } }],
  },
  'RekognitionService.IndexFaces': { FaceRecords: [{ Face: { FaceId: 'f-2', ExternalImageId: 'u-1:a-2' } }] },
  'RekognitionService.DeleteFaces': { DeletedFaces: ['f-1'], UnsuccessfulFaceDeletions: [] },
  'RekognitionService.DetectFaces': {
    FaceDetails: [
      { Confidence: 99.5, Pose: { Yaw: 1.5, Pitch: -2, Roll: 3 }, Quality: { Sharpness: 80, Brightness: 61.5 } },
    ],
  },
  'RekognitionService.DetectText': {
    TextDetections: [{ DetectedText: 'P<UTOERIKSSON<<ANNA', Type: 'LINE', Confidence: 97.5, Id: 0 }],
  },
  'RekognitionService.CreateFaceLivenessSession': { SessionId: 's-1' },
  'AWSCognitoIdentityProviderService.AdminGetUser': {
    Username: 'rita',
    UserAttributes: [{ Name: 'email', Value: 'rita@example.com' }],
    UserCreateDate: 1796000000.25,
    UserLastModifiedDate: 1796000500,
    Enabled: true,
    UserStatus: 'CONFIRMED',
    PreferredMfaSetting: 'SOFTWARE_TOKEN_MFA',
    UserMFASettingList: ['SOFTWARE_TOKEN_MFA'],
  },
  'secretsmanager.GetSecretValue': {
    ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:kyc-webhook-AbCdEf',
    Name: 'kyc-webhook',
    VersionId: 'v-1',
    SecretString: 'whsec_0123456789',
    SecretBinary: b64([1, 2, 3]),
    VersionStages: ['AWSCURRENT'],
    CreatedDate: 1796000000.5,
  },
  'RekognitionService.GetFaceLivenessSessionResults': {
    SessionId: 's-1',
    Status: 'SUCCEEDED',
    Confidence: 97.5,
    ReferenceImage: {
      Bytes: b64([1, 2, 3, 4]),
      S3Object: { Bucket: 'intake', Name: 'liveness/v-1/a-1/reference.jpg' },
      BoundingBox: { Width: 0.5, Height: 0.6, Left: 0.1, Top: 0.2 },
    },
    AuditImages: [{ S3Object: { Bucket: 'intake', Name: 'liveness/v-1/a-1/audit-1.jpg' } }, { Bytes: b64([5]) }],
  },
};

const server = useRecordingServer((request) => {
  const answer = ANSWERS[String(request.headers['x-amz-target'])];
  return answer === undefined
    ? { status: 400, body: JSON.stringify({ __type: 'UnknownOperationException' }) }
    : { status: 200, headers: { 'x-amzn-requestid': 'req-1' }, body: JSON.stringify(answer) };
});

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const config = () => ({ region: 'eu-west-1', endpoint: server.endpoint, credentials });
const image = { S3Object: { Bucket: 'vault', Name: 'evidence/v-1/a-1/selfie', Version: 'v/1' } };

interface Case {
  readonly name: string;
  readonly service: AwsJsonService;
  readonly sdk: () => Promise<unknown>;
  readonly ours: () => JsonCommand<object, unknown>;
}

/** One case per command: the same input to the SDK's command and to ours. */
function commandCase<I extends object>(
  service: AwsJsonService,
  client: () => { send(command: never): Promise<unknown> },
  SdkCommand: new (input: I) => unknown,
  OurCommand: new (input: I) => JsonCommand<object, unknown>,
  input: I,
): Case {
  return {
    name: `${service.targetPrefix}.${new OurCommand(input).operation}`,
    service,
    sdk: () => client().send(new SdkCommand(input) as never),
    ours: () => new OurCommand(input),
  };
}

const sfnClient = () => new sfnSdk.SFNClient(config());
const eventsClient = () => new eventBridgeSdk.EventBridgeClient(config());
const kmsClient = () => new kmsSdk.KMSClient(config());
const rekognitionClient = () => new rekognitionSdk.RekognitionClient(config());
const cognitoClient = () => new cognitoSdk.CognitoIdentityProviderClient(config());
const secretsClient = () => new secretsSdk.SecretsManagerClient(config());

const CASES: readonly Case[] = [
  commandCase(SFN, sfnClient, sfnSdk.StartExecutionCommand, sfn.StartExecutionCommand, {
    stateMachineArn: 'arn:aws:states:eu-west-1:1:stateMachine:sm',
    name: 'a-1',
    input: JSON.stringify({ verificationId: 'v-1', attemptId: 'a-1' }),
  }),
  commandCase(SFN, sfnClient, sfnSdk.DescribeExecutionCommand, sfn.DescribeExecutionCommand, {
    executionArn: 'arn:aws:states:eu-west-1:1:execution:sm:a-1',
  }),
  commandCase(SFN, sfnClient, sfnSdk.SendTaskHeartbeatCommand, sfn.SendTaskHeartbeatCommand, { taskToken: 'tok/+=' }),
  commandCase(SFN, sfnClient, sfnSdk.SendTaskSuccessCommand, sfn.SendTaskSuccessCommand, {
    taskToken: 'tok',
    output: '{"decision":"approve","reasons":[]}',
  }),
  commandCase(EVENTBRIDGE, eventsClient, eventBridgeSdk.PutEventsCommand, eventBridge.PutEventsCommand, {
    Entries: [
      {
        EventBusName: 'kyc-bus',
        Source: 'serverless-kyc',
        DetailType: 'Verification Status Changed',
        Detail: '{"verificationId":"v-1","status":"approved"}',
        Time: new Date('2026-12-04T06:30:00.250Z'),
      },
    ],
  }),
  commandCase(KMS, kmsClient, kmsSdk.GenerateDataKeyCommand, kms.GenerateDataKeyCommand, {
    KeyId: 'alias/kyc/data',
    KeySpec: 'AES_256',
    EncryptionContext: { verificationId: 'v-1', purpose: 'personal-data' },
  }),
  commandCase(KMS, kmsClient, kmsSdk.DecryptCommand, kms.DecryptCommand, {
    KeyId: 'arn:aws:kms:eu-west-1:1:key/k',
    CiphertextBlob: new Uint8Array([9, 8, 7, 6, 5]),
    EncryptionContext: { verificationId: 'v-1', purpose: 'personal-data' },
  }),
  commandCase(KMS, kmsClient, kmsSdk.GenerateMacCommand, kms.GenerateMacCommand, {
    KeyId: 'alias/kyc/document-number-hmac',
    MacAlgorithm: 'HMAC_SHA_256',
    Message: Buffer.concat([Buffer.from('kyc-watermark-v1'), Buffer.from([0, 1, 2, 255])]),
  }),
  commandCase(KMS, kmsClient, kmsSdk.SignCommand, kms.SignCommand, {
    KeyId: 'alias/kyc/audit-signing',
    Message: new Uint8Array(32).fill(7),
    MessageType: 'DIGEST',
    SigningAlgorithm: 'ECDSA_SHA_256',
  }),
  commandCase(KMS, kmsClient, kmsSdk.VerifyCommand, kms.VerifyCommand, {
    KeyId: 'k',
    Message: new Uint8Array(32).fill(7),
    MessageType: 'DIGEST',
    Signature: new Uint8Array([48, 69, 2, 33]),
    SigningAlgorithm: 'ECDSA_SHA_256',
  }),
  commandCase(REKOGNITION, rekognitionClient, rekognitionSdk.CompareFacesCommand, rekognition.CompareFacesCommand, {
    SourceImage: image,
    TargetImage: { S3Object: { Bucket: 'vault', Name: 'evidence/v-1/a-1/document_front' } },
    SimilarityThreshold: 0,
    QualityFilter: 'AUTO',
  }),
  commandCase(
    REKOGNITION,
    rekognitionClient,
    rekognitionSdk.SearchFacesByImageCommand,
    rekognition.SearchFacesByImageCommand,
    { CollectionId: 'kyc-faces', Image: image, FaceMatchThreshold: 95, MaxFaces: 10, QualityFilter: 'AUTO' },
  ),
  commandCase(REKOGNITION, rekognitionClient, rekognitionSdk.IndexFacesCommand, rekognition.IndexFacesCommand, {
    CollectionId: 'kyc-faces',
    Image: image,
    ExternalImageId: 'u-1:a-2',
    MaxFaces: 1,
    QualityFilter: 'AUTO',
    DetectionAttributes: [],
  }),
  commandCase(REKOGNITION, rekognitionClient, rekognitionSdk.DeleteFacesCommand, rekognition.DeleteFacesCommand, {
    CollectionId: 'kyc-faces',
    FaceIds: ['f-1', 'f-2'],
  }),
  commandCase(REKOGNITION, rekognitionClient, rekognitionSdk.DetectFacesCommand, rekognition.DetectFacesCommand, {
    Image: { Bytes: new Uint8Array([255, 216, 255, 224, 0, 16]) },
    Attributes: ['ALL'],
  }),
  commandCase(REKOGNITION, rekognitionClient, rekognitionSdk.DetectTextCommand, rekognition.DetectTextCommand, {
    Image: image,
    Filters: { WordFilter: { MinConfidence: 80 }, RegionsOfInterest: [{ BoundingBox: { Top: 0.7, Height: 0.3 } }] },
  }),
  commandCase(
    REKOGNITION,
    rekognitionClient,
    rekognitionSdk.CreateFaceLivenessSessionCommand,
    rekognition.CreateFaceLivenessSessionCommand,
    {
      KmsKeyId: 'arn:aws:kms:eu-west-1:1:key/k',
      ClientRequestToken: 'a-1',
      Settings: { OutputConfig: { S3Bucket: 'intake', S3KeyPrefix: 'liveness/v-1/a-1/' }, AuditImagesLimit: 1 },
    },
  ),
  commandCase(
    REKOGNITION,
    rekognitionClient,
    rekognitionSdk.GetFaceLivenessSessionResultsCommand,
    rekognition.GetFaceLivenessSessionResultsCommand,
    { SessionId: 's-1' },
  ),
  commandCase(COGNITO_IDENTITY_PROVIDER, cognitoClient, cognitoSdk.AdminGetUserCommand, cognito.AdminGetUserCommand, {
    UserPoolId: 'eu-west-1_AbCdEf',
    Username: 'rita',
  }),
  commandCase(SECRETS_MANAGER, secretsClient, secretsSdk.GetSecretValueCommand, secrets.GetSecretValueCommand, {
    SecretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:kyc-webhook-AbCdEf',
  }),
];

describe('AwsJsonClient on the wire, beside the SDK clients', () => {
  it.each(CASES)('$name: the same request, the same output', async (operation) => {
    // Act
    const sdkOutput = (await operation.sdk()) as Record<string, unknown>;
    const ourOutput = await new AwsJsonClient(operation.service, {
      context: { region: 'eu-west-1', endpoint: server.endpoint, credentials },
    }).send(operation.ours());

    // Assess
    expect(server.seen).toHaveLength(2);
    const [theirs, mine] = server.seen.map(comparable) as [
      ReturnType<typeof comparable>,
      ReturnType<typeof comparable>,
    ];
    expect(mine.method).toBe('POST');
    expect(mine.url).toBe(theirs.url);
    expect(mine.headers['x-amz-target']).toBe(operation.name);
    expect(mine.headers).toEqual(theirs.headers);
    expect(mine.json).toEqual(theirs.json);
    const { $metadata: sdkMetadata, ...sdkRest } = sdkOutput;
    const { $metadata: ourMetadata, ...ourRest } = ourOutput as Record<string, unknown>;
    expect(ourRest).toEqual(sdkRest);
    expect(ourMetadata).toEqual({ httpStatusCode: 200, requestId: 'req-1' });
    expect(sdkMetadata).toMatchObject({ httpStatusCode: 200, requestId: 'req-1' });
  });

  it('reads bytes as Uint8Array and times as Date, as the SDK does', async () => {
    // Act
    const client = new AwsJsonClient(KMS, { context: { region: 'eu-west-1', endpoint: server.endpoint, credentials } });
    const key = await client.send(new kms.GenerateDataKeyCommand({ KeyId: 'k', KeySpec: 'AES_256' }));
    const execution = await new AwsJsonClient(SFN, {
      context: { region: 'eu-west-1', endpoint: server.endpoint, credentials },
    }).send(new sfn.DescribeExecutionCommand({ executionArn: 'arn' }));

    // Assess
    expect(key.Plaintext).toBeInstanceOf(Uint8Array);
    expect(key.Plaintext).toHaveLength(32);
    expect([...(key.CiphertextBlob ?? [])]).toEqual([9, 8, 7, 6, 5]);
    expect(execution.startDate).toEqual(new Date(1_796_000_000_500));
    expect(execution.stopDate).toEqual(new Date(1_796_000_100_000));
  });
});
