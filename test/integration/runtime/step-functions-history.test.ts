import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  InvalidToken,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  paginateGetExecutionHistory,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStepFunctions } from '../../../local/stepfunctions/engine.ts';
import { stepFunctionsOperations } from '../../../local/runtime/aws-json/step-functions-service.ts';
import { startJsonEndpoint } from './json-endpoint.ts';

// `aws stepfunctions get-execution-history` against the local engine: AWS's event types, in
// order, numbered from 1, paged as the CLI pages.
const CHECK_ARN = 'arn:aws:lambda:eu-west-1:000000000000:function:Check';
const definition = {
  StartAt: 'Start',
  States: {
    Start: { Type: 'Pass', Result: { ok: true }, ResultPath: '$.start', Next: 'Checks' },
    Checks: {
      Type: 'Parallel',
      ResultPath: '$.checks',
      Next: 'Outcome',
      Branches: [
        {
          StartAt: 'Check',
          States: {
            Check: {
              Type: 'Task',
              Resource: CHECK_ARN,
              Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 1, MaxAttempts: 2 }],
              End: true,
            },
          },
        },
        { StartAt: 'Other', States: { Other: { Type: 'Pass', End: true } } },
      ],
    },
    Outcome: {
      Type: 'Choice',
      Choices: [{ Variable: '$.mode', StringEquals: 'fail', Next: 'Failed' }],
      Default: 'Done',
    },
    Failed: { Type: 'Fail', Error: 'CheckRefused', Cause: 'refused on purpose' },
    Done: { Type: 'Succeed' },
  },
};

let engine: LocalStepFunctions;
let endpoint: Awaited<ReturnType<typeof startJsonEndpoint<SFNClient>>>;
let client: SFNClient;
let stateMachineArn: string;
let calls = 0;

beforeAll(async () => {
  engine = new LocalStepFunctions({ region: 'eu-west-1', retryIntervalOverridesMs: { Check: 1 } });
  stateMachineArn = engine.addStateMachine({
    name: 'history-test',
    definition,
    handlers: {
      Check: () => {
        calls += 1;
        // Every first call fails with a retryable error: the retry shows as a failure then the exit.
        if (calls % 2 === 1) throw Object.assign(new Error('try again'), { name: 'Flaky' });
        return { checked: true };
      },
    },
  });
  endpoint = await startJsonEndpoint({ AWSStepFunctions: stepFunctionsOperations(engine) }, SFNClient);
  client = endpoint.client;
});

afterAll(async () => {
  engine.close();
  await endpoint.close();
});

async function run(name: string, mode: string): Promise<string> {
  const { executionArn } = await client.send(
    new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ mode }) }),
  );
  for (let i = 0; i < 300; i += 1) {
    const { status } = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (status !== 'RUNNING') return executionArn as string;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${name} still running`);
}

const types = (events: readonly HistoryEvent[] | undefined): string[] =>
  (events ?? []).map((event) => event.type ?? '');

describe('local Step Functions: execution history as AWS reports it', () => {
  it('a succeeded execution: state events per state type, the failed try of a retried Lambda task, the output', async () => {
    // Prepare
    const executionArn = await run('succeeds', 'pass');

    // Act
    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn }));

    // Assess
    const sequence = types(events);
    expect(sequence[0]).toBe('ExecutionStarted');
    expect(sequence.slice(1, 4)).toEqual(['PassStateEntered', 'PassStateExited', 'ParallelStateEntered']);
    expect(sequence).toContain('ParallelStateStarted');
    expect(sequence.filter((type) => type === 'ParallelStateStarted')).toHaveLength(1);
    expect(sequence.filter((type) => type === 'TaskStateEntered')).toHaveLength(1);
    expect(sequence.filter((type) => type === 'LambdaFunctionFailed')).toHaveLength(1);
    expect(sequence.indexOf('LambdaFunctionFailed')).toBeLessThan(sequence.indexOf('TaskStateExited'));
    expect(sequence.slice(-7)).toEqual([
      'ParallelStateSucceeded',
      'ParallelStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(sequence.at(-1)).toBe('ExecutionSucceeded');
    expect(sequence).not.toContain('StateEntered');
    expect(sequence).not.toContain('StateRetried');
    const failed = events?.find((event) => event.type === 'LambdaFunctionFailed');
    expect(failed?.lambdaFunctionFailedEventDetails).toMatchObject({ error: 'Flaky', cause: expect.any(String) });
    const entered = events?.find((event) => event.type === 'TaskStateEntered');
    expect(entered?.stateEnteredEventDetails).toEqual({ name: 'Check' });
    expect(events?.find((event) => event.type === 'TaskStateExited')?.stateExitedEventDetails).toEqual({
      name: 'Check',
    });
    expect(events?.[0]?.executionStartedEventDetails?.input).toBe(JSON.stringify({ mode: 'pass' }));
    const output = events?.at(-1)?.executionSucceededEventDetails?.output;
    expect(JSON.parse(output ?? '{}')).toMatchObject({ mode: 'pass', start: { ok: true } });
    expect(events?.map((event) => event.id)).toEqual(events?.map((_, index) => index + 1));
    // The task's failure and exit point back along the task's own events, past the other branch.
    const enteredCheck = events?.find((event) => event.type === 'TaskStateEntered');
    const exitedCheck = events?.find((event) => event.type === 'TaskStateExited');
    expect(failed?.previousEventId).toBe(enteredCheck?.id);
    expect(exitedCheck?.previousEventId).toBe(failed?.id);
    for (const event of events ?? []) {
      expect(event.previousEventId).toBeGreaterThanOrEqual(0);
      expect(event.previousEventId).toBeLessThan(event.id ?? 0);
      if (/StateEntered$|^Execution/.test(event.type ?? '')) expect(event.previousEventId).toBe((event.id ?? 0) - 1);
    }
    for (const event of events ?? []) expect(event.timestamp).toBeInstanceOf(Date);
  });

  it('a failed execution: the Fail state is entered, never exited, and the failure carries its error and cause', async () => {
    // Prepare
    const executionArn = await run('fails', 'fail');

    // Act
    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn }));

    // Assess
    const sequence = types(events);
    expect(sequence.slice(-2)).toEqual(['FailStateEntered', 'ExecutionFailed']);
    expect(sequence).not.toContain('FailStateExited');
    expect(events?.at(-1)?.executionFailedEventDetails).toEqual({ error: 'CheckRefused', cause: 'refused on purpose' });
  });

  it('pages as the CLI pages (maxResults, nextToken), reverses, leaves out execution data on request', async () => {
    // Prepare
    const executionArn = await run('paged', 'pass');
    const { events: all } = await client.send(new GetExecutionHistoryCommand({ executionArn }));

    // Act
    const pages: HistoryEvent[][] = [];
    for await (const answer of paginateGetExecutionHistory({ client, pageSize: 4 }, { executionArn })) {
      pages.push(answer.events ?? []);
    }
    const reversed = await client.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true }));
    const bare = await client.send(new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false }));
    const forged = await client
      .send(new GetExecutionHistoryCommand({ executionArn, nextToken: 'not-a-token' }))
      .catch((error: unknown) => error);

    // Assess
    expect(pages.slice(0, -1).every((events) => events.length === 4)).toBe(true);
    expect(pages.flat().map((event) => event.id)).toEqual(all?.map((event) => event.id));
    expect(reversed.events?.map((event) => event.id)).toEqual(all?.map((event) => event.id).reverse());
    expect(bare.events?.[0]?.executionStartedEventDetails).toEqual({ inputDetails: { truncated: false } });
    expect(bare.events?.at(-1)?.executionSucceededEventDetails).toEqual({ outputDetails: { truncated: false } });
    expect(forged).toBeInstanceOf(InvalidToken);
  });

  it('lists executions in pages and shows when the state machine was registered', async () => {
    // Prepare
    const before = Date.now();

    // Act
    const first = await client.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 2 }));
    const second = await client.send(
      new ListExecutionsCommand({ stateMachineArn, maxResults: 2, nextToken: first.nextToken }),
    );
    const machines = await client.send(new ListStateMachinesCommand({}));
    const machine = await client.send(new DescribeStateMachineCommand({ stateMachineArn }));

    // Assess
    expect(first.executions).toHaveLength(2);
    expect(first.nextToken).toBeTruthy();
    expect(second.executions?.length).toBeGreaterThan(0);
    const names = [...(first.executions ?? []), ...(second.executions ?? [])].map((execution) => execution.name);
    expect(new Set(names).size).toBe(names.length);
    const created = machine.creationDate?.getTime() ?? 0;
    expect(created).toBeGreaterThan(before - 60_000);
    expect(created).toBeLessThanOrEqual(before);
    expect(machines.stateMachines?.[0]?.creationDate?.getTime()).toBe(created);
  });
});
