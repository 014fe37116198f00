/**
 * One conditional write and the counters it moves, in a single DynamoDB transaction: the write
 * succeeds and every counter changes, or nothing happens. This is how decision and review-queue
 * counters (`domain/decision-metrics.ts`) stay exact under retries: the conditional write (an
 * attempt leaving `processing`, a review task decided) can only succeed once.
 *
 *   caller: TransactWriteItems [ Update attempt IF status IN (...), Update METRICS#2026-11 ADD ... ]
 *             -> ConditionalCheckFailed on item 0: nothing written, `false`
 *             -> TransactionConflict (another transaction on a counter): retried, up to 5 tries
 *
 * @example
 * ```ts
 * const written = await writeWithCounters(documents, tableName, { Update: {...} }, [decisionCounters(fact)]);
 * ```
 */
import { type DynamoDocuments, TransactWriteCommand } from './dynamodb-documents.ts';
import type { CounterUpdate } from '../../domain/decision-metrics.ts';

/** One member of `TransactItems` (Put or Update with its condition), as the document client takes it. */
export type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

const MAX_TRIES = 5;

/** The transaction item that adds `update.add` to its counter item (created on first use). */
export function counterUpdateItem(tableName: string, update: CounterUpdate): TransactItem {
  const names: Record<string, string> = { '#entity': 'entity' };
  const values: Record<string, unknown> = { ':entity': update.entity };
  const adds = Object.entries(update.add).map(([attribute, amount], index) => {
    names[`#c${index}`] = attribute;
    values[`:c${index}`] = amount;
    return `#c${index} :c${index}`;
  });
  return {
    Update: {
      TableName: tableName,
      Key: { pk: update.key.pk, sk: update.key.sk },
      UpdateExpression: `SET #entity = :entity ADD ${adds.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/**
 * Writes `primary` (whose condition decides) together with the counter updates. Returns `false`
 * when `primary`'s condition failed (nothing written); rethrows anything else.
 */
export async function writeWithCounters(
  documents: DynamoDocuments,
  tableName: string,
  primary: TransactItem,
  counters: readonly CounterUpdate[],
): Promise<boolean> {
  return (await transactWithCounters(documents, tableName, [primary], counters)) === undefined;
}

/**
 * Writes `conditional` (each with its condition) together with the counter updates, all or
 * nothing. Returns undefined when everything was written, or the index in `conditional` of the
 * first item whose condition failed (nothing written); retries transaction conflicts, rethrows
 * anything else.
 */
export async function transactWithCounters(
  documents: DynamoDocuments,
  tableName: string,
  conditional: readonly TransactItem[],
  counters: readonly CounterUpdate[],
): Promise<number | undefined> {
  const items = [...conditional, ...mergeCounters(counters).map((update) => counterUpdateItem(tableName, update))];
  for (let attempt = 1; ; attempt += 1) {
    try {
      await documents.send(new TransactWriteCommand({ TransactItems: items }));
      return undefined;
    } catch (error) {
      const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
      if ((error as Error).name !== 'TransactionCanceledException') throw error;
      const failed = reasons.findIndex((reason) => reason.Code === 'ConditionalCheckFailed');
      if (failed >= 0 && failed < conditional.length) return failed;
      const conflict =
        reasons.some((reason) => reason.Code === 'TransactionConflict') ||
        (error as Error).message?.includes('TransactionConflict');
      if (!conflict || attempt >= MAX_TRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 30));
    }
  }
}

/** One update per counter item (a transaction may not touch an item twice). */
export function mergeCounters(counters: readonly CounterUpdate[]): CounterUpdate[] {
  const merged = new Map<string, { key: CounterUpdate['key']; entity: string; add: Record<string, number> }>();
  for (const update of counters) {
    const id = `${update.key.pk}\u0000${update.key.sk}`;
    const entry = merged.get(id) ?? { key: update.key, entity: update.entity, add: {} };
    for (const [name, amount] of Object.entries(update.add)) entry.add[name] = (entry.add[name] ?? 0) + amount;
    merged.set(id, entry);
  }
  return [...merged.values()];
}
