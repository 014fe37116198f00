/**
 * For comparison with `dynamodb-read.ts` (`npm run bench -- bundles`): one DynamoDB read through
 * the SDK's own document client (`@aws-sdk/lib-dynamodb` over `@aws-sdk/client-dynamodb`), as the
 * repositories made it before they had their own client, with the Powertools Logger and middy.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';

const logger = new Logger({ serviceName: 'floor' });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = middy(async (event: { id: string }) => {
  const { Item } = await documents.send(new GetCommand({ TableName: 'floor', Key: { pk: event.id } }));
  logger.info('read', { found: Item !== undefined });
  return Item;
});
