import { describe, expect, it } from 'vitest';
import { awsExecutionHistory, taskResources } from '../../../local/runtime/aws-json/execution-history.ts';
import type { ExecutionDescription, ExecutionHistoryEvent } from '../../../local/stepfunctions/engine.ts';

const at = new Date('2026-12-03T10:00:00.000Z');
const description: ExecutionDescription = {
  executionArn: 'arn:aws:states:eu-west-1:000000000000:execution:m:e',
  stateMachineArn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:m',
  name: 'e',
  status: 'ABORTED',
  input: '{"id":"v1"}',
  startDate: at,
  error: 'Stopped',
  cause: 'by an operator',
};
const definition = {
  StartAt: 'Call',
  States: {
    Call: { Type: 'Task', Resource: 'arn:aws:lambda:eu-west-1:000000000000:function:Call', Next: 'Wait' },
    Wait: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Next: 'Items',
    },
    Items: {
      Type: 'Map',
      End: true,
      ItemProcessor: {
        StartAt: 'Each',
        States: { Each: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true } },
      },
    },
  },
};
const event = (type: string, extra: Partial<ExecutionHistoryEvent> = {}): ExecutionHistoryEvent => ({
  id: 0,
  type,
  timestamp: at,
  ...extra,
});

describe('awsExecutionHistory', () => {
  it('names task time-outs as AWS does: LambdaFunctionTimedOut for a function ARN, TaskTimedOut for an integration', () => {
    // Act
    const events = awsExecutionHistory(
      [
        event('StateFailed', { stateName: 'Call', stateType: 'Task', error: 'States.Timeout', cause: 'late' }),
        event('StateFailed', { stateName: 'Wait', stateType: 'Task', error: 'States.Timeout', cause: 'no callback' }),
        event('StateFailed', { stateName: 'Each', stateType: 'Task', error: 'Boom' }),
      ],
      description,
      definition,
    );

    // Assess
    expect(events).toEqual([
      {
        id: 1,
        previousEventId: 0,
        timestamp: at.getTime() / 1000,
        type: 'LambdaFunctionTimedOut',
        lambdaFunctionTimedOutEventDetails: { error: 'States.Timeout', cause: 'late' },
      },
      {
        id: 2,
        previousEventId: 1,
        timestamp: at.getTime() / 1000,
        type: 'TaskTimedOut',
        taskTimedOutEventDetails: {
          resourceType: 'lambda',
          resource: 'invoke.waitForTaskToken',
          error: 'States.Timeout',
          cause: 'no callback',
        },
      },
      {
        id: 3,
        previousEventId: 2,
        timestamp: at.getTime() / 1000,
        type: 'TaskFailed',
        taskFailedEventDetails: { resourceType: 'sqs', resource: 'sendMessage', error: 'Boom', cause: '' },
      },
    ]);
  });

  it('an aborted execution carries the stop reason; Map iterations keep their names; engine-only records are left out', () => {
    // Act
    const events = awsExecutionHistory(
      [
        event('ExecutionStarted'),
        event('StateEntered', { stateName: 'Items', stateType: 'Map' }),
        event('MapIterationStarted', { stateName: 'Items' }),
        event('StateRetried', { stateName: 'Each', stateType: 'Task' }),
        event('StateCaught', { stateName: 'Each', stateType: 'Task' }),
        event('ParallelBranchSucceeded', { stateName: 'Items' }),
        event('StateFailed', { stateName: 'Items', stateType: 'Map', error: 'Boom' }),
        event('ExecutionAborted'),
      ],
      description,
      definition,
    );

    // Assess
    expect(events.map(({ type }) => type)).toEqual([
      'ExecutionStarted',
      'MapStateEntered',
      'MapIterationStarted',
      'MapStateFailed',
      'ExecutionAborted',
    ]);
    expect(events[0]?.executionStartedEventDetails).toEqual({
      input: '{"id":"v1"}',
      inputDetails: { truncated: false },
    });
    expect(events[2]?.mapIterationStartedEventDetails).toEqual({ name: 'Items' });
    expect(events[4]?.executionAbortedEventDetails).toEqual({ error: 'Stopped', cause: 'by an operator' });
  });

  it('finds the resource of every task, in branches and item processors too', () => {
    // Act / Assess
    expect(Object.fromEntries(taskResources(definition))).toEqual({
      Call: 'arn:aws:lambda:eu-west-1:000000000000:function:Call',
      Wait: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Each: 'arn:aws:states:::sqs:sendMessage',
    });
  });
});
