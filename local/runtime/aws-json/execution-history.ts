/**
 * The local engine's execution history as Step Functions' `GetExecutionHistory` reports it, so
 * `aws stepfunctions get-execution-history` and scripts written against AWS read the same event
 * types: `TaskStateEntered`/`TaskStateExited` (per state type), `LambdaFunctionFailed` for a task
 * that calls a function by ARN, `TaskFailed`/`TaskTimedOut` for a service integration
 * (`lambda:invoke.waitForTaskToken`), `ParallelStateStarted`/`ParallelStateSucceeded`/
 * `ParallelStateFailed`, `ExecutionSucceeded` with the output, and so on, numbered from 1. A
 * state's failure or exit names that state's previous event as its `previousEventId` (so the
 * failures of one task can be told apart among interleaved Parallel branches, as in AWS, where
 * the chain leads back to the state's `TaskStateEntered`); any other event names the one before.
 *
 * Not reported, as AWS does not either: the engine's retry and catch records (a retried task
 * shows as the failure followed by the state's next outcome) and per-branch events. Not
 * reported since the engine does not observe them: the scheduled/started/succeeded events
 * around each task invocation.
 */
import type { ExecutionDescription, ExecutionHistoryEvent } from '../../stepfunctions/engine.ts';

/** One event in `GetExecutionHistory`'s shape; timestamps in epoch seconds. */
export interface AwsHistoryEvent {
  readonly id: number;
  readonly previousEventId: number;
  readonly type: string;
  readonly timestamp: number;
  readonly [details: string]: unknown;
}

/** The states of a definition (branches and iterators included) that name a `Resource`, by name. */
export function taskResources(definition: unknown): Map<string, string> {
  const resources = new Map<string, string>();
  const visit = (machine: unknown): void => {
    const states = (machine as { States?: Record<string, Record<string, unknown>> } | undefined)?.States ?? {};
    for (const [name, state] of Object.entries(states)) {
      if (typeof state.Resource === 'string') resources.set(name, state.Resource);
      for (const branch of (state.Branches as unknown[] | undefined) ?? []) visit(branch);
      visit(state.Iterator);
      visit(state.ItemProcessor);
    }
  };
  visit(definition);
  return resources;
}

const LAMBDA_FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:/;
const SERVICE_INTEGRATION = /^arn:aws[a-z-]*:states:::([^:]+):(.+)$/;

/** A task state's failure: `LambdaFunctionFailed`/`TimedOut` for a function ARN, `TaskFailed`/`TimedOut` otherwise. */
function taskFailure(event: ExecutionHistoryEvent, resource: string | undefined): Record<string, unknown> {
  const timedOut = event.error === 'States.Timeout';
  const failure = { error: event.error ?? 'States.TaskFailed', cause: event.cause ?? '' };
  if (resource !== undefined && LAMBDA_FUNCTION_ARN.test(resource)) {
    return timedOut
      ? { type: 'LambdaFunctionTimedOut', lambdaFunctionTimedOutEventDetails: failure }
      : { type: 'LambdaFunctionFailed', lambdaFunctionFailedEventDetails: failure };
  }
  const [, resourceType = 'unknown', operation = resource ?? 'unknown'] =
    SERVICE_INTEGRATION.exec(resource ?? '') ?? [];
  const details = { resourceType, resource: operation, ...failure };
  return timedOut
    ? { type: 'TaskTimedOut', taskTimedOutEventDetails: details }
    : { type: 'TaskFailed', taskFailedEventDetails: details };
}

const CONTAINER_FAILED: Readonly<Record<string, string>> = { Parallel: 'ParallelStateFailed', Map: 'MapStateFailed' };

/** The AWS events (without ids) that one engine event stands for; none for engine-only records. */
function translate(
  event: ExecutionHistoryEvent,
  description: ExecutionDescription,
  resources: ReadonlyMap<string, string>,
  parallel: { entered: number },
): Record<string, unknown>[] {
  const name = event.stateName ?? '';
  const stateType = event.stateType ?? 'Task';
  switch (event.type) {
    case 'ExecutionStarted':
      return [
        {
          type: 'ExecutionStarted',
          executionStartedEventDetails: { input: description.input, inputDetails: { truncated: false } },
        },
      ];
    case 'ExecutionSucceeded':
      return [
        {
          type: 'ExecutionSucceeded',
          executionSucceededEventDetails: {
            ...(description.output !== undefined ? { output: description.output } : {}),
            outputDetails: { truncated: false },
          },
        },
      ];
    case 'ExecutionFailed':
      return [{ type: 'ExecutionFailed', executionFailedEventDetails: failureOf(event, description) }];
    case 'ExecutionAborted':
      return [{ type: 'ExecutionAborted', executionAbortedEventDetails: failureOf(event, description) }];
    case 'ExecutionTimeout':
      return [{ type: 'ExecutionTimedOut', executionTimedOutEventDetails: failureOf(event, description) }];
    case 'StateEntered':
      if (stateType === 'Parallel') parallel.entered += 1;
      return [{ type: `${stateType}StateEntered`, stateEnteredEventDetails: { name } }];
    case 'StateExited':
      return [
        ...(stateType === 'Parallel' || stateType === 'Map' ? [{ type: `${stateType}StateSucceeded` }] : []),
        { type: `${stateType}StateExited`, stateExitedEventDetails: { name } },
      ];
    case 'StateFailed':
      if (stateType === 'Task') return [taskFailure(event, resources.get(name))];
      return CONTAINER_FAILED[stateType] ? [{ type: CONTAINER_FAILED[stateType] }] : [];
    case 'ParallelBranchStarted':
      // One `ParallelStateStarted` per entry into a Parallel state, at its first branch.
      if (parallel.entered === 0) return [];
      parallel.entered -= 1;
      return [{ type: 'ParallelStateStarted' }];
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
      return [{ type: event.type, [`${lowerFirst(event.type)}EventDetails`]: { name } }];
    default:
      // StateRetried, StateCaught and the per-branch outcomes have no AWS event.
      return [];
  }
}

function failureOf(event: ExecutionHistoryEvent, description: ExecutionDescription): Record<string, string> {
  const error = event.error ?? description.error;
  const cause = event.cause ?? description.cause;
  return { ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) };
}

const lowerFirst = (text: string): string => text.charAt(0).toLowerCase() + text.slice(1);

/**
 * The history of one execution as AWS reports it, oldest first.
 *
 * @example
 * ```ts
 * const events = awsExecutionHistory(engine.getExecutionHistory(arn), engine.describeExecution(arn), definition);
 * events.map((event) => event.type); // ['ExecutionStarted', 'TaskStateEntered', 'TaskStateExited', 'ExecutionSucceeded']
 * ```
 */
export function awsExecutionHistory(
  history: readonly ExecutionHistoryEvent[],
  description: ExecutionDescription,
  definition: unknown,
): AwsHistoryEvent[] {
  const resources = taskResources(definition);
  const parallel = { entered: 0 };
  // The last event of each state, so that a state's failure or exit points back to it (AWS links
  // every event to its cause; branches of a Parallel state interleave).
  const lastOfState = new Map<string, number>();
  const events: AwsHistoryEvent[] = [];
  for (const event of history) {
    const name = event.stateName;
    // A state's failure or exit follows from that state's last event; anything else from the one before.
    let causedBy = name !== undefined && event.type !== 'StateEntered' ? lastOfState.get(name) : undefined;
    for (const translated of translate(event, description, resources, parallel)) {
      const id = events.length + 1;
      events.push({
        id,
        previousEventId: causedBy ?? id - 1,
        timestamp: event.timestamp.getTime() / 1000,
        ...translated,
      } as AwsHistoryEvent);
      causedBy = undefined;
      if (name !== undefined) lastOfState.set(name, id);
    }
  }
  return events;
}
