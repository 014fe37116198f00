/**
 * Verifications, attempts, documents and remembered rejected images in the verifications
 * table (key design: `domain/tables.ts`). Items are the record fields of `domain/records.ts` as
 * plain attributes plus `pk`/`sk`, an `entity` tag and the GSI keys. Creations are conditional
 * on the item not existing; verification updates are conditional on the `version` read.
 *
 * @example
 * ```ts
 * const repository = new VerificationRepository({ tableName: process.env.VERIFICATIONS_TABLE! });
 * const verification = await repository.getVerification(verificationId);
 * await repository.updateVerification(verificationId, verification.version, { status: 'processing' });
 * ```
 */
import {
  defaultDynamoDocuments,
  type DynamoDocuments,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from './dynamodb-documents.ts';
import type { CounterUpdate } from '../../domain/decision-metrics.ts';
import type { AttemptRecord, AttemptStatus, DocumentRecord, VerificationRecord } from '../../domain/records.ts';
import type { ReasonCode } from '../../domain/reason-codes.ts';
import type { Slot, VerificationLevel, VerificationStatus } from '../../domain/verification.ts';
import type { Clock } from '../../ports/clock.ts';
import { systemClock } from '../../ports/clock.ts';
import { writeWithCounters, type TransactItem } from './counter-transaction.ts';

/** A conditional write lost: the item changed since it was read, or already exists. */
export class ConcurrentModificationError extends Error {
  public constructor(
    public readonly pk: string,
    public readonly sk: string,
    options?: ErrorOptions,
  ) {
    super(`Item ${pk} ${sk} was modified concurrently or already exists`, options);
    this.name = 'ConcurrentModificationError';
  }
}

export const verificationPk = (verificationId: string): string => `V#${verificationId}`;
export const VERIFICATION_SK = 'META';
export const attemptSk = (attemptId: string): string => `A#${attemptId}`;
export const documentSk = (attemptId: string, slot: Slot): string => `A#${attemptId}#D#${slot}`;
export const rejectedImageSk = (sha256: string): string => `REJ#${sha256}`;
/** The one verification a user holds at a level (`USER#<userId>` | `LEVEL#<level>`). */
export const userLevelKey = (userId: string, level: VerificationLevel) => ({
  pk: `USER#${userId}`,
  sk: `LEVEL#${level}`,
});

/** What `createUserVerification` did: created, or found the user's verification of that level. */
export type UserVerificationCreation =
  { readonly created: true } | { readonly created: false; readonly existingVerificationId: string | undefined };

/** An attempt with the documents recorded for it. */
export interface AttemptWithDocuments {
  readonly attempt: AttemptRecord;
  readonly documents: DocumentRecord[];
}

/** A verification (undefined when there is none) with its attempts, as one read found them. */
export interface VerificationWithAttempts {
  readonly verification: VerificationRecord | undefined;
  readonly attempts: AttemptWithDocuments[];
}

/** Fields of a verification that change after creation. */
export type VerificationChanges = Partial<
  Pick<VerificationRecord, 'status' | 'reasons' | 'consecutiveFailures' | 'cooldownUntil' | 'frozen' | 'riskFlags'>
>;

export interface VerificationRepositoryOptions {
  readonly tableName: string;
  /** DynamoDB client (a default client for the function's region). */
  readonly client?: DynamoDocuments;
  readonly clock?: Clock;
}

const KEY_ATTRIBUTES = [
  'pk',
  'sk',
  'entity',
  'gsi1pk',
  'gsi1sk',
  'gsi2pk',
  'gsi2sk',
  'gsi3pk',
  'gsi3sk',
  'gsi4pk',
  'gsi4sk',
];

export class VerificationRepository {
  protected readonly documents: DynamoDocuments;
  protected readonly tableName: string;
  protected readonly clock: Clock;

  public constructor(options: VerificationRepositoryOptions) {
    this.tableName = options.tableName;
    this.documents = options.client ?? defaultDynamoDocuments();
    this.clock = options.clock ?? systemClock;
  }

  /** Stores a new verification; fails with `ConcurrentModificationError` when the id exists. */
  public async createVerification(record: VerificationRecord): Promise<void> {
    const pk = verificationPk(record.verificationId);
    await this.putNew(pk, VERIFICATION_SK, {
      ...record,
      entity: 'verification',
      ...statusIndexKeys(record.status, record.updatedAt, record.verificationId),
      gsi3pk: `USER#${record.userId}`,
      gsi3sk: `${record.createdAt}#${record.verificationId}`,
    });
  }

  /**
   * Stores a new verification and, in the same transaction, the user's claim on its level
   * (one verification per user and level: open, or approved and frozen). When the user already
   * holds one, nothing is written and its id is returned.
   */
  public async createUserVerification(record: VerificationRecord): Promise<UserVerificationCreation> {
    const pk = verificationPk(record.verificationId);
    const claim = userLevelKey(record.userId, record.level);
    try {
      await this.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...claim,
                  entity: 'userLevel',
                  verificationId: record.verificationId,
                  createdAt: record.createdAt,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...record,
                  pk,
                  sk: VERIFICATION_SK,
                  entity: 'verification',
                  ...statusIndexKeys(record.status, record.updatedAt, record.verificationId),
                  gsi3pk: `USER#${record.userId}`,
                  gsi3sk: `${record.createdAt}#${record.verificationId}`,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      return { created: true };
    } catch (error) {
      const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons;
      if ((error as Error).name !== 'TransactionCanceledException' || reasons?.[0]?.Code !== 'ConditionalCheckFailed') {
        throw error;
      }
      const existing = await this.get<{ verificationId?: string }>(claim.pk, claim.sk);
      return { created: false, existingVerificationId: existing?.verificationId };
    }
  }

  public async getVerification(verificationId: string): Promise<VerificationRecord | undefined> {
    return this.get<VerificationRecord>(verificationPk(verificationId), VERIFICATION_SK);
  }

  /**
   * Applies changes when the stored version still equals `expectedVersion`; returns the new
   * record. `cooldownUntil: undefined` in `changes` removes the attribute.
   */
  public async updateVerification(
    verificationId: string,
    expectedVersion: number,
    changes: VerificationChanges,
  ): Promise<VerificationRecord> {
    try {
      const output = await this.documents.send(
        new UpdateCommand({
          ...verificationUpdate(
            this.tableName,
            this.clock.now().toISOString(),
            verificationId,
            expectedVersion,
            changes,
          ),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return recordFrom<VerificationRecord>(output.Attributes ?? {});
    } catch (error) {
      throw mapConditional(error, verificationPk(verificationId), VERIFICATION_SK);
    }
  }

  /** Stores a new attempt; returns `false` (and writes nothing) when the attempt id exists. */
  public async createAttempt(record: AttemptRecord): Promise<boolean> {
    try {
      await this.putNew(verificationPk(record.verificationId), attemptSk(record.attemptId), {
        ...record,
        entity: 'attempt',
      });
      return true;
    } catch (error) {
      if (error instanceof ConcurrentModificationError) return false;
      throw error;
    }
  }

  public async getAttempt(verificationId: string, attemptId: string): Promise<AttemptRecord | undefined> {
    return this.get<AttemptRecord>(verificationPk(verificationId), attemptSk(attemptId));
  }

  /** Every attempt of a verification with its documents, oldest attempt first. */
  public async listAttempts(verificationId: string): Promise<AttemptWithDocuments[]> {
    return attemptsFrom(await this.query(verificationPk(verificationId), 'A#'));
  }

  /**
   * The verification and every attempt with its documents, in one strongly consistent Query
   * (`A#` up to `META`: the attempt and document items sort before the verification's; the
   * other items in between, checks and a legal hold's `HOLD`, are not attempts or documents). A Query
   * reads its range in sort-key order, so the attempts are read before the verification, as
   * `listAttempts` then `getVerification` would read them, with one request instead of two.
   */
  public async getVerificationWithAttempts(verificationId: string): Promise<VerificationWithAttempts> {
    const items = await this.query(verificationPk(verificationId), { from: 'A#', to: VERIFICATION_SK });
    const meta = items.find((item) => item.sk === VERIFICATION_SK);
    return {
      verification: meta ? recordFrom<VerificationRecord>(meta) : undefined,
      attempts: attemptsFrom(items),
    };
  }

  /**
   * Moves an attempt to a new status when it is still in one of `fromStatuses`; returns
   * `false` when it was not (another event got there first). `counters` (a decision's metrics)
   * change in the same transaction, so they count exactly the transitions that happened.
   */
  public async transitionAttempt(
    verificationId: string,
    attemptId: string,
    fromStatuses: readonly AttemptStatus[],
    change: { status: AttemptStatus; reasons?: readonly ReasonCode[] },
    counters: readonly CounterUpdate[] = [],
  ): Promise<boolean> {
    const update = attemptTransition(
      this.tableName,
      this.clock.now().toISOString(),
      verificationId,
      attemptId,
      fromStatuses,
      change,
    );
    if (counters.length > 0) return writeWithCounters(this.documents, this.tableName, { Update: update }, counters);
    try {
      await this.documents.send(new UpdateCommand(update));
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  public async getDocument(verificationId: string, attemptId: string, slot: Slot): Promise<DocumentRecord | undefined> {
    return this.get<DocumentRecord>(verificationPk(verificationId), documentSk(attemptId, slot));
  }

  public async listDocuments(verificationId: string, attemptId: string): Promise<DocumentRecord[]> {
    const items = await this.query(verificationPk(verificationId), `${attemptSk(attemptId)}#D#`);
    return items.map((item) => recordFrom<DocumentRecord>(item));
  }

  protected async putNew(pk: string, sk: string, item: object): Promise<void> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...item, pk, sk },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      throw mapConditional(error, pk, sk);
    }
  }

  protected async get<T>(pk: string, sk: string): Promise<T | undefined> {
    const output = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }),
    );
    return output.Item ? recordFrom<T>(output.Item) : undefined;
  }

  /**
   * Verifications whose status is `status`, oldest status change first, from the byStatus index
   * (eventually consistent; callers re-read each record before acting). At most `limit`.
   */
  public async listByStatus(status: VerificationStatus, limit: number): Promise<VerificationRecord[]> {
    const records: VerificationRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const output = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'byStatus',
          KeyConditionExpression: 'gsi1pk = :status',
          ExpressionAttributeValues: { ':status': `STATUS#${status}` },
          Limit: limit - records.length,
          ExclusiveStartKey: startKey,
        }),
      );
      records.push(...(output.Items ?? []).map((item) => recordFrom<VerificationRecord>(item)));
      startKey = output.LastEvaluatedKey;
    } while (startKey && records.length < limit);
    return records;
  }

  /**
   * How many verifications have `status` (a `Select: COUNT` query on the byStatus index, paged
   * to the end: no item is read out, only counted).
   */
  public async countByStatus(status: VerificationStatus): Promise<number> {
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const output = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'byStatus',
          KeyConditionExpression: 'gsi1pk = :status',
          ExpressionAttributeValues: { ':status': `STATUS#${status}` },
          Select: 'COUNT',
          ExclusiveStartKey: startKey,
        }),
      );
      count += output.Count ?? 0;
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return count;
  }

  /** Every item of partition `pk` whose sort key starts with `sk` (a string) or lies in `sk`'s range, in sort-key order. */
  private async query(pk: string, sk: string | { from: string; to: string }): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    const condition =
      typeof sk === 'string'
        ? { KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)', values: { ':prefix': sk } }
        : {
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            values: { ':from': sk.from, ':to': sk.to },
          };
    do {
      const output = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: condition.KeyConditionExpression,
          ExpressionAttributeValues: { ':pk': pk, ...condition.values },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(output.Items ?? []));
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}

function statusIndexKeys(status: VerificationStatus, updatedAt: string, verificationId: string) {
  return { gsi1pk: `STATUS#${status}`, gsi1sk: `${updatedAt}#${verificationId}` };
}

/** Attempts with their documents, oldest attempt first, from a verification's items (others are skipped). */
function attemptsFrom(items: readonly Record<string, unknown>[]): AttemptWithDocuments[] {
  const attempts = items.filter((item) => item.entity === 'attempt').map((item) => recordFrom<AttemptRecord>(item));
  const documents = items.filter((item) => item.entity === 'document').map((item) => recordFrom<DocumentRecord>(item));
  return attempts
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .map((attempt) => ({ attempt, documents: documents.filter((doc) => doc.attemptId === attempt.attemptId) }));
}

/** The record fields of an item, without keys and index attributes. */
function recordFrom<T>(item: Record<string, unknown>): T {
  const record: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) {
    if (!KEY_ATTRIBUTES.includes(key)) record[key] = value;
  }
  return record as T;
}

function isConditionalFailure(error: unknown): boolean {
  return (error as Error)?.name === 'ConditionalCheckFailedException';
}

/**
 * The conditional update of a verification that `updateVerification` sends (also in the intake's
 * transaction): applies `changes` when the stored version still equals `expectedVersion`.
 */
export function verificationUpdate(
  tableName: string,
  updatedAt: string,
  verificationId: string,
  expectedVersion: number,
  changes: VerificationChanges,
): NonNullable<TransactItem['Update']> {
  const pk = verificationPk(verificationId);
  const names: Record<string, string> = { '#version': 'version', '#updatedAt': 'updatedAt' };
  const values: Record<string, unknown> = { ':expected': expectedVersion, ':one': 1, ':updatedAt': updatedAt };
  const sets = ['#version = #version + :one', '#updatedAt = :updatedAt'];
  const removes: string[] = [];
  for (const [field, value] of Object.entries(changes)) {
    names[`#${field}`] = field;
    if (value === undefined) {
      removes.push(`#${field}`);
    } else {
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
  }
  if (changes.status) {
    // The byStatus index is keyed on the time of the last status change.
    Object.assign(names, { '#gsi1pk': 'gsi1pk', '#gsi1sk': 'gsi1sk' });
    const keys = statusIndexKeys(changes.status, updatedAt, verificationId);
    Object.assign(values, { ':gsi1pk': keys.gsi1pk, ':gsi1sk': keys.gsi1sk });
    sets.push('#gsi1pk = :gsi1pk', '#gsi1sk = :gsi1sk');
  }
  return {
    TableName: tableName,
    Key: { pk, sk: VERIFICATION_SK },
    UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ConditionExpression: 'attribute_exists(pk) AND #version = :expected',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** The conditional update that moves an attempt from one of `fromStatuses` (also in transactions). */
export function attemptTransition(
  tableName: string,
  updatedAt: string,
  verificationId: string,
  attemptId: string,
  fromStatuses: readonly AttemptStatus[],
  change: { status: AttemptStatus; reasons?: readonly ReasonCode[] },
): NonNullable<TransactItem['Update']> {
  const values: Record<string, unknown> = {
    ':status': change.status,
    ':updatedAt': updatedAt,
    ':reasons': change.reasons ?? [],
  };
  fromStatuses.forEach((status, index) => (values[`:from${index}`] = status));
  return {
    TableName: tableName,
    Key: { pk: verificationPk(verificationId), sk: attemptSk(attemptId) },
    UpdateExpression: 'SET #status = :status, #reasons = :reasons, #updatedAt = :updatedAt',
    ConditionExpression: `attribute_exists(pk) AND #status IN (${fromStatuses.map((_, i) => `:from${i}`).join(', ')})`,
    ExpressionAttributeNames: { '#status': 'status', '#reasons': 'reasons', '#updatedAt': 'updatedAt' },
    ExpressionAttributeValues: values,
  };
}

function mapConditional(error: unknown, pk: string, sk: string): unknown {
  return isConditionalFailure(error) ? new ConcurrentModificationError(pk, sk, { cause: error }) : error;
}
