import {
  DescribeEventBusCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  ListEventBusesCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventBridgeOperations } from '../../../local/runtime/aws-json/event-bridge-service.ts';
import type { LocalRule } from '../../../local/runtime/events/local-event-bus.ts';
import { startJsonEndpoint } from './json-endpoint.ts';

// `aws events list-rules` and friends against the local EventBridge endpoint: the template's
// buses and rules, named and shaped as the EventBridge API answers.
const BUS = 'kyc-verification-events';
const rules: LocalRule[] = [
  {
    name: 'IntakeOnUploadRule1A2B3C',
    busName: 'default',
    pattern: { source: ['aws.s3'], 'detail-type': ['Object Created'] },
    targets: [{ id: 'Target0', arn: 'arn:aws:lambda:eu-west-1:000000000000:function:IntakeOnUpload' }],
  },
  {
    name: 'DecidedToWebhookRule9Z8Y',
    busName: BUS,
    pattern: { source: ['serverless-kyc'], 'detail-type': ['Verification Decided'] },
    targets: [
      {
        id: 'Target0',
        arn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:kyc-notify',
        inputPath: '$.detail',
      },
    ],
  },
];

let endpoint: Awaited<ReturnType<typeof startJsonEndpoint<EventBridgeClient>>>;
let client: EventBridgeClient;
const put: Record<string, unknown>[] = [];

beforeAll(async () => {
  endpoint = await startJsonEndpoint(
    {
      AWSEvents: eventBridgeOperations({
        region: 'eu-west-1',
        busNames: [BUS],
        rules,
        putEntries: (entries) =>
          entries.map((entry, index) => {
            put.push(entry);
            return index === 0
              ? { eventId: `event-${put.length}` }
              : { errorCode: 'MalformedDetail', errorMessage: 'bad' };
          }),
      }),
    },
    EventBridgeClient,
  );
  client = endpoint.client;
});

afterAll(async () => {
  await endpoint.close();
});

describe('local EventBridge endpoint: the operator reads and PutEvents', () => {
  it('lists and describes the buses: default and the template custom bus, by name or ARN', async () => {
    // Act
    const all = await client.send(new ListEventBusesCommand({}));
    const prefixed = await client.send(new ListEventBusesCommand({ NamePrefix: 'kyc-' }));
    const byArn = await client.send(
      new DescribeEventBusCommand({ Name: `arn:aws:events:eu-west-1:000000000000:event-bus/${BUS}` }),
    );
    const missing = await client.send(new DescribeEventBusCommand({ Name: 'nope' })).catch((error: unknown) => error);

    // Assess
    expect(all.EventBuses).toEqual([
      { Name: 'default', Arn: 'arn:aws:events:eu-west-1:000000000000:event-bus/default' },
      { Name: BUS, Arn: `arn:aws:events:eu-west-1:000000000000:event-bus/${BUS}` },
    ]);
    expect(prefixed.EventBuses?.map((bus) => bus.Name)).toEqual([BUS]);
    expect(byArn).toMatchObject({ Name: BUS });
    expect(missing).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('lists, describes and shows the targets of the rules of each bus', async () => {
    // Act
    const onDefault = await client.send(new ListRulesCommand({}));
    const onBus = await client.send(new ListRulesCommand({ EventBusName: BUS, NamePrefix: 'Decided' }));
    const none = await client.send(new ListRulesCommand({ EventBusName: BUS, NamePrefix: 'Intake' }));
    const described = await client.send(
      new DescribeRuleCommand({ Name: 'DecidedToWebhookRule9Z8Y', EventBusName: BUS }),
    );
    const targets = await client.send(
      new ListTargetsByRuleCommand({ Rule: 'DecidedToWebhookRule9Z8Y', EventBusName: BUS }),
    );
    const wrongBus = await client
      .send(new DescribeRuleCommand({ Name: 'DecidedToWebhookRule9Z8Y' }))
      .catch((error: unknown) => error);

    // Assess
    expect(onDefault.Rules).toEqual([
      {
        Name: 'IntakeOnUploadRule1A2B3C',
        Arn: 'arn:aws:events:eu-west-1:000000000000:rule/IntakeOnUploadRule1A2B3C',
        EventPattern: JSON.stringify(rules[0]?.pattern),
        State: 'ENABLED',
        EventBusName: 'default',
      },
    ]);
    expect(onBus.Rules?.map((rule) => rule.Arn)).toEqual([
      `arn:aws:events:eu-west-1:000000000000:rule/${BUS}/DecidedToWebhookRule9Z8Y`,
    ]);
    expect(none.Rules).toEqual([]);
    expect(described).toMatchObject({ Name: 'DecidedToWebhookRule9Z8Y', State: 'ENABLED', CreatedBy: '000000000000' });
    expect(JSON.parse(described.EventPattern ?? '{}')).toEqual(rules[1]?.pattern);
    expect(targets.Targets).toEqual([
      { Id: 'Target0', Arn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:kyc-notify', InputPath: '$.detail' },
    ]);
    expect(wrongBus).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('PutEvents reports each entry: an event id, or the error code of a refused one', async () => {
    // Act
    const answer = await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'serverless-kyc', DetailType: 'Verification Decided', Detail: '{}', EventBusName: BUS },
          { Source: 'serverless-kyc', DetailType: 'Verification Decided', Detail: 'not json', EventBusName: BUS },
        ],
      }),
    );

    // Assess
    expect(answer.FailedEntryCount).toBe(1);
    expect(answer.Entries).toEqual([{ EventId: 'event-1' }, { ErrorCode: 'MalformedDetail', ErrorMessage: 'bad' }]);
    expect(put).toHaveLength(2);
  });
});
