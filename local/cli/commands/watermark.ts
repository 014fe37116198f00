/**
 * `kyc watermark trace <image> [--data-dir <dir>] [--region <region> [--prefix kyc]] [--json]`
 * (PRODUCT §7): reads the invisible watermark of an image, looks the access up and prints who
 * viewed (or exported) which document of which case, when, why and from where; or says plainly
 * that the image carries no mark of ours. Exit 0 found, 1 not found, 2 usage or read error.
 *
 * Where the records come from:
 * - locally (default): the runtime running on `--data-dir` (`.local-data`), through the
 *   endpoints in its `runtime.json`; when it is stopped, DynamoDB Local and the KMS server are
 *   started on that folder for the lookup (`openDataDirServices`, shared with `kyc audit`);
 * - in AWS (`--region`): the caller's credentials, the data stack's verifications and audit
 *   tables (`<prefix>-data-TablesVerifications...`, `...TablesAuditEvents...`) and the HMAC key
 *   `alias/<prefix>/document-number-hmac`. The caller needs dynamodb:GetItem/Query/ListTables on
 *   those tables and kms:GenerateMac on that key, nothing else.
 *
 * @example
 * ```bash
 * npx kyc watermark trace leaked.jpg --data-dir .local-data
 * npx kyc watermark trace leaked.jpg --region eu-west-1 --prefix kyc --json
 * ```
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import * as kmsCommands from '@aws-sdk/client-kms';
import { KMSClient } from '@aws-sdk/client-kms';
import sharp from 'sharp';
import { DynamoDbAuditLog } from '../../../lambdas/adapters/aws/dynamodb-audit-log.ts';
import { sdkDocuments } from '../../aws/dynamodb-documents.ts';
import { sdkCalls } from '../../aws/sdk-calls.ts';
import { ENV } from '../../../lambdas/adapters/aws/environment.ts';
import { EvidenceAccessRepository } from '../../../lambdas/adapters/aws/evidence-access-repository.ts';
import { KmsWatermarkKey } from '../../../lambdas/adapters/aws/kms-watermark-key.ts';
import type { AccessRecord } from '../../../lambdas/domain/evidence-access.ts';
import type { AuditEvent } from '../../../lambdas/domain/records.ts';
import { KeyedWatermarker } from '../../../lambdas/rendition/kms-watermarker.ts';
import { WatermarkImageError } from '../../../lambdas/watermark/index.ts';
import { localClientConfig } from '../../aws/client-config.ts';
import { NoLocalDataError, openDataDirServices } from '../../runtime/data-dir-services.ts';
import { parseCommandArgs } from '../args.ts';
import { EXIT, terminalSafe, UsageError, type CliIo } from '../io.ts';

export const WATERMARK_USAGE = `Usage: kyc watermark trace <image> [--data-dir <dir>] [--json]
       kyc watermark trace <image> --region <region> [--prefix kyc] [--json]

Names the access (who, which document of which case, when, why) whose invisible watermark the
image carries, or says that it carries none of ours. Exit 0 found, 1 not found, 2 error.

Options:
  --data-dir <dir>   Local data folder (.local-data); uses the runtime running there, or its files
  --region <region>  Look up in AWS with your credentials instead of the local runtime
  --prefix <prefix>  Installation prefix of the stacks in AWS (kyc)
  --json             Print the result as JSON`;

/** What a trace found. */
export type TraceResult =
  | { readonly found: false; readonly why: 'no_mark' }
  | { readonly found: false; readonly why: 'unknown_access'; readonly accessId: string; readonly syncScore: number }
  | {
      readonly found: true;
      readonly accessId: string;
      readonly syncScore: number;
      readonly access: AccessRecord;
      readonly auditEvent?: AuditEvent;
    };

/** Where the trace reads: KMS for the MAC key, DynamoDB for the access and audit records. */
export interface TraceSources {
  readonly kms: KMSClient;
  readonly dynamodb: DynamoDBClient;
  readonly hmacKeyId: string;
  readonly verificationsTable: string;
  readonly auditTable: string;
  close(): Promise<void>;
}

/**
 * Traces one image against the given records.
 *
 * @example
 * ```ts
 * const result = await traceImage(readFileSync('leak.jpg'), sources);
 * if (result.found) console.log(result.access.actor, result.access.reason);
 * ```
 */
export async function traceImage(image: Buffer, sources: TraceSources): Promise<TraceResult> {
  const watermarker = new KeyedWatermarker(
    new KmsWatermarkKey({ keyId: sources.hmacKeyId, client: sdkCalls(sources.kms, kmsCommands) }),
  );
  const mark = await watermarker.detect(image);
  if (!mark) return { found: false, why: 'no_mark' };
  const records = new EvidenceAccessRepository({
    tableName: sources.verificationsTable,
    client: sdkDocuments(sources.dynamodb),
  });
  const access = await records.getAccess(mark.accessId);
  if (!access) return { found: false, why: 'unknown_access', ...mark };
  const audit = new DynamoDbAuditLog({ tableName: sources.auditTable, client: sdkDocuments(sources.dynamodb) });
  const auditEvent = (await audit.list(access.auditSubject)).find((event) => event.sequence === access.auditSequence);
  return { found: true, ...mark, access, ...(auditEvent ? { auditEvent } : {}) };
}

export async function watermarkCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h') {
    io.out(WATERMARK_USAGE);
    return EXIT.ok;
  }
  if (sub !== 'trace') throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'missing subcommand "trace"');
  const { values, positionals } = parseCommandArgs(
    rest,
    {
      'data-dir': { type: 'string' },
      region: { type: 'string' },
      prefix: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    io.out(WATERMARK_USAGE);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError('give exactly one image file');
  if (values.region && values['data-dir']) throw new UsageError('--region and --data-dir exclude each other');
  const file = resolve(io.cwd, positionals[0]!);
  let image: Buffer;
  try {
    image = readFileSync(file);
  } catch (error) {
    io.err(`kyc watermark: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    return EXIT.usage;
  }

  try {
    await sharp(image).metadata();
  } catch {
    io.err(`kyc watermark: ${file} is not an image (JPEG, PNG or another format sharp decodes)`);
    return EXIT.usage;
  }

  const sources = values.region
    ? await awsSources(values.region, values.prefix ?? 'kyc')
    : await localSources(resolve(io.cwd, values['data-dir'] ?? '.local-data'));
  let result: TraceResult;
  try {
    result = await traceImage(image, sources);
  } catch (error) {
    if (error instanceof WatermarkImageError) {
      io.err(`kyc watermark: ${file} cannot be read as an image (${error.message})`);
      return EXIT.usage;
    }
    throw error;
  } finally {
    await sources.close();
  }
  io.out(values.json ? JSON.stringify(result, null, 2) : describe(result));
  return result.found ? EXIT.ok : EXIT.failure;
}

/** The result in plain words; every stored text printed through `terminalSafe`. */
export function describe(result: TraceResult): string {
  const safe = (text: string | number): string => terminalSafe(String(text));
  if (!result.found && result.why === 'no_mark') {
    return (
      'No watermark of ours: this image was not produced by a document view or export of this installation ' +
      '(or it was altered beyond what the mark survives).'
    );
  }
  if (!result.found) {
    return (
      `The image carries a valid mark of this installation (access ${result.accessId}), but no access record ` +
      'with that id exists: the record may have been removed or belongs to another data folder.'
    );
  }
  const { access, auditEvent } = result;
  const what =
    access.kind === 'document_view'
      ? `viewed document ${safe(access.slot ?? '?')} of case ${safe(access.verificationIds.join(', '))}`
      : access.kind === 'subject_access'
        ? `downloaded their own data (cases ${access.verificationIds.join(', ') || 'none'})`
        : `exported cases ${safe(access.verificationIds.join(', '))} (export ${safe(access.exportId ?? '?')}, approved by ${safe(access.approvedBy ?? '?')})`;
  const lines = [
    `Watermark found: access ${result.accessId} (sync score ${result.syncScore.toFixed(1)})`,
    `  Who:   ${safe(access.actor)} (${safe(access.actorRole)}) ${what}`,
    `  When:  ${safe(access.at)}`,
    `  Why:   ${safe(access.reason)}`,
  ];
  const from = [
    access.sourceIp ? `source IP ${safe(access.sourceIp)}` : undefined,
    access.userAgent ? `user agent "${safe(access.userAgent)}"` : undefined,
    access.requestId ? `request ${safe(access.requestId)}` : undefined,
  ].filter(Boolean);
  if (from.length > 0) lines.push(`  From:  ${from.join(', ')}`);
  if (access.vaultKey) {
    lines.push(
      `  Vault: ${safe(access.vaultKey)}${access.vaultVersionId ? ` (version ${safe(access.vaultVersionId)})` : ''}`,
    );
  }
  lines.push(
    `  Audit: ${safe(access.auditSubject)} #${access.auditSequence}${auditEvent ? ` (${safe(auditEvent.action)}, hash ${auditEvent.hash.slice(0, 16)}...)` : ' (event not found)'}`,
  );
  return lines.join('\n');
}

async function localSources(dataDir: string): Promise<TraceSources> {
  // The runtime's own servers when it runs on that folder, else DynamoDB Local and KMS on it.
  let services;
  try {
    services = await openDataDirServices(dataDir);
  } catch (error) {
    if (error instanceof NoLocalDataError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  const kms = new KMSClient(localClientConfig(services.endpoints.kms, services.region));
  const dynamodb = new DynamoDBClient(localClientConfig(services.endpoints.dynamodb, services.region));
  return {
    kms,
    dynamodb,
    hmacKeyId: requireResource(services.environment, ENV.hmacKeyArn),
    verificationsTable: requireResource(services.environment, ENV.verificationsTable),
    auditTable: requireResource(services.environment, ENV.auditTable),
    close: async () => {
      kms.destroy();
      dynamodb.destroy();
      await services.close();
    },
  };
}

/**
 * Record sources in AWS for `region`: the caller's credentials, the data stack's tables found by
 * their CloudFormation names (`<prefix>-data-TablesVerifications...`), the HMAC key by alias.
 *
 * @example
 * ```ts
 * const sources = await awsSources('eu-west-1', 'kyc');
 * ```
 */
export async function awsSources(
  region: string,
  prefix: string,
  clients: { kms?: KMSClient; dynamodb?: DynamoDBClient } = {},
): Promise<TraceSources> {
  if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(region)) throw new UsageError(`--region "${region}" is not a region`);
  if (!/^[a-z][a-z0-9-]{1,20}$/.test(prefix)) throw new UsageError(`--prefix "${prefix}" is not a prefix`);
  const kms = clients.kms ?? new KMSClient({ region });
  const dynamodb = clients.dynamodb ?? new DynamoDBClient({ region });
  const tables = await listTables(dynamodb, `${prefix}-data-`);
  const find = (logicalPrefix: string): string => {
    const matches = tables.filter((name) => name.startsWith(`${prefix}-data-${logicalPrefix}`));
    if (matches.length !== 1) {
      throw new Error(`expected one table ${prefix}-data-${logicalPrefix}* in ${region}, found ${matches.length}`);
    }
    return matches[0]!;
  };
  return {
    kms,
    dynamodb,
    hmacKeyId: `alias/${prefix}/document-number-hmac`,
    verificationsTable: find('TablesVerifications'),
    auditTable: find('TablesAuditEvents'),
    close: async () => {
      kms.destroy();
      dynamodb.destroy();
    },
  };
}

async function listTables(client: DynamoDBClient, startingWith: string): Promise<string[]> {
  const names: string[] = [];
  let start: string | undefined;
  do {
    const output = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start, Limit: 100 }));
    names.push(...(output.TableNames ?? []).filter((name) => name.startsWith(startingWith)));
    start = output.LastEvaluatedTableName;
  } while (start);
  return names;
}

function requireResource(resources: Readonly<Record<string, string>>, name: string): string {
  const value = resources[name];
  if (!value) throw new Error(`the local runtime does not name ${name}`);
  return value;
}
