/**
 * Reads the decision and review-queue counters (`domain/decision-metrics.ts`) from the
 * verifications table: one Query per calendar month of the range (`METRICS#<yyyy-mm>`, sort key
 * between `DAY#<from>` and `DAY#<to>`) and one GetItem for the queues. Never a Scan: a year of
 * metrics costs at most 13 queries of one small item per day.
 *
 * @example
 * ```ts
 * const metrics = new DecisionMetricsRepository({ tableName: process.env.VERIFICATIONS_TABLE! });
 * const days = await metrics.readDays(metricsRange({ from: '2026-11-01', to: '2026-11-30' }, new Date()).days);
 * ```
 */
import { defaultDynamoDocuments, type DynamoDocuments, GetCommand, QueryCommand } from './dynamodb-documents.ts';
import { QUEUE_COUNTERS_KEY, type DayCounters } from '../../domain/decision-metrics.ts';
import type { DecisionMetricsReader } from '../../ports/decision-metrics.ts';

export interface DecisionMetricsRepositoryOptions {
  readonly tableName: string;
  /** DynamoDB client (a default client for the function's region). */
  readonly client?: DynamoDocuments;
}

const NOT_COUNTERS = new Set(['pk', 'sk', 'entity']);

export class DecisionMetricsRepository implements DecisionMetricsReader {
  private readonly documents: DynamoDocuments;

  public constructor(private readonly options: DecisionMetricsRepositoryOptions) {
    this.documents = options.client ?? defaultDynamoDocuments();
  }

  public async readDays(days: readonly string[]): Promise<DayCounters[]> {
    const months = new Map<string, string[]>();
    for (const day of days) months.set(day.slice(0, 7), [...(months.get(day.slice(0, 7)) ?? []), day]);
    const results = await Promise.all(
      [...months].map(async ([month, monthDays]) => {
        const found: DayCounters[] = [];
        let startKey: Record<string, unknown> | undefined;
        do {
          const output = await this.documents.send(
            new QueryCommand({
              TableName: this.options.tableName,
              KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
              ExpressionAttributeValues: {
                ':pk': `METRICS#${month}`,
                ':first': `DAY#${monthDays[0]}`,
                ':last': `DAY#${monthDays.at(-1)}`,
              },
              ExclusiveStartKey: startKey,
            }),
          );
          for (const item of output.Items ?? []) {
            found.push({ day: String(item.sk).slice('DAY#'.length), counts: counters(item) });
          }
          startKey = output.LastEvaluatedKey;
        } while (startKey);
        return found;
      }),
    );
    return results.flat();
  }

  public async readQueueCounts(): Promise<Record<string, number>> {
    const output = await this.documents.send(
      new GetCommand({ TableName: this.options.tableName, Key: { ...QUEUE_COUNTERS_KEY } }),
    );
    return output.Item ? counters(output.Item) : {};
  }
}

function counters(item: Record<string, unknown>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [name, value] of Object.entries(item)) {
    if (!NOT_COUNTERS.has(name) && typeof value === 'number') counts[name] = value;
  }
  return counts;
}
