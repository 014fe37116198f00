/**
 * `WorkflowStore` over the verifications table (key design: `domain/tables.ts`), next to the
 * intake's `VerificationRepository`, which it reuses for verifications, attempts and documents.
 * It adds:
 *
 *   V#<verificationId> | A#<attemptId>#C#<check>   a persisted check result (entity `check`)
 *   V#<verificationId> | R#<attemptId>             a manual-review task (entity `review`),
 *                                                  in GSI byReviewer while undecided
 *   UNIQ#DOC#<hmac>    | UNIQ                      document-number owner (entity `uniqueness`)
 *
 * Review decisions race (two reviewers, or a reviewer and the SLA timeout):
 *
 *   reviewer A: read task (token T1) ---- UpdateItem IF no decision AND token = T1 -> wins
 *   reviewer B: read task (token T1) ---------- UpdateItem IF no decision ... -> ConditionalCheckFailed -> 409
 *   escalation: read task ------------------------ PutItem IF no decision -> fails -> step retried,
 *                                                  re-reads, sees the decision, hands it to its token
 *
 * @example
 * ```ts
 * const store = new DynamoDbWorkflowStore({ tableName: process.env.VERIFICATIONS_TABLE! });
 * await store.claimDocument(hmac, { userId, verificationId }, new Date().toISOString());
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
import type { CounterUpdate } from '../../domain/decision-metrics.ts';
import { TABLE_KEYS } from '../../domain/tables.ts';
import type { AttemptRecord, AttemptStatus, DocumentRecord, VerificationRecord } from '../../domain/records.ts';
import type { ReasonCode } from '../../domain/reason-codes.ts';
import type { Clock } from '../../ports/clock.ts';
import {
  WorkflowConflictError,
  type CheckName,
  type CheckRecord,
  type DocumentOwner,
  type ReviewDecisionInput,
  type ReviewTask,
  type ReviewTaskWrite,
  type VerificationChanges,
  type WorkflowStore,
} from '../../ports/workflow-store.ts';
import { writeWithCounters } from './counter-transaction.ts';
import { VerificationRepository, verificationPk } from './verification-repository.ts';
import { caseStatusOf, caseStatusPartition, reviewerPartition, reviewIndexKeys } from '../../domain/cases.ts';

export const checkSk = (attemptId: string, name: CheckName): string => `A#${attemptId}#C#${name}`;
export const reviewSk = (attemptId: string): string => `R#${attemptId}`;
export const documentUniquenessPk = (documentHash: string): string => `UNIQ#DOC#${documentHash}`;
export const UNIQUENESS_SK = 'UNIQ';
export { UNASSIGNED_REVIEWER } from '../../domain/cases.ts';

const KEY_ATTRIBUTES = new Set([
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
]);

export interface DynamoDbWorkflowStoreOptions {
  readonly tableName: string;
  /** DynamoDB client (a default client for the function's region). */
  readonly client?: DynamoDocuments;
  readonly clock?: Clock;
}

export class DynamoDbWorkflowStore implements WorkflowStore {
  private readonly documents: DynamoDocuments;
  private readonly repository: VerificationRepository;
  private readonly tableName: string;

  constructor(options: DynamoDbWorkflowStoreOptions) {
    const client = options.client ?? defaultDynamoDocuments();
    this.tableName = options.tableName;
    this.documents = client;
    this.repository = new VerificationRepository({
      tableName: options.tableName,
      client,
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }

  getVerification(verificationId: string): Promise<VerificationRecord | undefined> {
    return this.repository.getVerification(verificationId);
  }

  async updateVerification(
    verificationId: string,
    expectedVersion: number,
    changes: VerificationChanges,
  ): Promise<VerificationRecord> {
    try {
      return await this.repository.updateVerification(verificationId, expectedVersion, changes);
    } catch (error) {
      if ((error as Error).name === 'ConcurrentModificationError') {
        throw new WorkflowConflictError('verification changed concurrently', verificationPk(verificationId), {
          cause: error,
        });
      }
      throw error;
    }
  }

  getAttempt(verificationId: string, attemptId: string): Promise<AttemptRecord | undefined> {
    return this.repository.getAttempt(verificationId, attemptId);
  }

  transitionAttempt(
    verificationId: string,
    attemptId: string,
    from: readonly AttemptStatus[],
    change: { status: AttemptStatus; reasons?: readonly ReasonCode[] },
    counters: readonly CounterUpdate[] = [],
  ): Promise<boolean> {
    return this.repository.transitionAttempt(verificationId, attemptId, from, change, counters);
  }

  listDocuments(verificationId: string, attemptId: string): Promise<DocumentRecord[]> {
    return this.repository.listDocuments(verificationId, attemptId);
  }

  async recordCheck(check: CheckRecord): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...check,
          pk: verificationPk(check.verificationId),
          sk: checkSk(check.attemptId, check.name),
          entity: 'check',
        },
      }),
    );
  }

  async getCheck(verificationId: string, attemptId: string, name: CheckName): Promise<CheckRecord | undefined> {
    return this.get<CheckRecord>(verificationPk(verificationId), checkSk(attemptId, name));
  }

  async findDocumentOwner(documentHash: string): Promise<DocumentOwner | undefined> {
    const item = await this.get<DocumentOwner>(documentUniquenessPk(documentHash), UNIQUENESS_SK);
    return item ? { userId: item.userId, verificationId: item.verificationId } : undefined;
  }

  async claimDocument(documentHash: string, owner: DocumentOwner, at: string): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: documentUniquenessPk(documentHash),
            sk: UNIQUENESS_SK,
            entity: 'uniqueness',
            userId: owner.userId,
            verificationId: owner.verificationId,
            claimedAt: at,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR userId = :userId',
          ExpressionAttributeValues: { ':userId': owner.userId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  async putReviewTask(task: ReviewTask, options: ReviewTaskWrite = {}): Promise<void> {
    const open = task.decision === undefined;
    const put = {
      TableName: this.tableName,
      Item: {
        ...task,
        pk: verificationPk(task.verificationId),
        sk: reviewSk(task.attemptId),
        entity: 'review',
        // byStatus always; byReviewer and byQueue while open (domain/cases.ts).
        ...reviewIndexKeys(task),
      },
      // A new task must not exist yet. An open task must not overwrite a decision, nor a claim or
      // assignment, recorded since the caller read the task (the step is retried and re-reads it).
      ...(options.creates
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : options.reopens
          ? {
              // Reopened only while it still holds the decision the caller saw fail.
              ConditionExpression: 'decidedAt = :decidedAt',
              ExpressionAttributeValues: { ':decidedAt': options.reopens.decidedAt },
            }
          : open
            ? task.assignee === undefined
              ? { ConditionExpression: 'attribute_not_exists(decision) AND attribute_not_exists(assignee)' }
              : {
                  ConditionExpression:
                    'attribute_not_exists(pk) OR (attribute_not_exists(decision) AND assignee = :assignee)',
                  ExpressionAttributeValues: { ':assignee': task.assignee },
                }
            : {}),
    };
    const conflict = (cause?: unknown) =>
      new WorkflowConflictError('review task was created, decided or assigned meanwhile', reviewSk(task.attemptId), {
        cause,
      });
    if (options.counters?.length) {
      if (!(await writeWithCounters(this.documents, this.tableName, { Put: put }, options.counters))) throw conflict();
      return;
    }
    try {
      await this.documents.send(new PutCommand(put));
    } catch (error) {
      if (isConditionalFailure(error)) throw conflict(error);
      throw error;
    }
  }

  getReviewTask(verificationId: string, attemptId: string): Promise<ReviewTask | undefined> {
    return this.get<ReviewTask>(verificationPk(verificationId), reviewSk(attemptId));
  }

  async findOpenReviewTask(verificationId: string): Promise<ReviewTask | undefined> {
    return this.latestReviewTask(verificationId, true);
  }

  async findLatestReviewTask(verificationId: string): Promise<ReviewTask | undefined> {
    return this.latestReviewTask(verificationId, false);
  }

  /** The newest review task of a verification (only undecided ones when `open`). */
  private async latestReviewTask(verificationId: string, open: boolean): Promise<ReviewTask | undefined> {
    const output = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ...(open ? { FilterExpression: 'attribute_not_exists(decision)' } : {}),
        ExpressionAttributeValues: { ':pk': verificationPk(verificationId), ':prefix': 'R#' },
        ConsistentRead: true,
      }),
    );
    const tasks = (output.Items ?? []).map((item) => recordFrom<ReviewTask>(item));
    return tasks.sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  }

  async decideReviewTask(
    verificationId: string,
    attemptId: string,
    taskToken: string,
    decision: ReviewDecisionInput,
    counters: readonly CounterUpdate[] = [],
  ): Promise<ReviewTask> {
    const update = {
      TableName: this.tableName,
      Key: { pk: verificationPk(verificationId), sk: reviewSk(attemptId) },
      UpdateExpression:
        'SET #decision = :decision, decidedBy = :by, note = :note, decidedAt = :at, reasons = :reasons, gsi1pk = :case ' +
        'REMOVE gsi2pk, gsi2sk, gsi4pk, gsi4sk',
      // Only the reviewer holding the task decides it, when someone holds it (a claim or an assignment).
      ConditionExpression:
        'attribute_exists(pk) AND attribute_not_exists(#decision) AND taskToken = :token AND ' +
        '(attribute_not_exists(assignee) OR assignee = :by)',
      ExpressionAttributeNames: { '#decision': 'decision' },
      ExpressionAttributeValues: {
        ':decision': decision.decision,
        ':by': decision.decidedBy,
        ':note': decision.note,
        ':at': decision.decidedAt,
        ':reasons': [...decision.reasons],
        ':token': taskToken,
        ':case': caseStatusPartition(caseStatusOf(decision)),
      },
    };
    const conflict = (cause?: unknown) =>
      new WorkflowConflictError(
        'review task already decided, re-armed or held by another reviewer',
        reviewSk(attemptId),
        {
          cause,
        },
      );
    if (counters.length > 0) {
      if (!(await writeWithCounters(this.documents, this.tableName, { Update: update }, counters))) throw conflict();
      const decided = await this.getReviewTask(verificationId, attemptId);
      if (!decided) throw conflict();
      return decided;
    }
    try {
      const output = await this.documents.send(new UpdateCommand({ ...update, ReturnValues: 'ALL_NEW' }));
      return recordFrom<ReviewTask>(output.Attributes ?? {});
    } catch (error) {
      if (isConditionalFailure(error)) throw conflict(error);
      throw error;
    }
  }

  /**
   * Sets (or, with `undefined`, clears) the assignee of an undecided review task and moves it
   * in byReviewer. With `onlyIfUnclaimed`, the write happens only while nobody else holds the
   * task (a claim); otherwise it replaces any assignee (an assignment by a supervisor). Throws
   * `WorkflowConflictError` when the task was decided, or claimed by someone else, meanwhile.
   *
   *   reviewer A: read task (unassigned) -- UpdateItem IF undecided AND (no assignee OR assignee = A) -> wins
   *   reviewer B: read task (unassigned) ------ UpdateItem IF undecided AND (no assignee OR assignee = B) -> conflict
   */
  async assignReviewTask(
    verificationId: string,
    attemptId: string,
    assignee: string | undefined,
    options: { onlyIfUnclaimed?: boolean } = {},
  ): Promise<ReviewTask> {
    const conditions = ['attribute_exists(pk)', 'attribute_not_exists(#decision)'];
    const values: Record<string, unknown> = { ':reviewer': reviewerPartition(assignee) };
    if (assignee !== undefined) values[':assignee'] = assignee;
    if (options.onlyIfUnclaimed) {
      if (assignee === undefined) throw new TypeError('a claim needs an assignee');
      conditions.push('(attribute_not_exists(assignee) OR assignee = :assignee)');
    }
    try {
      const output = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: verificationPk(verificationId), sk: reviewSk(attemptId) },
          UpdateExpression:
            assignee === undefined
              ? 'SET gsi2pk = :reviewer REMOVE assignee'
              : 'SET assignee = :assignee, gsi2pk = :reviewer',
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: { '#decision': 'decision' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return recordFrom<ReviewTask>(output.Attributes ?? {});
    } catch (error) {
      if (isConditionalFailure(error)) {
        throw new WorkflowConflictError('review task decided or claimed meanwhile', reviewSk(attemptId), {
          cause: error,
        });
      }
      throw error;
    }
  }

  async listOpenReviewTasks(options: { assignee?: string; limit: number }): Promise<ReviewTask[]> {
    const index = TABLE_KEYS.verifications.indexes.byReviewer;
    const output = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byReviewer',
        KeyConditionExpression: `${index.partitionKey} = :reviewer`,
        ExpressionAttributeValues: { ':reviewer': reviewerPartition(options.assignee) },
        ScanIndexForward: true,
        Limit: options.limit,
      }),
    );
    return (output.Items ?? []).map((item) => recordFrom<ReviewTask>(item));
  }

  private async get<T>(pk: string, sk: string): Promise<T | undefined> {
    const output = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }),
    );
    return output.Item ? recordFrom<T>(output.Item) : undefined;
  }
}

function recordFrom<T>(item: Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(item).filter(([key]) => !KEY_ATTRIBUTES.has(key))) as T;
}

function isConditionalFailure(error: unknown): boolean {
  return (error as Error)?.name === 'ConditionalCheckFailedException';
}
