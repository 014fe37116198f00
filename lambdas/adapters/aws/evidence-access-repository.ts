/**
 * The one home of access records (what a watermark points back to) and export requests, in
 * the verifications table (`domain/tables.ts`): `ACCESS#<accessId> | ACCESS` and
 * `EXPORT#<exportId> | EXPORT`. Access records are written once and never changed; exports
 * change only through conditional updates on their `version`, so two approvers cannot both win.
 * It also tells whom a verification (`V#<id> | META`) belongs to, for the four-eyes check of the
 * export routes, so the lean ones need not carry the verification repository.
 *
 * @example
 * ```ts
 * const records = new EvidenceAccessRepository({ tableName: process.env.VERIFICATIONS_TABLE! });
 * await records.putAccess(access);
 * const found = await records.getAccess('9f86d081884c7d65');
 * ```
 */
import {
  defaultDynamoDocuments,
  type DynamoDocuments,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from './dynamodb-documents.ts';
import type { AccessRecord, ExportRecord } from '../../domain/evidence-access.ts';
import type { VerificationRecord } from '../../domain/records.ts';
import { accessItemKey, exportItemKey } from '../../domain/tables.ts';
import type { EvidenceAccessRecords, ExportChanges } from '../../ports/evidence-access.ts';

export interface EvidenceAccessRepositoryOptions {
  readonly tableName: string;
  /** DynamoDB client (a default client for the function's region). */
  readonly client?: DynamoDocuments;
}

/** A conditional write lost (the record exists already, or changed since it was read). */
export class EvidenceRecordConflictError extends Error {
  public constructor(
    public readonly recordKey: string,
    options?: ErrorOptions,
  ) {
    super(`Record ${recordKey} exists already or was modified concurrently`, options);
    this.name = 'EvidenceRecordConflictError';
  }
}

export class EvidenceAccessRepository implements EvidenceAccessRecords {
  private readonly documents: DynamoDocuments;

  public constructor(private readonly options: EvidenceAccessRepositoryOptions) {
    this.documents = options.client ?? defaultDynamoDocuments();
  }

  public async putAccess(record: AccessRecord): Promise<void> {
    await this.putNew(accessItemKey(record.accessId), { ...record, entity: 'access' });
  }

  public async getAccess(accessId: string): Promise<AccessRecord | undefined> {
    return this.get<AccessRecord>(accessItemKey(accessId));
  }

  public async createExport(record: ExportRecord): Promise<void> {
    await this.putNew(exportItemKey(record.exportId), { ...record, entity: 'export' });
  }

  public async getExport(exportId: string): Promise<ExportRecord | undefined> {
    return this.get<ExportRecord>(exportItemKey(exportId));
  }

  /** Applies `changes` when the export is still at `expectedVersion`; `false` when it was not. */
  public async updateExport(exportId: string, expectedVersion: number, changes: ExportChanges): Promise<boolean> {
    const entries = Object.entries(changes).filter(([, value]) => value !== undefined);
    const names: Record<string, string> = { '#version': 'version' };
    const values: Record<string, unknown> = { ':expected': expectedVersion, ':next': expectedVersion + 1 };
    const sets = ['#version = :next'];
    entries.forEach(([field, value], index) => {
      names[`#f${index}`] = field;
      values[`:v${index}`] = value;
      sets.push(`#f${index} = :v${index}`);
    });
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: exportItemKey(exportId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(pk) AND #version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Marks the one-time download used, atomically: succeeds for exactly one caller presenting
   * the right token before the link expires.
   */
  public async consumeDownload(exportId: string, tokenHash: string, now: Date): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: exportItemKey(exportId),
          UpdateExpression: 'SET downloadedAt = :now, #version = #version + :one',
          ConditionExpression:
            '#status = :ready AND downloadTokenHash = :hash AND attribute_not_exists(downloadedAt) AND downloadExpiresAt > :now',
          ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
          ExpressionAttributeValues: { ':ready': 'ready', ':hash': tokenHash, ':now': now.toISOString(), ':one': 1 },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  /** The verification's owner (for `refuseOwnVerifications`), or `undefined` when it does not exist. */
  public async getVerification(verificationId: string): Promise<Pick<VerificationRecord, 'userId'> | undefined> {
    return this.get<VerificationRecord>({ pk: `V#${verificationId}`, sk: 'META' });
  }

  private async putNew(key: { pk: string; sk: string }, item: object): Promise<void> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { ...item, ...key },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConditionalFailure(error)) throw new EvidenceRecordConflictError(key.pk, { cause: error });
      throw error;
    }
  }

  private async get<T>(key: { pk: string; sk: string }): Promise<T | undefined> {
    const output = await this.documents.send(
      new GetCommand({ TableName: this.options.tableName, Key: key, ConsistentRead: true }),
    );
    if (!output.Item) return undefined;
    const { pk: _pk, sk: _sk, entity: _entity, ...record } = output.Item;
    return record as T;
  }
}

function isConditionalFailure(error: unknown): boolean {
  return (error as Error).name === 'ConditionalCheckFailedException';
}
