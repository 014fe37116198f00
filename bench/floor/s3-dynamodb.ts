/**
 * Floor of a lean function's bundle (`npm run bench -- bundles`): one S3 read and one DynamoDB
 * read, with the Powertools Logger and middy; nothing else. Through the functions' own clients
 * (`lambdas/adapters/aws/s3-rest-client.ts`, `dynamodb-documents.ts`), as the functions call them.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import { DynamoDocumentClient, GetCommand } from '../../lambdas/adapters/aws/dynamodb-documents.ts';
import { S3RestClient } from '../../lambdas/adapters/aws/s3-rest-client.ts';

const logger = new Logger({ serviceName: 'floor' });
const documents = new DynamoDocumentClient();
const s3 = new S3RestClient();

export const handler = middy(async (event: { id: string }) => {
  const { Item } = await documents.send(new GetCommand({ TableName: 'floor', Key: { pk: event.id } }));
  const object = await s3.getObject({ Bucket: 'floor', Key: event.id });
  object.Body.resume();
  logger.info('read', { found: Item !== undefined, bytes: object.ContentLength });
  return Item;
});
