/**
 * Records of the records lifecycle in the verifications table (`domain/tables.ts`):
 *   ACCOUNT#<userId>   | ACCOUNT   when the business relationship ended (account closure)
 *   V#<verificationId> | HOLD      the case's legal hold (on/off, why, by whom, when)
 *   ERASURE#<userId>   | ERASURE   a deferred erasure request (what is kept, until when, why)
 * and the reads and deletions the lifecycle needs: a user's verifications (index byUser), the
 * vault objects of a verification (accepted documents, vaulted liveness images), the deletion
 * job's work lists (sparse `RETENTION#...` entries in the byStatus index, `domain/tables.ts`),
 * and the removal of an attempt's or a verification's records. The closure record is written
 * once: a second closure keeps the first date (the retention clock never restarts later).
 *
 * @example
 * ```ts
 * const repository = new RecordsLifecycleRepository({ tableName: requireEnv('verificationsTable') });
 * const closure = await repository.recordClosure('u1', new Date(), 'customer request', 'admin:a1');
 * ```
 */
import {
  defaultDynamoDocuments,
  DeleteCommand,
  type DynamoDocuments,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from './dynamodb-documents.ts';
import { accountItemKey, erasureItemKey, RETENTION_INDEX } from '../../domain/tables.ts';

export interface AccountClosure {
  readonly userId: string;
  readonly relationshipEndedAt: string;
  readonly reason: string;
  readonly closedBy: string;
}

export interface LegalHoldRecord {
  readonly verificationId: string;
  readonly on: boolean;
  readonly reason: string;
  readonly setBy: string;
  readonly setAt: string;
}

export interface EvidenceObject {
  readonly key: string;
  readonly versionId?: string;
  readonly recordedAt: string;
  /** The attempt the object belongs to. */
  readonly attemptId?: string;
}

/** A standing erasure request whose locked part waits (`ERASURE#<userId>`). */
export interface DeferredErasureRecord {
  readonly userId: string;
  /** The first request (later requests keep it). */
  readonly requestedAt: string;
  readonly lastRequestedAt: string;
  /** When the deletion job looks at it again. */
  readonly nextCheckAt: string;
  readonly retainedUntil?: string;
  readonly reason: string;
}

/** All items of one verification, by kind, with their keys (`V#<id>`). */
export interface VerificationItems {
  readonly verificationId: string;
  readonly meta?: Record<string, unknown>;
  readonly attempts: Record<string, unknown>[];
  readonly documents: Record<string, unknown>[];
  readonly checks: Record<string, unknown>[];
  readonly reviews: Record<string, unknown>[];
  readonly hold?: Record<string, unknown>;
  /** Every item key under `V#<id>`, for deletion. */
  readonly keys: ReadonlyArray<{ pk: string; sk: string }>;
}

/** An entry of a work list: the item's key and the sort key's parts after the date. */
export interface DueEntry {
  readonly pk: string;
  readonly sk: string;
  readonly date: string;
  readonly parts: readonly string[];
}

export class RecordsLifecycleRepository {
  private readonly documents: DynamoDocuments;

  public constructor(private readonly options: { readonly tableName: string; readonly client?: DynamoDocuments }) {
    this.documents = options.client ?? defaultDynamoDocuments();
  }

  /** Records the end of the relationship; an earlier closure wins. Resolves to the stored closure. */
  public async recordClosure(userId: string, at: Date, reason: string, closedBy: string): Promise<AccountClosure> {
    const closure: AccountClosure = { userId, relationshipEndedAt: at.toISOString(), reason, closedBy };
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: {
            ...accountItemKey(userId),
            entity: 'account',
            ...closure,
            // The deletion job finds closed accounts by relationship end (index byStatus, sparse).
            gsi1pk: RETENTION_INDEX.closedAccounts,
            gsi1sk: `${closure.relationshipEndedAt}#${userId}`,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return closure;
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      const existing = await this.documents.send(
        new GetCommand({
          TableName: this.options.tableName,
          Key: { pk: `ACCOUNT#${userId}`, sk: 'ACCOUNT' },
          ConsistentRead: true,
        }),
      );
      const { pk: _pk, sk: _sk, entity: _entity, gsi1pk: _g1, gsi1sk: _g2, ...stored } = existing.Item ?? {};
      return stored as unknown as AccountClosure;
    }
  }

  /** The user's account closure, if the relationship ended. */
  public async getClosure(userId: string): Promise<AccountClosure | undefined> {
    const output = await this.documents.send(
      new GetCommand({ TableName: this.options.tableName, Key: accountItemKey(userId), ConsistentRead: true }),
    );
    if (!output.Item) return undefined;
    const { userId: id, relationshipEndedAt, reason, closedBy } = output.Item as AccountClosure;
    return { userId: id, relationshipEndedAt, reason, closedBy };
  }

  /** Ids of the user's verifications (index byUser). */
  public async verificationIdsOf(userId: string): Promise<string[]> {
    const ids: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.options.tableName,
          IndexName: 'byUser',
          KeyConditionExpression: 'gsi3pk = :user',
          ExpressionAttributeValues: { ':user': `USER#${userId}` },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) if (typeof item.verificationId === 'string') ids.push(item.verificationId);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return ids;
  }

  /** The user id of the verification's subject, or `undefined` when the verification does not exist. */
  public async verificationOwner(verificationId: string): Promise<string | undefined> {
    const output = await this.documents.send(
      new GetCommand({ TableName: this.options.tableName, Key: { pk: `V#${verificationId}`, sk: 'META' } }),
    );
    if (output.Item === undefined) return undefined;
    return String(output.Item.userId ?? '');
  }

  /** The verification's objects in the vault (accepted documents and kept liveness images). */
  public async evidenceOf(verificationId: string): Promise<EvidenceObject[]> {
    const objects: EvidenceObject[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :attempt)',
          ExpressionAttributeValues: { ':pk': `V#${verificationId}`, ':attempt': 'A#' },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) objects.push(...vaultObjectsOf(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return objects;
  }

  /** Every item of a verification (one consistent Query on `V#<id>`). */
  public async verificationItems(verificationId: string): Promise<VerificationItems> {
    const items = await this.queryAll(`V#${verificationId}`);
    const of = (entity: string) => items.filter((item) => item.entity === entity);
    const meta = items.find((item) => item.sk === 'META');
    const hold = items.find((item) => item.sk === 'HOLD');
    return {
      verificationId,
      ...(meta ? { meta } : {}),
      attempts: of('attempt'),
      documents: of('document'),
      checks: of('check'),
      reviews: of('review'),
      ...(hold ? { hold } : {}),
      keys: items.map((item) => ({ pk: String(item.pk), sk: String(item.sk) })),
    };
  }

  /** Deletes an attempt's records: the attempt, its documents and checks, its review task. */
  public async deleteAttemptRecords(items: VerificationItems, attemptId: string): Promise<number> {
    const keys = items.keys.filter((key) => key.sk.startsWith(`A#${attemptId}`) || key.sk === `R#${attemptId}`);
    for (const key of keys) await this.deleteKey(key);
    return keys.length;
  }

  /**
   * Deletes what is left of a verification (its record, rejected-image hashes, reset requests,
   * the lifted hold record) and the user's level claim when it names this verification.
   */
  public async deleteVerificationRecords(items: VerificationItems): Promise<number> {
    const keys = items.keys.filter((key) => !key.sk.startsWith('A#') && !key.sk.startsWith('R#'));
    for (const key of keys) await this.deleteKey(key);
    const { userId, level } = (items.meta ?? {}) as { userId?: string; level?: string };
    if (userId && level) {
      try {
        await this.documents.send(
          new DeleteCommand({
            TableName: this.options.tableName,
            Key: { pk: `USER#${userId}`, sk: `LEVEL#${level}` },
            ConditionExpression: 'verificationId = :id',
            ExpressionAttributeValues: { ':id': items.verificationId },
          }),
        );
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      }
    }
    return keys.length;
  }

  /** Removes an item from the deletion job's work list (its index entry only). */
  public async dropFromWorkList(key: { pk: string; sk: string }): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: key.pk, sk: key.sk },
          UpdateExpression: 'REMOVE gsi1pk, gsi1sk',
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }

  /** Entries of a work list (`RETENTION_INDEX`) whose date is before `before`, oldest first, at most `limit`. */
  public async due(list: string, before: Date, limit: number): Promise<DueEntry[]> {
    const entries: DueEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.options.tableName,
          IndexName: RETENTION_INDEX.indexName,
          KeyConditionExpression: 'gsi1pk = :list AND gsi1sk < :before',
          ExpressionAttributeValues: { ':list': list, ':before': before.toISOString() },
          Limit: limit - entries.length,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const [date = '', ...parts] = String(item.gsi1sk).split('#');
        entries.push({ pk: String(item.pk), sk: String(item.sk), date, parts });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && entries.length < limit);
    return entries;
  }

  public async getDeferredErasure(userId: string): Promise<DeferredErasureRecord | undefined> {
    const output = await this.documents.send(
      new GetCommand({ TableName: this.options.tableName, Key: erasureItemKey(userId), ConsistentRead: true }),
    );
    if (!output.Item) return undefined;
    const { pk: _pk, sk: _sk, entity: _entity, gsi1pk: _g1, gsi1sk: _g2, ...record } = output.Item;
    return record as DeferredErasureRecord;
  }

  /** Stores the deferred erasure and puts it on the job's work list at `nextCheckAt`. */
  public async putDeferredErasure(record: DeferredErasureRecord): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: {
          ...erasureItemKey(record.userId),
          entity: 'erasure',
          ...record,
          gsi1pk: RETENTION_INDEX.erasures,
          gsi1sk: `${record.nextCheckAt}#${record.userId}`,
        },
      }),
    );
  }

  /** Deletes the deferred erasure (done) and, once nothing of the person is left, the closure record. */
  public async deleteDeferredErasure(userId: string): Promise<void> {
    await this.deleteKey(erasureItemKey(userId));
  }

  public async deleteClosure(userId: string): Promise<void> {
    await this.deleteKey(accountItemKey(userId));
  }

  private async deleteKey(key: { pk: string; sk: string }): Promise<void> {
    await this.documents.send(new DeleteCommand({ TableName: this.options.tableName, Key: key }));
  }

  private async queryAll(pk: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  public async putLegalHold(record: LegalHoldRecord): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: { pk: `V#${record.verificationId}`, sk: 'HOLD', entity: 'legalHold', ...record },
      }),
    );
  }
}

/**
 * The vault objects an item names: an accepted document's copy, or a liveness check's
 * reference and audit images (copied into the vault by the workflow under `liveness/`).
 */
export function vaultObjectsOf(item: Record<string, unknown>): EvidenceObject[] {
  const recordedAt = String(item.recordedAt ?? item.createdAt);
  const attemptId = typeof item.attemptId === 'string' ? { attemptId: item.attemptId } : {};
  if (typeof item.vaultKey === 'string') {
    return [
      {
        key: item.vaultKey,
        ...(typeof item.vaultVersionId === 'string' ? { versionId: item.vaultVersionId } : {}),
        recordedAt,
        ...attemptId,
      },
    ];
  }
  if (item.entity !== 'check') return [];
  const result = (item.result ?? {}) as { referenceImageKey?: unknown; auditImageKeys?: unknown };
  const keys = [
    ...(typeof result.referenceImageKey === 'string' ? [result.referenceImageKey] : []),
    ...(Array.isArray(result.auditImageKeys) ? result.auditImageKeys.filter((key) => typeof key === 'string') : []),
  ] as string[];
  return keys.filter((key) => key.startsWith('liveness/')).map((key) => ({ key, recordedAt, ...attemptId }));
}
