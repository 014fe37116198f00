/**
 * Local twin of a Lambda event source mapping on a DynamoDB stream: polls DynamoDB Local's
 * stream of a table and invokes the mapped function with `DynamoDBStreamEvent` batches, as
 * Lambda does, with the mapping's batching and error handling:
 *
 *   poll ──GetRecords(after checkpoint, up to the batch size)──> batch
 *     ├─ fewer than the batch size, first seen less than the batching window ago ──> wait
 *     ├─ leading records older than the maximum record age ──> on-failure (RecordAgeExceeded), skip
 *     └─ invoke ──> ok ──> checkpoint := last sequence
 *                └─ throws ──> bisecting and more than one record: try its first half at once;
 *                              otherwise: retry at a later poll after a backoff (doubling); after
 *                              the maximum retry attempts ──> on-failure (RetryAttemptsExhausted),
 *                              checkpoint past it, go on
 *
 * What reaches `onFailure` is the record Lambda sends an on-failure destination (the batch's
 * shard and sequence numbers, not its data); the records stay in the stream (24 hours), and
 * `redeliver` reads such a range again. Checkpoints (last processed sequence number per shard)
 * live in `<data-dir>/streams/` and are written with write-then-rename, so a crash re-delivers at
 * most the batch in flight (the handler must be idempotent, as in AWS).
 *
 * Between polls the poller keeps what it learnt: the stream's ARN and shards (described again
 * every {@link STREAM_DESCRIPTION_MAX_AGE_MS}, and at once when a shard closes or the stream is
 * gone), and, for a shard read to its end, the iterator its last empty read returned, which
 * carries on after the last record delivered. An idle poll is then one GetRecords per shard,
 * not DescribeTable, DescribeStream, GetShardIterator and GetRecords. Any other outcome (a
 * batch kept for its batching window or a retry, an error, a restart) forgets the iterator, and
 * the next read starts again after the checkpoint.
 *
 * @example
 * ```ts
 * const poller = new DynamoDbStreamPoller({ endpoint, region, tableName, stateDir, invoke: (event) => archive(event) });
 * poller.start();
 * await poller.drain(); // every record so far delivered, batching window and backoff aside
 * await poller.stop();
 * ```
 */
import { randomUUID } from 'node:crypto';
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

/** The mapping's error handling (`AWS::Lambda::EventSourceMapping`); the defaults are Lambda's. */
export interface StreamErrorHandling {
  /** `MaximumRetryAttempts`: retries after the first failure; -1 (default) retries until the records expire. */
  readonly maxRetryAttempts?: number;
  /** `BisectBatchOnFunctionError`: a failed batch is retried in halves, down to one record (default false). */
  readonly bisectOnError?: boolean;
  /** `MaximumRecordAgeInSeconds`, in ms: older records go to `onFailure` unsent; -1 (default) as long as the stream keeps them. */
  readonly maxRecordAgeMs?: number;
  /** Wait before the first retry (the poll interval); doubles with each failure. */
  readonly backoffBaseMs?: number;
  /** Longest wait between retries (30 s). */
  readonly backoffMaxMs?: number;
}

/** What Lambda sends a stream mapping's on-failure destination for a batch it gave up on. */
export interface StreamBatchFailure {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    readonly approximateInvokeCount: number;
  };
  /** Present when the function was invoked and failed. */
  readonly responseContext?: {
    readonly statusCode: 200;
    readonly executedVersion: '$LATEST';
    readonly functionError: 'Unhandled';
  };
  readonly version: '1.0';
  readonly timestamp: string;
  readonly DDBStreamBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord?: string;
    readonly approximateArrivalOfLastRecord?: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}

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
  /** `MaximumBatchingWindowInSeconds`, in ms: how long a batch smaller than `batchSize` may gather records (0). */
  readonly batchingWindowMs?: number;
  readonly errors?: StreamErrorHandling;
  /**
   * Receives a batch given up on (retries exhausted, records too old) before the checkpoint
   * moves past it; a throw keeps the batch. Without it the batch is only logged, as Lambda
   * discards it without a destination.
   */
  readonly onFailure?: (failure: StreamBatchFailure) => void;
  /** The mapped function's ARN, for `onFailure` records. */
  readonly functionArn?: string;
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

type Checkpoints = Record<string, string>;

/** Where a shard's delivery stands between polls. */
interface ShardState {
  /** Failed invocations of the batch at the checkpoint (splits aside). */
  failures: number;
  /** Records read per batch (the batch size, less after bisecting). */
  limit: number;
  /** No retry before this time (epoch ms). */
  retryAt: number;
  /** When a batch smaller than the batch size was first seen (epoch ms). */
  gatheringSince: number | undefined;
}

const DEFAULT_BACKOFF_MAX_MS = 30_000;

/** How long a poller uses the stream ARN and shard list it described (ms). */
export const STREAM_DESCRIPTION_MAX_AGE_MS = 30_000;

/** The table's stream as last described. */
interface DescribedStream {
  readonly streamArn: string;
  readonly shardIds: readonly string[];
  readonly at: number;
}

/** The records of a batch given up on are no longer in the stream (it keeps them 24 hours). */
export class StreamBatchGoneError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StreamBatchGoneError';
  }
}

export class DynamoDbStreamPoller {
  private readonly dynamo: DynamoDBClient;
  private readonly streams: DynamoDBStreamsClient;
  private readonly checkpointFile: string;
  private readonly shards = new Map<string, ShardState>();
  /** Per shard read to its end: the iterator of its last (empty) read, after the last record delivered. */
  private readonly tails = new Map<string, string>();
  private described: DescribedStream | undefined;
  /** Closed shards read to their end: nothing more will come from them. */
  private readonly ended = new Set<string>();
  private readonly now: () => number;
  private checkpoints: Checkpoints;
  private timer: NodeJS.Timeout | undefined;
  /** The pass or redelivery in flight: one invocation per shard at a time, as Lambda does. */
  private lock: Promise<unknown> = Promise.resolve();
  private stopped = false;

  public constructor(private readonly options: DynamoDbStreamPollerOptions) {
    const config = localClientConfig(options.endpoint, options.region);
    this.dynamo = new DynamoDBClient(config);
    this.streams = new DynamoDBStreamsClient(config);
    this.now = options.now ?? Date.now;
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
      void this.poll()
        .catch((error: unknown) => this.options.log?.(`stream ${this.options.tableName}: ${(error as Error).name}`))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs ?? 1_000);
        });
    };
    tick();
  }

  /**
   * One poll, as the timer makes it: a batch smaller than the batch size waits out the batching
   * window, a failed batch its backoff. Rejects with the function's error when a batch fails.
   */
  public poll(): Promise<void> {
    return this.pass(false);
  }

  /**
   * Delivers every record available now, without waiting for a batching window or a retry's
   * backoff (after the pass in flight). Rejects with the function's error
   * when a batch fails and is kept for a retry.
   */
  public drain(): Promise<void> {
    return this.pass(true);
  }

  /** Stops polling after the pass in flight. */
  public async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.lock.catch(() => undefined);
    this.dynamo.destroy();
    this.streams.destroy();
  }

  /**
   * Invokes the function once with the records of a batch given up on (`failure`), read again
   * from the stream; the checkpoint does not move. Throws when the function fails, or when the
   * stream no longer holds the records (`StreamBatchGoneError`).
   */
  public redeliver(failure: StreamBatchFailure): Promise<number> {
    return this.exclusive(() => this.readAndInvoke(failure));
  }

  private async readAndInvoke(failure: StreamBatchFailure): Promise<number> {
    const info = failure.DDBStreamBatchInfo;
    const gone = `records ${info.startSequenceNumber}..${info.endSequenceNumber} of ${info.shardId} are no longer in the stream`;
    let first;
    try {
      first = await this.streams.send(
        new GetShardIteratorCommand({
          StreamArn: info.streamArn,
          ShardId: info.shardId,
          ShardIteratorType: 'AT_SEQUENCE_NUMBER',
          SequenceNumber: info.startSequenceNumber,
        }),
      );
    } catch (error) {
      if (error instanceof TrimmedDataAccessException || (error as Error).name === 'ResourceNotFoundException') {
        throw new StreamBatchGoneError(gone, { cause: error });
      }
      throw error;
    }
    const end = BigInt(info.endSequenceNumber);
    const records: StreamRecord[] = [];
    let iterator = first.ShardIterator;
    while (iterator) {
      const output = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      const page = output.Records ?? [];
      const within = page.filter((record) => BigInt(record.dynamodb?.SequenceNumber ?? '0') <= end);
      records.push(...within);
      if (page.length === 0 || within.length < page.length) break;
      iterator = output.NextShardIterator;
    }
    if (records.length === 0) throw new StreamBatchGoneError(gone);
    await this.options.invoke({ Records: records.map((record) => lambdaShape(record, info.streamArn)) });
    return records.length;
  }

  private pass(force: boolean): Promise<void> {
    return this.exclusive(() => this.pollOnce(force));
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.lock.catch(() => undefined).then(work);
    this.lock = next;
    return next;
  }

  private async pollOnce(force: boolean): Promise<void> {
    const stream = await this.describe();
    if (!stream) return;
    try {
      for (const shardId of stream.shardIds) {
        if (!this.ended.has(shardId)) await this.pollShard(stream.streamArn, shardId, force);
      }
    } catch (error) {
      // The stream or a shard may be gone (table recreated, stream turned off): describe it again.
      if ((error as Error).name === 'ResourceNotFoundException') this.forgetStream();
      throw error;
    }
  }

  /** The stream's ARN and shards: as described within the last {@link STREAM_DESCRIPTION_MAX_AGE_MS}, or described now. */
  private async describe(): Promise<DescribedStream | undefined> {
    const known = this.described;
    const now = this.now();
    if (known && now - known.at >= 0 && now - known.at < STREAM_DESCRIPTION_MAX_AGE_MS) return known;
    this.forgetStream();
    const table = await this.dynamo.send(new DescribeTableCommand({ TableName: this.options.tableName }));
    const streamArn = table.Table?.LatestStreamArn;
    if (!streamArn) return undefined;
    const stream = await this.streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const shardIds = (stream.StreamDescription?.Shards ?? []).flatMap((shard) =>
      shard.ShardId ? [shard.ShardId] : [],
    );
    this.described = { streamArn, shardIds, at: now };
    return this.described;
  }

  private forgetStream(): void {
    this.described = undefined;
    this.tails.clear();
  }

  private shard(shardId: string): ShardState {
    let state = this.shards.get(shardId);
    if (!state) {
      state = { failures: 0, limit: this.batchSize(), retryAt: 0, gatheringSince: undefined };
      this.shards.set(shardId, state);
    }
    return state;
  }

  private batchSize(): number {
    return this.options.batchSize ?? 100;
  }

  private async pollShard(streamArn: string, shardId: string, force: boolean): Promise<void> {
    const state = this.shard(shardId);
    if (!force && this.now() < state.retryAt) return;
    const tail = this.tails.get(shardId);
    this.tails.delete(shardId);
    let iterator = tail ?? (await this.iteratorFor(streamArn, shardId));
    let kept = tail !== undefined;
    while (iterator && !this.stopped) {
      let output;
      try {
        output = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: state.limit }));
      } catch (error) {
        // An expired iterator, or a kept one the stream no longer reads from (DynamoDB Local
        // may answer it TrimmedDataAccessException): start again after the checkpoint.
        if (error instanceof ExpiredIteratorException || kept) {
          kept = false;
          iterator = await this.iteratorFor(streamArn, shardId);
          continue;
        }
        throw error;
      }
      kept = false;
      const records = output.Records ?? [];
      if (records.length === 0) {
        // Read to the end: the next poll goes on from here. A closed shard has no next iterator:
        // it is done with, and the stream is described again to find the shards that follow it.
        if (output.NextShardIterator) {
          this.tails.set(shardId, output.NextShardIterator);
        } else {
          this.ended.add(shardId);
          this.described = undefined;
        }
        return;
      }
      const expired = this.expiredHead(records);
      if (expired.length > 0) {
        this.giveUp(streamArn, shardId, expired, 'RecordAgeExceeded', 0);
        iterator = await this.iteratorFor(streamArn, shardId);
        continue;
      }
      if (!force && records.length < state.limit && (this.options.batchingWindowMs ?? 0) > 0) {
        state.gatheringSince ??= this.now();
        if (this.now() - state.gatheringSince < (this.options.batchingWindowMs ?? 0)) return;
      }
      try {
        await this.options.invoke({ Records: records.map((record) => lambdaShape(record, streamArn)) });
      } catch (error) {
        const next = this.failed(state, records.length);
        if (next === 'retry') throw error;
        if (next === 'give up') this.giveUp(streamArn, shardId, records, 'RetryAttemptsExhausted', state.failures);
        iterator = await this.iteratorFor(streamArn, shardId);
        continue;
      }
      this.delivered(shardId, records);
      iterator = output.NextShardIterator;
    }
  }

  /**
   * What follows a failed invocation of a batch of `size` records. When bisecting, a batch of
   * more than one record is split: its first half is tried at once, and the split spends no
   * retry, so the retries are those of the one record that fails. Otherwise the failure counts:
   * the batch is given up once the retries are spent, or retried at a later poll, after a
   * backoff that doubles each time.
   */
  private failed(state: ShardState, size: number): 'split' | 'retry' | 'give up' {
    const errors = this.options.errors ?? {};
    if (errors.bisectOnError && size > 1) {
      state.limit = Math.ceil(size / 2);
      return 'split';
    }
    state.failures += 1;
    const maxRetries = errors.maxRetryAttempts ?? -1;
    if (maxRetries >= 0 && state.failures > maxRetries) return 'give up';
    const base = errors.backoffBaseMs ?? this.options.intervalMs ?? 1_000;
    state.retryAt =
      this.now() + Math.min(errors.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS, base * 2 ** (state.failures - 1));
    return 'retry';
  }

  /** The leading records older than the mapping's maximum record age. */
  private expiredHead(records: readonly StreamRecord[]): StreamRecord[] {
    const maxAge = this.options.errors?.maxRecordAgeMs ?? -1;
    if (maxAge < 0) return [];
    const now = this.now();
    const count = records.findIndex((record) => {
      const created = record.dynamodb?.ApproximateCreationDateTime?.getTime();
      return created === undefined || now - created <= maxAge;
    });
    return records.slice(0, count < 0 ? records.length : count);
  }

  /** Hands a batch given up on to `onFailure` (or the log), then moves the checkpoint past it. */
  private giveUp(
    streamArn: string,
    shardId: string,
    records: readonly StreamRecord[],
    condition: StreamBatchFailure['requestContext']['condition'],
    invocations: number,
  ): void {
    const arrival = (record: StreamRecord | undefined): string | undefined =>
      record?.dynamodb?.ApproximateCreationDateTime?.toISOString();
    const failure: StreamBatchFailure = {
      requestContext: {
        requestId: randomUUID(),
        functionArn: this.options.functionArn ?? '',
        condition,
        approximateInvokeCount: invocations,
      },
      ...(invocations > 0
        ? { responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' } as const }
        : {}),
      version: '1.0',
      timestamp: new Date(this.now()).toISOString(),
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: records[0]?.dynamodb?.SequenceNumber ?? '',
        endSequenceNumber: records.at(-1)?.dynamodb?.SequenceNumber ?? '',
        approximateArrivalOfFirstRecord: arrival(records[0]),
        approximateArrivalOfLastRecord: arrival(records.at(-1)),
        batchSize: records.length,
        streamArn,
      },
    };
    const range = `${failure.DDBStreamBatchInfo.startSequenceNumber}..${failure.DDBStreamBatchInfo.endSequenceNumber}`;
    if (this.options.onFailure) {
      this.options.onFailure(failure);
      this.options.log?.(
        `stream ${this.options.tableName}: ${records.length} record(s) ${range} given up (${condition})`,
      );
    } else {
      this.options.log?.(
        `stream ${this.options.tableName}: ${records.length} record(s) ${range} discarded (${condition}, no on-failure destination)`,
      );
    }
    this.delivered(shardId, records);
  }

  /** The batch is done with: the checkpoint moves past it and the shard starts afresh. */
  private delivered(shardId: string, records: readonly StreamRecord[]): void {
    const last = records.at(-1)?.dynamodb?.SequenceNumber;
    if (last) this.saveCheckpoint(shardId, last);
    const state = this.shard(shardId);
    state.failures = 0;
    state.limit = this.batchSize();
    state.retryAt = 0;
    state.gatheringSince = undefined;
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
