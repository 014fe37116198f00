/**
 * Start-up recovery of events the local runtime may have lost in a crash:
 * - intake objects: an upload that reached the intake bucket but whose `Object Created` event
 *   was never delivered (the process died between the two). On-upload deletes the intake copy
 *   once the document is recorded, so every object still in intake is unprocessed or half
 *   processed; each gets its event again (on-upload is idempotent by bucket/key/version);
 * - dead letters: events written to `<data>/dlq/events.jsonl` after their last attempt (or at
 *   shutdown) are delivered again to the target they were meant for, on request
 *   (`kyc local --replay-dlq`); the replayed file is kept as `events.replayed-<time>.jsonl`.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { toEventBridgeEvent } from '../../aws/s3-events.ts';
import type { DeadLetter } from './delivery-queue.ts';
import type { BusEvent, LocalEventBus } from './local-event-bus.ts';

/**
 * Sends an `Object Created` event for every object under `prefix` in the intake bucket.
 * Returns how many objects were re-driven.
 *
 * @example
 * ```ts
 * const count = await redriveIntakeObjects({ s3, bucket: intake, region, bus });
 * ```
 */
export async function redriveIntakeObjects(options: {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly region: string;
  readonly bus: Pick<LocalEventBus, 'put'>;
  readonly prefix?: string;
  /** Only objects last modified before this time (default: all). */
  readonly olderThan?: Date;
}): Promise<number> {
  let count = 0;
  let continuationToken: string | undefined;
  do {
    const page = await options.s3.send(
      new ListObjectsV2Command({
        Bucket: options.bucket,
        Prefix: options.prefix ?? 'intake/',
        ...(continuationToken ? { ContinuationToken: continuationToken } : {}),
      }),
    );
    for (const object of page.Contents ?? []) {
      if (!object.Key) continue;
      if (options.olderThan && object.LastModified && object.LastModified > options.olderThan) continue;
      const event = toEventBridgeEvent(
        {
          bucket: options.bucket,
          key: object.Key,
          reason: 'PostObject',
          ...(object.Size !== undefined ? { size: object.Size } : {}),
          ...(object.ETag ? { etag: object.ETag } : {}),
        },
        options.region,
      );
      options.bus.put('default', event as unknown as BusEvent);
      count += 1;
    }
    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuationToken);
  return count;
}

/** Thrown when a dead-letter line cannot be read back (the file is left in place). */
export class DeadLetterFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeadLetterFileError';
  }
}

/**
 * Delivers every dead letter of `file` again through `redeliver` (which queues it with the
 * usual retries; a failure goes back to a fresh dead-letter file), then renames the file.
 * Returns the number of letters replayed and where the old file went.
 *
 * @example
 * ```ts
 * const { replayed } = replayDeadLetters(file, (target, event) => bus.redeliver(target, event));
 * ```
 */
export function replayDeadLetters(
  file: string,
  redeliver: (target: string, event: unknown) => boolean,
  now: Date = new Date(),
): { replayed: number; skipped: number; archivedAs?: string } {
  if (!existsSync(file)) return { replayed: 0, skipped: 0 };
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
  const letters: DeadLetter[] = [];
  for (const [index, line] of lines.entries()) {
    try {
      letters.push(JSON.parse(line) as DeadLetter);
    } catch (error) {
      // A line torn by a crash mid-append is the only expected damage: it is the last one.
      if (index === lines.length - 1) continue;
      throw new DeadLetterFileError(`${file}: line ${index + 1} is not JSON`, { cause: error });
    }
  }
  const archivedAs = join(dirname(file), `events.replayed-${now.toISOString().replace(/[:.]/g, '-')}.jsonl`);
  renameSync(file, archivedAs);
  let replayed = 0;
  let skipped = 0;
  for (const letter of letters) {
    if (redeliver(letter.target, letter.event)) replayed += 1;
    else skipped += 1;
  }
  return { replayed, skipped, archivedAs };
}
