/**
 * The Step Functions calls the functions make, over {@link AwsJsonClient} (`aws-json-client.ts`
 * says why not the SDK's client): the SDK's command names, inputs and outputs.
 *
 * @example
 * ```ts
 * const { executionArn } = await defaultSfnCalls().send(new StartExecutionCommand({ stateMachineArn, name, input }));
 * ```
 */
import type {
  DescribeExecutionInput,
  DescribeExecutionOutput,
  SendTaskHeartbeatInput,
  SendTaskHeartbeatOutput,
  SendTaskSuccessInput,
  SendTaskSuccessOutput,
  StartExecutionInput,
  StartExecutionOutput,
} from '@aws-sdk/client-sfn';
import { dateOf, JsonCommand, SFN, sharedJsonClient, type JsonCalls } from './aws-json-client.ts';

export class StartExecutionCommand extends JsonCommand<StartExecutionInput, StartExecutionOutput> {
  public readonly operation = 'StartExecution';
  public override read(answer: Record<string, unknown>): StartExecutionOutput {
    return { ...(answer as unknown as StartExecutionOutput), startDate: dateOf(answer.startDate) };
  }
}

export class DescribeExecutionCommand extends JsonCommand<DescribeExecutionInput, DescribeExecutionOutput> {
  public readonly operation = 'DescribeExecution';
  public override read(answer: Record<string, unknown>): DescribeExecutionOutput {
    const output = { ...(answer as unknown as DescribeExecutionOutput), startDate: dateOf(answer.startDate) };
    const stopDate = dateOf(answer.stopDate);
    return stopDate ? { ...output, stopDate } : output;
  }
}

export class SendTaskHeartbeatCommand extends JsonCommand<SendTaskHeartbeatInput, SendTaskHeartbeatOutput> {
  public readonly operation = 'SendTaskHeartbeat';
}

export class SendTaskSuccessCommand extends JsonCommand<SendTaskSuccessInput, SendTaskSuccessOutput> {
  public readonly operation = 'SendTaskSuccess';
}

/** The function's Step Functions client, made at the first use and shared by its adapters. */
export function defaultSfnCalls(): JsonCalls {
  return sharedJsonClient(SFN);
}
