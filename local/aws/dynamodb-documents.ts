/**
 * Document clients for the repositories (`DynamoDocuments`) outside a function: the functions'
 * own client pointed at a local DynamoDB, or any SDK `DynamoDBClient` (a command-line tool with
 * the AWS profile's credentials, a test's mocked client) behind the same `send`.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  ExecuteStatementCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  DynamoDocumentClient,
  type DocumentCommand,
  type DocumentOperation,
  type DynamoDocuments,
} from '../../lambdas/adapters/aws/dynamodb-documents.ts';
import { localClientConfig, LOCAL_REGION } from './client-config.ts';

/**
 * The functions' document client against a local DynamoDB (the local servers' credentials).
 *
 * @example
 * const repository = new VerificationRepository({ tableName, client: localDynamoDocuments(ddb.endpoint) });
 */
export function localDynamoDocuments(
  endpoint: string,
  region: string = LOCAL_REGION,
  maxAttempts: number = localClientConfig(endpoint, region).maxAttempts,
): DynamoDocumentClient {
  const { credentials } = localClientConfig(endpoint, region);
  return new DynamoDocumentClient({ context: { region, endpoint, credentials }, maxAttempts });
}

const SDK_COMMANDS = {
  GetItem: GetCommand,
  PutItem: PutCommand,
  UpdateItem: UpdateCommand,
  DeleteItem: DeleteCommand,
  Query: QueryCommand,
  TransactWriteItems: TransactWriteCommand,
  ExecuteStatement: ExecuteStatementCommand,
} as const satisfies Record<DocumentOperation, unknown>;

/**
 * The repositories' document commands sent through the SDK's `DynamoDBDocumentClient` over
 * `client` (undefined values left out, as the functions' client does).
 *
 * @example
 * const records = new EvidenceAccessRepository({ tableName, client: sdkDocuments(new DynamoDBClient({ region })) });
 */
export function sdkDocuments(client: DynamoDBClient): DynamoDocuments {
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    async send<O>(command: DocumentCommand<object, O>): Promise<O> {
      const SdkCommand = SDK_COMMANDS[command.operation] as new (input: object) => Parameters<typeof documents.send>[0];
      return (await documents.send(new SdkCommand(command.input))) as O;
    },
  };
}
