/**
 * The template's `AWS::Lambda::EventSourceMapping` resources on DynamoDB streams, run locally:
 * one `DynamoDbStreamPoller` per mapping, invoking the mapped function in-process with the
 * mapping's batch size, batching window and error handling. A batch the mapping gives up on is
 * appended to `<data-dir>/dlq/streams.jsonl` as the record Lambda sends the on-failure
 * destination (with that destination's ARN), and `kyc local --replay-dlq` reads it from the
 * stream again (`replayStreamFailures`). (SQS and Kinesis mappings are not used by the app and
 * are not emulated.)
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LocalFunction } from '../template/local-functions.ts';
import type { LocalResources } from '../template/local-resources.ts';
import { DynamoDbStreamPoller, type StreamBatchFailure, type StreamErrorHandling } from './dynamodb-stream-poller.ts';

/** What a mapping asks of its poller (`streamMappingSettings`). */
export interface StreamMappingSettings {
  readonly batchSize: number;
  /** `MaximumBatchingWindowInSeconds` in ms, at the runtime's time scale. */
  readonly batchingWindowMs: number;
  readonly errors: StreamErrorHandling;
  /** `DestinationConfig.OnFailure.Destination`, when set. */
  readonly onFailureDestination: string | undefined;
}

/** A line of `<data-dir>/dlq/streams.jsonl`: a batch a stream mapping gave up on. */
export interface StreamFailureLetter {
  /** The mapped function's local name. */
  readonly target: string;
  readonly table: string;
  /** The on-failure destination it would have reached in AWS (null: Lambda would discard it). */
  readonly destination: string | null;
  readonly failure: StreamBatchFailure;
}

const numberOr = (value: unknown, fallback: number): number => {
  const parsed = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isFinite(parsed) ? parsed : fallback;
};

/**
 * The poller settings of a mapping's (resolved) properties; Lambda's defaults where a property
 * is absent. Waits (the batching window, retry backoff) run at `timeScale`, as the runtime's
 * workflow waits do; the record age is measured on the real clock of the records' timestamps.
 *
 * @example
 * ```ts
 * streamMappingSettings({ BatchSize: 500, MaximumBatchingWindowInSeconds: 30 }, 1).batchingWindowMs; // 30000
 * ```
 */
export function streamMappingSettings(properties: Record<string, unknown>, timeScale: number): StreamMappingSettings {
  const destinationConfig = properties.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined;
  const destination = destinationConfig?.OnFailure?.Destination;
  const maxRecordAgeSeconds = numberOr(properties.MaximumRecordAgeInSeconds, -1);
  return {
    batchSize: Math.min(Math.max(numberOr(properties.BatchSize, 100), 1), 1000),
    batchingWindowMs: Math.max(0, numberOr(properties.MaximumBatchingWindowInSeconds, 0)) * 1000 * timeScale,
    errors: {
      maxRetryAttempts: numberOr(properties.MaximumRetryAttempts, -1),
      bisectOnError: properties.BisectBatchOnFunctionError === true || properties.BisectBatchOnFunctionError === 'true',
      maxRecordAgeMs: maxRecordAgeSeconds < 0 ? -1 : maxRecordAgeSeconds * 1000,
      backoffBaseMs: 1000 * timeScale,
      backoffMaxMs: 30_000 * timeScale,
    },
    onFailureDestination: typeof destination === 'string' ? destination : undefined,
  };
}

export function startStreamPollers(
  resources: LocalResources,
  functions: readonly LocalFunction[],
  invokeFunction: (fn: LocalFunction, payload: unknown) => Promise<unknown>,
  options: {
    endpoint: string;
    region: string;
    stateDir: string;
    /** `<data-dir>/dlq/streams.jsonl`. */
    failureFile: string;
    timeScale: number;
    log: (line: string) => void;
  },
): StreamPoller[] {
  const pollers: StreamPoller[] = [];
  for (const mapping of resources.ofType('AWS::Lambda::EventSourceMapping')) {
    const source = String(resources.resolve(mapping.stackName, mapping.properties.EventSourceArn));
    const table = /:table\/([^/]+)\/stream\//.exec(source)?.[1];
    if (!table) continue;
    const name = String(resources.resolve(mapping.stackName, mapping.properties.FunctionName));
    const fn = functions.find((candidate) => candidate.name === name || candidate.arn === name);
    if (!fn) {
      options.log(`stream of ${table}: function ${name} is not run locally`);
      continue;
    }
    if (mapping.properties.Enabled === false) continue;
    const settings = streamMappingSettings(
      {
        ...mapping.properties,
        DestinationConfig: resources.resolve(mapping.stackName, mapping.properties.DestinationConfig),
      },
      options.timeScale,
    );
    const poller = new DynamoDbStreamPoller({
      endpoint: options.endpoint,
      region: options.region,
      tableName: table,
      stateDir: options.stateDir,
      batchSize: settings.batchSize,
      batchingWindowMs: settings.batchingWindowMs,
      errors: settings.errors,
      functionArn: fn.arn,
      // Kept locally even without a destination (where Lambda would discard the batch's position).
      onFailure: (failure) => {
        const letter: StreamFailureLetter = {
          target: fn.name,
          table,
          destination: settings.onFailureDestination ?? null,
          failure,
        };
        mkdirSync(dirname(options.failureFile), { recursive: true });
        appendFileSync(options.failureFile, `${JSON.stringify(letter)}\n`);
      },
      invoke: (event) => invokeFunction(fn, event),
      log: options.log,
    });
    poller.start();
    pollers.push(Object.assign(poller, { target: fn.name }));
  }
  return pollers;
}

/** A running poller and the function it feeds. */
export type StreamPoller = DynamoDbStreamPoller & { readonly target: string };

/**
 * Reads every batch of `file` (`<data-dir>/dlq/streams.jsonl`) from its stream again and invokes
 * the function it was meant for, once. The file is kept as `streams.replayed-<time>.jsonl`;
 * batches that fail again, whose function is gone, or whose records the stream no longer holds
 * go back to a fresh `file`. A line torn by a crash mid-append (the last one) is dropped.
 *
 * @example
 * ```ts
 * const { replayed, kept } = await replayStreamFailures(failureFile, pollers, log);
 * ```
 */
export async function replayStreamFailures(
  file: string,
  pollers: readonly StreamPoller[],
  log: (line: string) => void,
  now: Date = new Date(),
): Promise<{ replayed: number; kept: number }> {
  if (!existsSync(file)) return { replayed: 0, kept: 0 };
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
  const archivedAs = join(dirname(file), `streams.replayed-${now.toISOString().replace(/[:.]/g, '-')}.jsonl`);
  renameSync(file, archivedAs);
  let replayed = 0;
  let kept = 0;
  for (const [index, line] of lines.entries()) {
    let letter: StreamFailureLetter;
    try {
      letter = JSON.parse(line) as StreamFailureLetter;
    } catch {
      if (index === lines.length - 1) continue;
      log(`${archivedAs}: line ${index + 1} is not JSON; left there`);
      kept += 1;
      continue;
    }
    const poller = pollers.find((candidate) => candidate.target === letter.target);
    try {
      if (!poller) throw new Error(`function ${letter.target} is not run locally`);
      const count = await poller.redeliver(letter.failure);
      log(`stream ${letter.table}: ${count} record(s) replayed to ${letter.target}`);
      replayed += 1;
    } catch (error) {
      log(`stream ${letter.table}: replay to ${letter.target} failed (${(error as Error).name}); kept in ${file}`);
      appendFileSync(file, `${line}\n`);
      kept += 1;
    }
  }
  return { replayed, kept };
}
