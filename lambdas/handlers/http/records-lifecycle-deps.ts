/**
 * Dependencies of the records-lifecycle routes (account closure, legal hold): the lifecycle
 * records, the vault's Object Lock, the audit log, the retention years of the configuration.
 */
import { configFromEnv, requireEnv } from '../../adapters/aws/environment.ts';
import { DynamoDbAuditLog } from '../../adapters/aws/dynamodb-audit-log.ts';
import { RecordsLifecycleRepository } from '../../adapters/aws/records-lifecycle-repository.ts';
import { S3EvidenceLocks } from '../../adapters/aws/s3-evidence-locks.ts';
import type { AuditLog } from '../../ports/audit-log.ts';
import { systemClock, type Clock } from '../../ports/clock.ts';
import type { EvidenceLocks } from '../../ports/evidence-locks.ts';

export interface RecordsLifecycleDeps {
  readonly records: Pick<
    RecordsLifecycleRepository,
    'recordClosure' | 'verificationIdsOf' | 'verificationOwner' | 'evidenceOf' | 'putLegalHold'
  >;
  readonly locks: EvidenceLocks;
  readonly audit: Pick<AuditLog, 'append'>;
  readonly clock: Clock;
  /** Years evidence is kept after the relationship ends (`retention.evidenceYears`). */
  readonly evidenceYears: number;
}

export function defaultRecordsLifecycleDeps(env: NodeJS.ProcessEnv = process.env): RecordsLifecycleDeps {
  const config = configFromEnv(env);
  return {
    records: new RecordsLifecycleRepository({ tableName: requireEnv('verificationsTable', env) }),
    locks: new S3EvidenceLocks({ bucket: requireEnv('vaultBucket', env) }),
    audit: new DynamoDbAuditLog({ tableName: requireEnv('auditTable', env) }),
    clock: systemClock,
    evidenceYears: config.retention.evidenceYears,
  };
}
