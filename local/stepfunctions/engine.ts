/**
 * Local Step Functions engine: runs the ASL that CDK synthesizes with `aws-local-stepfunctions`,
 * calling in-process Lambda handlers instead of AWS. The local runtime wraps it in an HTTP
 * endpoint speaking the Step Functions JSON 1.0 protocol; tests drive it directly.
 *
 * What it adds to the library:
 * - Lambda tasks (`arn:aws:states:::lambda:invoke`, `.waitForTaskToken`, or a bare function ARN)
 *   call `handlers[logicalId](payload)`; `lambda:invoke` tasks get the `{StatusCode, Payload}` shape.
 *   A handler's thrown error keeps its `name` as the ASL error (what Retry/Catch match) and
 *   `{errorType, errorMessage}` as the cause, like a Lambda function error.
 * - `.waitForTaskToken`: the `$$.Task.Token` parameter gets a fresh token, registered in a
 *   callback registry that `sendTaskSuccess`/`sendTaskFailure`/`sendTaskHeartbeat` complete; the
 *   state's `TimeoutSeconds`/`HeartbeatSeconds` raise `States.Timeout`/`States.HeartbeatTimeout`.
 * - Waits and task-token timeouts are scaled by `timeScale` (demos and tests only: 0.001 turns a
 *   24-hour cooldown into 86 seconds) or fixed per state with `waitOverridesMs`. To do so every
 *   Wait state runs as an engine-controlled task that reads `Seconds`/`SecondsPath`/`Timestamp`/
 *   `TimestampPath` itself; its history events still say `Wait`.
 * - `startExecution` is idempotent by name, as in AWS: the same name and input return the same
 *   execution without a second run; a different input (or a name reused after the execution
 *   closed with different input) is `ExecutionAlreadyExists`.
 * - `describeExecution`, `stopExecution`, `getExecutionHistory`, `listExecutions` and events
 *   (`execution` on every status change, `taskToken` when a task waits for a callback).
 *
 * @example
 * ```ts
 * import '../polyfills.ts';
 * const engine = new LocalStepFunctions({ timeScale: 0.001 });
 * const arn = engine.addStateMachineFromTemplate(template, handlers);
 * const { executionArn } = await engine.startExecution({ stateMachineArn: arn, name: attemptId, input: { verificationId, attemptId } });
 * const done = await engine.waitForExecution(executionArn);
 * ```
 */
import '../polyfills.ts';
import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { StepFunctionsApiError, TaskFailedError } from './errors.ts';
import {
  lambdaLogicalIdFromName,
  lambdaNameIndex,
  stateMachinesFromTemplate,
  type AslDefinition,
  type CfnTemplate,
  type ResolveOptions,
} from './template.ts';

export { StepFunctionsApiError, TaskFailedError } from './errors.ts';

/** Context a local handler gets besides its payload. */
export interface LocalTaskContext {
  readonly executionArn: string;
  readonly stateName: string;
  /** Set for `.waitForTaskToken` tasks (the token is also inside the payload, where the ASL put it). */
  readonly taskToken?: string;
}

/** An in-process stand-in for a Lambda function: receives the payload, returns the function's result. */
export type LocalTaskHandler = (payload: unknown, context: LocalTaskContext) => Promise<unknown> | unknown;

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** What `describeExecution` returns (field names as in the Step Functions API). */
export interface ExecutionDescription {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly input: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly startDate: Date;
  readonly stopDate?: Date;
}

/** A history event: the library's event with the original state type (Wait stays Wait). */
export interface ExecutionHistoryEvent {
  readonly id: number;
  readonly type: string;
  readonly timestamp: Date;
  readonly stateName?: string;
  readonly stateType?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** A task waiting for `sendTaskSuccess`/`sendTaskFailure`. */
export interface PendingTaskToken {
  readonly taskToken: string;
  readonly executionArn: string;
  readonly stateName: string;
  readonly createdAt: Date;
}

export interface LocalStepFunctionsOptions {
  /** Multiplies every Wait duration and task-token timeout (1). Use < 1 for demos and tests only. */
  readonly timeScale?: number;
  /** Fixed wait in milliseconds per Wait state name, overriding `timeScale` for that state. */
  readonly waitOverridesMs?: Readonly<Record<string, number>>;
  /** Retry interval in milliseconds per state name (passed to `aws-local-stepfunctions`). */
  readonly retryIntervalOverridesMs?: Readonly<Record<string, number | number[]>>;
  readonly region?: string;
  readonly accountId?: string;
}

export interface AddStateMachineInput {
  readonly name: string;
  readonly definition: AslDefinition;
  /** Handlers by Lambda logical id. */
  readonly handlers: Readonly<Record<string, LocalTaskHandler>>;
  /** Maps a task's FunctionName/Resource to a logical id (default: last ARN segment). */
  readonly lambdaIndex?: ReadonlyMap<string, string>;
}

interface ExecutionRecord {
  description: ExecutionDescription;
  history: ExecutionHistoryEvent[];
  abort: () => void;
  abortController: AbortController;
  done: Promise<ExecutionDescription>;
}

interface MachineRecord {
  readonly arn: string;
  readonly name: string;
  readonly original: AslDefinition;
  readonly machine: StateMachine;
  readonly taskHandlers: Record<
    string,
    (input: unknown, executionArn: string, signal: AbortSignal) => Promise<unknown>
  >;
  readonly stateTypes: Map<string, string>;
}

interface TokenRecord extends PendingTaskToken {
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  heartbeat?: () => void;
}

const TOKEN_PLACEHOLDER = '__LOCAL_SFN_TASK_TOKEN__';
/** Longest single timer Node accepts (~24.8 days); longer waits chain timers. */
const MAX_TIMER_MS = 2_147_483_647;
/** What the library sees as the timeout of engine-controlled tasks; the engine enforces the real one. */
const LIBRARY_TASK_TIMEOUT_SECONDS = 2_000_000;

/**
 * Runs Step Functions executions in-process. One engine can hold several state machines.
 */
export class LocalStepFunctions extends EventEmitter {
  private readonly machines = new Map<string, MachineRecord>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly closedTokens = new Set<string>();
  private readonly timeScale: number;
  private readonly region: string;
  private readonly accountId: string;

  constructor(private readonly options: LocalStepFunctionsOptions = {}) {
    super();
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale >= 0)) throw new RangeError('timeScale must be zero or positive');
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
  }

  /**
   * Adds every state machine of a synthesized template (or the one with `logicalId`) and returns
   * the ARN of the first one added. Handlers are keyed by Lambda logical id.
   */
  addStateMachineFromTemplate(
    template: CfnTemplate,
    handlers: Readonly<Record<string, LocalTaskHandler>>,
    logicalId?: string,
  ): string {
    const resolveOptions: ResolveOptions = { region: this.region, accountId: this.accountId };
    const machines = stateMachinesFromTemplate(template, resolveOptions).filter(
      (m) => logicalId === undefined || m.logicalId === logicalId,
    );
    if (machines.length === 0) {
      throw new StepFunctionsApiError('StateMachineDoesNotExist', `No state machine ${logicalId ?? ''} in template`);
    }
    const lambdaIndex = lambdaNameIndex(template, resolveOptions);
    const arns = machines.map((m) =>
      this.addStateMachine({ name: m.name, definition: m.definition, handlers, lambdaIndex }),
    );
    return arns[0] as string;
  }

  /** Registers a state machine; throws `InvalidDefinition` for tasks the engine cannot run. */
  addStateMachine(input: AddStateMachineInput): string {
    const arn = `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${input.name}`;
    try {
      // Validate the definition as written (JSONPath and ARNs) before rewriting it.
      new StateMachine(input.definition as unknown as StateMachineDefinition, {
        validationOptions: { checkArn: true, checkPaths: true },
      });
    } catch (error) {
      throw new StepFunctionsApiError('InvalidDefinition', (error as Error).message, { cause: error });
    }
    const taskHandlers: MachineRecord['taskHandlers'] = {};
    const stateTypes = new Map<string, string>();
    const rewritten = this.rewrite(input, taskHandlers, stateTypes);
    const machine = new StateMachine(rewritten as unknown as StateMachineDefinition, {
      validationOptions: { noValidate: true },
    });
    this.machines.set(arn, { arn, name: input.name, original: input.definition, machine, taskHandlers, stateTypes });
    return arn;
  }

  /** ARNs of the registered state machines. */
  listStateMachines(): string[] {
    return [...this.machines.keys()];
  }

  /**
   * Starts an execution, idempotent by name (see the module comment).
   */
  startExecution(input: { stateMachineArn: string; name?: string; input?: unknown }): {
    executionArn: string;
    startDate: Date;
  } {
    const machine = this.machines.get(input.stateMachineArn);
    if (!machine) throw new StepFunctionsApiError('StateMachineDoesNotExist', `${input.stateMachineArn} not found`);
    const name = input.name ?? randomUUID();
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
      throw new StepFunctionsApiError('InvalidName', `Execution name ${JSON.stringify(name)} is invalid`);
    }
    const inputText = typeof input.input === 'string' ? input.input : JSON.stringify(input.input ?? {});
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(inputText);
    } catch (error) {
      throw new StepFunctionsApiError('InvalidOutput', 'Execution input is not JSON', { cause: error });
    }
    const executionArn = `arn:aws:states:${this.region}:${this.accountId}:execution:${machine.name}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.description.status === 'RUNNING' && existing.description.input === inputText) {
        return { executionArn, startDate: existing.description.startDate };
      }
      throw new StepFunctionsApiError('ExecutionAlreadyExists', `Execution ${name} already exists`);
    }
    return this.run(machine, executionArn, name, inputText, parsedInput);
  }

  /** Status, input and (when finished) output or error of an execution. */
  describeExecution(executionArn: string): ExecutionDescription {
    return { ...this.execution(executionArn).description };
  }

  /** History events of an execution, oldest first. */
  getExecutionHistory(executionArn: string): ExecutionHistoryEvent[] {
    return [...this.execution(executionArn).history];
  }

  /** Executions of a state machine, newest first, optionally filtered by status. */
  listExecutions(stateMachineArn: string, status?: ExecutionStatus): ExecutionDescription[] {
    return [...this.executions.values()]
      .map((e) => e.description)
      .filter((d) => d.stateMachineArn === stateMachineArn && (status === undefined || d.status === status))
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
  }

  /** Resolves when the execution has finished (any terminal status). */
  waitForExecution(executionArn: string): Promise<ExecutionDescription> {
    return this.execution(executionArn).done;
  }

  /** Aborts a running execution (status ABORTED); no-op on a finished one. */
  stopExecution(executionArn: string, error?: string, cause?: string): { stopDate: Date } {
    const record = this.execution(executionArn);
    if (record.description.status === 'RUNNING') {
      record.description = { ...record.description, error, cause };
      record.abortController.abort();
      record.abort();
    }
    return { stopDate: record.description.stopDate ?? new Date() };
  }

  /** Task tokens currently waiting for a callback (optionally of one execution). */
  listPendingTaskTokens(executionArn?: string): PendingTaskToken[] {
    return [...this.tokens.values()]
      .filter((t) => executionArn === undefined || t.executionArn === executionArn)
      .map(({ taskToken, executionArn: arn, stateName, createdAt }) => ({
        taskToken,
        executionArn: arn,
        stateName,
        createdAt,
      }));
  }

  /** Completes a waiting task with `output` (a JSON string or a JSON value). */
  sendTaskSuccess(taskToken: string, output: unknown): void {
    const record = this.token(taskToken);
    let value: unknown = output;
    if (typeof output === 'string') {
      try {
        value = JSON.parse(output);
      } catch (error) {
        throw new StepFunctionsApiError('InvalidOutput', 'Task output is not JSON', { cause: error });
      }
    }
    this.settleToken(record);
    record.resolve(value);
  }

  /** Fails a waiting task with an ASL error name (default `States.TaskFailed`) and cause. */
  sendTaskFailure(taskToken: string, error?: string, cause?: string): void {
    const record = this.token(taskToken);
    this.settleToken(record);
    record.reject(new TaskFailedError(error ?? 'States.TaskFailed', cause ?? ''));
  }

  /** Resets the heartbeat timer of a waiting task. */
  sendTaskHeartbeat(taskToken: string): void {
    this.token(taskToken).heartbeat?.();
  }

  /** Aborts every running execution (call when the runtime or a test shuts down). */
  close(): void {
    for (const [arn, record] of this.executions) {
      if (record.description.status === 'RUNNING') this.stopExecution(arn, 'Engine.Closed', 'local engine closed');
    }
  }

  private execution(executionArn: string): ExecutionRecord {
    const record = this.executions.get(executionArn);
    if (!record) throw new StepFunctionsApiError('ExecutionDoesNotExist', `${executionArn} not found`);
    return record;
  }

  private token(taskToken: string): TokenRecord {
    const record = this.tokens.get(taskToken);
    if (record) return record;
    if (this.closedTokens.has(taskToken)) {
      throw new StepFunctionsApiError('TaskTimedOut', 'Task is no longer waiting (completed, timed out or aborted)');
    }
    throw new StepFunctionsApiError('TaskDoesNotExist', 'Unknown task token');
  }

  private settleToken(record: TokenRecord): void {
    this.tokens.delete(record.taskToken);
    this.closedTokens.add(record.taskToken);
  }

  private run(
    machine: MachineRecord,
    executionArn: string,
    name: string,
    inputText: string,
    parsedInput: unknown,
  ): { executionArn: string; startDate: Date } {
    const startDate = new Date();
    const abortController = new AbortController();
    const history: ExecutionHistoryEvent[] = [];
    const overrides = {
      taskResourceLocalHandlers: Object.fromEntries(
        Object.entries(machine.taskHandlers).map(([state, handler]) => [
          state,
          (taskInput: unknown) => handler(taskInput, executionArn, abortController.signal),
        ]),
      ),
      retryIntervalOverrides: this.options.retryIntervalOverridesMs,
    };
    const execution = machine.machine.run(parsedInput as never, {
      overrides: overrides as never,
      context: {
        Execution: { Id: executionArn, Name: name, RoleArn: `arn:aws:iam::${this.accountId}:role/local` },
        StateMachine: { Id: machine.arn, Name: machine.name },
      } as never,
    });
    const record: ExecutionRecord = {
      description: { executionArn, stateMachineArn: machine.arn, name, status: 'RUNNING', input: inputText, startDate },
      history,
      abort: execution.abort,
      abortController,
      done: undefined as unknown as Promise<ExecutionDescription>,
    };
    this.executions.set(executionArn, record);
    void this.collectHistory(execution.eventLogs, history, machine.stateTypes);
    record.done = execution.result.then(
      (output) => this.finish(record, { status: 'SUCCEEDED', output: JSON.stringify(output ?? null) }),
      (error: unknown) => this.finish(record, failure(error, record.description)),
    );
    this.emit('execution', { ...record.description });
    return { executionArn, startDate };
  }

  private finish(
    record: ExecutionRecord,
    result: { status: ExecutionStatus; output?: string; error?: string; cause?: string },
  ): ExecutionDescription {
    abortController(record).abort();
    for (const token of this.tokens.values()) {
      if (token.executionArn === record.description.executionArn) {
        this.settleToken(token);
        token.reject(new TaskFailedError('States.Runtime', 'execution finished'));
      }
    }
    record.description = { ...record.description, ...result, stopDate: new Date() };
    this.emit('execution', { ...record.description });
    return { ...record.description };
  }

  private async collectHistory(
    events: AsyncGenerator<{ type: string; timestamp: number; state?: { name: string; type: string } } & object>,
    history: ExecutionHistoryEvent[],
    stateTypes: ReadonlyMap<string, string>,
  ): Promise<void> {
    for await (const event of events) {
      const info = event as { Error?: string; Cause?: unknown };
      const stateName = event.state?.name;
      history.push({
        id: history.length + 1,
        type: event.type,
        timestamp: new Date(event.timestamp),
        ...(stateName ? { stateName, stateType: stateTypes.get(stateName) ?? event.state?.type } : {}),
        ...(info.Error ? { error: info.Error, cause: String(info.Cause ?? '') } : {}),
      });
    }
  }

  /**
   * Copies the definition, turning Wait states into engine-controlled tasks and registering a
   * local handler for every Task state (recursively through Parallel branches and Map iterators).
   */
  private rewrite(
    input: AddStateMachineInput,
    taskHandlers: MachineRecord['taskHandlers'],
    stateTypes: Map<string, string>,
  ): AslDefinition {
    const rewriteStates = (
      states: Record<string, Record<string, unknown>>,
    ): Record<string, Record<string, unknown>> => {
      const out: Record<string, Record<string, unknown>> = {};
      for (const [stateName, original] of Object.entries(states)) {
        const state: Record<string, unknown> = { ...original };
        stateTypes.set(stateName, String(state.Type));
        // aws-local-stepfunctions 3.0 stores a result under a key named "$" for `ResultPath: "$"`
        // instead of replacing the input; an absent ResultPath means the same and works.
        if (state.ResultPath === '$') delete state.ResultPath;
        if (Array.isArray(state.Catch)) {
          state.Catch = (state.Catch as Array<Record<string, unknown>>).map(({ ResultPath, ...catcher }) =>
            ResultPath === '$' ? catcher : { ...catcher, ResultPath },
          );
        }
        if (state.Type === 'Parallel') {
          state.Branches = (state.Branches as AslDefinition[]).map((b) => ({ ...b, States: rewriteStates(b.States) }));
        } else if (state.Type === 'Map') {
          const key = state.ItemProcessor ? 'ItemProcessor' : 'Iterator';
          const inner = state[key] as AslDefinition;
          state[key] = { ...inner, States: rewriteStates(inner.States) };
        } else if (state.Type === 'Wait') {
          out[stateName] = this.waitAsTask(stateName, original, taskHandlers);
          continue;
        } else if (state.Type === 'Task') {
          Object.assign(state, this.taskOverride(stateName, original, input, taskHandlers));
        }
        out[stateName] = state;
      }
      return out;
    };
    return { ...input.definition, States: rewriteStates(input.definition.States) };
  }

  private waitAsTask(
    stateName: string,
    original: Record<string, unknown>,
    taskHandlers: MachineRecord['taskHandlers'],
  ): Record<string, unknown> {
    const { Seconds, SecondsPath, Timestamp, TimestampPath, Type: _type, ...rest } = original;
    taskHandlers[stateName] = async (waitInput, _arn, signal) => {
      let ms: number;
      const fixed = this.options.waitOverridesMs?.[stateName];
      if (fixed !== undefined) ms = fixed;
      else {
        if (typeof Seconds === 'number') ms = Seconds * 1000;
        else if (typeof Timestamp === 'string') ms = Date.parse(Timestamp) - Date.now();
        else if (typeof SecondsPath === 'string') ms = Number(readPath(waitInput, SecondsPath, stateName)) * 1000;
        else if (typeof TimestampPath === 'string') {
          const at = Date.parse(String(readPath(waitInput, TimestampPath, stateName)));
          if (Number.isNaN(at)) throw new TaskFailedError('States.Runtime', `${TimestampPath} is not a timestamp`);
          ms = at - Date.now();
        } else throw new TaskFailedError('States.Runtime', `Wait state ${stateName} has no duration`);
        ms = Math.max(0, ms) * this.timeScale;
      }
      await sleep(ms, signal);
      return waitInput;
    };
    return {
      ...rest,
      Type: 'Task',
      Resource: 'arn:aws:states:::local:wait',
      TimeoutSeconds: LIBRARY_TASK_TIMEOUT_SECONDS,
    };
  }

  private taskOverride(
    stateName: string,
    state: Record<string, unknown>,
    input: AddStateMachineInput,
    taskHandlers: MachineRecord['taskHandlers'],
  ): Record<string, unknown> {
    const resource = String(state.Resource);
    const parameters = state.Parameters as Record<string, unknown> | undefined;
    const integration = /^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/.exec(resource);
    const waitForToken = Boolean(integration?.[1]);
    let functionName: unknown = resource;
    if (integration) {
      functionName = parameters?.FunctionName;
      if (typeof functionName !== 'string') {
        throw new StepFunctionsApiError('InvalidDefinition', `Task ${stateName} needs a literal FunctionName locally`);
      }
    } else if (/\.waitForTaskToken$|\.sync(:2)?$/.test(resource) || !resource.includes(':lambda:')) {
      throw new StepFunctionsApiError('InvalidDefinition', `Task ${stateName}: resource ${resource} is not supported`);
    }
    const index = input.lambdaIndex ?? new Map<string, string>();
    const logicalId =
      lambdaLogicalIdFromName(String(functionName), index) ?? String(functionName).split(':function:').pop();
    const handler = logicalId ? input.handlers[logicalId] : undefined;
    if (!handler || !logicalId) {
      throw new StepFunctionsApiError(
        'InvalidDefinition',
        `Task ${stateName} calls ${String(functionName)}, which has no local handler`,
      );
    }
    const invoke = async (payload: unknown, context: LocalTaskContext): Promise<unknown> => {
      try {
        return await handler(payload, context);
      } catch (error) {
        const err = error as { name?: string; message?: string };
        const errorType = err?.name && err.name !== 'Error' ? err.name : 'Error';
        throw new TaskFailedError(
          errorType,
          JSON.stringify({ errorType, errorMessage: err?.message ?? String(error) }),
        );
      }
    };
    const asLambdaInvokeResult = (payload: unknown) => ({
      StatusCode: 200,
      ExecutedVersion: '$LATEST',
      Payload: payload ?? null,
    });

    if (!waitForToken) {
      taskHandlers[stateName] = async (taskInput, executionArn) => {
        const context = { executionArn, stateName };
        if (!integration) return invoke(taskInput, context);
        return asLambdaInvokeResult(await invoke((taskInput as { Payload?: unknown }).Payload ?? null, context));
      };
      return {};
    }

    const timeoutSeconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined;
    const heartbeatSeconds = typeof state.HeartbeatSeconds === 'number' ? state.HeartbeatSeconds : undefined;
    taskHandlers[stateName] = (taskInput, executionArn, signal) => {
      const taskToken = `${randomBytes(24).toString('base64url')}.${randomUUID()}`;
      const payload = replaceDeep((taskInput as { Payload?: unknown }).Payload ?? null, TOKEN_PLACEHOLDER, taskToken);
      let resolve!: (value: unknown) => void;
      let reject!: (error: Error) => void;
      const promise = new Promise<unknown>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      const timers: Array<() => void> = [];
      const cleanup = () => timers.forEach((clear) => clear());
      const record: TokenRecord = {
        taskToken,
        executionArn,
        stateName,
        createdAt: new Date(),
        resolve: (value) => {
          cleanup();
          resolve(value);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      };
      const expire = (errorName: string) => () => {
        if (!this.tokens.has(taskToken)) return;
        this.settleToken(record);
        record.reject(new TaskFailedError(errorName, `${stateName} did not receive a callback in time`));
      };
      if (timeoutSeconds !== undefined) {
        timers.push(longTimeout(expire('States.Timeout'), timeoutSeconds * 1000 * this.timeScale));
      }
      if (heartbeatSeconds !== undefined) {
        let clearHeartbeat = longTimeout(expire('States.HeartbeatTimeout'), heartbeatSeconds * 1000 * this.timeScale);
        record.heartbeat = () => {
          clearHeartbeat();
          clearHeartbeat = longTimeout(expire('States.HeartbeatTimeout'), heartbeatSeconds * 1000 * this.timeScale);
        };
        timers.push(() => clearHeartbeat());
      }
      const onAbort = () => {
        if (!this.tokens.has(taskToken)) return;
        this.settleToken(record);
        record.reject(new TaskFailedError('States.Runtime', 'execution aborted'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      timers.push(() => signal.removeEventListener('abort', onAbort));
      this.tokens.set(taskToken, record);
      this.emit('taskToken', { taskToken, executionArn, stateName, createdAt: record.createdAt });
      invoke(payload, { executionArn, stateName, taskToken }).catch((error: Error) => {
        if (!this.tokens.has(taskToken)) return;
        this.settleToken(record);
        record.reject(error);
      });
      return promise;
    };
    return {
      Parameters: replaceTokenPath(parameters ?? {}),
      // The engine enforces the real (scaled) timeout; the library only needs a bigger bound.
      TimeoutSeconds: LIBRARY_TASK_TIMEOUT_SECONDS,
      HeartbeatSeconds: undefined,
    };
  }
}

function abortController(record: ExecutionRecord): AbortController {
  return record.abortController;
}

function failure(
  error: unknown,
  description: ExecutionDescription,
): { status: ExecutionStatus; error?: string; cause?: string } {
  if (error instanceof ExecutionAbortedError) {
    return { status: 'ABORTED', error: description.error, cause: description.cause };
  }
  if (error instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT', error: 'States.Timeout' };
  const inner = error instanceof ExecutionError ? (error.cause as Error | undefined) : (error as Error);
  return { status: 'FAILED', error: inner?.name ?? 'States.Runtime', cause: inner?.message ?? String(error) };
}

/** Replaces every `"<key>.$": "$$.Task.Token"` with a literal placeholder the engine fills in. */
function replaceTokenPath(value: unknown): Record<string, unknown> {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node as Record<string, unknown>)) {
      if (key.endsWith('.$') && child === '$$.Task.Token') out[key.slice(0, -2)] = TOKEN_PLACEHOLDER;
      else out[key] = walk(child);
    }
    return out;
  };
  return walk(value) as Record<string, unknown>;
}

function replaceDeep(node: unknown, placeholder: string, replacement: string): unknown {
  if (node === placeholder) return replacement;
  if (Array.isArray(node)) return node.map((n) => replaceDeep(n, placeholder, replacement));
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node as Record<string, unknown>).map(([k, v]) => [k, replaceDeep(v, placeholder, replacement)]),
  );
}

/** Reads a simple reference path (`$`, `$.a.b`, `$['a']`) as Wait states use them. */
function readPath(input: unknown, path: string, stateName: string): unknown {
  if (path === '$') return input;
  const parts = path
    .replace(/^\$/, '')
    .split(/\.|\[['"]?|['"]?\]/)
    .filter((p) => p.length > 0);
  let node: unknown = input;
  for (const part of parts) {
    if (node === null || typeof node !== 'object' || !(part in (node as object))) {
      throw new TaskFailedError('States.Runtime', `${stateName}: path ${path} not found in the input`);
    }
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** setTimeout for durations beyond Node's 24.8-day limit; returns a canceller. */
function longTimeout(callback: () => void, ms: number): () => void {
  let timer: NodeJS.Timeout;
  let cancelled = false;
  const arm = (remaining: number) => {
    timer = setTimeout(
      () => {
        if (cancelled) return;
        if (remaining > MAX_TIMER_MS) arm(remaining - MAX_TIMER_MS);
        else callback();
      },
      Math.min(Math.max(0, remaining), MAX_TIMER_MS),
    );
  };
  arm(ms);
  return () => {
    cancelled = true;
    clearTimeout(timer);
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const cancel = longTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      cancel();
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
