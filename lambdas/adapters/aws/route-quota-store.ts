/**
 * Per-user route quotas in the rate-limit table: one item per user, route and fixed window
 * (`pk = ROUTE#<route>#<userId>#<window start>`, TTL `expiresAt` = the window's end), counted
 * with a single conditional `UpdateItem` (`ADD hits :one` if `hits < :limit`). DynamoDB applies
 * it atomically, so concurrent requests can never exceed the quota, and a refused request
 * writes nothing. The window rules are in `domain/rate-limit.ts` (`routeWindow`).
 *
 * @example
 * ```ts
 * const quotas = new DynamoDbRouteQuotas({ tableName });
 * await quotas.take('exportCreate', userId, config.routeQuotas.exportCreate, new Date());
 * ```
 */
import { defaultDynamoDocuments, type DynamoDocuments, UpdateCommand } from './dynamodb-documents.ts';
import type { RouteQuota } from '../../../lib/config.ts';
import { routeWindow } from '../../domain/rate-limit.ts';
import type { RouteQuotaDecision, RouteQuotaName, RouteQuotas } from '../../ports/route-quota.ts';

export interface DynamoDbRouteQuotasOptions {
  readonly tableName: string;
  /** DynamoDB client (a default client for the function's region). */
  readonly client?: DynamoDocuments;
}

export class DynamoDbRouteQuotas implements RouteQuotas {
  private readonly documents: DynamoDocuments;

  public constructor(private readonly options: DynamoDbRouteQuotasOptions) {
    this.documents = options.client ?? defaultDynamoDocuments();
  }

  public async take(route: RouteQuotaName, userId: string, quota: RouteQuota, now: Date): Promise<RouteQuotaDecision> {
    const window = routeWindow(route, userId, now.getTime(), quota);
    try {
      const output = await this.documents.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: window.key },
          UpdateExpression: 'ADD #hits :one SET #expiresAt = :endsAt',
          ConditionExpression: 'attribute_not_exists(#hits) OR #hits < :limit',
          ExpressionAttributeNames: { '#hits': 'hits', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':one': 1, ':limit': quota.requests, ':endsAt': window.endsAt },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const hits = typeof output.Attributes?.hits === 'number' ? output.Attributes.hits : quota.requests;
      return { allowed: true, remaining: Math.max(0, quota.requests - hits) };
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      return { allowed: false, retryAfterSeconds: window.retryAfterSeconds };
    }
  }
}
