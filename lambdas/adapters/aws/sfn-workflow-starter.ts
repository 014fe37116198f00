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
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { WorkflowInput, WorkflowStarter } from '../../ports/workflow.ts';

export interface SfnWorkflowStarterOptions {
  readonly stateMachineArn: string;
  /** Step Functions client (a default client for the function's region). */
  readonly client?: SFNClient;
}

export class SfnWorkflowStarter implements WorkflowStarter {
  private readonly stateMachineArn: string;
  private readonly client: SFNClient;

  public constructor(options: SfnWorkflowStarterOptions) {
    this.stateMachineArn = options.stateMachineArn;
    this.client = options.client ?? new SFNClient({});
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
      if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') {
        return { started: false };
      }
      throw error;
    }
  }
}
