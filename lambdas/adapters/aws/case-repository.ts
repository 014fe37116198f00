/**
 * `CaseStore` over the verifications table (key design: `domain/tables.ts`, index plans:
 * `domain/cases.ts`). Reads only Query and GetItem; no Scan anywhere.
 *
 * The list reads one index partition in due-time order and applies the filters the partition
 * does not cover as a FilterExpression. DynamoDB applies `Limit` before the filter, so a page
 * may take several queries; the next page starts after the last item returned (not after the
 * last item read), so nothing is skipped or repeated:
 *
 *   query 1 (Limit 100): a b̶ c d̶ e  ... LastEvaluatedKey=x    filtered items kept: a c e ...
 *   query 2 from x:      f g̶ h ...                              page full at h -> nextKey = key(h)
 *
 * At most `MAX_QUERIES_PER_PAGE` queries are made for one page; a very selective filter then
 * answers a short page with a cursor, which the client follows like any other.
 *
 * @example
 * ```ts
 * const cases = new DynamoDbCaseStore({ tableName: process.env.VERIFICATIONS_TABLE! });
 * const page = await cases.listCases(planCaseQuery(filter), filter.limit);
 * ```
 */
import { defaultDynamoDocuments, type DynamoDocuments, PutCommand, QueryCommand } from './dynamodb-documents.ts';
import type { CaseQueryPlan, CaseStartKey } from '../../domain/case-query.ts';
import type { AttemptRecord, DocumentRecord, VerificationRecord } from '../../domain/records.ts';
import type { CaseNote, CasePage, CaseRecords, CaseStore } from '../../ports/case-store.ts';
import type { CheckRecord, ReviewTask } from '../../ports/workflow-store.ts';
import { verificationPk } from './verification-repository.ts';

/** Queries made at most for one page of a filtered list. */
export const MAX_QUERIES_PER_PAGE = 10;
/** Items read per query when a FilterExpression drops some of them. */
const FILTERED_READ = 100;

export const noteSk = (createdAt: string, noteId: string): string => `NOTE#${createdAt}#${noteId}`;

const KEY_ATTRIBUTE = /^(pk|sk|entity|gsi\d(pk|sk))$/;

export interface DynamoDbCaseStoreOptions {
  readonly tableName: string;
  /** DynamoDB client (a default client for the function's region). */
  readonly client?: DynamoDocuments;
}

export class DynamoDbCaseStore implements CaseStore {
  private readonly documents: DynamoDocuments;
  private readonly tableName: string;

  public constructor(options: DynamoDbCaseStoreOptions) {
    this.tableName = options.tableName;
    this.documents = options.client ?? defaultDynamoDocuments();
  }

  public async listCases(plan: CaseQueryPlan, limit: number, startKey?: CaseStartKey): Promise<CasePage> {
    const names: Record<string, string> = { '#p': plan.partitionAttribute };
    const values: Record<string, unknown> = { ':p': plan.partition };
    let keyCondition = '#p = :p';
    if (plan.dueBefore) {
      names['#s'] = plan.sortAttribute;
      values[':due'] = plan.dueBefore;
      keyCondition += ' AND #s < :due';
    }
    const filters: string[] = [];
    const { residual } = plan;
    if (residual.queue) {
      names['#queue'] = 'queue';
      values[':queue'] = residual.queue;
      filters.push('#queue = :queue');
    }
    if (residual.assignee === null) filters.push('attribute_not_exists(assignee)');
    else if (residual.assignee !== undefined) {
      values[':assignee'] = residual.assignee;
      filters.push('assignee = :assignee');
    }
    if (residual.level) {
      names['#level'] = 'level';
      values[':level'] = residual.level;
      filters.push('#level = :level');
    }
    if (residual.from) {
      values[':from'] = residual.from;
      filters.push('createdAt >= :from');
    }
    if (residual.to) {
      values[':to'] = residual.to;
      filters.push('createdAt < :to');
    }

    const tasks: ReviewTask[] = [];
    let exclusiveStartKey: Record<string, unknown> | undefined = startKey;
    for (let query = 0; query < MAX_QUERIES_PER_PAGE; query += 1) {
      const needed = limit - tasks.length;
      const output = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: plan.indexName,
          KeyConditionExpression: keyCondition,
          ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: true,
          // Unfiltered: one more than needed tells whether another page exists.
          Limit: filters.length > 0 ? FILTERED_READ : needed + 1,
          ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
        }),
      );
      const items = output.Items ?? [];
      for (const [index, item] of items.entries()) {
        tasks.push(recordFrom<ReviewTask>(item));
        if (tasks.length === limit) {
          const more = index < items.length - 1 || output.LastEvaluatedKey !== undefined;
          return more ? { tasks, nextKey: startKeyOf(item, plan) } : { tasks };
        }
      }
      exclusiveStartKey = output.LastEvaluatedKey;
      if (!exclusiveStartKey) return { tasks };
    }
    // Read budget spent: the next page starts after the last item read.
    return exclusiveStartKey ? { tasks, nextKey: startKeyOf(exclusiveStartKey, plan) } : { tasks };
  }

  public async loadCase(verificationId: string): Promise<CaseRecords | undefined> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const output = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': verificationPk(verificationId) },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(output.Items ?? []));
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    const of = <T>(entity: string): T[] =>
      items.filter((item) => item.entity === entity).map((item) => recordFrom<T>(item));
    const verification = of<VerificationRecord>('verification')[0];
    if (!verification) return undefined;
    const documents = of<DocumentRecord>('document');
    const checks = of<CheckRecord>('check');
    const byTime = <T extends { createdAt: string }>(a: T, b: T) => a.createdAt.localeCompare(b.createdAt);
    return {
      verification,
      attempts: of<AttemptRecord>('attempt')
        .sort(byTime)
        .map((attempt) => ({
          attempt,
          documents: documents.filter((document) => document.attemptId === attempt.attemptId),
          checks: checks.filter((check) => check.attemptId === attempt.attemptId),
        })),
      reviews: of<ReviewTask>('review').sort(byTime),
      notes: of<CaseNote>('note').sort(byTime),
    };
  }

  public async appendNote(note: CaseNote): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...note,
          pk: verificationPk(note.verificationId),
          sk: noteSk(note.createdAt, note.noteId),
          entity: 'note',
        },
        // Append-only: a note is never replaced.
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }
}

/** The start key of an index query positioned after `item`: table key plus index key. */
function startKeyOf(item: Record<string, unknown>, plan: CaseQueryPlan): CaseStartKey {
  const key: Record<string, string> = {};
  for (const attribute of ['pk', 'sk', plan.partitionAttribute, plan.sortAttribute]) {
    key[attribute] = String(item[attribute]);
  }
  return key;
}

function recordFrom<T>(item: Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(item).filter(([key]) => !KEY_ATTRIBUTE.test(key))) as T;
}
