/**
 * The local Step Functions engine with a store: executions survive the engine (a crash is an
 * engine abandoned without any stop; a restart is a new engine on the same folder).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalStepFunctions, type LocalTaskHandler } from '../../../local/stepfunctions/engine.ts';
import type { AslDefinition } from '../../../local/stepfunctions/template.ts';

const MACHINE = 'durable-test';
const fn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
const invoke = (name: string, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: fn(name), 'Payload.$': '$' },
  ResultSelector: { 'result.$': '$.Payload' },
  ...extra,
});
const awaitToken = (extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
  Parameters: { FunctionName: fn('Review'), Payload: { 'token.$': '$$.Task.Token' } },
  ResultPath: '$.review',
  ...extra,
});

const hang = () => new Promise<never>(() => undefined);
const until = async (predicate: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 1000; i += 1) {
    if (predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('LocalStepFunctions with a store', () => {
  const engines: LocalStepFunctions[] = [];
  const dirs: string[] = [];
  const engine = (
    storeDir: string,
    definition: AslDefinition,
    handlers: Record<string, LocalTaskHandler>,
    timeScale = 1,
  ) => {
    const created = new LocalStepFunctions({ storeDir, timeScale, retryIntervalOverridesMs: { Go: 1 } });
    engines.push(created);
    const arn = created.addStateMachine({ name: MACHINE, definition, handlers });
    return { engine: created, arn };
  };
  const folder = () => {
    const dir = mkdtempSync(join(tmpdir(), 'kyc-sfn-store-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const e of engines.splice(0)) e.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('runs an interrupted step again after a crash and answers for the execution afterwards', async () => {
    // Prepare
    const store = folder();
    const definition = {
      StartAt: 'First',
      States: { First: invoke('Check', { Next: 'Go' }), Go: invoke('Step', { End: true }) },
    };
    const calls: string[] = [];
    const first = engine(store, definition, {
      Check: () => (calls.push('check'), { ok: 1 }),
      Step: () => (calls.push('step-crashed'), hang()),
    });
    const { executionArn } = first.engine.startExecution({
      stateMachineArn: first.arn,
      name: 'e1',
      input: { id: 'v1' },
    });
    await until(() => calls.includes('step-crashed'), 'the step');

    // Act (crash: the first engine is abandoned as it is)
    const second = engine(store, definition, {
      Check: () => (calls.push('check-again'), { ok: 1 }),
      Step: (payload) => (calls.push('step'), { seen: payload }),
    });
    const before = second.engine.describeExecution(executionArn).status;
    const { resumed } = second.engine.resume();
    const done = await second.engine.waitForExecution(executionArn);
    const third = new LocalStepFunctions({ storeDir: store });
    engines.push(third);

    // Assess
    expect(before).toBe('RUNNING');
    expect(resumed).toEqual([executionArn]);
    expect(calls).toEqual(['check', 'step-crashed', 'step']);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? '{}')).toEqual({ result: { seen: { result: { ok: 1 } } } });
    expect(third.describeExecution(executionArn).status).toBe('SUCCEEDED');
    expect(third.listExecutions(second.arn).map((e) => e.name)).toEqual(['e1']);
    const history = third.getExecutionHistory(executionArn).map((e) => `${e.type}:${e.stateName ?? ''}`);
    expect(history[0]).toBe('ExecutionStarted:');
    expect(history.filter((e) => e === 'StateEntered:Go')).toHaveLength(2);
    expect(history.at(-1)).toBe('ExecutionSucceeded:');
  });

  it('re-arms the same task token after a restart, and a callback sent before the resume is kept', async () => {
    // Prepare
    const store = folder();
    const definition = { StartAt: 'Await', States: { Await: awaitToken({ TimeoutSeconds: 3600, End: true }) } };
    const delivered: string[] = [];
    const review = (payload: unknown) => (delivered.push((payload as { token: string }).token), {});
    const first = engine(store, definition, { Review: review });
    const a = first.engine.startExecution({ stateMachineArn: first.arn, name: 'a', input: {} }).executionArn;
    const b = first.engine.startExecution({ stateMachineArn: first.arn, name: 'b', input: {} }).executionArn;
    await until(() => first.engine.listPendingTaskTokens().length === 2 && delivered.length === 2, 'two tokens');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const tokenA = first.engine.listPendingTaskTokens(a)[0]?.taskToken as string;
    const tokenB = first.engine.listPendingTaskTokens(b)[0]?.taskToken as string;
    first.engine.close();

    // Act
    const second = engine(store, definition, { Review: review });
    second.engine.sendTaskSuccess(tokenB, JSON.stringify({ decision: 'reject' }));
    second.engine.resume();
    await until(() => second.engine.listPendingTaskTokens(a).length === 1, 're-armed token');
    const rearmed = second.engine.listPendingTaskTokens(a)[0]?.taskToken;
    second.engine.sendTaskSuccess(tokenA, { decision: 'approve' });
    const doneA = await second.engine.waitForExecution(a);
    const doneB = await second.engine.waitForExecution(b);

    // Assess
    expect(rearmed).toBe(tokenA);
    expect(delivered).toEqual([tokenA, tokenB]);
    expect(JSON.parse(doneA.output ?? '{}')).toEqual({ review: { decision: 'approve' } });
    expect(JSON.parse(doneB.output ?? '{}')).toEqual({ review: { decision: 'reject' } });
    expect(() => second.engine.sendTaskSuccess(tokenA, '{}')).toThrow(/no longer waiting/);
  });

  it.each([
    [
      'a Wait',
      {
        StartAt: 'Cool',
        States: {
          Cool: { Type: 'Wait', Seconds: 1, Next: 'Done' },
          Done: { Type: 'Pass', Result: 'waited', ResultPath: '$.done', End: true },
        },
      },
      { done: 'waited' },
    ],
    [
      'a task-token timeout',
      {
        StartAt: 'Await',
        States: {
          Await: awaitToken({
            TimeoutSeconds: 1,
            Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timeout', Next: 'Done' }],
            End: true,
          }),
          Done: { Type: 'Pass', Result: 'timed out', ResultPath: '$.done', End: true },
        },
      },
      { done: 'timed out' },
    ],
  ])(
    'keeps the deadline of %s across a restart (passed while stopped: fires at once)',
    async (_what, definition, expected) => {
      // Prepare: 1 s scaled to 600 ms; the engine stops after 100 ms and restarts after the deadline.
      const store = folder();
      const first = engine(store, definition as AslDefinition, { Review: () => ({}) }, 0.6);
      const { executionArn } = first.engine.startExecution({ stateMachineArn: first.arn, name: 'w', input: {} });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await first.engine.shutdown(1000);
      await new Promise((resolve) => setTimeout(resolve, 700));

      // Act
      const second = engine(store, definition as AslDefinition, { Review: () => ({}) }, 0.6);
      const resumedAt = Date.now();
      second.engine.resume();
      const done = await second.engine.waitForExecution(executionArn);

      // Assess
      expect(done.status).toBe('SUCCEEDED');
      expect(JSON.parse(done.output ?? '{}')).toMatchObject(expected);
      expect(Date.now() - resumedAt).toBeLessThan(400);
    },
  );

  it('keeps the retries already spent on an interrupted step', async () => {
    // Prepare
    const store = folder();
    const throttled = () => {
      throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    };
    const definition = {
      StartAt: 'Go',
      States: {
        Go: invoke('Step', {
          Retry: [{ ErrorEquals: ['ThrottlingException'], MaxAttempts: 3 }],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Gave up' }],
          End: true,
        }),
        'Gave up': { Type: 'Pass', End: true },
      },
    };
    let before = 0;
    const first = engine(store, definition, { Step: () => (++before < 3 ? throttled() : hang()) });
    first.engine.startExecution({ stateMachineArn: first.arn, name: 'r', input: {} });
    await until(() => before === 3, 'two retries');
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Act
    let after = 0;
    const second = engine(store, definition, { Step: () => (after++, throttled()) });
    second.engine.resume();
    const done = await second.engine.waitForExecution(second.engine.listExecutions(second.arn)[0]?.executionArn ?? '');

    // Assess: 3 retries in all: 2 before the crash, 1 after it (plus the interrupted attempt's rerun).
    expect(after).toBe(2);
    expect(JSON.parse(done.output ?? '{}')).toMatchObject({ error: { Error: 'ThrottlingException' } });
  });

  it('lets a running step finish on shutdown, then resumes at the next step', async () => {
    // Prepare
    const store = folder();
    const definition = {
      StartAt: 'First',
      States: { First: invoke('Check', { Next: 'Go' }), Go: invoke('Step', { End: true }) },
    };
    const calls: string[] = [];
    let release!: () => void;
    const first = engine(store, definition, {
      Check: () => new Promise((resolve) => (release = () => resolve((calls.push('check'), { ok: 1 })))),
      Step: () => (calls.push('step-during-shutdown'), {}),
    });
    const { executionArn } = first.engine.startExecution({ stateMachineArn: first.arn, name: 's', input: {} });
    await until(() => release !== undefined, 'the first step');

    // Act
    const stopping = first.engine.shutdown(2000);
    setTimeout(() => release(), 50);
    const report = await stopping;
    const second = engine(store, definition, {
      Check: () => (calls.push('check-again'), {}),
      Step: () => (calls.push('step'), {}),
    });
    second.engine.resume();
    const done = await second.engine.waitForExecution(executionArn);

    // Assess
    expect(report).toEqual({ interruptedSteps: 0, persistedRunning: 1 });
    expect(calls).toEqual(['check', 'step']);
    expect(done.status).toBe('SUCCEEDED');
  });
});
