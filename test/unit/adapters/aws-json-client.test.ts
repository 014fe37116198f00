import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as sdk from '@aws-sdk/lib-dynamodb';
import { HttpRequest } from '@smithy/core/protocols';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import {
  AwsEndpointNotSupportedError,
  DYNAMODB,
  serviceContextFromEnv,
} from '../../../lambdas/adapters/aws/aws-json-client.ts';
import * as ours from '../../../lambdas/adapters/aws/dynamodb-documents.ts';
import {
  useRecordingServer,
  comparable,
  SDK_BOOKKEEPING,
  type RecordedRequest,
  type ScriptedReply,
} from '../../support/recording-server.ts';

// The functions' DynamoDB document client (AwsJsonClient underneath) against the SDK's
// DynamoDBDocumentClient on the wire: a recording server answers both, and for each operation
// the two requests must agree on method, path, target, content type and JSON body, every header
// but the SDK's bookkeeping, and the signature over the same headers; each must read the same
// answer into the same output. Then errors, retries and endpoints.

type Recorded = RecordedRequest;

type Reply = ScriptedReply;

const ITEM = {
  pk: { S: 'V#v-1' },
  sk: { S: 'META' },
  version: { N: '7' },
  score: { N: '0.875' },
  flags: { M: { hold: { BOOL: true }, note: { NULL: true }, tags: { L: [{ S: 'a' }, { N: '1' }] } } },
  slots: { SS: ['selfie', 'document_front'] },
  digest: { B: 'AQID/w==' },
};

/** DynamoDB's answer to each operation, by target. */
function defaultReply(target: string): Reply {
  const json = (body: unknown): Reply => ({
    status: 200,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'req-1' },
    body: JSON.stringify(body),
  });
  switch (target.split('.')[1]) {
    case 'GetItem':
      return json({ Item: ITEM });
    case 'PutItem':
      return json({ Attributes: { pk: { S: 'old' }, version: { N: '6' } } });
    case 'UpdateItem':
      return json({ Attributes: { hits: { N: '2' }, expiresAt: { N: '1796000000' } } });
    case 'DeleteItem':
      return json({});
    case 'Query':
      return json({
        Items: [ITEM, { pk: { S: 'V#v-1' }, sk: { S: 'A#a-1' } }],
        Count: 2,
        ScannedCount: 2,
        LastEvaluatedKey: { pk: { S: 'V#v-1' }, sk: { S: 'A#a-1' } },
      });
    case 'TransactWriteItems':
      return json({});
    case 'ExecuteStatement':
      return json({ Items: [] });
    default:
      return { status: 400, body: JSON.stringify({ __type: 'UnknownOperationException' }) };
  }
}

const wire = useRecordingServer((request) => defaultReply(String(request.headers['x-amz-target'] ?? '')));
const { scripted } = wire;

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const sdkDocuments = () =>
  sdk.DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1', endpoint: wire.endpoint, credentials }), {
    marshallOptions: { removeUndefinedValues: true },
  });
const ourDocuments = (maxAttempts = 3) =>
  new ours.DynamoDocumentClient({
    context: { region: 'eu-west-1', endpoint: wire.endpoint, credentials },
    maxAttempts,
  });

const KEY = { pk: 'V#v-1', sk: 'META' };
const VALUES = {
  ':version': 7,
  ':now': '2026-12-04T06:00:00.000Z',
  ':gone': undefined,
  ':record': {
    reasons: ['FACE_MISMATCH', 'LOW_LIVENESS'],
    scores: { similarity: 71.25, liveness: 0.5 },
    missing: undefined,
    empty: null,
    checked: false,
    slots: new Set(['selfie', 'document_front']),
    counts: new Set([1, 2]),
    digest: new Uint8Array([1, 2, 3, 255]),
  },
};

/** Each operation the functions call, with the same input for both clients. */
const OPERATIONS: ReadonlyArray<{
  readonly name: string;
  readonly sdk: () => object;
  readonly ours: () => ours.DocumentCommand<object, unknown>;
}> = [
  {
    name: 'GetItem',
    sdk: () => new sdk.GetCommand({ TableName: 'kyc', Key: KEY, ConsistentRead: true }),
    ours: () => new ours.GetCommand({ TableName: 'kyc', Key: KEY, ConsistentRead: true }),
  },
  ...(() => {
    const input = {
      TableName: 'kyc',
      Item: { ...KEY, entity: 'verification', version: 7, details: VALUES[':record'], absent: undefined },
      ConditionExpression: 'attribute_not_exists(pk) OR version = :version',
      ExpressionAttributeValues: { ':version': 6 },
      ReturnValues: 'ALL_OLD' as const,
    };
    return [{ name: 'PutItem', sdk: () => new sdk.PutCommand(input), ours: () => new ours.PutCommand(input) }];
  })(),
  ...(() => {
    const input = {
      TableName: 'kyc',
      Key: KEY,
      UpdateExpression: 'SET #r = :record, updatedAt = :now ADD version :version',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#r': 'record' },
      ExpressionAttributeValues: VALUES,
      ReturnValues: 'ALL_NEW' as const,
    };
    return [{ name: 'UpdateItem', sdk: () => new sdk.UpdateCommand(input), ours: () => new ours.UpdateCommand(input) }];
  })(),
  ...(() => {
    const input = {
      TableName: 'kyc',
      Key: KEY,
      ConditionExpression: 'version = :version',
      ExpressionAttributeValues: { ':version': 7 },
    };
    return [{ name: 'DeleteItem', sdk: () => new sdk.DeleteCommand(input), ours: () => new ours.DeleteCommand(input) }];
  })(),
  ...(() => {
    const input = {
      TableName: 'kyc',
      IndexName: 'byStatus',
      KeyConditionExpression: 'gsi1pk = :status AND gsi1sk BETWEEN :from AND :to',
      FilterExpression: 'attribute_not_exists(erasedAt)',
      ExpressionAttributeValues: { ':status': 'STATUS#manual_review', ':from': 'a', ':to': 'z' },
      ExclusiveStartKey: { pk: 'V#v-0', sk: 'META', gsi1pk: 'STATUS#manual_review', gsi1sk: 'm' },
      ScanIndexForward: false,
      Limit: 25,
    };
    return [{ name: 'Query', sdk: () => new sdk.QueryCommand(input), ours: () => new ours.QueryCommand(input) }];
  })(),
  ...(() => {
    const input = {
      ClientRequestToken: 'token-1',
      TransactItems: [
        {
          ConditionCheck: {
            TableName: 'kyc',
            Key: KEY,
            ConditionExpression: 'version = :v',
            ExpressionAttributeValues: { ':v': 7 },
          },
        },
        { Put: { TableName: 'kyc', Item: { ...KEY, sk: 'A#a-2', status: 'awaiting_upload', gone: undefined } } },
        { Delete: { TableName: 'limits', Key: { pk: 'ATTEMPT#u-1' } } },
        {
          Update: {
            TableName: 'kyc',
            Key: { pk: 'METRICS#2026-12-04', sk: 'COUNTS' },
            UpdateExpression: 'ADD approved :one',
            ExpressionAttributeValues: { ':one': 1 },
          },
        },
      ],
    };
    return [
      {
        name: 'TransactWriteItems',
        sdk: () => new sdk.TransactWriteCommand(input),
        ours: () => new ours.TransactWriteCommand(input),
      },
    ];
  })(),
  ...(() => {
    const input = {
      Statement: `INSERT INTO "audit" VALUE {'subject': ?, 'sequence': ?, 'details': ?}`,
      Parameters: ['verification:v-1', 3, { reason: 'x', list: [1, 'two'] }],
    };
    return [
      {
        name: 'ExecuteStatement',
        sdk: () => new sdk.ExecuteStatementCommand(input),
        ours: () => new ours.ExecuteStatementCommand(input),
      },
    ];
  })(),
];

type ServiceFailure = Error & {
  $metadata: { httpStatusCode: number; requestId?: string };
  CancellationReasons?: unknown;
};

/** The error a call failed with (a call that succeeds fails the test). */
const failure = (call: Promise<unknown>): Promise<ServiceFailure> =>
  call.then(
    () => {
      throw new Error('the call succeeded');
    },
    (error: unknown) => error as ServiceFailure,
  );

const withoutMetadata = (output: object): object => {
  const { $metadata: _metadata, ...rest } = output as { $metadata?: unknown };
  return rest;
};

describe('DynamoDocumentClient on the wire, beside the SDK document client', () => {
  it.each(OPERATIONS)('$name: the same request, the same output', async (operation) => {
    // Act
    const sdkOutput = await sdkDocuments().send(operation.sdk() as never);
    const ourOutput = await ourDocuments().send(operation.ours());

    // Assess
    expect(wire.seen).toHaveLength(2);
    const [theirs, mine] = wire.seen.map(comparable) as [ReturnType<typeof comparable>, ReturnType<typeof comparable>];
    expect(mine.method).toBe('POST');
    expect(mine.url).toBe(theirs.url);
    expect(mine.headers['x-amz-target']).toBe(`DynamoDB_20120810.${operation.name}`);
    expect(mine.headers).toEqual(theirs.headers);
    expect(mine.json).toEqual(theirs.json);
    expect(withoutMetadata(ourOutput as object)).toEqual(withoutMetadata(sdkOutput as object));
  });

  it('signs what the SDK signs: the same headers give the same signature', async () => {
    // Prepare: the SDK's request without its bookkeeping headers, signed again at our request's date
    await sdkDocuments().send(new sdk.GetCommand({ TableName: 'kyc', Key: KEY }));
    await ourDocuments().send(new ours.GetCommand({ TableName: 'kyc', Key: KEY }));
    const [theirs, mine] = wire.seen as [Recorded, Recorded];
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(theirs.headers)) {
      if (!SDK_BOOKKEEPING.includes(name) && typeof value === 'string') headers[name] = value;
    }
    const date = String(mine.headers['x-amz-date']);
    const signingDate = new Date(
      `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
    );

    // Act
    const resigned = await new SignatureV4({
      credentials,
      region: 'eu-west-1',
      service: 'dynamodb',
      sha256: Sha256,
    }).sign(
      new HttpRequest({
        protocol: 'http:',
        hostname: '127.0.0.1',
        method: 'POST',
        path: '/',
        headers,
        body: theirs.body,
      }),
      { signingDate },
    );

    // Assess
    expect(mine.headers.authorization).toBe(resigned.headers.authorization);
    expect(mine.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$/,
    );
  });
});

describe('DynamoDocumentClient errors and retries', () => {
  const error = (status: number, type: string, extra: object = {}, headers: Record<string, string> = {}): Reply => ({
    status,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'req-e', ...headers },
    body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: `${type} happened`, ...extra }),
  });

  it('names a conditional failure as the SDK does, and does not retry it', async () => {
    // Prepare
    scripted(error(400, 'ConditionalCheckFailedException'), error(400, 'ConditionalCheckFailedException'));

    // Act
    const sdkError = await failure(sdkDocuments().send(new sdk.GetCommand({ TableName: 'kyc', Key: KEY })));
    const ourError = await failure(ourDocuments().send(new ours.GetCommand({ TableName: 'kyc', Key: KEY })));

    // Assess
    expect(wire.seen).toHaveLength(2);
    expect(ourError.name).toBe(sdkError.name);
    expect(ourError.name).toBe('ConditionalCheckFailedException');
    expect(ourError.message).toBe(sdkError.message);
    expect(ourError.$metadata.httpStatusCode).toBe(400);
    expect(ourError.$metadata).toMatchObject({ requestId: 'req-e' });
  });

  it('keeps a cancelled transaction’s reasons, as the SDK does', async () => {
    // Prepare
    const reasons = [{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }];
    const cancelled = error(400, 'TransactionCanceledException', { CancellationReasons: reasons });
    scripted(cancelled, cancelled);
    const input = { TransactItems: [{ Put: { TableName: 'kyc', Item: KEY } }] };

    // Act
    const sdkError = await failure(sdkDocuments().send(new sdk.TransactWriteCommand(input)));
    const ourError = await failure(ourDocuments().send(new ours.TransactWriteCommand(input)));

    // Assess
    expect(ourError.name).toBe('TransactionCanceledException');
    expect(ourError.CancellationReasons).toEqual(sdkError.CancellationReasons);
    expect(ourError.CancellationReasons).toEqual(reasons);
  });

  it('reads the code from X-Amzn-ErrorType first, without its namespace or its suffix', async () => {
    // Prepare
    scripted({
      status: 400,
      headers: { 'x-amzn-errortype': 'ResourceNotFoundException:http://internal.amazon.com/coral/' },
      body: '{"message":"Requested resource not found"}',
    });

    // Act
    const caught = await failure(ourDocuments().send(new ours.GetCommand({ TableName: 'missing', Key: KEY })));

    // Assess
    expect(caught.name).toBe('ResourceNotFoundException');
    expect(caught.message).toBe('Requested resource not found');
  });

  it('retries throttling, a dropped connection and a 500, then succeeds', async () => {
    // Prepare
    scripted(error(400, 'ProvisionedThroughputExceededException'), 'drop');

    // Act
    const first = await ourDocuments().send(new ours.GetCommand({ TableName: 'kyc', Key: KEY }));
    const afterThrottle = wire.seen.length;
    scripted(error(500, 'InternalServerError'));
    const second = await ourDocuments().send(new ours.GetCommand({ TableName: 'kyc', Key: KEY }));

    // Assess
    expect(afterThrottle).toBe(3);
    expect(wire.seen).toHaveLength(5);
    expect(first.Item?.pk).toBe('V#v-1');
    expect(second.Item?.version).toBe(7);
  });

  it('gives up after the attempts allowed, with the last error', async () => {
    // Prepare
    scripted(
      error(400, 'ThrottlingException'),
      error(400, 'ThrottlingException'),
      error(400, 'ThrottlingException', {}, { 'x-amzn-requestid': 'req-last' }),
    );

    // Act
    const caught = await failure(ourDocuments(3).send(new ours.GetCommand({ TableName: 'kyc', Key: KEY })));

    // Assess
    expect(wire.seen).toHaveLength(3);
    expect(caught.name).toBe('ThrottlingException');
    expect(caught.$metadata.requestId).toBe('req-last');
  });

  it('fails a success answer that is not JSON without retrying it, as the SDK does', async () => {
    // Prepare: the write may have happened; only the answer was cut
    scripted({ status: 200, body: '{"Attributes": {"hits"' }, { status: 200, body: '{"Attributes": {"hits"' });
    const input = {
      TableName: 'kyc',
      Key: KEY,
      UpdateExpression: 'ADD hits :one',
      ExpressionAttributeValues: { ':one': 1 },
    };

    // Act
    const sdkError = await failure(sdkDocuments().send(new sdk.UpdateCommand(input)));
    const ourError = await failure(ourDocuments().send(new ours.UpdateCommand(input)));

    // Assess
    expect(wire.seen).toHaveLength(2);
    expect(ourError.name).toBe(sdkError.name);
    expect(ourError.name).toBe('SyntaxError');
  });

  it('does not let an error body overwrite what the error is', async () => {
    // Prepare
    scripted(error(400, 'ValidationException', { name: 'Approved', $metadata: { httpStatusCode: 200 }, stack: 'x' }));

    // Act
    const caught = await failure(ourDocuments().send(new ours.GetCommand({ TableName: 'kyc', Key: KEY })));

    // Assess
    expect(caught.name).toBe('ValidationException');
    expect(caught.$metadata.httpStatusCode).toBe(400);
    expect(caught.stack).not.toBe('x');
  });
});

describe('serviceContextFromEnv', () => {
  const base = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's' };

  it('honours the endpoint settings the SDK honours, in its order', () => {
    expect(serviceContextFromEnv(DYNAMODB, base).endpoint).toBeUndefined();
    expect(serviceContextFromEnv(DYNAMODB, { ...base, AWS_ENDPOINT_URL: 'http://all:1' }).endpoint).toBe(
      'http://all:1',
    );
    expect(
      serviceContextFromEnv(DYNAMODB, {
        ...base,
        AWS_ENDPOINT_URL: 'http://all:1',
        AWS_ENDPOINT_URL_DYNAMODB: 'http://ddb:2',
      }).endpoint,
    ).toBe('http://ddb:2');
    expect(
      serviceContextFromEnv(DYNAMODB, {
        ...base,
        AWS_ENDPOINT_URL_DYNAMODB: 'http://ddb:2',
        AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
      }).endpoint,
    ).toBeUndefined();
    expect(serviceContextFromEnv(DYNAMODB, { AWS_DEFAULT_REGION: 'cn-north-1' }).region).toBe('cn-north-1');
  });

  it('refuses FIPS and dual-stack endpoints by name, and a missing region', () => {
    expect(() => serviceContextFromEnv(DYNAMODB, { ...base, AWS_USE_FIPS_ENDPOINT: 'true' })).toThrow(
      AwsEndpointNotSupportedError,
    );
    expect(() => serviceContextFromEnv(DYNAMODB, { ...base, AWS_USE_DUALSTACK_ENDPOINT: 'TRUE' })).toThrow(
      /AWS_USE_DUALSTACK_ENDPOINT/,
    );
    expect(() => serviceContextFromEnv(DYNAMODB, {})).toThrow(/AWS_REGION/);
  });

  it("sends to the region's DynamoDB host when no endpoint is set, in the region's partition", async () => {
    // Prepare: an HTTP handler that records where the request would go
    const hosts: string[] = [];
    const handler = {
      handle: async (request: HttpRequest) => {
        hosts.push(`${request.protocol}//${request.hostname}${request.path}`);
        const { Readable } = await import('node:stream');
        return { response: { statusCode: 200, headers: {}, body: Readable.from(['{}']) } };
      },
      destroy: () => undefined,
    };

    // Act
    for (const region of ['eu-west-1', 'cn-north-1', 'us-gov-west-1']) {
      await new ours.DynamoDocumentClient({
        context: { region, credentials },
        httpHandler: handler as never,
      }).send(new ours.GetCommand({ TableName: 'kyc', Key: KEY }));
    }

    // Assess
    expect(hosts).toEqual([
      'https://dynamodb.eu-west-1.amazonaws.com/',
      'https://dynamodb.cn-north-1.amazonaws.com.cn/',
      'https://dynamodb.us-gov-west-1.amazonaws.com/',
    ]);
  });
});
