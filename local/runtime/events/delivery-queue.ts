/**
 * At-least-once delivery of events to in-process targets, the way EventBridge delivers to a
 * Lambda target: asynchronous, retried with exponential backoff and jitter when the target
 * throws, and after the last attempt written to a dead-letter file instead of being dropped.
 * Events still waiting when the runtime stops are written to the dead-letter file too.
 *
 *   deliver ─> attempt 1 ─x─> wait base·2⁰ ─> attempt 2 ─x─> ... ─> attempt N ─x─> DLQ file
 *                 └─ ok: done
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface RetryPolicy {
  /** Attempts in total, the first included (EventBridge: up to 185 over 24 h; local default 6). */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 10_000 };

export interface DeadLetter {
  readonly target: string;
  readonly attempts: number;
  readonly errorName: string;
  readonly errorMessage: string;
  readonly failedAt: string;
  readonly event: unknown;
}

export interface DeliveryLog {
  retry(target: string, attempt: number, error: unknown): void;
  deadLetter(letter: DeadLetter): void;
}

interface Pending {
  readonly target: string;
  readonly event: unknown;
  attempts: number;
  timer?: NodeJS.Timeout;
  lastError?: unknown;
}

/**
 * @example
 * ```ts
 * const queue = new DeliveryQueue({ deadLetterFile: '.local-data/dlq/events.jsonl' });
 * queue.deliver('OnUpload', event, (e) => handler(e, context));
 * await queue.idle();
 * ```
 */
export class DeliveryQueue {
  readonly #pending = new Set<Pending>();
  readonly #idleWaiters: (() => void)[] = [];
  #closed = false;

  constructor(
    private readonly options: {
      readonly deadLetterFile: string;
      readonly retry?: RetryPolicy;
      readonly log?: DeliveryLog;
    },
  ) {}

  /** Number of events not yet delivered (in flight or waiting to retry). */
  get size(): number {
    return this.#pending.size;
  }

  /** Delivers `event` to `invoke` asynchronously; never throws. */
  deliver(target: string, event: unknown, invoke: (event: unknown) => Promise<unknown>): void {
    const pending: Pending = { target, event, attempts: 0 };
    if (this.#closed) {
      this.#deadLetter(pending, new Error('runtime is stopping'));
      return;
    }
    this.#pending.add(pending);
    this.#attempt(pending, invoke);
  }

  /** Resolves once every delivered event has succeeded or been dead-lettered. */
  idle(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops retrying: events waiting for a retry go to the dead-letter file now. */
  close(): void {
    this.#closed = true;
    for (const pending of [...this.#pending]) {
      if (pending.timer) {
        clearTimeout(pending.timer);
        this.#finish(pending);
        this.#deadLetter(pending, pending.lastError ?? new Error('runtime stopped before delivery'));
      }
    }
  }

  #attempt(pending: Pending, invoke: (event: unknown) => Promise<unknown>): void {
    pending.timer = undefined;
    pending.attempts += 1;
    Promise.resolve()
      .then(() => invoke(pending.event))
      .then(
        () => this.#finish(pending),
        (error: unknown) => {
          pending.lastError = error;
          const policy = this.options.retry ?? DEFAULT_RETRY_POLICY;
          if (this.#closed || pending.attempts >= policy.maxAttempts) {
            this.#finish(pending);
            this.#deadLetter(pending, error);
            return;
          }
          this.options.log?.retry(pending.target, pending.attempts, error);
          const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (pending.attempts - 1));
          const delay = exponential / 2 + Math.random() * (exponential / 2);
          pending.timer = setTimeout(() => this.#attempt(pending, invoke), delay);
        },
      );
  }

  #finish(pending: Pending): void {
    this.#pending.delete(pending);
    if (this.#pending.size === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #deadLetter(pending: Pending, error: unknown): void {
    const letter: DeadLetter = {
      target: pending.target,
      attempts: pending.attempts,
      errorName: error instanceof Error ? error.name : 'Error',
      errorMessage: error instanceof Error ? error.message : String(error),
      failedAt: new Date().toISOString(),
      event: pending.event,
    };
    mkdirSync(dirname(this.options.deadLetterFile), { recursive: true });
    appendFileSync(this.options.deadLetterFile, `${JSON.stringify(letter)}\n`);
    this.options.log?.deadLetter(letter);
  }
}
