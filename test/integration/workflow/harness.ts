/**
 * Runs the SYNTHESIZED verification state machine (from `synthKyc()`) in the local Step
 * Functions engine, with the real step handlers over in-memory ports.
 */
import { DEFAULT_CONFIG, type KycConfig } from '../../../lib/config.ts';
import { LocalStepFunctions, type ExecutionDescription } from '../../../local/stepfunctions/engine.ts';
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
  readonly engine: LocalStepFunctions;
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

export function harness(options: { config?: KycConfig; timeScale?: number } = {}): Harness {
  const template = appTemplate();
  const engine = new LocalStepFunctions({
    timeScale: options.timeScale ?? 1e-6,
    retryIntervalOverridesMs: Object.fromEntries(retryingStates(template).map((name) => [name, 1])),
  });
  const world = fakeWorkflowWorld({
    config: options.config ?? DEFAULT_CONFIG,
    forwardReview: (token, output) => engine.sendTaskSuccess(token, output),
  });
  const stateMachineArn = engine.addStateMachineFromTemplate(
    template,
    workflowHandlersFromTemplate(template, () => world.deps),
  );
  const start = (attemptId: string, verificationId = 'ver-1') =>
    engine.startExecution({ stateMachineArn, name: attemptId, input: { verificationId, attemptId } }).executionArn;
  return {
    ...world,
    engine,
    stateMachineArn,
    start,
    run: (attemptId, verificationId) => engine.waitForExecution(start(attemptId, verificationId)),
    async waitForToken(executionArn, stateName) {
      for (let i = 0; i < 2000; i += 1) {
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
