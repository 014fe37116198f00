import { afterEach, describe, expect, it } from 'vitest';
import {
  LocalStepFunctions,
  StepFunctionsApiError,
  type LocalTaskHandler,
} from '../../../local/stepfunctions/engine.ts';
import type { CfnTemplate } from '../../../local/stepfunctions/template.ts';

/** A template shaped like CDK output: definition as Fn::Join with GetAtt of the functions. */
function template(states: Record<string, unknown>, startAt: string): CfnTemplate {
  const text = JSON.stringify({ StartAt: startAt, States: states });
  const parts: unknown[] = [];
  for (const piece of text.split(/("__FN_[A-Za-z]+__")/)) {
    const match = /^"__FN_([A-Za-z]+)__"$/.exec(piece);
    if (match) parts.push('"', { 'Fn::GetAtt': [match[1], 'Arn'] }, '"');
    else parts.push(piece);
  }
  return {
    Resources: {
      Check: { Type: 'AWS::Lambda::Function', Properties: {} },
      Review: { Type: 'AWS::Lambda::Function', Properties: {} },
      Machine: {
        Type: 'AWS::StepFunctions::StateMachine',
        Properties: { DefinitionString: { 'Fn::Join': ['', parts] }, StateMachineName: 'local-test' },
      },
    },
  };
}

const invoke = (fn: string, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: `__FN_${fn}__`, 'Payload.$': '$' },
  ResultSelector: { 'result.$': '$.Payload' },
  ...extra,
});

describe('LocalStepFunctions', () => {
  let engine: LocalStepFunctions | undefined;
  afterEach(() => engine?.close());

  it('runs a Lambda task and returns the lambda:invoke shape to the ASL', async () => {
    // Prepare
    const seen: unknown[] = [];
    const handlers: Record<string, LocalTaskHandler> = {
      Check: async (payload) => {
        seen.push(payload);
        return { score: 99 };
      },
    };
    engine = new LocalStepFunctions();
    const arn = engine.addStateMachineFromTemplate(template({ Go: invoke('Check', { End: true }) }, 'Go'), handlers);

    // Act
    const { executionArn } = engine.startExecution({ stateMachineArn: arn, name: 'a1', input: { id: 'v1' } });
    const done = await engine.waitForExecution(executionArn);

    // Assess
    expect(seen).toEqual([{ id: 'v1' }]);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toEqual({ result: { score: 99 } });
  });

  it('is idempotent by execution name and refuses a different input', async () => {
    // Prepare
    let calls = 0;
    engine = new LocalStepFunctions();
    const arn = engine.addStateMachineFromTemplate(template({ Go: invoke('Check', { End: true }) }, 'Go'), {
      Check: () => new Promise((resolve) => setTimeout(() => resolve(++calls), 20)),
    });

    // Act
    const first = engine.startExecution({ stateMachineArn: arn, name: 'same', input: { a: 1 } });
    const second = engine.startExecution({ stateMachineArn: arn, name: 'same', input: { a: 1 } });
    await engine.waitForExecution(first.executionArn);

    // Assess
    expect(second.executionArn).toBe(first.executionArn);
    expect(calls).toBe(1);
    expect(() => engine?.startExecution({ stateMachineArn: arn, name: 'same', input: { a: 2 } })).toThrow(
      StepFunctionsApiError,
    );
  });

  it('retries a throttled task and catches a persistent failure', async () => {
    // Prepare
    let attempts = 0;
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    engine = new LocalStepFunctions({ retryIntervalOverridesMs: { Go: 1 } });
    const states = {
      Go: invoke('Check', {
        Retry: [{ ErrorEquals: ['ThrottlingException'], MaxAttempts: 2, IntervalSeconds: 5, JitterStrategy: 'FULL' }],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }],
        End: true,
      }),
      Caught: { Type: 'Pass', End: true },
    };
    const arn = engine.addStateMachineFromTemplate(template(states, 'Go'), {
      Check: () => {
        attempts += 1;
        throw throttled;
      },
    });

    // Act
    const { executionArn } = engine.startExecution({ stateMachineArn: arn, name: 'x', input: {} });
    const done = await engine.waitForExecution(executionArn);

    // Assess
    expect(attempts).toBe(3);
    const output = JSON.parse(done.output ?? '{}') as { error: { Error: string; Cause: string } };
    expect(output.error.Error).toBe('ThrottlingException');
    expect(JSON.parse(output.error.Cause)).toEqual({ errorType: 'ThrottlingException', errorMessage: 'Rate exceeded' });
  });

  it("scales the retriers' intervals by timeScale, as it does waits", async () => {
    // Prepare: two retries after 2 s then 4 s (no jitter): 6 s in real time, 6 ms at x0.001.
    const at: number[] = [];
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    engine = new LocalStepFunctions({ timeScale: 0.001 });
    const states = {
      Go: invoke('Check', {
        Retry: [{ ErrorEquals: ['ThrottlingException'], MaxAttempts: 2, IntervalSeconds: 2, BackoffRate: 2 }],
        End: true,
      }),
    };
    const arn = engine.addStateMachineFromTemplate(template(states, 'Go'), {
      Check: () => {
        at.push(performance.now());
        if (at.length < 3) throw throttled;
        return { ok: true };
      },
    });

    // Act
    const { executionArn } = engine.startExecution({ stateMachineArn: arn, name: 'scaled', input: {} });
    const done = await engine.waitForExecution(executionArn);

    // Assess: three runs, the whole retry sequence far shorter than the 6 s it takes unscaled.
    expect(done.status).toBe('SUCCEEDED');
    expect(at).toHaveLength(3);
    expect((at[2] as number) - (at[0] as number)).toBeLessThan(3000);
  });

  it('completes a .waitForTaskToken task through sendTaskSuccess', async () => {
    // Prepare
    const tokens: string[] = [];
    engine = new LocalStepFunctions();
    const states = {
      Wait4: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: '__FN_Review__', Payload: { 'token.$': '$$.Task.Token', 'id.$': '$.id' } },
        TimeoutSeconds: 3600,
        End: true,
      },
    };
    const arn = engine.addStateMachineFromTemplate(template(states, 'Wait4'), {
      Review: (payload) => {
        tokens.push((payload as { token: string }).token);
        return {};
      },
    });

    // Act
    const { executionArn } = engine.startExecution({ stateMachineArn: arn, name: 'r', input: { id: 'v1' } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const pending = engine.listPendingTaskTokens(executionArn);
    engine.sendTaskSuccess(tokens[0] as string, JSON.stringify({ decision: 'approve' }));
    const done = await engine.waitForExecution(executionArn);

    // Assess
    expect(pending.map((p) => p.taskToken)).toEqual(tokens);
    expect(JSON.parse(done.output ?? '{}')).toEqual({ decision: 'approve' });
    expect(() => engine?.sendTaskSuccess(tokens[0] as string, '{}')).toThrow(/no longer waiting/);
  });

  it('times a waiting task out with States.Timeout under an accelerated clock', async () => {
    // Prepare
    engine = new LocalStepFunctions({ timeScale: 0.000001 });
    const states = {
      Wait4: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: '__FN_Review__', Payload: { 'token.$': '$$.Task.Token' } },
        TimeoutSeconds: 86400,
        Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timeout', Next: 'Escalated' }],
        End: true,
      },
      Escalated: { Type: 'Pass', End: true },
    };
    const arn = engine.addStateMachineFromTemplate(template(states, 'Wait4'), { Review: () => ({}) });

    // Act
    const { executionArn } = engine.startExecution({ stateMachineArn: arn, name: 't', input: {} });
    const done = await engine.waitForExecution(executionArn);

    // Assess
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? '{}')).toMatchObject({ timeout: { Error: 'States.Timeout' } });
  });

  it('scales a TimestampPath wait and keeps Wait as the state type in history', async () => {
    // Prepare
    engine = new LocalStepFunctions({ timeScale: 0.000001 });
    const states = { Cool: { Type: 'Wait', TimestampPath: '$.until', Next: 'Done' }, Done: { Type: 'Succeed' } };
    const arn = engine.addStateMachineFromTemplate(template(states, 'Cool'), {});
    const until = new Date(Date.now() + 24 * 3600 * 1000).toISOString();

    // Act
    const started = Date.now();
    const { executionArn } = engine.startExecution({ stateMachineArn: arn, name: 'w', input: { until } });
    const done = await engine.waitForExecution(executionArn);

    // Assess
    expect(done.status).toBe('SUCCEEDED');
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const entered = engine.getExecutionHistory(executionArn).find((e) => e.stateName === 'Cool');
    expect(entered?.stateType).toBe('Wait');
  });

  it('waits until a timestamp unscaled when the functions already run on the scaled clock', async () => {
    // Prepare
    engine = new LocalStepFunctions({ timeScale: 0.000001, scaleTimestampWaits: false });
    const states = {
      Cool: { Type: 'Wait', TimestampPath: '$.until', Next: 'Done' },
      Done: { Type: 'Succeed' },
    };
    const arn = engine.addStateMachineFromTemplate(template(states, 'Cool'), {});
    const until = new Date(Date.now() + 400).toISOString();

    // Act
    const started = Date.now();
    const { executionArn } = engine.startExecution({ stateMachineArn: arn, name: 'u', input: { until } });
    const done = await engine.waitForExecution(executionArn);

    // Assess
    expect(done.status).toBe('SUCCEEDED');
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(until));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('reports a failed execution with the error name and aborts on stop', async () => {
    // Prepare
    engine = new LocalStepFunctions();
    const arn = engine.addStateMachineFromTemplate(template({ Go: invoke('Check', { End: true }) }, 'Go'), {
      Check: () => {
        throw Object.assign(new Error('boom'), { name: 'BrokenError' });
      },
    });

    // Act
    const { executionArn } = engine.startExecution({ stateMachineArn: arn, name: 'f', input: {} });
    const done = await engine.waitForExecution(executionArn);

    // Assess
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('BrokenError');
  });

  it('replaces the state with a task result for ResultPath "$" (library quirk worked around)', async () => {
    // Prepare
    engine = new LocalStepFunctions();
    const states = {
      Go: {
        Type: 'Parallel',
        ResultPath: '$.out',
        ResultSelector: { 'first.$': '$[0]' },
        End: true,
        Branches: [
          {
            StartAt: 'Inner',
            States: { Inner: { Type: 'Task', Resource: '__FN_Check__', ResultPath: '$', End: true } },
          },
        ],
      },
    };
    const arn = engine.addStateMachineFromTemplate(template(states, 'Go'), { Check: () => ({ kind: 'scored' }) });

    // Act
    const { executionArn } = engine.startExecution({ stateMachineArn: arn, name: 'rp', input: { id: 'v' } });
    const done = await engine.waitForExecution(executionArn);

    // Assess
    expect(JSON.parse(done.output ?? '{}')).toEqual({ id: 'v', out: { first: { kind: 'scored' } } });
  });

  it('refuses a definition calling a function without a local handler', () => {
    // Prepare
    engine = new LocalStepFunctions();

    // Act
    const act = () => engine?.addStateMachineFromTemplate(template({ Go: invoke('Check', { End: true }) }, 'Go'), {});

    // Assess
    expect(act).toThrow(/no local handler/);
  });
});
