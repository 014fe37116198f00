/**
 * Durable storage of local Step Functions executions: one JSON snapshot per execution in
 * `<dir>/<sha256(arn)>.json`, replaced atomically on every change (write a temporary file,
 * rename it over the old one). A `kill -9` at any moment leaves either the previous snapshot or
 * the new one, never a torn file (what a process wrote is the kernel's once the call returns);
 * a torn temporary file is ignored on load. Snapshots behind an answer the API gives (an
 * execution started, a task token handed out or its result accepted, an execution finished)
 * are also flushed to the disk before the rename and the folder after it (`flush`), so they
 * survive a power cut too; the progress in between is not (`flush: false`), so a power cut may
 * take an execution back to an earlier state of the same run, which then runs again, as after
 * any crash (every step is idempotent).
 *
 * A snapshot holds everything needed to answer the API for an old execution and to resume a
 * running one: its definition as started, input, status, the top-level state it is in and that
 * state's input, retries spent there, task tokens with their deadlines (and the result of a
 * token completed just before a crash), Wait deadlines, and the history.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { AslDefinition } from './template.ts';

/** A task token as persisted: wall-clock deadlines, and the outcome once settled. */
export interface StoredTaskToken {
  readonly taskToken: string;
  readonly stateName: string;
  readonly createdAt: string;
  /** Epoch ms when `States.Timeout` fires (absent: no timeout). */
  readonly timeoutAt?: number;
  /** Epoch ms when `States.HeartbeatTimeout` fires (absent: no heartbeat). */
  heartbeatAt?: number;
  /** The handler that received the token returned (it need not run again on resume). */
  delivered: boolean;
  /** How the task ended, kept until the execution leaves the state (a crash in between replays it). */
  settled?: { readonly output?: unknown; readonly error?: string; readonly cause?: string };
}

export interface StoredHistoryEvent {
  readonly id: number;
  readonly type: string;
  readonly timestamp: string;
  readonly stateName?: string;
  readonly stateType?: string;
  readonly error?: string;
  readonly cause?: string;
}

export interface ExecutionSnapshot {
  readonly version: 1;
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly name: string;
  readonly status: string;
  readonly input: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly startDate: string;
  readonly stopDate?: string;
  /** The definition the execution started with (resumed with the same one, as AWS does). */
  readonly definition: AslDefinition;
  /** Top-level state being run and its raw input. */
  readonly position?: { readonly stateName: string; readonly input: unknown; readonly enteredAt: string };
  /** Retries spent per retrier of the current top-level state. */
  readonly retries: readonly number[];
  readonly tokens: readonly StoredTaskToken[];
  /** Wait deadlines (epoch ms) by Wait state name. */
  readonly waits: Readonly<Record<string, number>>;
  /** Tokens that were completed, timed out or aborted (so late callbacks get `TaskTimedOut`). */
  readonly settledTokens: readonly string[];
  readonly history: readonly StoredHistoryEvent[];
}

/**
 * @example
 * ```ts
 * const store = new ExecutionStore('.local-data/stepfunctions/executions');
 * store.save(snapshot);
 * const all = store.loadAll();
 * ```
 */
export class ExecutionStore {
  constructor(readonly directory: string) {
    mkdirSync(directory, { recursive: true });
  }

  /**
   * Atomically replaces the snapshot of one execution: it survives the process once this
   * returns, and a power cut too unless `flush` is false (two fsyncs, about 1-5 ms of the
   * event loop each).
   */
  save(snapshot: ExecutionSnapshot, options: { readonly flush?: boolean } = {}): void {
    const flush = options.flush ?? true;
    const file = this.fileOf(snapshot.executionArn);
    const temporary = `${file}.${process.pid}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, JSON.stringify(snapshot));
      if (flush) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
    if (flush) this.syncDirectory();
  }

  /** Every stored snapshot (temporary files of an interrupted write are removed). */
  loadAll(): ExecutionSnapshot[] {
    if (!existsSync(this.directory)) return [];
    const snapshots: ExecutionSnapshot[] = [];
    for (const entry of readdirSync(this.directory)) {
      const path = join(this.directory, entry);
      if (entry.endsWith('.tmp')) {
        unlinkSync(path);
        continue;
      }
      if (!entry.endsWith('.json')) continue;
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as ExecutionSnapshot;
      if (parsed.version === 1) snapshots.push(parsed);
    }
    return snapshots;
  }

  private fileOf(executionArn: string): string {
    return join(this.directory, `${createHash('sha256').update(executionArn).digest('hex').slice(0, 40)}.json`);
  }

  private syncDirectory(): void {
    let fd: number | undefined;
    try {
      fd = openSync(this.directory, 'r');
      fsyncSync(fd);
    } catch {
      // Some file systems refuse fsync on a directory; the rename itself is still atomic.
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}
