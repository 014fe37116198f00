/**
 * `WorkflowStarter` over Step Functions: the execution name is the attempt id, so starting the
 * same attempt twice (duplicate upload events, two slots finishing together) is a no-op that
 * reports `started: false`.
 *
 * @example
 * ```ts
 * const starter = new SfnWorkflowStarter({ stateMachineArn: process.env.STATE_MACHINE_ARN! });
 * await starter.start({ verificationId, attemptId });
 * ```
 */
import { defaultSfnCalls, StartExecutionCommand } from './sfn-commands.ts';
import type { JsonCalls } from './aws-json-client.ts';
import type { WorkflowInput, WorkflowStarter } from '../../ports/workflow.ts';

export interface SfnWorkflowStarterOptions {
  readonly stateMachineArn: string;
  /** Step Functions client (a default client for the function's region). */
  readonly client?: JsonCalls;
}

export class SfnWorkflowStarter implements WorkflowStarter {
  private readonly stateMachineArn: string;
  private readonly client: JsonCalls;

  public constructor(options: SfnWorkflowStarterOptions) {
    this.stateMachineArn = options.stateMachineArn;
    this.client = options.client ?? defaultSfnCalls();
  }

  public async start(input: WorkflowInput): Promise<{ started: boolean; executionArn?: string }> {
    try {
      const output = await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: input.attemptId,
          input: JSON.stringify({ verificationId: input.verificationId, attemptId: input.attemptId }),
        }),
      );
      return output.executionArn ? { started: true, executionArn: output.executionArn } : { started: true };
    } catch (error) {
      if ((error as Error).name === 'ExecutionAlreadyExists') {
        return { started: false };
      }
      throw error;
    }
  }
}
