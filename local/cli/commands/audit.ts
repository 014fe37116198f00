/**
 * `kyc audit verify [--data-dir DIR] [--subject ID] [--json]` and `kyc audit digest [--data-dir DIR]`
 * (PRODUCT §7) on the local runtime's data folder, running or not.
 *
 * verify checks every per-subject hash chain in the audit table, every archived file against
 * its digest and against the table, every digest's signature (local KMS `Verify`) and the
 * digest chain, and names the first broken link. Exit 0 intact, 1 broken, 2 error.
 * digest archives what the audit stream still holds (when the runtime is not running) and
 * writes the next signed digest now: the local stand-in for the hourly schedule in AWS.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as kmsCommands from '@aws-sdk/client-kms';
import { KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { join, resolve } from 'node:path';
import { ENV } from '../../../lambdas/adapters/aws/environment.ts';
import { KmsDigestSigner } from '../../../lambdas/adapters/aws/kms-digest-signer.ts';
import { sdkCalls } from '../../aws/sdk-calls.ts';
import { S3AuditArchiveStore } from '../../../lambdas/adapters/aws/s3-audit-archive-store.ts';
import {
  ARCHIVE_DIGESTS_PREFIX,
  ARCHIVE_EVENTS_PREFIX,
  ARCHIVE_TAMPER_PREFIX,
  describeProblem,
  verifyAuditTrail,
  type StoredObject,
} from '../../../lambdas/domain/audit-archive.ts';
import type { AuditEvent } from '../../../lambdas/domain/records.ts';
import { createAuditArchiver } from '../../../lambdas/handlers/events/audit-archiver.ts';
import { createAuditDigester } from '../../../lambdas/handlers/scheduled/audit-digest.ts';
import { localClientConfig } from '../../aws/client-config.ts';
import { localS3RestClient } from '../../aws/s3.ts';
import { openDataDirServices, type DataDirServices } from '../../runtime/data-dir-services.ts';
import { DynamoDbStreamPoller } from '../../runtime/events/dynamodb-stream-poller.ts';
import { parseCommandArgs } from '../args.ts';
import { EXIT, terminalSafe, UsageError, type CliIo } from '../io.ts';

export const AUDIT_USAGE = `Usage: kyc audit verify [--data-dir .local-data] [--subject <id>] [--json]
       kyc audit digest [--data-dir .local-data]

verify  checks every audit hash chain, every archived file against its signed digest and the
        table, every digest signature and the digest chain; names the first broken link.
        Exit 0 intact, 1 broken, 2 error.
digest  archives pending audit events and writes the next signed digest now (hourly in AWS).`;

/** Files the running runtime archived in the last two seconds wait for the next digest. */
const ATTACHED_SETTLE_MS = 2_000;

interface AuditClients {
  readonly services: DataDirServices;
  readonly documents: DynamoDBDocumentClient;
  readonly store: S3AuditArchiveStore;
  readonly signer: KmsDigestSigner;
  close(): Promise<void>;
}

function required(services: DataDirServices, name: string): string {
  const value = services.environment[name];
  if (!value) throw new Error(`the local runtime's manifest names no ${name}`);
  return value;
}

async function openClients(dataDir: string): Promise<AuditClients> {
  const services = await openDataDirServices(dataDir);
  const dynamo = new DynamoDBClient(localClientConfig(services.endpoints.dynamodb, services.region));
  const s3 = localS3RestClient(services.endpoints.s3, services.region);
  const kms = new KMSClient(localClientConfig(services.endpoints.kms, services.region));
  return {
    services,
    documents: DynamoDBDocumentClient.from(dynamo),
    store: new S3AuditArchiveStore({ bucket: required(services, ENV.auditArchiveBucket), client: s3 }),
    signer: new KmsDigestSigner({
      keyId: required(services, ENV.auditSigningKeyArn),
      client: sdkCalls(kms, kmsCommands),
    }),
    async close() {
      dynamo.destroy();
      s3.destroy();
      kms.destroy();
      await services.close();
    },
  };
}

async function loadEvents(clients: AuditClients, subject: string | undefined): Promise<AuditEvent[]> {
  const tableName = required(clients.services, ENV.auditTable);
  const events: AuditEvent[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = subject
      ? await clients.documents.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: '#subject = :subject',
            ExpressionAttributeNames: { '#subject': 'subject' },
            ExpressionAttributeValues: { ':subject': subject },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        )
      : await clients.documents.send(
          new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
        );
    events.push(...((page.Items ?? []) as AuditEvent[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return events;
}

async function loadObjects(store: S3AuditArchiveStore, prefix: string): Promise<StoredObject[]> {
  const objects: StoredObject[] = [];
  for (const key of await store.list(prefix)) {
    const body = await store.get(key);
    if (body) objects.push({ key, body });
  }
  return objects;
}

/** Archives what the audit table's stream still holds, as the runtime's poller would. */
async function archivePending(clients: AuditClients): Promise<void> {
  const archive = createAuditArchiver({ store: clients.store, now: () => new Date() });
  const poller = new DynamoDbStreamPoller({
    endpoint: clients.services.endpoints.dynamodb,
    region: clients.services.region,
    tableName: required(clients.services, ENV.auditTable),
    stateDir: join(clients.services.dataDir, 'streams'),
    invoke: (event) => archive(event as never),
  });
  try {
    await poller.drain();
  } finally {
    await poller.stop();
  }
}

async function verify(clients: AuditClients, subject: string | undefined, json: boolean, io: CliIo): Promise<number> {
  const [events, files, digests, tamperRecords] = await Promise.all([
    loadEvents(clients, subject),
    loadObjects(clients.store, ARCHIVE_EVENTS_PREFIX),
    loadObjects(clients.store, ARCHIVE_DIGESTS_PREFIX),
    loadObjects(clients.store, ARCHIVE_TAMPER_PREFIX),
  ]);
  const report = await verifyAuditTrail({
    events,
    files,
    digests,
    tamperRecords,
    verifySignature: (message, signature) => clients.signer.verify(message, signature),
    ...(subject ? { subject } : {}),
  });
  if (subject && report.checked.subjects === 0 && report.checked.events === 0) {
    // Nothing was checked: a mistyped subject must not read as an intact trail.
    io.err(`kyc audit verify: no audit events for subject "${subject}" (subjects look like verification:<id>)`);
    return EXIT.usage;
  }
  if (json) {
    io.out(JSON.stringify(report, null, 2));
    return report.intact ? EXIT.ok : EXIT.failure;
  }
  const { checked } = report;
  const summary =
    `${checked.subjects} subject chain(s), ${checked.events} event(s), ${checked.files} archived file(s), ` +
    `${checked.digests} signed digest(s)` +
    (checked.pendingFiles > 0 ? `; ${checked.pendingFiles} file(s) newer than the last digest` : '');
  if (report.intact) {
    io.out(`Audit trail intact: ${summary}.`);
    return EXIT.ok;
  }
  const [first, ...rest] = report.problems;
  io.out(`Audit trail BROKEN. First broken link: ${terminalSafe(describeProblem(first!))}`);
  for (const problem of rest.slice(0, 20)) io.out(`  also: ${terminalSafe(describeProblem(problem))}`);
  if (rest.length > 20) io.out(`  ... and ${rest.length - 20} more`);
  io.out(`Checked ${summary}.`);
  return EXIT.failure;
}

/** Runs `kyc audit`; resolves to the exit code. */
export async function auditCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  if (action === '--help' || action === '-h' || action === 'help') {
    io.out(AUDIT_USAGE);
    return EXIT.ok;
  }
  if (action !== 'verify' && action !== 'digest') throw new UsageError('expected "verify" or "digest"');
  const { values } = parseCommandArgs(rest, {
    'data-dir': { type: 'string' },
    subject: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.out(AUDIT_USAGE);
    return EXIT.ok;
  }
  if (action === 'digest' && (values.subject !== undefined || values.json)) {
    throw new UsageError('digest takes only --data-dir');
  }
  const dataDir = resolve(io.cwd, values['data-dir'] ?? '.local-data');
  let clients: AuditClients;
  try {
    clients = await openClients(dataDir);
  } catch (error) {
    io.err(`kyc audit: ${(error as Error).message}`);
    return EXIT.usage;
  }
  try {
    if (action === 'verify') return await verify(clients, values.subject, values.json === true, io);
    // Not running: archive what the stream still holds. Running: its poller archives within a
    // second; wait out the settling time so everything archived before this command is listed.
    if (!clients.services.attached) await archivePending(clients);
    else await new Promise((done) => setTimeout(done, ATTACHED_SETTLE_MS));
    const digest = await createAuditDigester({
      store: clients.store,
      signer: clients.signer,
      now: () => new Date(),
      settleMs: clients.services.attached ? ATTACHED_SETTLE_MS : 0,
    })();
    io.out(`Signed digest ${digest.key}: ${digest.files} new archived file(s), ${digest.heads} chain head(s).`);
    return EXIT.ok;
  } catch (error) {
    io.err(`kyc audit ${action}: ${(error as Error).message}`);
    return EXIT.usage;
  } finally {
    await clients.close();
  }
}
