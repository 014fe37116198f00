/** DynamoDB Local with the intake's tables created from the key design in `domain/tables.ts`. */
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { localClientConfig } from '../../../local/aws/client-config.ts';
import { localDynamoDocuments } from '../../../local/aws/dynamodb-documents.ts';
import type { DocumentCommand, DynamoDocuments } from '../../../lambdas/adapters/aws/dynamodb-documents.ts';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../../local/aws/dynamodb-local.ts';
import { TABLE_KEYS } from '../../../lambdas/domain/tables.ts';

export interface DynamoFixture {
  readonly server: DynamoDbLocal;
  /** The SDK's client (tables, raw reads). */
  readonly client: DynamoDBClient;
  /** The functions' document client for the repositories; every command it sends is recorded in `sent`. */
  readonly documents: DynamoDocuments;
  readonly sent: Array<{ readonly operation: string; readonly input: Record<string, unknown> }>;
  readonly tables: { verifications: string; rateLimits: string; auditEvents: string };
}

export async function startDynamoFixture(): Promise<DynamoFixture> {
  const server = await startDynamoDbLocal();
  const client = new DynamoDBClient({ ...localClientConfig(server.endpoint), maxAttempts: 5 });
  const tables = { verifications: 'verifications', rateLimits: 'rateLimits', auditEvents: 'auditEvents' };
  const v = TABLE_KEYS.verifications;
  const indexes = Object.entries(v.indexes).map(([name, keys]) => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: keys.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: keys.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  }));
  const inputs: CreateTableCommandInput[] = [
    {
      TableName: tables.verifications,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: v.partitionKey, KeyType: 'HASH' },
        { AttributeName: v.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        v.partitionKey,
        v.sortKey,
        ...Object.values(v.indexes).flatMap((i) => [i.partitionKey, i.sortKey]),
      ].map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
      GlobalSecondaryIndexes: indexes,
    },
    {
      TableName: tables.rateLimits,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: TABLE_KEYS.rateLimits.partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: TABLE_KEYS.rateLimits.partitionKey, AttributeType: 'S' }],
    },
    {
      TableName: tables.auditEvents,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: TABLE_KEYS.auditEvents.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.auditEvents.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: TABLE_KEYS.auditEvents.partitionKey, AttributeType: 'S' },
        { AttributeName: TABLE_KEYS.auditEvents.sortKey, AttributeType: 'N' },
      ],
    },
  ];
  try {
    for (const input of inputs) await client.send(new CreateTableCommand(input));
  } catch (error) {
    await server.stop();
    throw error;
  }
  const functions = localDynamoDocuments(server.endpoint, undefined, 5);
  const sent: DynamoFixture['sent'] = [];
  const documents: DynamoDocuments = {
    send<O>(command: DocumentCommand<object, O>): Promise<O> {
      sent.push({ operation: command.operation, input: command.input as Record<string, unknown> });
      return functions.send(command);
    },
  };
  return { server, client, documents, sent, tables };
}
