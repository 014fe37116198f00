import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TaskDoesNotExist,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStepFunctions } from '../../../local/stepfunctions/engine.ts';
import { stepFunctionsOperations } from '../../../local/runtime/aws-json/step-functions-service.ts';
import { startJsonEndpoint } from './json-endpoint.ts';

const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:000000000000:function:Review';
const definition = {
  StartAt: 'Review',
  States: {
    Review: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: FUNCTION_ARN, Payload: { 'token.$': '$$.Task.Token', 'id.$': '$.id' } },
      End: true,
    },
  },
};

let engine: LocalStepFunctions;
let endpoint: Awaited<ReturnType<typeof startJsonEndpoint<SFNClient>>>;
let client: SFNClient;
let stateMachineArn: string;
const tokens: string[] = [];

beforeAll(async () => {
  engine = new LocalStepFunctions({ region: 'eu-west-1' });
  stateMachineArn = engine.addStateMachine({
    name: 'review-test',
    definition,
    handlers: {
      Review: (payload) => {
        tokens.push((payload as { token: string }).token);
        return {};
      },
    },
    lambdaIndex: new Map([[FUNCTION_ARN, 'Review']]),
  });
  endpoint = await startJsonEndpoint({ AWSStepFunctions: stepFunctionsOperations(engine) }, SFNClient);
  client = endpoint.client;
});

afterAll(async () => {
  engine.close();
  await endpoint.close();
});

async function waitForToken(count: number): Promise<string> {
  for (let i = 0; i < 200 && tokens.length < count; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  const token = tokens[count - 1];
  if (!token) throw new Error('no task token');
  return token;
}

describe('local Step Functions endpoint: the SFN JSON 1.0 API over the engine', () => {
  it('starts an execution, completes its task token and describes the result', async () => {
    // Prepare
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn, name: 'attempt-1', input: JSON.stringify({ id: 'v1' }) }),
    );
    const token = await waitForToken(1);

    // Act
    await client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await client.send(
      new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ decision: 'approve' }) }),
    );
    await engine.waitForExecution(executionArn!);
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));

    // Assess
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '{}')).toEqual({ decision: 'approve' });
    expect(described.startDate).toBeInstanceOf(Date);
  });

  it('fails a task with SendTaskFailure', async () => {
    // Prepare
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn, name: 'attempt-2', input: JSON.stringify({ id: 'v2' }) }),
    );
    const token = await waitForToken(2);

    // Act
    await client.send(new SendTaskFailureCommand({ taskToken: token, error: 'ReviewRejected', cause: 'test' }));
    await engine.waitForExecution(executionArn!);
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn }));

    // Assess: a service integration's failure is `TaskFailed`, named as AWS names it.
    expect(described).toMatchObject({ status: 'FAILED', error: 'ReviewRejected' });
    expect(events?.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskFailed',
      'ExecutionFailed',
    ]);
    expect(events?.[2]?.taskFailedEventDetails).toEqual({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      error: 'ReviewRejected',
      cause: 'test',
    });
  });

  it.each([
    [
      'a reused name with other input',
      () => new StartExecutionCommand({ stateMachineArn, name: 'attempt-1', input: '{"id":"other"}' }),
      ExecutionAlreadyExists,
    ],
    [
      'an unknown task token',
      () => new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' }),
      TaskDoesNotExist,
    ],
  ])('answers %s with the service exception', async (_label, command, exception) => {
    // Act / Assess
    await expect(client.send(command() as never)).rejects.toBeInstanceOf(exception);
  });
});
