/**
 * Per-user rate limit and cooldown state in the rateLimits table, one item per user
 * (`pk = USER#<userId>`, TTL attribute `expiresAt`), updated atomically.
 *
 * Every change is read -> decide (pure rules in `domain/rate-limit.ts`) -> conditional write
 * on the `version` read. When another request wrote in between, the write fails its condition
 * and the whole cycle runs again on fresh state, so no decision is ever made on stale data:
 *
 * ```
 *   request A                          DynamoDB item (version)          request B
 *   GetItem (consistent) ------------> v7: 4 attempts in window
 *                                      v7 <----------------------------- GetItem (consistent)
 *   decide: 5th allowed                                                  decide: 5th allowed
 *   PutItem if version = 7 ----------> v8: 5 attempts   (succeeds)
 *                                      ConditionalCheckFailed <--------- PutItem if version = 7
 *                                      v8 <----------------------------- retry: GetItem
 *                                                                        decide: RATE_LIMITED (no write)
 * ```
 *
 * A refusal needs no write: it was decided on a consistent read, and nothing but time can
 * lift a limit. An item whose `expiresAt` has passed is read as empty (TTL deletion is lazy)
 * but its version still guards the write. Attempt ids make both operations idempotent: a
 * retried attempt id is allowed without counting, a repeated outcome changes nothing.
 *
 * @example
 * ```ts
 * const store = new DynamoDbRateLimitStore({ tableName, limits: config.rateLimits });
 * const decision = await store.tryStartAttempt(userId, { attemptId, documentType: 'passport', now: new Date() });
 * await store.recordOutcome(userId, attemptId, 'failed');
 * ```
 */
import {
  defaultDynamoDocuments,
  DeleteCommand,
  type DynamoDocuments,
  GetCommand,
  PutCommand,
} from './dynamodb-documents.ts';
import type { RateLimitConfig } from '../../../lib/config.ts';
import {
  decideAttempt,
  decideCreation,
  emptyRateLimitState,
  recordAttemptOutcome,
  stateExpiresAt,
  type AttemptDecision,
  type AttemptOutcome,
  type AttemptRequest,
  type CreationDecision,
  type RateLimitState,
} from '../../domain/rate-limit.ts';
import type { Clock } from '../../ports/clock.ts';
import { systemClock } from '../../ports/clock.ts';

/** Every retry lost its conditional write to another writer: extreme contention on one user. */
export class RateLimitContentionError extends Error {
  public constructor(
    public readonly userId: string,
    public readonly tries: number,
    options?: ErrorOptions,
  ) {
    super(`Rate-limit state of one user changed concurrently ${tries} times in a row`, options);
    this.name = 'RateLimitContentionError';
  }
}

/** What `recordOutcome` leaves behind, for the caller to reflect in the verification. */
export interface OutcomeResult {
  readonly consecutiveFailures: number;
  /** ISO time until which attempts are refused, when the outcome started a cooldown or one is running. */
  readonly cooldownUntil?: string;
  readonly riskFlags: readonly string[];
}

/** The operations the handlers and the workflow need. */
export interface RateLimitStore {
  tryStartAttempt(userId: string, request: AttemptRequest): Promise<AttemptDecision>;
  /** Counts a verification creation of the user, or refuses it (`rateLimits.verificationsPerWindow`). */
  tryCreateVerification(userId: string, now: Date): Promise<CreationDecision>;
  recordOutcome(userId: string, attemptId: string, outcome: AttemptOutcome, now?: Date): Promise<OutcomeResult>;
}

export interface DynamoDbRateLimitStoreOptions {
  readonly tableName: string;
  readonly limits: RateLimitConfig;
  /** DynamoDB client (a default client for the function's region). */
  readonly client?: DynamoDocuments;
  readonly clock?: Clock;
  /** Read-decide-write cycles before giving up (40: enough for 50 simultaneous requests). */
  readonly maxTries?: number;
}

interface StoredItem {
  readonly state: RateLimitState;
  readonly version: number | undefined;
}

export class DynamoDbRateLimitStore implements RateLimitStore {
  private readonly documents: DynamoDocuments;
  private readonly clock: Clock;
  private readonly maxTries: number;

  public constructor(private readonly options: DynamoDbRateLimitStoreOptions) {
    this.documents = options.client ?? defaultDynamoDocuments();
    this.clock = options.clock ?? systemClock;
    this.maxTries = options.maxTries ?? 40;
  }

  /**
   * Erases the user's counters (attempt window and verification creations) on an erasure
   * request; returns how many items existed. A cooldown lives on the verification record and
   * stays with it.
   */
  public async forgetUser(userId: string): Promise<number> {
    let erased = 0;
    for (const pk of [`USER#${userId}`, `CREATE#${userId}`]) {
      const output = await this.documents.send(
        new DeleteCommand({ TableName: this.options.tableName, Key: { pk }, ReturnValues: 'ALL_OLD' }),
      );
      if (output.Attributes) erased += 1;
    }
    return erased;
  }

  public async tryStartAttempt(userId: string, request: AttemptRequest): Promise<AttemptDecision> {
    return this.cycle(userId, request.now, (state) => {
      const decision = decideAttempt(state, request, this.options.limits);
      const write = decision.allowed && !decision.duplicate ? decision.state : undefined;
      return { result: decision, write };
    });
  }

  public async recordOutcome(
    userId: string,
    attemptId: string,
    outcome: AttemptOutcome,
    now: Date = this.clock.now(),
  ): Promise<OutcomeResult> {
    return this.cycle(userId, now, (state) => {
      const next = recordAttemptOutcome(state, { attemptId, outcome, now }, this.options.limits);
      const cooldownActive = next.state.cooldownUntil !== undefined && next.state.cooldownUntil > now.getTime();
      const result: OutcomeResult = {
        consecutiveFailures: next.state.consecutiveFailures,
        riskFlags: next.state.riskFlags,
        ...(cooldownActive ? { cooldownUntil: new Date(next.state.cooldownUntil as number).toISOString() } : {}),
      };
      return { result, write: next.changed ? next.state : undefined };
    });
  }

  /**
   * Counts one verification creation in item `CREATE#<userId>` (creation times in the rolling
   * window), or refuses it without a write; same read -> decide -> conditional write cycle.
   */
  public async tryCreateVerification(userId: string, now: Date): Promise<CreationDecision> {
    const pk = `CREATE#${userId}`;
    for (let attempt = 1; attempt <= this.maxTries; attempt += 1) {
      const output = await this.documents.send(
        new GetCommand({ TableName: this.options.tableName, Key: { pk }, ConsistentRead: true }),
      );
      const item = output.Item;
      const version = typeof item?.version === 'number' ? item.version : undefined;
      const createdAt = Array.isArray(item?.createdAt)
        ? (item.createdAt as unknown[]).filter((at): at is number => typeof at === 'number')
        : [];
      const decision = decideCreation(createdAt, now.getTime(), this.options.limits);
      if (!decision.allowed) return decision;
      try {
        await this.documents.send(
          new PutCommand({
            TableName: this.options.tableName,
            Item: {
              pk,
              createdAt: decision.createdAt,
              version: (version ?? 0) + 1,
              expiresAt: Math.ceil(now.getTime() / 1000) + this.options.limits.windowSeconds,
            },
            ConditionExpression: version === undefined ? 'attribute_not_exists(pk)' : '#version = :version',
            ...(version === undefined
              ? {}
              : {
                  ExpressionAttributeNames: { '#version': 'version' },
                  ExpressionAttributeValues: { ':version': version },
                }),
          }),
        );
        return decision;
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
        if (attempt === this.maxTries) throw new RateLimitContentionError(userId, attempt, { cause: error });
        await jitter(attempt);
      }
    }
    throw new RateLimitContentionError(userId, this.maxTries);
  }

  /** Runs read -> decide -> conditional write until the write lands or no write is needed. */
  private async cycle<T>(
    userId: string,
    now: Date,
    decide: (state: RateLimitState) => { result: T; write: RateLimitState | undefined },
  ): Promise<T> {
    const pk = `USER#${userId}`;
    for (let attempt = 1; attempt <= this.maxTries; attempt += 1) {
      const stored = await this.read(pk, now);
      const { result, write } = decide(stored.state);
      if (!write) return result;
      try {
        await this.write(pk, write, stored.version, now);
        return result;
      } catch (error) {
        if (
          (error as Error).name !== 'ConditionalCheckFailedException' &&
          (error as Error).name !== 'ConditionalCheckFailedException'
        ) {
          throw error;
        }
        if (attempt === this.maxTries) throw new RateLimitContentionError(userId, attempt, { cause: error });
        await jitter(attempt);
      }
    }
    throw new RateLimitContentionError(userId, this.maxTries);
  }

  private async read(pk: string, now: Date): Promise<StoredItem> {
    const output = await this.documents.send(
      new GetCommand({ TableName: this.options.tableName, Key: { pk }, ConsistentRead: true }),
    );
    const item = output.Item;
    if (!item) return { state: emptyRateLimitState(), version: undefined };
    const version = typeof item.version === 'number' ? item.version : 0;
    // TTL deletion is lazy: an expired item is history we must ignore, but its version still guards the write.
    if (typeof item.expiresAt === 'number' && item.expiresAt * 1000 <= now.getTime()) {
      return { state: emptyRateLimitState(), version };
    }
    return { state: stateFromItem(item), version };
  }

  private async write(pk: string, state: RateLimitState, version: number | undefined, now: Date): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: {
          pk,
          attempts: state.attempts,
          consecutiveFailures: state.consecutiveFailures,
          cooldownUntil: state.cooldownUntil,
          riskFlags: state.riskFlags,
          recordedOutcomes: state.recordedOutcomes,
          cooledDown: state.cooledDown,
          version: (version ?? 0) + 1,
          expiresAt: stateExpiresAt(state, now.getTime(), this.options.limits),
        },
        ConditionExpression: version === undefined ? 'attribute_not_exists(pk)' : '#version = :version',
        ...(version === undefined
          ? {}
          : {
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':version': version },
            }),
      }),
    );
  }
}

function stateFromItem(item: Record<string, unknown>): RateLimitState {
  const attempts = Array.isArray(item.attempts) ? (item.attempts as RateLimitState['attempts']) : [];
  const strings = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];
  return {
    attempts,
    consecutiveFailures: typeof item.consecutiveFailures === 'number' ? item.consecutiveFailures : 0,
    ...(typeof item.cooldownUntil === 'number' ? { cooldownUntil: item.cooldownUntil } : {}),
    riskFlags: strings(item.riskFlags),
    recordedOutcomes: strings(item.recordedOutcomes),
    cooledDown: item.cooledDown === true,
  };
}

/** Random back-off growing with the try number, so colliding writers spread out. */
function jitter(attempt: number): Promise<void> {
  const ceiling = Math.min(200, 10 * attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
