import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../local/aws/client-config.ts';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../../local/aws/dynamodb-local.ts';
import { createTablesFromTemplate, type CloudFormationTemplate } from '../../../local/aws/dynamodb-tables.ts';
import { JavaNotFoundError, PortInUseError } from '../../../local/aws/errors.ts';
import { TABLE_KEYS } from '../../../lambdas/domain/tables.ts';
import { synthKyc } from '../../cdk/synth.ts';

/** Shaped like `cdk synth` output: a TableV2 (GlobalTable) and a Table, with the extras CDK adds. */
const template: CloudFormationTemplate = {
  Resources: {
    VerificationsTable5F0A1B2C: {
      Type: 'AWS::DynamoDB::GlobalTable',
      Properties: {
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'gsi1pk', AttributeType: 'S' },
          { AttributeName: 'gsi1sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byStatus',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        Replicas: [
          {
            DeletionProtectionEnabled: true,
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            Region: { Ref: 'AWS::Region' },
            SSESpecification: { KMSMasterKeyId: { 'Fn::GetAtt': ['DataKey1234', 'Arn'] } },
          },
        ],
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      },
      UpdateReplacePolicy: 'Retain',
      DeletionPolicy: 'Retain',
    },
    RateLimitsTableA1B2C3D4: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: {
          KMSMasterKeyId: { 'Fn::GetAtt': ['DataKey1234', 'Arn'] },
          SSEEnabled: true,
          SSEType: 'KMS',
        },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        TableName: 'kyc-rate-limits',
      },
    },
    DataKey1234: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } },
  },
};

describe('DynamoDB Local launcher', () => {
  let dbPath: string;
  let ddb: DynamoDbLocal;
  let client: DynamoDBClient;

  beforeAll(async () => {
    dbPath = mkdtempSync(join(tmpdir(), 'kyc-ddb-'));
    ddb = await startDynamoDbLocal({ dbPath });
    client = new DynamoDBClient(localClientConfig(ddb.endpoint));
  });

  afterAll(async () => {
    client?.destroy();
    await ddb?.stop();
    rmSync(dbPath, { recursive: true, force: true });
  });

  it('creates every table of a CDK-shaped template with its keys, GSIs and TTL', async () => {
    // Act
    const names = await createTablesFromTemplate(template, client);

    // Assess
    expect(names).toEqual({
      VerificationsTable5F0A1B2C: 'VerificationsTable5F0A1B2C',
      RateLimitsTableA1B2C3D4: 'kyc-rate-limits',
    });
    const { Table: verifications } = await client.send(
      new DescribeTableCommand({ TableName: 'VerificationsTable5F0A1B2C' }),
    );
    expect(verifications?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(verifications?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.KeySchema])).toEqual([
      [
        'byStatus',
        [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
      ],
    ]);
    expect(verifications?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: 'kyc-rate-limits' }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: 'expiresAt', TimeToLiveStatus: 'ENABLED' });
  });

  it('skips tables that already exist and honours nameFor', async () => {
    // Prepare
    await createTablesFromTemplate(template, client);

    // Act
    const again = await createTablesFromTemplate(template, client);
    const prefixed = await createTablesFromTemplate(template, client, (logicalId) => `test-${logicalId}`);

    // Assess
    expect(again.RateLimitsTableA1B2C3D4).toBe('kyc-rate-limits');
    expect(prefixed).toEqual({
      VerificationsTable5F0A1B2C: 'test-VerificationsTable5F0A1B2C',
      RateLimitsTableA1B2C3D4: 'test-RateLimitsTableA1B2C3D4',
    });
  });

  it('adds the GSIs a newer template has to a table made by an older one, keeping its items', async () => {
    // Prepare
    const older = JSON.parse(JSON.stringify(template)) as CloudFormationTemplate;
    await createTablesFromTemplate(older, client, (logicalId) => `grow-${logicalId}`);
    await client.send(
      new PutItemCommand({
        TableName: 'grow-VerificationsTable5F0A1B2C',
        Item: { pk: { S: 'V#1' }, sk: { S: 'R#1' }, gsi4pk: { S: 'QUEUE#standard' }, gsi4sk: { S: '2026#1' } },
      }),
    );
    const newer = JSON.parse(JSON.stringify(template)) as CloudFormationTemplate;
    const properties = newer.Resources!.VerificationsTable5F0A1B2C!.Properties as {
      AttributeDefinitions: unknown[];
      GlobalSecondaryIndexes: unknown[];
    };
    properties.AttributeDefinitions.push(
      { AttributeName: 'gsi4pk', AttributeType: 'S' },
      { AttributeName: 'gsi4sk', AttributeType: 'S' },
    );
    properties.GlobalSecondaryIndexes.push({
      IndexName: 'byQueue',
      KeySchema: [
        { AttributeName: 'gsi4pk', KeyType: 'HASH' },
        { AttributeName: 'gsi4sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    });

    // Act
    await createTablesFromTemplate(newer, client, (logicalId) => `grow-${logicalId}`);
    await createTablesFromTemplate(newer, client, (logicalId) => `grow-${logicalId}`);

    // Assess
    const { Table: table } = await client.send(
      new DescribeTableCommand({ TableName: 'grow-VerificationsTable5F0A1B2C' }),
    );
    expect(table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual(['byQueue', 'byStatus']);
    const queued = await client.send(
      new QueryCommand({
        TableName: 'grow-VerificationsTable5F0A1B2C',
        IndexName: 'byQueue',
        KeyConditionExpression: 'gsi4pk = :q',
        ExpressionAttributeValues: { ':q': { S: 'QUEUE#standard' } },
      }),
    );
    expect(queued.Items?.map((item) => item.pk?.S)).toEqual(['V#1']);
  });

  it('serves transactions and GSI queries on the created tables', async () => {
    // Prepare
    await createTablesFromTemplate(template, client);
    const TableName = 'VerificationsTable5F0A1B2C';

    // Act
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName,
              Item: { pk: { S: 'V#1' }, sk: { S: 'META' }, gsi1pk: { S: 'STATUS#PENDING' }, gsi1sk: { S: 't1#1' } },
            },
          },
          { Put: { TableName, Item: { pk: { S: 'V#1' }, sk: { S: 'A#1' } } } },
        ],
      }),
    );
    const byStatus = await client.send(
      new QueryCommand({
        TableName,
        IndexName: 'byStatus',
        KeyConditionExpression: 'gsi1pk = :status',
        ExpressionAttributeValues: { ':status': { S: 'STATUS#PENDING' } },
      }),
    );

    // Assess
    expect(byStatus.Items?.map((item) => item.pk?.S)).toEqual(['V#1']);
  });

  it('creates the tables of the synthesized data stack with the key design of lambdas/domain/tables.ts', async () => {
    // Prepare
    const template = synthKyc().dataTemplate.toJSON() as CloudFormationTemplate;

    // Act
    const names = await createTablesFromTemplate(template, client, (logicalId) => `synth-${logicalId}`);

    // Assess
    expect(Object.keys(names)).toHaveLength(4);
    const described = await Promise.all(
      Object.values(names).map(async (TableName) => (await client.send(new DescribeTableCommand({ TableName }))).Table),
    );
    const verifications = described.find((table) => table?.GlobalSecondaryIndexes?.length);
    const { indexes, partitionKey, sortKey } = TABLE_KEYS.verifications;
    expect(verifications?.KeySchema).toEqual([
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ]);
    expect(
      Object.fromEntries(
        (verifications?.GlobalSecondaryIndexes ?? []).map((index) => [
          index.IndexName,
          index.KeySchema?.map((key) => key.AttributeName),
        ]),
      ),
    ).toEqual(
      Object.fromEntries(Object.entries(indexes).map(([name, keys]) => [name, [keys.partitionKey, keys.sortKey]])),
    );
  });

  it('listens on 127.0.0.1 only', async () => {
    // Prepare
    const external = Object.values(networkInterfaces())
      .flat()
      .find((address) => address && !address.internal && address.family === 'IPv4')?.address;

    // Act
    const reachableFromOutside = external
      ? await new Promise<boolean>((done) => {
          const socket = connect(ddb.port, external);
          socket.once('connect', () => (socket.destroy(), done(true)));
          socket.once('error', () => done(false));
        })
      : false;

    // Assess
    expect(ddb.loopbackOnly).toBe(true);
    expect(reachableFromOutside).toBe(false);
  });

  it('throws PortInUseError when the requested port is taken', async () => {
    // Prepare
    const blocker: Server = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    // Act
    const start = startDynamoDbLocal({ port });

    // Assess
    await expect(start).rejects.toBeInstanceOf(PortInUseError);
    await new Promise((done) => blocker.close(done));
  });

  it('throws JavaNotFoundError with an actionable message when java is missing', async () => {
    // Act
    const start = startDynamoDbLocal({ java: '/nonexistent/bin/java' });

    // Assess
    await expect(start).rejects.toBeInstanceOf(JavaNotFoundError);
    await expect(start).rejects.toThrow(/Java 17/);
  });

  // Runs last: restarts the shared instance on the same folder.
  it('keeps tables and items across a restart and leaves no process behind', async () => {
    // Prepare
    await createTablesFromTemplate(template, client);
    await client.send(new PutItemCommand({ TableName: 'kyc-rate-limits', Item: { pk: { S: 'ip#1' }, n: { N: '3' } } }));
    const first = ddb;
    client.destroy();
    await first.stop();

    // Act
    ddb = await startDynamoDbLocal({ dbPath });
    client = new DynamoDBClient(localClientConfig(ddb.endpoint));
    const item = await client.send(new GetItemCommand({ TableName: 'kyc-rate-limits', Key: { pk: { S: 'ip#1' } } }));

    // Assess
    expect(item.Item?.n?.N).toBe('3');
    expect(() => process.kill(first.pid, 0)).toThrow();
  });
});
