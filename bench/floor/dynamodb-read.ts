/**
 * Floor of a lean function's bundle (`npm run bench -- bundles`): one DynamoDB read through the
 * functions' document client (`lambdas/adapters/aws/dynamodb-documents.ts`), as the app's
 * repositories make it, with the Powertools Logger and middy; nothing else. 37 of the 38 lean
 * functions read DynamoDB.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import { DynamoDocumentClient, GetCommand } from '../../lambdas/adapters/aws/dynamodb-documents.ts';

const logger = new Logger({ serviceName: 'floor' });
const documents = new DynamoDocumentClient();

export const handler = middy(async (event: { id: string }) => {
  const { Item } = await documents.send(new GetCommand({ TableName: 'floor', Key: { pk: event.id } }));
  logger.info('read', { found: Item !== undefined });
  return Item;
});
