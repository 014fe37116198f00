// The local twin of a DynamoDB stream event source mapping, against DynamoDB Local's real
// streams: the mapping's batching window, retries with backoff, bisection, maximum record age,
// the on-failure record, and reading a given-up batch again.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient, GetRecordsCommand, TrimmedDataAccessException } from '@aws-sdk/client-dynamodb-streams';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { localClientConfig } from '../../../local/aws/client-config.ts';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../../local/aws/dynamodb-local.ts';
import {
  DynamoDbStreamPoller,
  STREAM_DESCRIPTION_MAX_AGE_MS,
  type DynamoDbStreamPollerOptions,
  type StreamBatchFailure,
} from '../../../local/runtime/events/dynamodb-stream-poller.ts';
import {
  replayStreamFailures,
  startStreamPollers,
  type StreamFailureLetter,
  type StreamPoller,
} from '../../../local/runtime/events/event-source-mappings.ts';
import type { LocalFunction } from '../../../local/runtime/template/local-functions.ts';
import { LocalResources } from '../../../local/runtime/template/local-resources.ts';

type Delivered = { keys: string[] };

let ddb: DynamoDbLocal;
let client: DynamoDBClient;
let dir: string;
let tables = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kyc-stream-poller-'));
  ddb = await startDynamoDbLocal();
  client = new DynamoDBClient(localClientConfig(ddb.endpoint));
});

afterAll(async () => {
  client?.destroy();
  await ddb?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh table with a stream, holding `keys` in that order. */
async function tableWith(keys: readonly string[]): Promise<string> {
  tables += 1;
  const name = `events-${tables}`;
  await client.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
    }),
  );
  await putKeys(name, keys);
  return name;
}

async function putKeys(table: string, keys: readonly string[]): Promise<void> {
  for (const id of keys) await client.send(new PutItemCommand({ TableName: table, Item: { id: { S: id } } }));
}

const keysOf = (event: { Records: unknown[] }): string[] =>
  event.Records.map((record) => (record as { dynamodb: { Keys: { id: { S: string } } } }).dynamodb.Keys.id.S);

/** A poller of `table` whose function records each batch it is given, failing those `fails` picks. */
function pollerOf(
  table: string,
  options: Partial<DynamoDbStreamPollerOptions> & { fails?: (keys: string[]) => boolean } = {},
): { poller: DynamoDbStreamPoller; delivered: Delivered[]; attempts: string[][]; failures: StreamBatchFailure[] } {
  const delivered: Delivered[] = [];
  const attempts: string[][] = [];
  const failures: StreamBatchFailure[] = [];
  const poller = new DynamoDbStreamPoller({
    endpoint: ddb.endpoint,
    region: 'eu-west-1',
    tableName: table,
    stateDir: join(dir, table),
    functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:archiver',
    onFailure: (failure) => failures.push(failure),
    invoke: async (event) => {
      const keys = keysOf(event);
      attempts.push(keys);
      if (options.fails?.(keys)) throw new Error(`cannot take ${keys.join(',')}`);
      delivered.push({ keys });
    },
    ...options,
  });
  return { poller, delivered, attempts, failures };
}

/** Drains until `done`, ignoring the function's errors (each drain is one attempt). */
async function drainUntil(poller: DynamoDbStreamPoller, done: () => boolean, limit = 40): Promise<void> {
  for (let pass = 0; pass < limit && !done(); pass += 1) await poller.drain().catch(() => undefined);
}

describe('DynamoDbStreamPoller (local event source mapping on a DynamoDB stream)', () => {
  it('bisects a failing batch down to the bad record, gives its position up after the retries, and delivers every other record once', async () => {
    // Prepare
    const keys = Array.from({ length: 10 }, (_, index) => (index === 6 ? 'poison' : `event-${index}`));
    const table = await tableWith(keys);
    const { poller, delivered, attempts, failures } = pollerOf(table, {
      batchSize: 10,
      errors: { maxRetryAttempts: 2, bisectOnError: true, backoffBaseMs: 0 },
      fails: (batch) => batch.includes('poison'),
    });

    // Act
    await drainUntil(poller, () => failures.length > 0);
    await poller.drain();

    // Assess
    expect(delivered.flatMap((batch) => batch.keys).sort()).toEqual(keys.filter((key) => key !== 'poison').sort());
    expect(failures).toHaveLength(1);
    const [failure] = failures as [StreamBatchFailure];
    expect(failure.requestContext).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 3,
      functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:archiver',
    });
    expect(failure.responseContext?.functionError).toBe('Unhandled');
    expect(failure.DDBStreamBatchInfo).toMatchObject({
      batchSize: 1,
      streamArn: expect.stringContaining(`table/${table}/stream/`),
    });
    expect(failure.DDBStreamBatchInfo.startSequenceNumber).toBe(failure.DDBStreamBatchInfo.endSequenceNumber);
    // The failed batches halved (10, 5, 3, 2, 1 ...), and the single bad record was tried 1 + 2 times.
    const failedSizes = attempts.filter((batch) => batch.includes('poison')).map((batch) => batch.length);
    expect(failedSizes.slice(0, 2)).toEqual([10, 5]);
    expect(failedSizes.filter((size) => size === 1)).toHaveLength(3);

    // Act: the function mended, the given-up batch is read from the stream again.
    const mended = pollerOf(table);
    const count = await mended.poller.redeliver(failure);
    // Assess
    expect(count).toBe(1);
    expect(mended.delivered).toEqual([{ keys: ['poison'] }]);
    await poller.stop();
    await mended.poller.stop();
  });

  it('polls an idle stream with one GetRecords per shard, from where its last read ended, and describes it again after a while', async () => {
    // Prepare: a stream with two records, and every call the poller makes recorded by name
    let clock = 1_000_000;
    const table = await tableWith(['a', 'b']);
    const { poller, delivered } = pollerOf(table, { now: () => clock });
    const calls: string[] = [];
    const count = (target: { send: (...args: never[]) => unknown }) => {
      const send = target.send;
      return vi.spyOn(target, 'send').mockImplementation(function (this: unknown, ...args: never[]) {
        const name = (args[0] as unknown as object).constructor.name.replace(/Command$/, '');
        if (name !== 'PutItem') calls.push(name); // the test's own writes
        return send.apply(this, args);
      } as typeof send);
    };
    const spies = [count(DynamoDBClient.prototype), count(DynamoDBStreamsClient.prototype)];

    try {
      // Act + Assess: the first poll describes the stream and reads it to its end
      await poller.poll();
      expect(delivered).toEqual([{ keys: ['a', 'b'] }]);
      expect(calls.slice(0, 3)).toEqual(['DescribeTable', 'DescribeStream', 'GetShardIterator']);
      // Idle polls: one read each, from where the last one ended
      calls.length = 0;
      await poller.poll();
      await poller.poll();
      expect(calls).toEqual(['GetRecords', 'GetRecords']);
      // What arrives later is read through that iterator, once
      await putKeys(table, ['c']);
      calls.length = 0;
      await poller.poll();
      await poller.poll();
      expect(delivered).toEqual([{ keys: ['a', 'b'] }, { keys: ['c'] }]);
      expect(calls.every((name) => name === 'GetRecords')).toBe(true);
      // After a while the stream is described again and the read starts after the checkpoint
      clock += STREAM_DESCRIPTION_MAX_AGE_MS;
      calls.length = 0;
      await putKeys(table, ['d']);
      await poller.poll();
      expect(calls.slice(0, 3)).toEqual(['DescribeTable', 'DescribeStream', 'GetShardIterator']);
      expect(delivered).toEqual([{ keys: ['a', 'b'] }, { keys: ['c'] }, { keys: ['d'] }]);
    } finally {
      for (const spy of spies) spy.mockRestore();
      await poller.stop();
    }
  });

  it('starts again after the checkpoint when the iterator it kept no longer reads, losing and repeating nothing', async () => {
    // Prepare: a stream read to its end, then a record written, and the kept iterator refused
    // once as DynamoDB Local refused one under load (TrimmedDataAccessException)
    const table = await tableWith(['a']);
    const { poller, delivered } = pollerOf(table);
    await poller.poll();
    await putKeys(table, ['b']);
    const send = DynamoDBStreamsClient.prototype.send;
    let refused = 0;
    const spy = vi.spyOn(DynamoDBStreamsClient.prototype, 'send').mockImplementation(function (
      this: DynamoDBStreamsClient,
      ...args: never[]
    ) {
      if (refused === 0 && (args[0] as unknown) instanceof GetRecordsCommand) {
        refused += 1;
        return Promise.reject(
          new TrimmedDataAccessException({ message: 'read past the oldest stream record', $metadata: {} }),
        );
      }
      return (send as (...rest: never[]) => unknown).apply(this, args);
    } as typeof send);

    try {
      // Act
      await poller.poll();
      await poller.poll();
    } finally {
      spy.mockRestore();
      await poller.stop();
    }

    // Assess
    expect(refused).toBe(1);
    expect(delivered).toEqual([{ keys: ['a'] }, { keys: ['b'] }]);
  });

  it('lets a batch smaller than the batch size gather for the batching window, and drain does not wait', async () => {
    // Prepare
    let clock = 1_000_000;
    const table = await tableWith(['a', 'b']);
    const { poller, delivered } = pollerOf(table, { batchSize: 5, batchingWindowMs: 400, now: () => clock });

    // Act + Assess
    await poller.poll();
    expect(delivered).toEqual([]);
    await putKeys(table, ['c']);
    clock += 399;
    await poller.poll();
    expect(delivered).toEqual([]);
    clock += 1;
    await poller.poll();
    expect(delivered).toEqual([{ keys: ['a', 'b', 'c'] }]);
    // A full batch goes at once.
    await putKeys(table, ['d', 'e', 'f', 'g', 'h']);
    await poller.poll();
    expect(delivered.at(-1)).toEqual({ keys: ['d', 'e', 'f', 'g', 'h'] });
    // drain delivers what gathers.
    await putKeys(table, ['i']);
    await poller.poll();
    expect(delivered).toHaveLength(2);
    await poller.drain();
    expect(delivered.at(-1)).toEqual({ keys: ['i'] });
    await poller.stop();
  });

  it('retries a failed batch after a backoff that doubles up to its cap, keeping the checkpoint; drain retries at once', async () => {
    // Prepare
    let clock = 5_000_000;
    let broken = true;
    const table = await tableWith(['x', 'y']);
    const { poller, delivered, attempts } = pollerOf(table, {
      errors: { backoffBaseMs: 100, backoffMaxMs: 300 },
      now: () => clock,
      fails: () => broken,
    });
    /** The attempts after one poll at `at` (ms after the start). */
    const pollAt = async (at: number): Promise<number> => {
      clock = 5_000_000 + at;
      await poller.poll().catch(() => undefined);
      return attempts.length;
    };

    // Act + Assess: attempts at 0, 100 (+100), 300 (+200), 600 (+300, capped), 900 (+300).
    expect(await pollAt(0)).toBe(1);
    expect(await pollAt(99)).toBe(1);
    expect(await pollAt(100)).toBe(2);
    expect(await pollAt(299)).toBe(2);
    expect(await pollAt(300)).toBe(3);
    expect(await pollAt(599)).toBe(3);
    expect(await pollAt(600)).toBe(4);
    expect(await pollAt(899)).toBe(4);
    expect(await pollAt(900)).toBe(5);
    await expect(poller.drain()).rejects.toThrow('cannot take x,y');
    expect(attempts).toHaveLength(6);
    // No retry limit (Lambda's default): the batch stays until the function takes it.
    broken = false;
    await poller.drain();
    expect(delivered).toEqual([{ keys: ['x', 'y'] }]);
    await poller.stop();

    // A restarted poller resumes after the checkpoint: nothing is delivered twice.
    const again = pollerOf(table);
    await again.poller.drain();
    expect(again.attempts).toEqual([]);
    await again.poller.stop();
  });

  it('gives up records older than the maximum record age without invoking the function', async () => {
    // Prepare
    const table = await tableWith(['old-1', 'old-2']);
    const { poller, attempts, failures } = pollerOf(table, {
      errors: { maxRecordAgeMs: 60_000 },
      now: () => Date.now() + 120_000,
    });

    // Act
    await poller.drain();
    await poller.drain();

    // Assess
    expect(attempts).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(failures[0]?.requestContext).toMatchObject({ condition: 'RecordAgeExceeded', approximateInvokeCount: 0 });
    expect(failures[0]?.responseContext).toBeUndefined();
    expect(failures[0]?.DDBStreamBatchInfo.batchSize).toBe(2);
    expect(failures[0]?.DDBStreamBatchInfo.approximateArrivalOfFirstRecord).toMatch(/^\d{4}-\d\d-\d\dT/);
    await poller.stop();
  });

  it('replays the batches of dlq/streams.jsonl to their functions and keeps those it cannot', async () => {
    // Prepare: one batch given up on, one letter for a function that is gone, and a torn last line.
    const table = await tableWith(['late']);
    const first = pollerOf(table, { errors: { maxRetryAttempts: 0 }, fails: () => true });
    await first.poller.drain();
    await first.poller.stop();
    expect(first.failures).toHaveLength(1);
    const file = join(dir, `${table}-streams.jsonl`);
    const letter = (target: string): string =>
      JSON.stringify({
        target,
        table,
        destination: 'arn:aws:sqs:eu-west-1:000000000000:failures',
        failure: first.failures[0],
      });
    writeFileSync(file, `${letter('archiver')}\n${letter('removed-function')}\n{"torn`);
    const mended = pollerOf(table);
    const pollers = [Object.assign(mended.poller, { target: 'archiver' })] as StreamPoller[];
    const lines: string[] = [];

    // Act
    const result = await replayStreamFailures(
      file,
      pollers,
      (line) => lines.push(line),
      new Date('2026-12-01T00:00:00Z'),
    );

    // Assess
    expect(result).toEqual({ replayed: 1, kept: 1 });
    expect(mended.delivered).toEqual([{ keys: ['late'] }]);
    expect(
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).target),
    ).toEqual(['removed-function']);
    expect(readdirSync(dir).filter((name) => name.startsWith('streams.replayed-'))).toHaveLength(1);
    expect(lines.some((line) => line.includes('1 record(s) replayed to archiver'))).toBe(true);
    expect(existsSync(file)).toBe(true);
    await mended.poller.stop();
  });

  it("runs a template's stream mapping with its settings, writes what it gives up to the failure file, and replays it", async () => {
    // Prepare: a mapping that gives up at the first failure, its queue, and a function that fails once.
    const table = await tableWith(['k-1', 'k-2', 'k-3']);
    const resources = new LocalResources(
      [
        {
          stackName: 'app',
          template: {
            Resources: {
              Events: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: table } },
              Failures: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'stream-failures' } },
              Mapping: {
                Type: 'AWS::Lambda::EventSourceMapping',
                Properties: {
                  EventSourceArn: { 'Fn::GetAtt': ['Events', 'StreamArn'] },
                  FunctionName: 'archiver',
                  BatchSize: 2,
                  MaximumRetryAttempts: 0,
                  DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['Failures', 'Arn'] } } },
                },
              },
            },
          },
        },
      ],
      'eu-west-1',
    );
    const fn = { name: 'archiver', arn: 'arn:aws:lambda:eu-west-1:000000000000:function:archiver' } as LocalFunction;
    const failureFile = join(dir, 'wired', 'dlq', 'streams.jsonl');
    const batches: string[][] = [];
    let broken = true;
    const invoke = async (_fn: LocalFunction, event: unknown): Promise<void> => {
      if (broken) throw new Error('archive unavailable');
      batches.push(keysOf(event as { Records: unknown[] }));
    };
    const options = {
      endpoint: ddb.endpoint,
      region: 'eu-west-1',
      stateDir: join(dir, 'wired', 'streams'),
      failureFile,
      timeScale: 1,
      log: () => undefined,
    };

    // Act: the runtime's pollers give the two batches up (no retry) and go on.
    const [poller] = startStreamPollers(resources, [fn], invoke, options);
    await poller!.drain();
    await poller!.stop();
    const letters = readFileSync(failureFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as StreamFailureLetter);

    // Assess
    expect(
      letters.map((letter) => [
        letter.target,
        letter.table,
        letter.destination,
        letter.failure.DDBStreamBatchInfo.batchSize,
      ]),
    ).toEqual([
      ['archiver', table, 'arn:aws:sqs:eu-west-1:000000000000:stream-failures', 2],
      ['archiver', table, 'arn:aws:sqs:eu-west-1:000000000000:stream-failures', 1],
    ]);
    expect(letters[0]?.failure.requestContext.functionArn).toBe(fn.arn);

    // Act: the function mended, a restart with --replay-dlq reads both batches again.
    broken = false;
    const restarted = startStreamPollers(resources, [fn], invoke, options);
    const replay = await replayStreamFailures(failureFile, restarted, () => undefined);
    await Promise.all(restarted.map((again) => again.stop()));

    // Assess
    expect(replay).toEqual({ replayed: 2, kept: 0 });
    expect(batches.flat().sort()).toEqual(['k-1', 'k-2', 'k-3']);
    expect(existsSync(failureFile)).toBe(false);
  });
});
