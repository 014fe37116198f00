/**
 * `AuditLog` over the auditEvents table (pk `subject`, sk `sequence`): append-only and
 * tamper-evident. Each append reads the head of the subject's chain, links the new event to it
 * with `chainEvent` and writes it with a PartiQL `INSERT`, which DynamoDB refuses with
 * `DuplicateItemException` when the key exists. Writers hold `dynamodb:PartiQLInsert` and
 * `dynamodb:Query` only (no PutItem), so no role, whatever its code does, can overwrite an
 * event: append-only is enforced by IAM, not by this class. Two writers that read
 * the same head race for the same sequence number; the loser re-reads and links to the
 * winner, so the chain never forks:
 *
 * ```
 *   writer A                         table (subject S)               writer B
 *   Query head (consistent) -------> seq 4, hash h4 <--------------- Query head
 *   e5 = chain(h4)                                                    e5' = chain(h4)
 *   INSERT seq 5 ------------------>  seq 5 (A)
 *                                     DuplicateItem <---------------- INSERT seq 5
 *                                     seq 5, hash h5 <--------------- retry: Query head
 *                                     seq 6 (B) <-------------------- INSERT seq 6 = chain(h5)
 * ```
 *
 * No function gets PutItem, UpdateItem or DeleteItem on this table (`DataGrants.auditAppend`).
 *
 * The head read is skipped when this instance appended the subject's last event itself a moment
 * ago (a step or an upload writes several events on one case in a row): the new event links to
 * the remembered one. If another writer appended in between, the remembered head is stale, the
 * INSERT collides on the next sequence number like any race above, and the retry reads the head.
 * Sequence numbers leave no gaps, so a stale head always collides: the shortcut cannot fork a
 * chain. It saves one consistent Query per such append (in a verification, about half of them).
 *
 * @example
 * ```ts
 * const audit = new DynamoDbAuditLog({ tableName: process.env.AUDIT_TABLE! });
 * await audit.append({ subject: `verification:${id}`, action: 'verification.created', actor: userId });
 * ```
 */
import {
  defaultDynamoDocuments,
  type DynamoDocuments,
  ExecuteStatementCommand,
  QueryCommand,
} from './dynamodb-documents.ts';
import { chainEvent } from '../../domain/audit-chain.ts';
import { RecentlyUsed } from '../../domain/recently-used.ts';
import type { AuditEvent, AuditEventInput } from '../../domain/records.ts';
import type { AuditLog } from '../../ports/audit-log.ts';
import type { Clock } from '../../ports/clock.ts';
import { systemClock } from '../../ports/clock.ts';

/** The chain head kept moving under every retry; the event was not written. */
export class AuditAppendError extends Error {
  public constructor(
    public readonly subject: string,
    public readonly action: string,
    options?: ErrorOptions,
  ) {
    super(`Audit event ${action} for ${subject} could not be appended`, options);
    this.name = 'AuditAppendError';
  }
}

export interface DynamoDbAuditLogOptions {
  readonly tableName: string;
  /** DynamoDB client (a default client for the function's region). */
  readonly client?: DynamoDocuments;
  readonly clock?: Clock;
  /** Appends tried before giving up (100: every one of 100 simultaneous writers on one subject lands). */
  readonly maxTries?: number;
}

/** Subjects whose last appended event an instance remembers, and for how long (ms). */
const REMEMBERED_SUBJECTS = 256;
const REMEMBER_MS = 60_000;

export class DynamoDbAuditLog implements AuditLog {
  private readonly documents: DynamoDocuments;
  private readonly clock: Clock;
  private readonly maxTries: number;
  /** The last event this instance appended per subject (its `at` says when). */
  private readonly appended = new RecentlyUsed<string, AuditEvent>(REMEMBERED_SUBJECTS);

  public constructor(private readonly options: DynamoDbAuditLogOptions) {
    this.documents = options.client ?? defaultDynamoDocuments();
    this.clock = options.clock ?? systemClock;
    this.maxTries = options.maxTries ?? 100;
  }

  public async append(input: AuditEventInput): Promise<AuditEvent> {
    for (let attempt = 1; attempt <= this.maxTries; attempt += 1) {
      const now = this.clock.now();
      const head =
        (attempt === 1 ? this.remembered(input.subject, now) : undefined) ?? (await this.head(input.subject));
      const event = chainEvent(head, input, now);
      try {
        await this.documents.send(insertStatement(this.options.tableName, event));
        this.remember(event);
        return event;
      } catch (error) {
        const conflict = isDuplicateItem(error);
        if (!conflict) throw error;
        if (attempt === this.maxTries) throw new AuditAppendError(input.subject, input.action, { cause: error });
        // The winner has just written: re-read soon. A short jitter keeps colliding writers apart.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(20, 2 * attempt)));
      }
    }
    throw new AuditAppendError(input.subject, input.action);
  }

  public async list(subject: string): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const output = await this.documents.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: '#subject = :subject',
          ExpressionAttributeNames: { '#subject': 'subject' },
          ExpressionAttributeValues: { ':subject': subject },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      events.push(...((output.Items ?? []) as AuditEvent[]));
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return events;
  }

  /** The subject's last event when this instance appended it within {@link REMEMBER_MS}. */
  private remembered(subject: string, now: Date): AuditEvent | undefined {
    const event = this.appended.peek(subject);
    if (!event) return undefined;
    const age = now.getTime() - Date.parse(event.at);
    if (age > REMEMBER_MS || age < 0) {
      this.appended.delete(subject);
      return undefined;
    }
    return event;
  }

  private remember(event: AuditEvent): void {
    const known = this.appended.peek(event.subject);
    // Concurrent appends on one subject may finish out of order: keep the latest.
    if (known && known.sequence > event.sequence) return;
    this.appended.set(event.subject, event);
  }

  private async head(subject: string): Promise<AuditEvent | undefined> {
    const output = await this.documents.send(
      new QueryCommand({
        TableName: this.options.tableName,
        KeyConditionExpression: '#subject = :subject',
        ExpressionAttributeNames: { '#subject': 'subject' },
        ExpressionAttributeValues: { ':subject': subject },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    return output.Items?.[0] as AuditEvent | undefined;
  }
}

/** DynamoDB answers `DuplicateItemException`; DynamoDB Local names the same error `DuplicateItem`. */
export function isDuplicateItem(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === 'DuplicateItemException' || name === 'DuplicateItem';
}

/**
 * `INSERT INTO "<table>" VALUE {'a': ?, 'b': ?}` with the event's defined attributes as
 * parameters: PartiQL INSERT never replaces an item (DuplicateItemException instead).
 */
export function insertStatement(tableName: string, item: object): ExecuteStatementCommand {
  const entries = Object.entries(item).filter(([, value]) => value !== undefined);
  const names = entries.map(([name]) => {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new TypeError(`Audit attribute name ${name} is not allowed`);
    return `'${name}': ?`;
  });
  return new ExecuteStatementCommand({
    Statement: `INSERT INTO "${tableName.replace(/"/g, '""')}" VALUE {${names.join(', ')}}`,
    Parameters: entries.map(([, value]) => value as unknown),
  });
}
