/**
 * Local twin of a Lambda event source mapping on a DynamoDB stream: polls DynamoDB Local's
 * stream of a table and invokes the mapped function with `DynamoDBStreamEvent` batches, as
 * Lambda does. At-least-once, nothing skipped:
 *
 *   poll ──GetRecords(shard iterator after checkpoint)──> batch ──invoke──> ok ──> checkpoint := last sequence
 *                                                                  └─ throws ──> keep checkpoint, retry next poll
 *
 * Checkpoints (last processed sequence number per shard) live in `<data-dir>/streams/` and are
 * written with write-then-rename, so a crash re-delivers at most the batch in flight (the
 * handler must be idempotent, as in AWS). DynamoDB Local keeps stream records for 24 hours.
 *
 * @example
 * ```ts
 * const poller = new DynamoDbStreamPoller({ endpoint, region, tableName, stateDir, invoke: (event) => archive(event) });
 * poller.start();
 * await poller.drain(); // every record so far delivered
 * await poller.stop();
 * ```
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { localClientConfig } from '../../aws/client-config.ts';

export interface DynamoDbStreamPollerOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly tableName: string;
  /** Folder for checkpoints (`<data-dir>/streams`). */
  readonly stateDir: string;
  /** Delivers one batch; a rejection leaves the batch to be delivered again. */
  readonly invoke: (event: { Records: unknown[] }) => Promise<unknown>;
  /** Milliseconds between polls when idle (1000). */
  readonly intervalMs?: number;
  /** Records per batch (100). */
  readonly batchSize?: number;
  readonly log?: (line: string) => void;
}

type Checkpoints = Record<string, string>;

export class DynamoDbStreamPoller {
  private readonly dynamo: DynamoDBClient;
  private readonly streams: DynamoDBStreamsClient;
  private readonly checkpointFile: string;
  private checkpoints: Checkpoints;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  public constructor(private readonly options: DynamoDbStreamPollerOptions) {
    const config = localClientConfig(options.endpoint, options.region);
    this.dynamo = new DynamoDBClient(config);
    this.streams = new DynamoDBStreamsClient(config);
    mkdirSync(options.stateDir, { recursive: true });
    this.checkpointFile = join(options.stateDir, `${options.tableName}.json`);
    this.checkpoints = existsSync(this.checkpointFile)
      ? (JSON.parse(readFileSync(this.checkpointFile, 'utf8')) as Checkpoints)
      : {};
  }

  /** Polls every `intervalMs` until `stop`. */
  public start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      void this.drain()
        .catch((error: unknown) => this.options.log?.(`stream ${this.options.tableName}: ${(error as Error).name}`))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs ?? 1_000);
        });
    };
    tick();
  }

  /** Delivers every record available now (one pass at a time; concurrent calls share it). */
  public drain(): Promise<void> {
    this.running ??= this.pollOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops polling after the pass in flight. */
  public async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    this.dynamo.destroy();
    this.streams.destroy();
  }

  private async pollOnce(): Promise<void> {
    const table = await this.dynamo.send(new DescribeTableCommand({ TableName: this.options.tableName }));
    const streamArn = table.Table?.LatestStreamArn;
    if (!streamArn) return;
    const stream = await this.streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of stream.StreamDescription?.Shards ?? []) {
      if (shard.ShardId) await this.pollShard(streamArn, shard.ShardId);
    }
  }

  private async pollShard(streamArn: string, shardId: string): Promise<void> {
    let iterator = await this.iteratorFor(streamArn, shardId);
    while (iterator && !this.stopped) {
      let output;
      try {
        output = await this.streams.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: this.options.batchSize ?? 100 }),
        );
      } catch (error) {
        if (error instanceof ExpiredIteratorException) {
          iterator = await this.iteratorFor(streamArn, shardId);
          continue;
        }
        throw error;
      }
      const records = output.Records ?? [];
      if (records.length === 0) return;
      await this.options.invoke({ Records: records.map((record) => lambdaShape(record, streamArn)) });
      const last = records.at(-1)?.dynamodb?.SequenceNumber;
      if (last) this.saveCheckpoint(shardId, last);
      iterator = output.NextShardIterator;
    }
  }

  private async iteratorFor(streamArn: string, shardId: string): Promise<string | undefined> {
    const after = this.checkpoints[shardId];
    try {
      const output = await this.streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ...(after
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
            : { ShardIteratorType: 'TRIM_HORIZON' }),
        }),
      );
      return output.ShardIterator;
    } catch (error) {
      // The checkpoint is older than the stream keeps (24 h): start at the oldest record kept.
      if (after && error instanceof TrimmedDataAccessException) {
        this.options.log?.(`stream ${this.options.tableName}: checkpoint trimmed, restarting at the oldest record`);
        delete this.checkpoints[shardId];
        return this.iteratorFor(streamArn, shardId);
      }
      throw error;
    }
  }

  private saveCheckpoint(shardId: string, sequenceNumber: string): void {
    this.checkpoints = { ...this.checkpoints, [shardId]: sequenceNumber };
    const temporary = `${this.checkpointFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.checkpoints));
    renameSync(temporary, this.checkpointFile);
  }
}

/** A stream record in the shape Lambda passes to a DynamoDB stream handler. */
function lambdaShape(record: StreamRecord, streamArn: string): Record<string, unknown> {
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion,
    eventSourceARN: streamArn,
    dynamodb: {
      ...record.dynamodb,
      ApproximateCreationDateTime: record.dynamodb?.ApproximateCreationDateTime
        ? Math.floor(record.dynamodb.ApproximateCreationDateTime.getTime() / 1000)
        : undefined,
    },
  };
}
