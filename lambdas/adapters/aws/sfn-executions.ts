/**
 * What the reconciler asks Step Functions: is the execution of an attempt running, start one
 * under a given name, and is a review task token still waiting (SendTaskHeartbeat on a token
 * that is no longer waiting answers TaskTimedOut or TaskDoesNotExist; on a live task it only
 * resets a heartbeat the review states do not use).
 *
 * @example
 * ```ts
 * const executions = new SfnExecutions({ stateMachineArn: process.env.STATE_MACHINE_ARN! });
 * if ((await executions.status(attemptId)) === undefined) await executions.start(attemptId, input);
 * ```
 */
import {
  defaultSfnCalls,
  DescribeExecutionCommand,
  SendTaskHeartbeatCommand,
  StartExecutionCommand,
} from './sfn-commands.ts';
import type { JsonCalls } from './aws-json-client.ts';

export interface SfnExecutionsOptions {
  readonly stateMachineArn: string;
  readonly client?: JsonCalls;
}

const GONE_TOKEN_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export class SfnExecutions {
  private readonly client: JsonCalls;

  public constructor(private readonly options: SfnExecutionsOptions) {
    this.client = options.client ?? defaultSfnCalls();
  }

  /** ARN of the execution named `name` of the state machine. */
  public executionArn(name: string): string {
    return `${this.options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  /** Status of the execution named `name`, or undefined when there is none. */
  public async status(name: string): Promise<string | undefined> {
    try {
      const output = await this.client.send(new DescribeExecutionCommand({ executionArn: this.executionArn(name) }));
      return output.status;
    } catch (error) {
      if ((error as Error).name === 'ExecutionDoesNotExist') return undefined;
      throw error;
    }
  }

  /** Starts an execution named `name`; false when one of that name exists already. */
  public async start(name: string, input: Record<string, unknown>): Promise<boolean> {
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.options.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ExecutionAlreadyExists') return false;
      throw error;
    }
  }

  /** Whether a task is still waiting for `taskToken`. */
  public async isTokenWaiting(taskToken: string): Promise<boolean> {
    try {
      await this.client.send(new SendTaskHeartbeatCommand({ taskToken }));
      return true;
    } catch (error) {
      if (GONE_TOKEN_ERRORS.has((error as Error).name)) return false;
      throw error;
    }
  }
}
