/**
 * Local EventBridge: the rules of the synthesized template (`AWS::Events::Rule` with an
 * `EventPattern`) applied to every event the runtime sees — S3 object events from the local S3
 * on the `default` bus, and the events handlers send with PutEvents — and delivered to their
 * targets in-process (Lambda functions and Step Functions state machines) through the
 * at-least-once `DeliveryQueue`. Every event is also appended to `<eventsDir>/<bus>.jsonl`
 * (events carry ids and statuses only, never PII), so a developer can see what was emitted.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DeliveryQueue } from './delivery-queue.ts';
import { matchesEventPattern } from './event-pattern.ts';
import type { LocalFunction } from '../template/local-functions.ts';
import type { LocalResources } from '../template/local-resources.ts';

/** An event as EventBridge delivers it to a target. */
export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

export interface RuleTarget {
  readonly id: string;
  readonly arn: string;
  readonly input?: string;
  readonly inputPath?: string;
}

export interface LocalRule {
  readonly name: string;
  readonly busName: string;
  readonly pattern: Record<string, unknown>;
  readonly targets: readonly RuleTarget[];
}

export interface EventBusDelivery {
  /** Runs a function with the event (or the target's transformed input). */
  invokeFunction(fn: LocalFunction, payload: unknown): Promise<unknown>;
  /** Starts an execution of a state machine with the payload as input. */
  startExecution(stateMachineArn: string, payload: unknown): Promise<unknown>;
}

/** The rules of the templates, with intrinsics resolved to local names. */
export function rulesFromResources(resources: LocalResources): LocalRule[] {
  const rules: LocalRule[] = [];
  for (const rule of resources.ofType('AWS::Events::Rule')) {
    const properties = resources.resolve(rule.stackName, rule.properties) as Record<string, unknown>;
    if (properties.State === 'DISABLED' || !properties.EventPattern) continue;
    const busName = typeof properties.EventBusName === 'string' ? lastSegment(properties.EventBusName) : 'default';
    const pattern =
      typeof properties.EventPattern === 'string'
        ? (JSON.parse(properties.EventPattern) as Record<string, unknown>)
        : (properties.EventPattern as Record<string, unknown>);
    const targets = ((properties.Targets as Record<string, unknown>[] | undefined) ?? []).map((target) => ({
      id: String(target.Id ?? ''),
      arn: String(target.Arn ?? ''),
      ...(typeof target.Input === 'string' ? { input: target.Input } : {}),
      ...(typeof target.InputPath === 'string' ? { inputPath: target.InputPath } : {}),
    }));
    rules.push({ name: rule.logicalId, busName, pattern, targets });
  }
  return rules;
}

function lastSegment(nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? (nameOrArn.split('/').pop() ?? nameOrArn) : nameOrArn;
}

function selectPath(event: unknown, path: string): unknown {
  if (path === '$') return event;
  let node: unknown = event;
  for (const part of path.replace(/^\$\.?/, '').split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/**
 * @example
 * ```ts
 * const bus = new LocalEventBus({ rules, functions, queue, delivery, eventsDir, region, fallback });
 * bus.put('default', s3Event);
 * ```
 */
export class LocalEventBus {
  constructor(
    private readonly options: {
      readonly rules: readonly LocalRule[];
      readonly functions: readonly LocalFunction[];
      readonly queue: DeliveryQueue;
      readonly delivery: EventBusDelivery;
      readonly eventsDir: string;
      readonly region: string;
      /** Targets for events no rule matched (e.g. when the template routes uploads another way). */
      readonly fallback?: (busName: string, event: BusEvent) => RuleTarget[];
      readonly onUnroutable?: (busName: string, event: BusEvent, reason: string) => void;
    },
  ) {}

  /** Records and routes one event; returns how many targets it was handed to. */
  put(busName: string, event: BusEvent): number {
    mkdirSync(this.options.eventsDir, { recursive: true });
    appendFileSync(join(this.options.eventsDir, `${busName}.jsonl`), `${JSON.stringify(event)}\n`);
    const targets = this.options.rules
      .filter((rule) => rule.busName === busName && matchesEventPattern(rule.pattern, event))
      .flatMap((rule) => rule.targets);
    const chosen = targets.length > 0 ? targets : (this.options.fallback?.(busName, event) ?? []);
    let delivered = 0;
    for (const target of chosen) {
      const payload =
        target.input !== undefined
          ? (JSON.parse(target.input) as unknown)
          : target.inputPath
            ? selectPath(event, target.inputPath)
            : event;
      const fn = this.options.functions.find(
        (candidate) => candidate.arn === target.arn || candidate.name === target.arn,
      );
      if (fn) {
        this.options.queue.deliver(fn.logicalId, payload, (body) => this.options.delivery.invokeFunction(fn, body));
        delivered += 1;
      } else if (target.arn.includes(':states:') && target.arn.includes(':stateMachine:')) {
        this.options.queue.deliver(target.arn, payload, (body) =>
          this.options.delivery.startExecution(target.arn, body),
        );
        delivered += 1;
      } else {
        this.options.onUnroutable?.(busName, event, `target ${target.arn} is not emulated locally`);
      }
    }
    return delivered;
  }

  /**
   * Delivers `payload` again to a target named as a dead letter names it (a function's logical
   * id or a state machine ARN); false when no such target exists here.
   */
  redeliver(target: string, payload: unknown): boolean {
    const fn = this.options.functions.find((candidate) => candidate.logicalId === target);
    if (fn) {
      this.options.queue.deliver(fn.logicalId, payload, (body) => this.options.delivery.invokeFunction(fn, body));
      return true;
    }
    if (target.includes(':states:') && target.includes(':stateMachine:')) {
      this.options.queue.deliver(target, payload, (body) => this.options.delivery.startExecution(target, body));
      return true;
    }
    return false;
  }

  /** PutEvents entries (`Source`, `DetailType`, `Detail`, `EventBusName`, `Resources`, `Time`) as bus events. */
  putEntries(
    entries: readonly Record<string, unknown>[],
  ): { eventId?: string; errorCode?: string; errorMessage?: string }[] {
    return entries.map((entry) => {
      const source = entry.Source;
      const detailType = entry.DetailType;
      const detailText = entry.Detail;
      if (typeof source !== 'string' || typeof detailType !== 'string' || typeof detailText !== 'string') {
        return { errorCode: 'MalformedDetail', errorMessage: 'Source, DetailType and Detail are required' };
      }
      let detail: unknown;
      try {
        detail = JSON.parse(detailText);
      } catch {
        return { errorCode: 'MalformedDetail', errorMessage: 'Detail is not valid JSON' };
      }
      const id = randomUUID();
      const time = typeof entry.Time === 'number' ? new Date(entry.Time * 1000) : new Date();
      const busName = typeof entry.EventBusName === 'string' ? lastSegment(entry.EventBusName) : 'default';
      this.put(busName, {
        version: '0',
        id,
        'detail-type': detailType,
        source,
        account: '000000000000',
        time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: this.options.region,
        resources: Array.isArray(entry.Resources) ? entry.Resources.map(String) : [],
        detail,
      });
      return { eventId: id };
    });
  }
}
