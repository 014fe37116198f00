/**
 * `kyc records purge [--data-dir DIR] [--dry-run] [--json]`: runs the deletion job now on the
 * local runtime's data folder, running or not (the runtime also runs it on its own schedule,
 * every `retention.purgeEveryHours`). It deletes evidence whose retention ended and is under no
 * legal hold (vault objects, then their records and index entries, each deletion audited) and
 * carries out deferred erasure requests; the local S3 keeps and enforces Object Lock state, so
 * a locked or held object is never deleted. `--dry-run` reports what would go and changes
 * nothing. Exit 0 done, 2 usage or read error.
 */
import { resolve } from 'node:path';
import { DynamoDbAuditLog } from '../../../lambdas/adapters/aws/dynamodb-audit-log.ts';
import { configFromEnv, ENV } from '../../../lambdas/adapters/aws/environment.ts';
import { REKOGNITION } from '../../../lambdas/adapters/aws/aws-json-client.ts';
import { RecordsLifecycleRepository } from '../../../lambdas/adapters/aws/records-lifecycle-repository.ts';
import { RekognitionFaceService } from '../../../lambdas/adapters/aws/rekognition-face-service.ts';
import { S3EvidenceLocks } from '../../../lambdas/adapters/aws/s3-evidence-locks.ts';
import { S3IntakeLeftovers, S3VaultDeletion } from '../../../lambdas/adapters/aws/s3-evidence-erasure.ts';
import { ERASURE_RECHECK_DAYS } from '../../../lambdas/handlers/http/records-rights-deps.ts';
import { createRecordsPurge, type RecordsPurgeReport } from '../../../lambdas/handlers/scheduled/records-purge.ts';
import { systemClock } from '../../../lambdas/ports/clock.ts';
import { localDynamoDocuments } from '../../aws/dynamodb-documents.ts';
import { localJsonClient } from '../../aws/sdk-calls.ts';
import { localS3RestClient } from '../../aws/s3.ts';
import { openDataDirServices, type DataDirServices } from '../../runtime/data-dir-services.ts';
import { parseCommandArgs } from '../args.ts';
import { EXIT, UsageError, type CliIo } from '../io.ts';

export const RECORDS_USAGE = `Usage: kyc records purge [--data-dir .local-data] [--dry-run] [--json]

purge  runs the deletion job now: deletes evidence whose retention ended and is under no legal
       hold (vault objects, their records and index entries; each deletion audited) and carries
       out deferred erasure requests. Locked or held objects are never deleted.
       --dry-run reports what would be deleted and changes nothing. Exit 0 done, 2 error.`;

function required(services: DataDirServices, name: string): string {
  const value = services.environment[name];
  if (!value) throw new Error(`the local runtime's manifest names no ${name}`);
  return value;
}

function summary(report: RecordsPurgeReport): string {
  const kept = Object.entries(report.kept)
    .map(([reason, count]) => `${count} ${reason}`)
    .join(', ');
  return (
    `${report.dryRun ? 'Dry run: would erase' : 'Erased'} ${report.attemptsErased} attempt(s) ` +
    `(${report.evidenceObjectsDeleted} vault object(s)) and ${report.verificationsErased} verification(s); ` +
    `looked at ${report.closedAccounts} closed account(s), ${report.evidenceOwners} person(s) with old evidence, ` +
    `${report.deferredErasures} deferred erasure(s)` +
    (kept ? `; kept: ${kept}` : '') +
    '.'
  );
}

/** Runs `kyc records`; resolves to the exit code. */
export async function recordsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  if (action === '--help' || action === '-h' || action === 'help') {
    io.out(RECORDS_USAGE);
    return EXIT.ok;
  }
  if (action !== 'purge') throw new UsageError('expected "purge"');
  const { values } = parseCommandArgs(rest, {
    'data-dir': { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.out(RECORDS_USAGE);
    return EXIT.ok;
  }
  const dataDir = resolve(io.cwd, values['data-dir'] ?? '.local-data');
  let services: DataDirServices;
  try {
    services = await openDataDirServices(dataDir, { rekognition: true });
  } catch (error) {
    io.err(`kyc records: ${(error as Error).message}`);
    return EXIT.usage;
  }
  const dynamo = localDynamoDocuments(services.endpoints.dynamodb, services.region);
  const s3 = localS3RestClient(services.endpoints.s3, services.region);
  // openDataDirServices gives the local Rekognition when asked (the running one, or its own).
  const rekognition = localJsonClient(REKOGNITION, services.endpoints.rekognition ?? '', services.region);
  try {
    const config = configFromEnv(services.environment as NodeJS.ProcessEnv);
    const vaultBucket = required(services, ENV.vaultBucket);
    const purge = createRecordsPurge({
      records: new RecordsLifecycleRepository({
        tableName: required(services, ENV.verificationsTable),
        client: dynamo,
      }),
      locks: new S3EvidenceLocks({ bucket: vaultBucket, client: s3 }),
      vault: new S3VaultDeletion({ bucket: vaultBucket, client: s3 }),
      intake: new S3IntakeLeftovers({ bucket: required(services, ENV.intakeBucket), client: s3 }),
      faces: new RekognitionFaceService({
        collectionId: required(services, ENV.faceCollectionId),
        client: rekognition,
      }),
      audit: new DynamoDbAuditLog({ tableName: required(services, ENV.auditTable), client: dynamo }),
      clock: systemClock,
      evidenceYears: config.retention.evidenceYears,
      recheckDays: ERASURE_RECHECK_DAYS,
    });
    const report = await purge({ dryRun: values['dry-run'] === true });
    io.out(values.json ? JSON.stringify(report, null, 2) : summary(report));
    return EXIT.ok;
  } catch (error) {
    io.err(`kyc records purge: ${(error as Error).name}: ${(error as Error).message}`);
    return EXIT.usage;
  } finally {
    dynamo.destroy();
    s3.destroy();
    rekognition.destroy();
    await services.close();
  }
}
