/**
 * Floor of a lean function's bundle (`npm run bench -- bundles`): one DynamoDB read through the
 * document client, as the app's repositories make it, with the Powertools Logger and middy;
 * nothing else. 37 of the 38 lean functions read DynamoDB.
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
