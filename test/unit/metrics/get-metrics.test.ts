import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  ScanCommand as DocumentScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DecisionMetricsRepository } from '../../../lambdas/adapters/aws/decision-metrics-repository.ts';
import { createGetMetricsHandler } from '../../../lambdas/handlers/http/get-metrics.ts';
import { FakeClock } from '../../support/workflow-fakes.ts';
import { httpEvent, lambdaContext, parse } from '../intake/http-events.ts';
import { sdkDocuments } from '../../../local/aws/dynamodb-documents.ts';

const client = new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const dynamo = mockClient(DynamoDBDocumentClient);
const base = mockClient(client);
const clock = new FakeClock(new Date('2026-11-30T12:00:00Z'));
const handler = createGetMetricsHandler({
  metrics: new DecisionMetricsRepository({ tableName: 'verifications', client: sdkDocuments(client) }),
  clock,
});

function request(query: Record<string, string>, groups: string[] = ['compliance_reviewer']) {
  const event = httpEvent({ path: '/v1/metrics', groups });
  return handler({ ...event, queryStringParameters: query }, lambdaContext);
}

beforeEach(() => {
  dynamo.reset();
  base.reset();
  dynamo.on(QueryCommand).resolves({ Items: [] });
  dynamo.on(GetCommand).resolves({});
});

describe('GET /v1/metrics', () => {
  it('reads one Query per month of the range and the queue item, never a Scan', async () => {
    // Prepare
    dynamo.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => ({
      Items:
        input.ExpressionAttributeValues[':pk'] === 'METRICS#2026-11'
          ? [{ pk: 'METRICS#2026-11', sk: 'DAY#2026-11-02', entity: 'metrics_day', decided_auto: 4, approved_auto: 3 }]
          : [],
    }));
    dynamo.on(GetCommand).resolves({
      Item: { pk: 'METRICS#QUEUES', sk: 'QUEUES', entity: 'metrics_queues', open_standard: 5, overdue_standard: 2 },
    });

    // Act
    const response = await request({ from: '2026-09-15', to: '2026-11-30' });

    // Assess
    expect(response.statusCode).toBe(200);
    const queries = dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input as Record<string, unknown>);
    expect(queries.map((input) => (input.ExpressionAttributeValues as Record<string, string>)[':pk']).sort()).toEqual([
      'METRICS#2026-09',
      'METRICS#2026-10',
      'METRICS#2026-11',
    ]);
    expect(queries.every((input) => input.IndexName === undefined)).toBe(true);
    expect(base.commandCalls(ScanCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(DocumentScanCommand)).toHaveLength(0);
    const body = parse(response);
    expect(body).toMatchObject({
      from: '2026-09-15',
      to: '2026-11-30',
      decisions: { total: 4, approved: 3, automatic: 4 },
      approvalRate: 0.75,
    });
    expect(body.queues).toContainEqual({ queue: 'standard', open: 5, overdue: 2 });
    expect(body.days).toHaveLength(77);
  });

  it.each([
    [{ from: 'last-week' }, 'INVALID_RANGE'],
    [{ to: '2026-02-30' }, 'INVALID_RANGE'],
    [{ from: '2026-11-30', to: '2026-11-01' }, 'INVALID_RANGE'],
    [{ from: '2024-11-01', to: '2026-11-30' }, 'INVALID_RANGE'],
    [{ from: '2026-11-01', limit: '10' }, 'VALIDATION_ERROR'],
  ])('answers 400 to %j without reading anything', async (query, code) => {
    // Act
    const response = await request(query);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(parse(response)).toEqual({ code, message: expect.any(String) });
    expect(dynamo.calls()).toHaveLength(0);
  });

  it.each([['support'], ['user']])('refuses %s with 403', async (role) => {
    // Act
    const response = await request({}, role === 'user' ? [] : [role]);

    // Assess
    expect(response.statusCode).toBe(403);
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('defaults to the 30 days up to today', async () => {
    // Act
    const body = parse(await request({}, ['admin']));

    // Assess
    expect(body).toMatchObject({ from: '2026-11-01', to: '2026-11-30', approvalRate: null });
  });
});
