/**
 * `ResetRequestStore` over the verifications table: one item per request,
 * `V#<verificationId>` | `RESET#<requestId>` (entity `resetRequest`). Creation is conditional
 * on the item not existing, a decision on the request still being `pending`, so two approvers
 * deciding at once cannot both win.
 *
 * @example
 * ```ts
 * const resets = new DynamoDbResetRequestStore({ tableName: process.env.VERIFICATIONS_TABLE! });
 * await resets.findPendingResetRequest(verificationId);
 * ```
 */
import {
  defaultDynamoDocuments,
  type DynamoDocuments,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from './dynamodb-documents.ts';
import type { ResetRequestRecord } from '../../domain/four-eyes.ts';
import type { ResetDecisionInput, ResetRequestStore } from '../../ports/reset-requests.ts';
import { WorkflowConflictError } from '../../ports/workflow-store.ts';
import { verificationPk } from './verification-repository.ts';

export const resetRequestSk = (requestId: string): string => `RESET#${requestId}`;

const KEY_ATTRIBUTES = new Set(['pk', 'sk', 'entity']);

export interface DynamoDbResetRequestStoreOptions {
  readonly tableName: string;
  readonly client?: DynamoDocuments;
}

export class DynamoDbResetRequestStore implements ResetRequestStore {
  private readonly documents: DynamoDocuments;
  private readonly tableName: string;

  constructor(options: DynamoDbResetRequestStoreOptions) {
    this.tableName = options.tableName;
    this.documents = options.client ?? defaultDynamoDocuments();
  }

  async createResetRequest(request: ResetRequestRecord): Promise<void> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...request,
            pk: verificationPk(request.verificationId),
            sk: resetRequestSk(request.requestId),
            entity: 'resetRequest',
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      throw conflict(error, 'reset request exists', request.requestId);
    }
  }

  async getResetRequest(verificationId: string, requestId: string): Promise<ResetRequestRecord | undefined> {
    const output = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: verificationPk(verificationId), sk: resetRequestSk(requestId) },
        ConsistentRead: true,
      }),
    );
    return output.Item ? recordFrom(output.Item) : undefined;
  }

  async findPendingResetRequest(verificationId: string): Promise<ResetRequestRecord | undefined> {
    const output = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        FilterExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':pk': verificationPk(verificationId),
          ':prefix': 'RESET#',
          ':pending': 'pending',
        },
        ConsistentRead: true,
      }),
    );
    return (output.Items ?? []).map(recordFrom).sort((a, b) => a.requestedAt.localeCompare(b.requestedAt))[0];
  }

  async decideResetRequest(
    verificationId: string,
    requestId: string,
    decision: ResetDecisionInput,
  ): Promise<ResetRequestRecord> {
    try {
      const output = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: verificationPk(verificationId), sk: resetRequestSk(requestId) },
          UpdateExpression: 'SET #status = :status, decidedBy = :by, decidedAt = :at, note = :note',
          ConditionExpression: 'attribute_exists(pk) AND #status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': decision.status,
            ':by': decision.decidedBy,
            ':at': decision.decidedAt,
            ':note': decision.note,
            ':pending': 'pending',
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return recordFrom(output.Attributes ?? {});
    } catch (error) {
      throw conflict(error, 'reset request is no longer pending', requestId);
    }
  }
}

function recordFrom(item: Record<string, unknown>): ResetRequestRecord {
  return Object.fromEntries(
    Object.entries(item).filter(([key]) => !KEY_ATTRIBUTES.has(key)),
  ) as unknown as ResetRequestRecord;
}

function conflict(error: unknown, message: string, requestId: string): unknown {
  return (error as Error)?.name === 'ConditionalCheckFailedException'
    ? new WorkflowConflictError(message, resetRequestSk(requestId), { cause: error })
    : error;
}
