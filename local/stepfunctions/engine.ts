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
 * - Waits, task-token timeouts and the retriers' intervals are scaled by `timeScale` (demos and
 *   tests only: 0.001 turns a 24-hour cooldown into 86 seconds, and a retry after 2 s doubling to
 *   at most 60 s into 2 ms doubling to at most 60 ms, backoff and jitter kept) or fixed per state
 *   with `waitOverridesMs` and `retryIntervalOverridesMs`. To do so every
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
import { ExecutionStore, type ExecutionSnapshot, type StoredTaskToken } from './execution-store.ts';
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
  /**
   * Whether `timeScale` also applies to a Wait until a timestamp, as the time left until it
   * (true). False when the functions that compute those timestamps already run on the scaled
   * clock (`kyc local` scales their configured durations too): scaling again would end a
   * cooldown long before the end the API enforces.
   */
  readonly scaleTimestampWaits?: boolean;
  /** Fixed wait in milliseconds per Wait state name, overriding `timeScale` for that state. */
  readonly waitOverridesMs?: Readonly<Record<string, number>>;
  /** Retry interval in milliseconds per state name (passed to `aws-local-stepfunctions`). */
  readonly retryIntervalOverridesMs?: Readonly<Record<string, number | number[]>>;
  readonly region?: string;
  readonly accountId?: string;
  /**
   * Folder where every execution is persisted (see `execution-store.ts`). Without it executions
   * live in memory only. With it, executions found there are listed at once and the running
   * ones continue when `resume()` is called.
   */
  readonly storeDir?: string;
}

export interface AddStateMachineInput {
  readonly name: string;
  readonly definition: AslDefinition;
  /** Handlers by Lambda logical id. */
  readonly handlers: Readonly<Record<string, LocalTaskHandler>>;
  /** Maps a task's FunctionName/Resource to a logical id (default: last ARN segment). */
  readonly lambdaIndex?: ReadonlyMap<string, string>;
}

/** What `shutdown` did. */
export interface ShutdownReport {
  /** Steps that were still running when the bound elapsed (they run again on the next start). */
  readonly interruptedSteps: number;
  /** Executions left RUNNING in the store, to resume on the next start. */
  readonly persistedRunning: number;
}

interface ExecutionRecord {
  description: ExecutionDescription;
  history: ExecutionHistoryEvent[];
  definition: AslDefinition;
  parsedInput: unknown;
  machine?: MachineRecord;
  position?: { stateName: string; input: unknown; enteredAt: string };
  retries: number[];
  tokens: StoredTaskToken[];
  waits: Record<string, number>;
  settledTokens: string[];
  abort: () => void;
  abortController: AbortController;
  done: Promise<ExecutionDescription>;
  resolveDone: (description: ExecutionDescription) => void;
  /** Set when the process lets go of the execution (shutdown): nothing it does is recorded any more. */
  detached: boolean;
  /** The library run is going. */
  launched: boolean;
  /** Settles when the history of the current run is complete. */
  collecting: Promise<void>;
}

interface MachineRecord {
  readonly arn: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly original: AslDefinition;
  readonly rewritten: AslDefinition;
  readonly machine: StateMachine;
  readonly taskHandlers: Record<
    string,
    (input: unknown, executionArn: string, signal: AbortSignal) => Promise<unknown>
  >;
  readonly stateTypes: Map<string, string>;
  readonly topLevel: ReadonlySet<string>;
  readonly input: AddStateMachineInput;
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
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly timeScale: number;
  private readonly region: string;
  private readonly accountId: string;
  private readonly store?: ExecutionStore;
  private draining = false;

  constructor(private readonly options: LocalStepFunctionsOptions = {}) {
    super();
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale >= 0)) throw new RangeError('timeScale must be zero or positive');
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    if (options.storeDir) {
      this.store = new ExecutionStore(options.storeDir);
      for (const snapshot of this.store.loadAll()) this.restore(snapshot);
    }
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
    const record = this.buildMachine(input);
    this.machines.set(record.arn, record);
    return record.arn;
  }

  /** ARNs of the registered state machines. */
  listStateMachines(): string[] {
    return [...this.machines.keys()];
  }

  /**
   * Name, definition (as synthesized) and registration time (the runtime's start, as a deploy
   * creates or updates the machine) of a registered state machine; `StateMachineDoesNotExist`
   * otherwise.
   */
  describeStateMachine(stateMachineArn: string): { name: string; definition: AslDefinition; createdAt: Date } {
    const record = this.machines.get(stateMachineArn);
    if (!record)
      throw new StepFunctionsApiError('StateMachineDoesNotExist', `State machine ${stateMachineArn} does not exist`);
    return { name: record.name, definition: record.original, createdAt: record.createdAt };
  }

  /**
   * Continues every stored RUNNING execution where it was: the top-level state it was in runs
   * again with the same input (a step interrupted mid-run runs twice: handlers are idempotent),
   * retries already spent there stay spent, a `.waitForTaskToken` state re-arms the same token
   * with its original deadline (and replays a callback that arrived just before the stop), a
   * Wait keeps its deadline (one passed while stopped fires at once). An execution keeps the
   * definition it started with. Returns the ARNs resumed and those that could not be (no state
   * machine of that name is registered; they stay RUNNING in the store).
   */
  resume(): { resumed: string[]; unresumable: string[] } {
    const resumed: string[] = [];
    const unresumable: string[] = [];
    for (const record of this.executions.values()) {
      if (record.description.status !== 'RUNNING' || record.launched) continue;
      const machine = this.machineFor(record);
      if (!machine) {
        unresumable.push(record.description.executionArn);
        continue;
      }
      record.machine = machine;
      this.launch(record);
      resumed.push(record.description.executionArn);
    }
    return { resumed, unresumable };
  }

  /**
   * Starts an execution, idempotent by name (see the module comment). While the engine shuts
   * down, the execution is recorded as RUNNING and starts on the next `resume()`.
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
    const startDate = new Date();
    const record = newRecord(
      { executionArn, stateMachineArn: machine.arn, name, status: 'RUNNING', input: inputText, startDate },
      machine.original,
      parsedInput,
    );
    record.machine = machine;
    record.position = { stateName: machine.original.StartAt, input: parsedInput, enteredAt: startDate.toISOString() };
    this.executions.set(executionArn, record);
    this.persist(record);
    if (!this.draining) this.launch(record);
    this.emit('execution', { ...record.description });
    return { executionArn, startDate };
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
      if (record.launched) {
        record.abortController.abort();
        record.abort();
      } else {
        this.finish(record, { status: 'ABORTED', error, cause });
      }
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

  /**
   * Completes a waiting task with `output` (a JSON string or a JSON value). A token of an
   * execution that is stored but not running in this process yet (between a restart and its
   * resumption, or during shutdown) is accepted and applied when the execution continues.
   */
  sendTaskSuccess(taskToken: string, output: unknown): void {
    let value: unknown = output;
    if (typeof output === 'string') {
      try {
        value = JSON.parse(output);
      } catch (error) {
        throw new StepFunctionsApiError('InvalidOutput', 'Task output is not JSON', { cause: error });
      }
    }
    const record = this.tokens.get(taskToken);
    if (!record) return this.settleStored(taskToken, { output: value });
    this.settleToken(record, { output: value });
    record.resolve(value);
  }

  /** Fails a waiting task with an ASL error name (default `States.TaskFailed`) and cause. */
  sendTaskFailure(taskToken: string, error?: string, cause?: string): void {
    const settled = { error: error ?? 'States.TaskFailed', cause: cause ?? '' };
    const record = this.tokens.get(taskToken);
    if (!record) return this.settleStored(taskToken, settled);
    this.settleToken(record, settled);
    record.reject(new TaskFailedError(settled.error, settled.cause));
  }

  /** Resets the heartbeat timer of a waiting task. */
  sendTaskHeartbeat(taskToken: string): void {
    const record = this.tokens.get(taskToken);
    if (record) {
      record.heartbeat?.();
      return;
    }
    this.storedToken(taskToken);
  }

  /**
   * Stops gracefully: no new step starts (executions started meanwhile are recorded and wait for
   * the next start), steps already running get up to `graceMs` to finish, then every execution
   * still RUNNING is persisted where it is and let go of. Nothing is marked ABORTED: the next
   * engine on the same store resumes them.
   */
  async shutdown(graceMs = 10_000): Promise<ShutdownReport> {
    this.draining = true;
    const deadline = Date.now() + graceMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now())))),
      ]);
      clearTimeout(timer);
      // Let the library move on to the next state (which parks) before looking again.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setImmediate(resolve));
    const interruptedSteps = this.inFlight.size;
    return { interruptedSteps, persistedRunning: this.detachAll() };
  }

  /**
   * Lets go of every running execution at once. With a store they stay RUNNING there (to resume
   * on the next start); without one they are aborted.
   */
  close(): void {
    if (this.store) {
      this.draining = true;
      this.detachAll();
      return;
    }
    for (const [arn, record] of this.executions) {
      if (record.description.status === 'RUNNING') this.stopExecution(arn, 'Engine.Closed', 'local engine closed');
    }
  }

  private detachAll(): number {
    let count = 0;
    for (const record of this.executions.values()) {
      if (record.description.status !== 'RUNNING' || record.detached) continue;
      this.persist(record);
      record.detached = true;
      count += 1;
      if (record.launched) {
        record.abortController.abort();
        record.abort();
      }
    }
    for (const token of [...this.tokens.values()]) {
      this.tokens.delete(token.taskToken);
    }
    return count;
  }

  private execution(executionArn: string): ExecutionRecord {
    const record = this.executions.get(executionArn);
    if (!record) throw new StepFunctionsApiError('ExecutionDoesNotExist', `${executionArn} not found`);
    return record;
  }

  /** A token not armed in memory: one stored with a RUNNING execution, or an error like AWS's. */
  private storedToken(taskToken: string): { record: ExecutionRecord; token: StoredTaskToken } {
    for (const record of this.executions.values()) {
      if (record.description.status !== 'RUNNING') continue;
      const token = record.tokens.find((t) => t.taskToken === taskToken && !t.settled);
      if (token) return { record, token };
    }
    if (this.closedTokens.has(taskToken)) {
      throw new StepFunctionsApiError('TaskTimedOut', 'Task is no longer waiting (completed, timed out or aborted)');
    }
    throw new StepFunctionsApiError('TaskDoesNotExist', 'Unknown task token');
  }

  private settleStored(taskToken: string, settled: NonNullable<StoredTaskToken['settled']>): void {
    const { record, token } = this.storedToken(taskToken);
    token.settled = settled;
    this.closedTokens.add(taskToken);
    record.settledTokens.push(taskToken);
    // Written even while detached: the next start replays it.
    this.persist(record, { evenDetached: true });
  }

  private settleToken(token: TokenRecord, settled: NonNullable<StoredTaskToken['settled']>): void {
    this.tokens.delete(token.taskToken);
    this.closedTokens.add(token.taskToken);
    const record = this.executions.get(token.executionArn);
    if (!record || record.detached) return;
    const stored = record.tokens.find((t) => t.taskToken === token.taskToken);
    if (stored) stored.settled = settled;
    record.settledTokens.push(token.taskToken);
    this.persist(record);
  }

  /** Rebuilds an execution from its snapshot (RUNNING ones wait for `resume()`). */
  private restore(snapshot: ExecutionSnapshot): void {
    const record = newRecord(
      {
        executionArn: snapshot.executionArn,
        stateMachineArn: snapshot.stateMachineArn,
        name: snapshot.name,
        status: snapshot.status as ExecutionStatus,
        input: snapshot.input,
        startDate: new Date(snapshot.startDate),
        ...(snapshot.output !== undefined ? { output: snapshot.output } : {}),
        ...(snapshot.error !== undefined ? { error: snapshot.error } : {}),
        ...(snapshot.cause !== undefined ? { cause: snapshot.cause } : {}),
        ...(snapshot.stopDate !== undefined ? { stopDate: new Date(snapshot.stopDate) } : {}),
      },
      snapshot.definition,
      JSON.parse(snapshot.input) as unknown,
    );
    record.history = snapshot.history.map((event) => ({ ...event, timestamp: new Date(event.timestamp) }));
    if (snapshot.position) record.position = { ...snapshot.position };
    record.retries = [...snapshot.retries];
    record.tokens = snapshot.tokens.map((token) => ({ ...token }));
    record.waits = { ...snapshot.waits };
    record.settledTokens = [...snapshot.settledTokens];
    for (const token of snapshot.settledTokens) this.closedTokens.add(token);
    if (record.description.status !== 'RUNNING') record.resolveDone({ ...record.description });
    this.executions.set(snapshot.executionArn, record);
  }

  /** The registered machine an execution resumes with, or one built from its own definition. */
  private machineFor(record: ExecutionRecord): MachineRecord | undefined {
    const registered = this.machines.get(record.description.stateMachineArn);
    if (!registered) return undefined;
    if (JSON.stringify(registered.original) === JSON.stringify(record.definition)) return registered;
    try {
      return this.buildMachine({ ...registered.input, definition: record.definition });
    } catch {
      return undefined;
    }
  }

  /**
   * Saves the execution's snapshot; `progress` (a state entered, a retry, a checkpoint, a Wait's
   * deadline, a heartbeat) is not flushed to the disk: see `ExecutionStore`.
   */
  private persist(
    record: ExecutionRecord,
    { evenDetached = false, progress = false }: { readonly evenDetached?: boolean; readonly progress?: boolean } = {},
  ): void {
    if (!this.store || (record.detached && !evenDetached)) return;
    const d = record.description;
    this.store.save(
      {
        version: 1,
        executionArn: d.executionArn,
        stateMachineArn: d.stateMachineArn,
        stateMachineName: d.stateMachineArn.split(':').pop() ?? '',
        name: d.name,
        status: d.status,
        input: d.input,
        ...(d.output !== undefined ? { output: d.output } : {}),
        ...(d.error !== undefined ? { error: d.error } : {}),
        ...(d.cause !== undefined ? { cause: d.cause } : {}),
        startDate: d.startDate.toISOString(),
        ...(d.stopDate ? { stopDate: d.stopDate.toISOString() } : {}),
        definition: record.definition,
        ...(record.position ? { position: record.position } : {}),
        retries: record.retries,
        tokens: record.tokens,
        waits: record.waits,
        settledTokens: record.settledTokens,
        history: record.history.map((event) => ({ ...event, timestamp: event.timestamp.toISOString() })),
      },
      { flush: !progress },
    );
  }

  /** Runs (or continues, from `record.position`) an execution in the library. */
  private launch(record: ExecutionRecord): void {
    const machine = record.machine as MachineRecord;
    const resuming = record.history.length > 0;
    const abortController = new AbortController();
    record.abortController = abortController;
    record.launched = true;
    const executionArn = record.description.executionArn;
    const overrides = {
      taskResourceLocalHandlers: Object.fromEntries(
        Object.entries(machine.taskHandlers).map(([state, handler]) => [
          state,
          (taskInput: unknown) => handler(taskInput, executionArn, abortController.signal),
        ]),
      ),
      retryIntervalOverrides: this.options.retryIntervalOverridesMs,
    };
    const position = record.position;
    const runner =
      resuming && position
        ? new StateMachine(resumedDefinition(machine.rewritten, position.stateName, record.retries) as never, {
            validationOptions: { noValidate: true },
          })
        : machine.machine;
    const execution = runner.run((resuming && position ? position.input : record.parsedInput) as never, {
      overrides: overrides as never,
      context: {
        Execution: {
          Id: executionArn,
          Name: record.description.name,
          Input: record.parsedInput,
          StartTime: record.description.startDate.toISOString(),
          RoleArn: `arn:aws:iam::${this.accountId}:role/local`,
        },
        StateMachine: { Id: machine.arn, Name: machine.name },
      } as never,
    });
    record.abort = execution.abort;
    record.collecting = this.collectHistory(record, execution.eventLogs, machine, resuming).catch(() => undefined);
    execution.result.then(
      (output) => this.finish(record, { status: 'SUCCEEDED', output: JSON.stringify(output ?? null) }),
      (error: unknown) => this.finish(record, failure(error, record.description)),
    );
  }

  private finish(
    record: ExecutionRecord,
    result: { status: ExecutionStatus; output?: string; error?: string; cause?: string },
  ): void {
    if (record.detached || record.description.status !== 'RUNNING') return;
    record.abortController.abort();
    for (const token of [...this.tokens.values()]) {
      if (token.executionArn === record.description.executionArn) {
        this.tokens.delete(token.taskToken);
        this.closedTokens.add(token.taskToken);
        token.reject(new TaskFailedError('States.Runtime', 'execution finished'));
      }
    }
    record.description = { ...record.description, ...result, stopDate: new Date() };
    record.tokens = [];
    record.waits = {};
    this.emit('execution', { ...record.description });
    // The history's last events arrive a moment after the result: record them too.
    let timer: NodeJS.Timeout | undefined;
    void Promise.race([record.collecting, new Promise((resolve) => (timer = setTimeout(resolve, 100)))]).then(() => {
      clearTimeout(timer);
      this.persist(record, { evenDetached: true });
      record.resolveDone({ ...record.description });
    });
  }

  private async collectHistory(
    record: ExecutionRecord,
    events: AsyncGenerator<
      { type: string; timestamp: number; state?: { name: string; type: string; input?: unknown } } & object
    >,
    machine: MachineRecord,
    resuming: boolean,
  ): Promise<void> {
    let firstEnter = resuming;
    for await (const event of events) {
      if (record.detached) continue;
      if (resuming && event.type === 'ExecutionStarted') continue;
      const info = event as { Error?: string; Cause?: unknown; retry?: { retrier?: { ErrorEquals?: string[] } } };
      const stateName = event.state?.name;
      record.history.push({
        id: record.history.length + 1,
        type: event.type,
        timestamp: new Date(event.timestamp),
        ...(stateName ? { stateName, stateType: machine.stateTypes.get(stateName) ?? event.state?.type } : {}),
        ...(info.Error ? { error: info.Error, cause: String(info.Cause ?? '') } : {}),
      });
      if (!stateName || !machine.topLevel.has(stateName)) continue;
      if (event.type === 'StateEntered') {
        if (firstEnter) {
          // The resumed state itself: its tokens, waits and spent retries still apply.
          firstEnter = false;
        } else {
          record.position = {
            stateName,
            input: event.state?.input ?? null,
            enteredAt: new Date(event.timestamp).toISOString(),
          };
          record.retries = [];
          record.waits = {};
          record.tokens = record.tokens.filter((t) => t.stateName === stateName && !t.settled);
        }
        this.persist(record, { progress: true });
      } else if (event.type === 'StateRetried' && stateName === record.position?.stateName) {
        const retry = (machine.rewritten.States[stateName]?.Retry ?? []) as Array<{ ErrorEquals?: string[] }>;
        const wanted = JSON.stringify(info.retry?.retrier?.ErrorEquals ?? []);
        const index = retry.findIndex((r) => JSON.stringify(r.ErrorEquals ?? []) === wanted);
        if (index >= 0) record.retries[index] = (record.retries[index] ?? 0) + 1;
        this.persist(record, { progress: true });
      }
    }
  }

  /** Before a step runs: the history has caught up and the position is on disk. */
  private async checkpoint(record: ExecutionRecord | undefined): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (record) this.persist(record, { progress: true });
  }

  /** During shutdown a step does not start; the execution stays where it is until the next start. */
  private parked(signal: AbortSignal): Promise<never> {
    return new Promise((_, reject) => {
      const onAbort = () => reject(new TaskFailedError('States.Runtime', 'engine stopped'));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    const remove = () => this.inFlight.delete(promise);
    promise.then(remove, remove);
    return promise;
  }

  private buildMachine(input: AddStateMachineInput): MachineRecord {
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
    return {
      arn,
      name: input.name,
      createdAt: new Date(),
      original: input.definition,
      rewritten,
      machine,
      taskHandlers,
      stateTypes,
      topLevel: new Set(Object.keys(input.definition.States)),
      input,
    };
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
        if (Array.isArray(state.Retry) && this.timeScale !== 1)
          state.Retry = scaledRetriers(state.Retry as Array<Record<string, unknown>>, this.timeScale);
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
    taskHandlers[stateName] = async (waitInput, executionArn, signal) => {
      const record = this.executions.get(executionArn);
      await this.checkpoint(record);
      if (this.draining) return this.parked(signal);
      let deadline = record?.waits[stateName];
      if (deadline === undefined) {
        let ms: number;
        const fixed = this.options.waitOverridesMs?.[stateName];
        if (fixed !== undefined) ms = fixed;
        else {
          let scale = this.timeScale;
          if (typeof Seconds === 'number') ms = Seconds * 1000;
          else if (typeof SecondsPath === 'string') ms = Number(readPath(waitInput, SecondsPath, stateName)) * 1000;
          else {
            if (this.options.scaleTimestampWaits === false) scale = 1;
            if (typeof Timestamp === 'string') ms = Date.parse(Timestamp) - Date.now();
            else if (typeof TimestampPath === 'string') {
              const at = Date.parse(String(readPath(waitInput, TimestampPath, stateName)));
              if (Number.isNaN(at)) throw new TaskFailedError('States.Runtime', `${TimestampPath} is not a timestamp`);
              ms = at - Date.now();
            } else throw new TaskFailedError('States.Runtime', `Wait state ${stateName} has no duration`);
          }
          ms = Math.max(0, ms) * scale;
        }
        deadline = Date.now() + ms;
        if (record) {
          record.waits[stateName] = deadline;
          this.persist(record, { progress: true });
        }
      }
      await sleep(deadline - Date.now(), signal);
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
    const invoke = (payload: unknown, context: LocalTaskContext): Promise<unknown> =>
      this.track(
        (async () => {
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
        })(),
      );
    const asLambdaInvokeResult = (payload: unknown) => ({
      StatusCode: 200,
      ExecutedVersion: '$LATEST',
      Payload: payload ?? null,
    });

    if (!waitForToken) {
      taskHandlers[stateName] = async (taskInput, executionArn, signal) => {
        await this.checkpoint(this.executions.get(executionArn));
        if (this.draining) return this.parked(signal);
        const context = { executionArn, stateName };
        if (!integration) return invoke(taskInput, context);
        return asLambdaInvokeResult(await invoke((taskInput as { Payload?: unknown }).Payload ?? null, context));
      };
      return {};
    }

    const timeoutSeconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined;
    const heartbeatSeconds = typeof state.HeartbeatSeconds === 'number' ? state.HeartbeatSeconds : undefined;
    taskHandlers[stateName] = async (taskInput, executionArn, signal) => {
      const execution = this.executions.get(executionArn);
      await this.checkpoint(execution);
      if (this.draining) return this.parked(signal);
      // A token armed before a restart is re-armed as it was; a callback it got meanwhile is replayed.
      const previous = execution?.tokens.find((t) => t.stateName === stateName);
      if (previous?.settled) {
        if (previous.settled.error !== undefined) {
          throw new TaskFailedError(previous.settled.error, previous.settled.cause ?? '');
        }
        return previous.settled.output;
      }
      const now = Date.now();
      const stored: StoredTaskToken = previous ?? {
        taskToken: `${randomBytes(24).toString('base64url')}.${randomUUID()}`,
        stateName,
        createdAt: new Date(now).toISOString(),
        ...(timeoutSeconds !== undefined ? { timeoutAt: now + timeoutSeconds * 1000 * this.timeScale } : {}),
        ...(heartbeatSeconds !== undefined ? { heartbeatAt: now + heartbeatSeconds * 1000 * this.timeScale } : {}),
        delivered: false,
      };
      const taskToken = stored.taskToken;
      if (execution && !previous) {
        execution.tokens.push(stored);
        this.persist(execution);
      }
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
        createdAt: new Date(stored.createdAt),
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
        const cause = `${stateName} did not receive a callback in time`;
        this.settleToken(record, { error: errorName, cause });
        record.reject(new TaskFailedError(errorName, cause));
      };
      if (stored.timeoutAt !== undefined) {
        timers.push(longTimeout(expire('States.Timeout'), stored.timeoutAt - Date.now()));
      }
      if (heartbeatSeconds !== undefined) {
        let clearHeartbeat = longTimeout(
          expire('States.HeartbeatTimeout'),
          (stored.heartbeatAt ?? Date.now()) - Date.now(),
        );
        record.heartbeat = () => {
          clearHeartbeat();
          stored.heartbeatAt = Date.now() + heartbeatSeconds * 1000 * this.timeScale;
          if (execution) this.persist(execution, { progress: true });
          clearHeartbeat = longTimeout(expire('States.HeartbeatTimeout'), stored.heartbeatAt - Date.now());
        };
        timers.push(() => clearHeartbeat());
      }
      const onAbort = () => {
        if (!this.tokens.has(taskToken)) return;
        if (execution?.detached) {
          this.tokens.delete(taskToken);
        } else {
          this.settleToken(record, { error: 'States.Runtime', cause: 'execution aborted' });
        }
        record.reject(new TaskFailedError('States.Runtime', 'execution aborted'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      timers.push(() => signal.removeEventListener('abort', onAbort));
      this.tokens.set(taskToken, record);
      this.emit('taskToken', { taskToken, executionArn, stateName, createdAt: record.createdAt });
      if (!stored.delivered) {
        invoke(payload, { executionArn, stateName, taskToken }).then(
          () => {
            stored.delivered = true;
            if (execution && this.tokens.has(taskToken)) this.persist(execution, { progress: true });
          },
          (error: Error) => {
            if (!this.tokens.has(taskToken)) return;
            this.tokens.delete(taskToken);
            // A handler failure is an ordinary task failure (Retry/Catch); the token is retired.
            if (execution) execution.tokens = execution.tokens.filter((t) => t.taskToken !== taskToken);
            this.closedTokens.add(taskToken);
            if (execution) this.persist(execution, { progress: true });
            record.reject(error);
          },
        );
      }
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

function newRecord(
  description: ExecutionDescription,
  definition: AslDefinition,
  parsedInput: unknown,
): ExecutionRecord {
  let resolveDone!: (description: ExecutionDescription) => void;
  const done = new Promise<ExecutionDescription>((resolve) => (resolveDone = resolve));
  return {
    description,
    history: [],
    definition,
    parsedInput,
    retries: [],
    tokens: [],
    waits: {},
    settledTokens: [],
    abort: () => undefined,
    abortController: new AbortController(),
    done,
    resolveDone,
    detached: false,
    launched: false,
    collecting: Promise.resolve(),
  };
}

/**
 * Retriers with their interval (ASL default 1 s) and maximum delay multiplied by `scale`; the
 * backoff rate, jitter and attempts stay as written.
 */
function scaledRetriers(retry: Array<Record<string, unknown>>, scale: number): Array<Record<string, unknown>> {
  return retry.map((retrier) => ({
    ...retrier,
    IntervalSeconds: (typeof retrier.IntervalSeconds === 'number' ? retrier.IntervalSeconds : 1) * scale,
    ...(typeof retrier.MaxDelaySeconds === 'number' ? { MaxDelaySeconds: retrier.MaxDelaySeconds * scale } : {}),
  }));
}

/** The rewritten definition starting at `stateName`, with the retries already spent there deducted. */
function resumedDefinition(rewritten: AslDefinition, stateName: string, retries: readonly number[]): AslDefinition {
  const state = rewritten.States[stateName];
  if (!state) throw new StepFunctionsApiError('InvalidDefinition', `State ${stateName} is not in the definition`);
  const retry = Array.isArray(state.Retry)
    ? (state.Retry as Array<Record<string, unknown>>).map((retrier, index) => ({
        ...retrier,
        MaxAttempts: Math.max(
          0,
          (typeof retrier.MaxAttempts === 'number' ? retrier.MaxAttempts : 3) - (retries[index] ?? 0),
        ),
      }))
    : undefined;
  return {
    ...rewritten,
    StartAt: stateName,
    States: { ...rewritten.States, [stateName]: retry ? { ...state, Retry: retry } : state },
  };
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
