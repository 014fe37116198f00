/**
 * In-process handlers for the verification workflow's Lambda functions, keyed by the logical
 * ids of a synthesized template: each workflow function carries `KYC_WORKFLOW_TASK=<step>` in
 * its environment, which names the step to run. Pass the result to
 * `LocalStepFunctions.addStateMachineFromTemplate`.
 *
 * @example
 * ```ts
 * const handlers = workflowHandlersFromTemplate(template, () => deps);
 * engine.addStateMachineFromTemplate(template, handlers);
 * ```
 */
import { WORKFLOW_STEP_HANDLERS } from '../../lambdas/handlers/workflow/index.ts';
import type { WorkflowDeps } from '../../lambdas/handlers/workflow/deps.ts';
import { parseState } from '../../lambdas/handlers/workflow/state.ts';
import type { LocalTaskHandler } from './engine.ts';
import type { CfnTemplate } from './template.ts';

/** Name of the environment variable the construct sets (`WORKFLOW_TASK_ENV`). */
const TASK_ENV = 'KYC_WORKFLOW_TASK';

/** A template function names a workflow step this code base does not have. */
export class UnknownWorkflowStepError extends Error {
  constructor(
    public readonly logicalId: string,
    public readonly step: string,
  ) {
    super(`Function ${logicalId} names unknown workflow step ${step}`);
    this.name = 'UnknownWorkflowStepError';
  }
}

export function workflowHandlersFromTemplate(
  template: CfnTemplate,
  deps: () => WorkflowDeps,
): Record<string, LocalTaskHandler> {
  const handlers: Record<string, LocalTaskHandler> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const variables = (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables;
    const step = variables?.[TASK_ENV];
    if (typeof step !== 'string') continue;
    const run = WORKFLOW_STEP_HANDLERS[step];
    if (!run) throw new UnknownWorkflowStepError(logicalId, step);
    handlers[logicalId] = (payload) => run(parseState(payload), deps());
  }
  return handlers;
}
