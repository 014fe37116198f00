/**
 * The EventBridge API (JSON 1.1, target prefix `AWSEvents`) over the local event bus: PutEvents,
 * which handlers call, and the reads an operator runs (`aws events list-event-buses`,
 * `describe-event-bus`, `list-rules`, `describe-rule`, `list-targets-by-rule`) over the buses
 * and rules of the synthesized template. Rules are named by their logical id (CloudFormation
 * adds a stack prefix and a suffix in AWS); the template's rules are the only ones, all enabled.
 */
import { LOCAL_ACCOUNT_ID } from '../../aws/client-config.ts';
import type { LocalRule } from '../events/local-event-bus.ts';
import { AwsServiceError, optionalString, requireString, type JsonOperation } from './json-protocol-server.ts';

/** What the operations read and where PutEvents goes. */
export interface EventBridgeSource {
  readonly region: string;
  /** The custom buses of the template (`default` is always there). */
  readonly busNames: readonly string[];
  readonly rules: readonly LocalRule[];
  putEntries(
    entries: readonly Record<string, unknown>[],
  ): { eventId?: string; errorCode?: string; errorMessage?: string }[];
}

/** A bus named by name or ARN, as the API accepts it. */
function busNameOf(input: Record<string, unknown>, field: string): string {
  const value = optionalString(input, field) ?? 'default';
  return value.startsWith('arn:') ? (value.split('/').pop() ?? value) : value;
}

/**
 * Operations for `startJsonProtocolServer({ AWSEvents: eventBridgeOperations(source) })`.
 *
 * @example
 * ```ts
 * const operations = eventBridgeOperations({ region, busNames: ['kyc-verification-events'], rules, putEntries: (e) => bus.putEntries(e) });
 * await new EventBridgeClient({ endpoint }).send(new ListRulesCommand({ EventBusName: 'kyc-verification-events' }));
 * ```
 */
export function eventBridgeOperations(source: EventBridgeSource): Record<string, JsonOperation> {
  const arn = (resource: string): string => `arn:aws:events:${source.region}:${LOCAL_ACCOUNT_ID}:${resource}`;
  const buses = (): string[] => ['default', ...source.busNames.filter((name) => name !== 'default')];
  const busArn = (name: string): string => arn(`event-bus/${name}`);
  const ruleArn = (rule: LocalRule): string =>
    arn(rule.busName === 'default' ? `rule/${rule.name}` : `rule/${rule.busName}/${rule.name}`);
  const existingBus = (name: string): string => {
    if (!buses().includes(name))
      throw new AwsServiceError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
    return name;
  };
  const ruleOf = (input: Record<string, unknown>): LocalRule => {
    const busName = existingBus(busNameOf(input, 'EventBusName'));
    const name = requireString(input, input.Rule !== undefined ? 'Rule' : 'Name');
    const rule = source.rules.find((candidate) => candidate.busName === busName && candidate.name === name);
    if (!rule)
      throw new AwsServiceError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${busName}.`);
    return rule;
  };
  const summary = (rule: LocalRule): Record<string, unknown> => ({
    Name: rule.name,
    Arn: ruleArn(rule),
    EventPattern: JSON.stringify(rule.pattern),
    State: 'ENABLED',
    EventBusName: rule.busName,
  });

  return {
    PutEvents: (input) => {
      const entries = source.putEntries((input.Entries as Record<string, unknown>[] | undefined) ?? []);
      return {
        FailedEntryCount: entries.filter((entry) => entry.errorCode).length,
        Entries: entries.map((entry) =>
          entry.eventId ? { EventId: entry.eventId } : { ErrorCode: entry.errorCode, ErrorMessage: entry.errorMessage },
        ),
      };
    },
    ListEventBuses: (input) => {
      const prefix = optionalString(input, 'NamePrefix') ?? '';
      return {
        EventBuses: buses()
          .filter((name) => name.startsWith(prefix))
          .map((name) => ({ Name: name, Arn: busArn(name) })),
      };
    },
    DescribeEventBus: (input) => {
      const name = existingBus(busNameOf(input, 'Name'));
      return { Name: name, Arn: busArn(name) };
    },
    ListRules: (input) => {
      const busName = existingBus(busNameOf(input, 'EventBusName'));
      const prefix = optionalString(input, 'NamePrefix') ?? '';
      return {
        Rules: source.rules.filter((rule) => rule.busName === busName && rule.name.startsWith(prefix)).map(summary),
      };
    },
    DescribeRule: (input) => ({ ...summary(ruleOf(input)), CreatedBy: LOCAL_ACCOUNT_ID }),
    ListTargetsByRule: (input) => ({
      Targets: ruleOf(input).targets.map((target) => ({
        Id: target.id,
        Arn: target.arn,
        ...(target.input !== undefined ? { Input: target.input } : {}),
        ...(target.inputPath !== undefined ? { InputPath: target.inputPath } : {}),
      })),
    }),
  };
}
