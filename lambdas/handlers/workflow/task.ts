/**
 * Wraps a workflow step into a thin Lambda handler: parses the state, resolves dependencies
 * (injected or the AWS defaults on first use) and logs ids and outcome only.
 *
 * @example
 * ```ts
 * export const handler = workflowTask('face-match', faceMatchStep);
 * ```
 */
import middy from '@middy/core';
import { logger } from '../shared/logger.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { defaultWorkflowDeps, type WorkflowDeps } from './deps.ts';
import { parseState, type WorkflowState } from './state.ts';

/** One step of the verification workflow: pure of AWS, given its ports. */
export type WorkflowStep<T> = (state: WorkflowState, deps: WorkflowDeps) => Promise<T>;

export function workflowTask<T>(
  name: string,
  step: WorkflowStep<T>,
  deps: DepsSource<WorkflowDeps> = () => defaultWorkflowDeps(),
) {
  const getDeps = resolveDeps(deps);
  return middy(async function workflowTaskHandler(event: unknown): Promise<T> {
    const state = parseState(event);
    const ids = { step: name, verificationId: state.verificationId, attemptId: state.attemptId };
    try {
      const result = await step(state, getDeps());
      logger.info('workflow step done', ids);
      return result;
    } catch (error) {
      logger.warn('workflow step failed', { ...ids, error: (error as Error).name });
      throw error;
    }
  });
}

/** Audit subject of a verification. */
export function subjectOf(verificationId: string): string {
  return `verification:${verificationId}`;
}
