/**
 * `StatusEvents` over EventBridge: `Verification Status Changed` and `Verification Review
 * Escalated` on the installation's bus, source `serverless-kyc`. Details carry ids, status and
 * reason codes only (PRODUCT §4, §5).
 *
 * @example
 * ```ts
 * const events = new EventBridgeStatusEvents({ eventBusName: 'kyc-verification-events' });
 * await events.statusChanged({ verificationId, attemptId, status: 'approved', reasons: [] });
 * ```
 */
import { defaultEventBridgeCalls, PutEventsCommand } from './eventbridge-commands.ts';
import type { JsonCalls } from './aws-json-client.ts';
import type { ReviewEscalation, StatusChange, StatusEvents } from '../../ports/status-events.ts';

export const EVENT_SOURCE = 'serverless-kyc';
export const STATUS_CHANGED = 'Verification Status Changed';
export const REVIEW_ESCALATED = 'Verification Review Escalated';

export interface EventBridgeStatusEventsOptions {
  readonly eventBusName: string;
  /** EventBridge client (a default client for the function's region). */
  readonly client?: JsonCalls;
}

/** EventBridge refused the event (FailedEntryCount > 0); the step fails and is retried. */
export class EventPublishError extends Error {
  constructor(
    public readonly detailType: string,
    public readonly errorCode: string | undefined,
  ) {
    super(`EventBridge refused ${detailType}: ${errorCode ?? 'unknown error'}`);
    this.name = 'EventPublishError';
  }
}

export class EventBridgeStatusEvents implements StatusEvents {
  private readonly client: JsonCalls;

  constructor(private readonly options: EventBridgeStatusEventsOptions) {
    this.client = options.client ?? defaultEventBridgeCalls();
  }

  async statusChanged(change: StatusChange): Promise<void> {
    await this.put(STATUS_CHANGED, {
      verificationId: change.verificationId,
      ...(change.attemptId ? { attemptId: change.attemptId } : {}),
      status: change.status,
      reasons: [...change.reasons],
    });
  }

  async reviewEscalated(escalation: ReviewEscalation): Promise<void> {
    await this.put(REVIEW_ESCALATED, { ...escalation });
  }

  private async put(detailType: string, detail: Record<string, unknown>): Promise<void> {
    const output = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.options.eventBusName,
            Source: EVENT_SOURCE,
            DetailType: detailType,
            Detail: JSON.stringify(detail),
          },
        ],
      }),
    );
    if ((output.FailedEntryCount ?? 0) > 0) throw new EventPublishError(detailType, output.Entries?.[0]?.ErrorCode);
  }
}
