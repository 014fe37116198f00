/**
 * Floor of a lean function's bundle (`npm run bench -- bundles`): one S3 read and one DynamoDB
 * read, with the Powertools Logger and middy; nothing else. Ten lean functions use S3.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';

const logger = new Logger({ serviceName: 'floor' });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const s3 = new S3Client({});

export const handler = middy(async (event: { id: string }) => {
  const { Item } = await documents.send(new GetCommand({ TableName: 'floor', Key: { pk: event.id } }));
  const object = await s3.send(new GetObjectCommand({ Bucket: 'floor', Key: event.id }));
  logger.info('read', { found: Item !== undefined, bytes: object.ContentLength });
  return Item;
});
