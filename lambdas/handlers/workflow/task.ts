/**
 * Wraps a workflow step into a thin Lambda handler: parses the state, resolves dependencies
 * (injected, or built from the environment on first use: only the ports the step takes, see
 * `deps.ts`) and logs ids and outcome only.
 *
 * @example
 * ```ts
 * export const handler = workflowTask('face-match', faceMatchStep, () => {
 *   const audit = auditLog();
 *   return { ...workflowSettings(), ...workflowBuckets(), store: workflowStore(), faces: faceService(processorLog(audit)) };
 * });
 * ```
 */
import middy from '@middy/core';
import { logger } from '../shared/logger.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import type { WorkflowDeps } from './deps.ts';
import { parseState, type WorkflowState } from './state.ts';

/** One step of the verification workflow: pure of AWS, given its ports (`D`: the ports it takes). */
export type WorkflowStep<T, D = WorkflowDeps> = (state: WorkflowState, deps: D) => Promise<T>;

export function workflowTask<T, D>(name: string, step: WorkflowStep<T, D>, deps: DepsSource<D>) {
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
