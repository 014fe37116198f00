/**
 * Credentials and SDK client settings for the local AWS stand-ins.
 *
 * One credential pair works for every local server: s3rver only accepts the access key
 * `S3RVER`, and the other servers (DynamoDB Local with `-sharedDb`, the KMS and Rekognition
 * servers) accept any signature, so the runtime can export a single
 * `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` pair to every handler.
 */

/** The account id the local servers put in ARNs (`arn:aws:kms:<region>:000000000000:key/<id>`). */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** The default region of the local servers and clients. */
export const LOCAL_REGION = 'us-east-1';

/** Static credentials accepted by every local server. */
export const localCredentials = Object.freeze({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });

/** The subset of SDK v3 client configuration the local stand-ins need. */
export interface LocalClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
}

/**
 * Configuration for any SDK v3 client pointed at a local server.
 *
 * @example
 * const kms = new KMSClient(localClientConfig(kmsServer.endpoint));
 */
export function localClientConfig(endpoint: string, region: string = LOCAL_REGION): LocalClientConfig {
  return { endpoint, region, credentials: { ...localCredentials }, maxAttempts: 2 };
}
