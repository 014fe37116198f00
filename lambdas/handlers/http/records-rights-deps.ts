/**
 * Dependencies of the user-rights routes (`GET /v1/me/data`, `POST /v1/me/erasure`) and of the
 * scheduled deletion job: the lifecycle records, the vault's Object Lock state and deletion,
 * intake leftovers, rate-limit counters, the audit log, the retention years.
 */
import { DynamoDbAuditLog } from '../../adapters/aws/dynamodb-audit-log.ts';
import { configFromEnv, requireEnv } from '../../adapters/aws/environment.ts';
import { DynamoDbRateLimitStore } from '../../adapters/aws/rate-limit-store.ts';
import { RecordsLifecycleRepository } from '../../adapters/aws/records-lifecycle-repository.ts';
import { RekognitionFaceService } from '../../adapters/aws/rekognition-face-service.ts';
import { S3EvidenceLocks } from '../../adapters/aws/s3-evidence-locks.ts';
import { S3IntakeLeftovers, S3VaultDeletion } from '../../adapters/aws/s3-evidence-erasure.ts';
import { S3RestClient } from '../../adapters/aws/s3-rest-client.ts';
import { systemClock } from '../../ports/clock.ts';
import type { RecordsEraserDeps } from '../shared/records-eraser.ts';

/** Days after which a deferred erasure kept by a hold or an open account is looked at again. */
export const ERASURE_RECHECK_DAYS = 7;

export interface RecordsRightsDeps extends RecordsEraserDeps {
  readonly recheckDays: number;
}

/** The erasure route's dependencies (and the deletion job's, without intake and counters). */
export function defaultRecordsRightsDeps(
  env: NodeJS.ProcessEnv = process.env,
  options: { readonly requestScope: boolean } = { requestScope: true },
): RecordsRightsDeps {
  const config = configFromEnv(env);
  const tableName = requireEnv('verificationsTable', env);
  const vaultBucket = requireEnv('vaultBucket', env);
  // One S3 client (one pool of kept-alive connections) for the three S3 ports.
  const client = new S3RestClient();
  return {
    records: new RecordsLifecycleRepository({ tableName }),
    locks: new S3EvidenceLocks({ bucket: vaultBucket, client }),
    vault: new S3VaultDeletion({ bucket: vaultBucket, client }),
    intake: new S3IntakeLeftovers({ bucket: requireEnv('intakeBucket', env), client }),
    ...(options.requestScope
      ? {
          rateLimits: new DynamoDbRateLimitStore({
            tableName: requireEnv('rateLimitsTable', env),
            limits: config.rateLimits,
          }),
        }
      : {}),
    // DeleteFaces sends no image: nothing goes to the processor log.
    faces: new RekognitionFaceService({ collectionId: requireEnv('faceCollectionId', env) }),
    audit: new DynamoDbAuditLog({ tableName: requireEnv('auditTable', env) }),
    clock: systemClock,
    evidenceYears: config.retention.evidenceYears,
    recheckDays: ERASURE_RECHECK_DAYS,
  };
}
