/**
 * The EventBridge bus on which serverless-kyc publishes verification status changes.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';

export interface VerificationEventBusProps {
  /** Name of the bus (`<prefix>-verification-events`). */
  readonly eventBusName: string;
  /** Days the archive keeps every event for replay (365; 0 disables the archive). */
  readonly archiveDays?: number;
}

/**
 * A custom bus for integrators: events carry ids and statuses only, never personal data, so
 * the AWS-owned encryption EventBridge applies at rest is sufficient. An archive keeps
 * published events for replay after a consumer outage.
 *
 * @example
 * ```ts
 * const bus = new VerificationEventBus(this, 'Events', { eventBusName: 'kyc-verification-events' });
 * new DataGrants(data).busPublish(workflowFunction.role); // PutEvents with our source and detail types only
 * ```
 */
export class VerificationEventBus extends Construct {
  /** The bus. */
  public readonly bus: events.EventBus;
  /** The replay archive, when enabled. */
  public readonly archive?: events.Archive;

  constructor(scope: Construct, id: string, props: VerificationEventBusProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: props.eventBusName,
      description: 'serverless-kyc verification status changes (ids and status only, no personal data)',
    });
    const archiveDays = props.archiveDays ?? 365;
    if (archiveDays > 0) {
      this.archive = this.bus.archive('Archive', {
        description: 'Replay archive of serverless-kyc verification events',
        retention: Duration.days(archiveDays),
        eventPattern: { account: [Stack.of(this).account] },
      });
    }
  }
}
