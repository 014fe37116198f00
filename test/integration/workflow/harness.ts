/**
 * Runs the SYNTHESIZED verification state machine (from `synthKyc()`) in the local Step
 * Functions engine, with the real step handlers over in-memory ports.
 */
import { DEFAULT_CONFIG, type KycConfig } from '../../../lib/config.ts';
import {
  LocalStepFunctions,
  type ExecutionDescription,
  type LocalTaskHandler,
} from '../../../local/stepfunctions/engine.ts';
import {
  stateMachinesFromTemplate,
  type AslDefinition,
  type CfnTemplate,
} from '../../../local/stepfunctions/template.ts';
import { workflowHandlersFromTemplate } from '../../../local/stepfunctions/workflow-handlers.ts';
import { synthKyc } from '../../cdk/synth.ts';
import { fakeWorkflowWorld, type FakeWorkflowWorld } from '../../support/workflow-fakes.ts';

/** The app stack template as CloudFormation JSON (synthesized once per test file). */
export function appTemplate(): CfnTemplate {
  return synthKyc().appTemplate.toJSON() as CfnTemplate;
}

export interface Harness extends FakeWorkflowWorld {
  /** The current engine (a new one after `restart`). */
  readonly engine: LocalStepFunctions;
  /**
   * With `storeDir`: lets go of the engine at once (no step finishes; what is running stays
   * RUNNING in the store) and starts a new one on the same folder and the same world, resuming
   * the running executions.
   */
  restart(): LocalStepFunctions;
  readonly stateMachineArn: string;
  run(attemptId: string, verificationId?: string): Promise<ExecutionDescription>;
  start(attemptId: string, verificationId?: string): string;
  waitForToken(executionArn: string, stateName: string): Promise<string>;
}

/** Every state with a Retry (recursively), to make retry intervals 1 ms in tests. */
export function retryingStates(template: CfnTemplate): string[] {
  const names: string[] = [];
  const walk = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, state] of Object.entries(states)) {
      if (Array.isArray(state.Retry)) names.push(name);
      for (const branch of (state.Branches as AslDefinition[] | undefined) ?? []) walk(branch.States);
    }
  };
  for (const machine of stateMachinesFromTemplate(template)) walk(machine.definition.States);
  return names;
}

export function harness(
  options: {
    config?: KycConfig;
    timeScale?: number;
    storeDir?: string;
    /** Wraps every step handler (e.g. to run each step twice). */
    wrap?: (handler: LocalTaskHandler) => LocalTaskHandler;
  } = {},
): Harness {
  const template = appTemplate();
  const newEngine = () =>
    new LocalStepFunctions({
      timeScale: options.timeScale ?? 1e-6,
      retryIntervalOverridesMs: Object.fromEntries(retryingStates(template).map((name) => [name, 1])),
      ...(options.storeDir ? { storeDir: options.storeDir } : {}),
    });
  let engine = newEngine();
  const world = fakeWorkflowWorld({
    config: options.config ?? DEFAULT_CONFIG,
    forwardReview: (token, output) => engine.sendTaskSuccess(token, output),
  });
  const handlers = Object.fromEntries(
    Object.entries(workflowHandlersFromTemplate(template, () => world.deps)).map(([id, handler]) => [
      id,
      options.wrap ? options.wrap(handler) : handler,
    ]),
  );
  const stateMachineArn = engine.addStateMachineFromTemplate(template, handlers);
  const start = (attemptId: string, verificationId = 'ver-1') =>
    engine.startExecution({ stateMachineArn, name: attemptId, input: { verificationId, attemptId } }).executionArn;
  return {
    ...world,
    get engine() {
      return engine;
    },
    restart() {
      engine.close();
      engine = newEngine();
      engine.addStateMachineFromTemplate(template, handlers);
      engine.resume();
      return engine;
    },
    stateMachineArn,
    start,
    run: (attemptId, verificationId) => engine.waitForExecution(start(attemptId, verificationId)),
    async waitForToken(executionArn, stateName) {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const pending = engine.listPendingTaskTokens(executionArn).find((t) => t.stateName === stateName);
        if (pending) return pending.taskToken;
        const status = engine.describeExecution(executionArn).status;
        if (status !== 'RUNNING') throw new Error(`execution ended ${status} before ${stateName}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      throw new Error(`no task token for ${stateName}`);
    },
  };
}

export { passportMrz } from '../../support/mrz-samples.ts';
