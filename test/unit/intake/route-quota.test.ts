import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, resolveConfig, type RouteQuota } from '../../../lib/config.ts';
import { DynamoDbRouteQuotas } from '../../../lambdas/adapters/aws/route-quota-store.ts';
import { routeWindow } from '../../../lambdas/domain/rate-limit.ts';
import { httpHandler } from '../../../lambdas/handlers/http/middleware/http-handler.ts';
import { routeQuota } from '../../../lambdas/handlers/http/middleware/route-quota.ts';
import { jsonResponse } from '../../../lambdas/handlers/http/middleware/types.ts';
import { logger } from '../../../lambdas/handlers/shared/logger.ts';
import type { RouteQuotaDecision, RouteQuotaName, RouteQuotas } from '../../../lambdas/ports/route-quota.ts';
import { httpEvent, lambdaContext, parse } from './http-events.ts';
import { sdkDocuments } from '../../../local/aws/dynamodb-documents.ts';

logger.setLogLevel('SILENT');
const T0 = Date.parse('2026-01-01T00:00:00Z');

/** The store's rules in memory: one counter per window key, a refusal is not counted. */
class MemoryRouteQuotas implements RouteQuotas {
  public readonly counters = new Map<string, number>();
  public async take(route: RouteQuotaName, userId: string, quota: RouteQuota, now: Date): Promise<RouteQuotaDecision> {
    const window = routeWindow(route, userId, now.getTime(), quota);
    const hits = this.counters.get(window.key) ?? 0;
    if (hits >= quota.requests) return { allowed: false, retryAfterSeconds: window.retryAfterSeconds };
    this.counters.set(window.key, hits + 1);
    return { allowed: true, remaining: quota.requests - hits - 1 };
  }
}

describe('routeWindow', () => {
  it.each([
    { name: 'start of a minute window', at: 0, quota: { requests: 5, windowSeconds: 60 }, start: 0, retry: 60 },
    { name: 'middle of a minute window', at: 30_500, quota: { requests: 5, windowSeconds: 60 }, start: 0, retry: 30 },
    { name: 'last millisecond of a window', at: 59_999, quota: { requests: 5, windowSeconds: 60 }, start: 0, retry: 1 },
    { name: 'next window', at: 60_000, quota: { requests: 5, windowSeconds: 60 }, start: 60, retry: 60 },
    { name: 'hour window', at: 3_599_000, quota: { requests: 10, windowSeconds: 3600 }, start: 0, retry: 1 },
  ])('$name', ({ at, quota, start, retry }) => {
    // Act
    const window = routeWindow('exportCreate', 'user-1', T0 + at, quota);

    // Assess
    const startSeconds = T0 / 1000 + start;
    expect(window).toEqual({
      key: `ROUTE#exportCreate#user-1#${startSeconds}`,
      endsAt: startSeconds + quota.windowSeconds,
      retryAfterSeconds: retry,
    });
  });

  it('keeps users and routes apart', () => {
    // Act
    const keys = new Set([
      routeWindow('documentView', 'a', T0, { requests: 1, windowSeconds: 60 }).key,
      routeWindow('documentView', 'b', T0, { requests: 1, windowSeconds: 60 }).key,
      routeWindow('exportCreate', 'a', T0, { requests: 1, windowSeconds: 60 }).key,
    ]);

    // Assess
    expect(keys.size).toBe(3);
  });
});

describe('DynamoDbRouteQuotas', () => {
  const dynamo = mockClient(DynamoDBDocumentClient);
  afterEach(() => dynamo.reset());
  const quota = { requests: 3, windowSeconds: 60 };

  it('counts with one conditional ADD on the window item, with the window end as TTL', async () => {
    // Prepare
    dynamo.on(UpdateCommand).resolves({ Attributes: { hits: 2 } });
    const store = new DynamoDbRouteQuotas({
      tableName: 'limits',
      client: sdkDocuments(new DynamoDBClient({ region: 'eu-west-1' })),
    });

    // Act
    const decision = await store.take('documentView', 'user-1', quota, new Date(T0 + 10_000));

    // Assess
    expect(decision).toEqual({ allowed: true, remaining: 1 });
    const input = dynamo.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      TableName: 'limits',
      Key: { pk: `ROUTE#documentView#user-1#${T0 / 1000}` },
      UpdateExpression: 'ADD #hits :one SET #expiresAt = :endsAt',
      ConditionExpression: 'attribute_not_exists(#hits) OR #hits < :limit',
      ExpressionAttributeValues: { ':one': 1, ':limit': 3, ':endsAt': T0 / 1000 + 60 },
    });
  });

  it('refuses, with the seconds left in the window, when the condition fails', async () => {
    // Prepare
    dynamo
      .on(UpdateCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    const store = new DynamoDbRouteQuotas({
      tableName: 'limits',
      client: sdkDocuments(new DynamoDBClient({ region: 'eu-west-1' })),
    });

    // Act
    const decision = await store.take('documentView', 'user-1', quota, new Date(T0 + 45_200));

    // Assess
    expect(decision).toEqual({ allowed: false, retryAfterSeconds: 15 });
  });

  it('passes any other DynamoDB error on (a 500, never a silent allow)', async () => {
    // Prepare
    dynamo
      .on(UpdateCommand)
      .rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
    const store = new DynamoDbRouteQuotas({
      tableName: 'limits',
      client: sdkDocuments(new DynamoDBClient({ region: 'eu-west-1' })),
    });

    // Act
    const taking = store.take('documentView', 'user-1', quota, new Date(T0));

    // Assess
    await expect(taking).rejects.toThrow('throttled');
  });
});

describe('routeQuota middleware', () => {
  function quotaHandler(quotas: RouteQuotas | undefined, now: () => Date) {
    const config = resolveConfig({ routeQuotas: { exportCreate: { requests: 2, windowSeconds: 60 } } });
    let calls = 0;
    const handler = httpHandler({ roles: ['compliance_reviewer'] }, async () => {
      calls += 1;
      return jsonResponse(201, { ok: true });
    }).use(routeQuota({ name: 'exportCreate', quotas: () => quotas, config: () => config, now }));
    return { handler, calls: () => calls };
  }
  const staff = (userId: string) => httpEvent({ method: 'POST', userId, groups: ['compliance_reviewer'] });

  it('answers 429 RATE_LIMITED with retryAfterSeconds and Retry-After past the quota, before the handler runs', async () => {
    // Prepare
    const { handler, calls } = quotaHandler(new MemoryRouteQuotas(), () => new Date(T0 + 20_000));

    // Act
    const results = [];
    for (let index = 0; index < 3; index += 1) results.push(await handler(staff('reviewer-1'), lambdaContext));

    // Assess
    expect(results.map((result) => result.statusCode)).toEqual([201, 201, 429]);
    expect(parse(results[2]!)).toEqual({
      code: 'RATE_LIMITED',
      message: 'Too many requests',
      tip: expect.stringContaining('so many requests per person'),
      retryAfterSeconds: 40,
    });
    expect(results[2]!.headers['Retry-After']).toBe('40');
    expect(calls()).toBe(2);
  });

  it.each([
    {
      acceptLanguage: 'zh-CN',
      message: '请求过于频繁',
      tip: '此操作在一定时间内对每人有请求次数限制。请等待 retryAfterSeconds（Retry-After 响应头）所示的时间后再试。',
    },
    {
      acceptLanguage: 'fr, en;q=0.5',
      message: 'Too many requests',
      tip: 'This action allows only so many requests per person in a given time. Wait for the time given in retryAfterSeconds (the Retry-After header), then try again.',
    },
  ])(
    // A route quota's texts, not the catalog's, which speak of verification attempts.
    'answers the 429 with a route quota message and tip in the language of Accept-Language $acceptLanguage',
    async ({ acceptLanguage, message, tip }) => {
      // Prepare
      const { handler } = quotaHandler(new MemoryRouteQuotas(), () => new Date(T0 + 20_000));
      const event = () =>
        httpEvent({
          method: 'POST',
          userId: 'reviewer-1',
          groups: ['compliance_reviewer'],
          headers: { 'accept-language': acceptLanguage },
        });
      await handler(event(), lambdaContext);
      await handler(event(), lambdaContext);

      // Act
      const refused = await handler(event(), lambdaContext);

      // Assess
      expect(refused.statusCode).toBe(429);
      expect(parse(refused)).toEqual({ code: 'RATE_LIMITED', message, tip, retryAfterSeconds: 40 });
      expect(refused.headers['Retry-After']).toBe('40');
    },
  );

  it('counts each user apart and lets a new window in', async () => {
    // Prepare
    let now = T0;
    const { handler } = quotaHandler(new MemoryRouteQuotas(), () => new Date(now));
    await handler(staff('reviewer-1'), lambdaContext);
    await handler(staff('reviewer-1'), lambdaContext);

    // Act
    const otherUser = await handler(staff('reviewer-2'), lambdaContext);
    const sameUser = await handler(staff('reviewer-1'), lambdaContext);
    now = T0 + 60_000;
    const nextWindow = await handler(staff('reviewer-1'), lambdaContext);

    // Assess
    expect([otherUser.statusCode, sameUser.statusCode, nextWindow.statusCode]).toEqual([201, 429, 201]);
  });

  it('does not count callers the route refuses (403 before the quota)', async () => {
    // Prepare
    const quotas = new MemoryRouteQuotas();
    const { handler } = quotaHandler(quotas, () => new Date(T0));

    // Act
    const result = await handler(httpEvent({ method: 'POST', userId: 'u', groups: ['support'] }), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(403);
    expect(quotas.counters.size).toBe(0);
  });
});

describe('routeQuotas configuration', () => {
  it('has a quota for every expensive route by default', () => {
    // Assess
    expect(Object.keys(DEFAULT_CONFIG.routeQuotas).sort()).toEqual([
      'caseRead',
      'documentView',
      'exportApprove',
      'exportCreate',
      'subjectAccess',
      'supportView',
    ]);
  });

  it.each([
    { quota: { requests: 0, windowSeconds: 60 }, problem: 'routeQuotas.documentView.requests' },
    { quota: { requests: 1.5, windowSeconds: 60 }, problem: 'routeQuotas.documentView.requests' },
    { quota: { requests: 5, windowSeconds: 0 }, problem: 'routeQuotas.documentView.windowSeconds' },
    { quota: { requests: 5, windowSeconds: 100_000 }, problem: 'routeQuotas.documentView.windowSeconds' },
  ])('refuses $quota', ({ quota, problem }) => {
    // Act
    const resolving = () => resolveConfig({ routeQuotas: { documentView: quota } });

    // Assess
    expect(resolving).toThrow(ConfigError);
    expect(resolving).toThrow(problem);
  });
});
