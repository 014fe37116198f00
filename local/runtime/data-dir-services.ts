/**
 * The local AWS services holding one data folder's state, for operator commands
 * (`kyc audit ...`): the running runtime's servers when it is up (from `runtime.json`), else
 * DynamoDB Local, S3, KMS and Rekognition (its face collections) started on the same folder for
 * the command's duration.
 *
 * @example
 * ```ts
 * const services = await openDataDirServices('.local-data');
 * try { await new DynamoDBClient(localClientConfig(services.endpoints.dynamodb)).send(...); }
 * finally { await services.close(); }
 * ```
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ENV } from '../../lambdas/adapters/aws/environment.ts';
import { startDynamoDbLocal } from '../aws/dynamodb-local.ts';
import { startKmsServer } from '../aws/kms-server.ts';
import { LivenessCompletionDeniedError, startRekognitionServer } from '../aws/rekognition-server.ts';
import { startLocalS3 } from '../aws/s3.ts';
import { isRuntimeAlive, readRuntimeManifest, type RuntimeManifest } from './runtime-manifest.ts';

export interface DataDirServices {
  readonly dataDir: string;
  readonly region: string;
  readonly endpoints: {
    readonly dynamodb: string;
    readonly s3: string;
    readonly kms: string;
    /** The local Rekognition (its face collections), when the command asked for it. */
    readonly rekognition?: string;
  };
  /** Table and bucket names and key ARNs, as the functions see them. */
  readonly environment: Readonly<Record<string, string>>;
  /** True when these are the running runtime's servers (stream records are archived by it). */
  readonly attached: boolean;
  close(): Promise<void>;
}

/** No runtime ever ran on the folder: there is nothing to check. */
export class NoLocalDataError extends Error {
  public constructor(dataDir: string) {
    super(`${dataDir} holds no local runtime data (start it once with "kyc local --data-dir ${dataDir}")`);
    this.name = 'NoLocalDataError';
  }
}

export async function openDataDirServices(
  dataDirInput: string,
  options: { readonly rekognition?: boolean } = {},
): Promise<DataDirServices> {
  const dataDir = resolve(dataDirInput);
  const manifest: RuntimeManifest | undefined = existsSync(dataDir) ? readRuntimeManifest(dataDir) : undefined;
  if (!manifest) throw new NoLocalDataError(dataDir);
  const { region, environment } = manifest;
  if (isRuntimeAlive(manifest) && manifest.endpoints.kms && (!options.rekognition || manifest.endpoints.rekognition)) {
    const { dynamodb, s3, kms, rekognition } = manifest.endpoints;
    return {
      dataDir,
      region,
      endpoints: { dynamodb, s3, kms, ...(options.rekognition && rekognition ? { rekognition } : {}) },
      environment,
      attached: true,
      close: async () => {},
    };
  }
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const closer of closers.splice(0).reverse()) await closer().catch(() => undefined);
  };
  try {
    const dynamo = await startDynamoDbLocal({ dbPath: join(dataDir, 'dynamodb') });
    closers.push(() => dynamo.stop());
    const buckets = [ENV.intakeBucket, ENV.vaultBucket, ENV.auditArchiveBucket]
      .map((name) => environment[name])
      .filter((name): name is string => typeof name === 'string');
    const s3 = await startLocalS3({
      directory: join(dataDir, 's3'),
      buckets,
      region,
      // The same Object Lock state the runtime enforces: a stopped runtime's data stays locked.
      ...(manifest.objectLockedBuckets
        ? { objectLock: { stateFile: join(dataDir, 's3-object-lock.json'), buckets: manifest.objectLockedBuckets } }
        : {}),
    });
    closers.push(() => s3.stop());
    const kms = await startKmsServer({ dataDir: join(dataDir, 'kms'), region });
    closers.push(() => kms.stop());
    // Face collections only (the face engine loads on a first image, which no command sends);
    // started for the commands that remove faces.
    const rekognition = options.rekognition
      ? await startRekognitionServer({
          dataDir: join(dataDir, 'rekognition'),
          region,
          authorizeLivenessCompletion: () => {
            throw new LivenessCompletionDeniedError(404, 'operator commands complete no liveness session');
          },
        })
      : undefined;
    if (rekognition) closers.push(() => rekognition.stop());
    return {
      dataDir,
      region,
      endpoints: {
        dynamodb: dynamo.endpoint,
        s3: s3.endpoint,
        kms: kms.endpoint,
        ...(rekognition ? { rekognition: rekognition.endpoint } : {}),
      },
      environment,
      attached: false,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
