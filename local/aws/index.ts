/**
 * Local stand-ins for the AWS services serverless-kyc uses, each speaking the real wire
 * protocol so SDK v3 clients (and the AWS CLI) work against them unchanged:
 * DynamoDB Local (Java child), s3rver (in-process), and HTTP servers for KMS and Rekognition.
 *
 * @example
 * const ddb = await startDynamoDbLocal({ dbPath: '.local-data/dynamodb' });
 * const s3 = await startLocalS3({ directory: '.local-data/s3', buckets: ['intake'], onObjectEvent });
 * const kms = await startKmsServer({ dataDir: '.local-data/kms' });
 * const rekognition = await startRekognitionServer({
 *   dataDir: '.local-data/rekognition',
 *   s3Client: new S3Client(localS3ClientConfig(s3.endpoint)),
 * });
 */
export { LOCAL_ACCOUNT_ID, LOCAL_REGION, localClientConfig, localCredentials } from './client-config.ts';
export { startDynamoDbLocal, type DynamoDbLocal, type DynamoDbLocalOptions } from './dynamodb-local.ts';
export { createTablesFromTemplate, type CloudFormationTemplate, type TableNameFor } from './dynamodb-tables.ts';
export { JavaNotFoundError, LocalServerStartError, PortInUseError } from './errors.ts';
export {
  startKmsServer,
  type KmsServer,
  type KmsServerOptions,
  type LocalKeyRef,
  type LocalKeySpec,
} from './kms-server.ts';
export {
  startRekognitionServer,
  type EngineFace,
  type FaceEngine,
  type RekognitionServer,
  type RekognitionServerOptions,
} from './rekognition-server.ts';
export { localS3ClientConfig, startLocalS3, type LocalS3, type LocalS3Options, type S3ObjectEvent } from './s3.ts';
