/**
 * Records of the records lifecycle in the verifications table (`domain/tables.ts`):
 *   ACCOUNT#<userId>   | ACCOUNT   when the business relationship ended (account closure)
 *   V#<verificationId> | HOLD      the case's legal hold (on/off, why, by whom, when)
 * and the reads the lifecycle needs: a user's verifications (index byUser) and the vault
 * objects of a verification (its accepted documents). The closure record is written once: a
 * second closure keeps the first date (the retention clock never restarts later).
 *
 * @example
 * ```ts
 * const repository = new RecordsLifecycleRepository({ tableName: requireEnv('verificationsTable') });
 * const closure = await repository.recordClosure('u1', new Date(), 'customer request', 'admin:a1');
 * ```
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';

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
}

export class RecordsLifecycleRepository {
  private readonly documents: DynamoDBDocumentClient;

  public constructor(private readonly options: { readonly tableName: string; readonly client?: DynamoDBClient }) {
    this.documents = DynamoDBDocumentClient.from(options.client ?? new DynamoDBClient({}), {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  /** Records the end of the relationship; an earlier closure wins. Resolves to the stored closure. */
  public async recordClosure(userId: string, at: Date, reason: string, closedBy: string): Promise<AccountClosure> {
    const closure: AccountClosure = { userId, relationshipEndedAt: at.toISOString(), reason, closedBy };
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { pk: `ACCOUNT#${userId}`, sk: 'ACCOUNT', entity: 'account', ...closure },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return closure;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.documents.send(
        new GetCommand({
          TableName: this.options.tableName,
          Key: { pk: `ACCOUNT#${userId}`, sk: 'ACCOUNT' },
          ConsistentRead: true,
        }),
      );
      return existing.Item as AccountClosure;
    }
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

  /** True when the verification exists. */
  public async verificationExists(verificationId: string): Promise<boolean> {
    const output = await this.documents.send(
      new GetCommand({ TableName: this.options.tableName, Key: { pk: `V#${verificationId}`, sk: 'META' } }),
    );
    return output.Item !== undefined;
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
      for (const item of page.Items ?? []) {
        if (typeof item.vaultKey !== 'string') continue;
        objects.push({
          key: item.vaultKey,
          ...(typeof item.vaultVersionId === 'string' ? { versionId: item.vaultVersionId } : {}),
          recordedAt: String(item.recordedAt ?? item.createdAt),
        });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return objects;
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
