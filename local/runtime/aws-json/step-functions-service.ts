/**
 * The Step Functions API (JSON 1.0, target prefix `AWSStepFunctions`) over the local engine:
 * StartExecution, DescribeExecution, StopExecution, GetExecutionHistory (AWS's event types),
 * ListExecutions (paged), ListStateMachines, DescribeStateMachine,
 * DescribeStateMachineForExecution, SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat. Errors keep the
 * service's codes (`ExecutionAlreadyExists`, `TaskDoesNotExist`, `InvalidToken`, ...) so the
 * SDK raises the same exception classes it raises against AWS. Timestamps are epoch seconds.
 */
import { StepFunctionsApiError } from '../../stepfunctions/errors.ts';
import type { LocalStepFunctions, ExecutionDescription } from '../../stepfunctions/engine.ts';
import { awsExecutionHistory } from './execution-history.ts';
import { AwsServiceError, optionalString, requireString, type JsonOperation } from './json-protocol-server.ts';

const epochSeconds = (date: Date | undefined): number | undefined =>
  date === undefined ? undefined : date.getTime() / 1000;

function describe(description: ExecutionDescription): Record<string, unknown> {
  return {
    executionArn: description.executionArn,
    stateMachineArn: description.stateMachineArn,
    name: description.name,
    status: description.status,
    startDate: epochSeconds(description.startDate),
    input: description.input,
    inputDetails: { included: true },
    ...(description.stopDate ? { stopDate: epochSeconds(description.stopDate) } : {}),
    ...(description.output !== undefined ? { output: description.output, outputDetails: { included: true } } : {}),
    ...(description.error !== undefined ? { error: description.error } : {}),
    ...(description.cause !== undefined ? { cause: description.cause } : {}),
  };
}

/**
 * One page of `items` as the list operations return it: at most `maxResults` (1-1000, 0 or
 * absent: 100 for history, 1000 for lists, as AWS), from the offset in `nextToken`, with the
 * next token while items remain. A token this service did not issue is `InvalidToken`.
 */
export function page<T>(
  items: readonly T[],
  input: Record<string, unknown>,
  defaultMax: number,
): { items: T[]; nextToken?: string } {
  const max = input.maxResults;
  if (max !== undefined && max !== null && (!Number.isInteger(max) || (max as number) < 0 || (max as number) > 1000)) {
    throw new AwsServiceError('ValidationException', 'maxResults must be an integer from 0 to 1000');
  }
  const size = typeof max === 'number' && max > 0 ? max : defaultMax;
  const token = optionalString(input, 'nextToken');
  let offset = 0;
  if (token !== undefined) {
    const decoded = /^o(\d{1,9})$/.exec(Buffer.from(token, 'base64url').toString('latin1'));
    if (!decoded)
      throw new AwsServiceError('InvalidToken', 'Invalid Token: the nextToken was not issued by this service');
    offset = Number(decoded[1]);
  }
  const slice = items.slice(offset, offset + size);
  const next = offset + size < items.length ? Buffer.from(`o${offset + size}`).toString('base64url') : undefined;
  return { items: slice, ...(next !== undefined ? { nextToken: next } : {}) };
}

function translate<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    if (error instanceof StepFunctionsApiError)
      throw new AwsServiceError(error.code, error.message, 400, { cause: error });
    throw error;
  }
}

/** An event without the execution's input and output (`includeExecutionData: false`). */
function withoutExecutionData<T extends Record<string, unknown>>(event: T): T {
  const copy: Record<string, unknown> = { ...event };
  for (const field of ['executionStartedEventDetails', 'executionSucceededEventDetails']) {
    const details = copy[field] as Record<string, unknown> | undefined;
    if (details) {
      const { input: _input, output: _output, ...rest } = details;
      copy[field] = rest;
    }
  }
  return copy as T;
}

/**
 * Operations for `startJsonProtocolServer({ AWSStepFunctions: stepFunctionsOperations(engine) })`.
 *
 * @example
 * ```ts
 * const server = await startJsonProtocolServer({ AWSStepFunctions: stepFunctionsOperations(engine) }, 0);
 * await new SFNClient({ endpoint: server.endpoint }).send(new StartExecutionCommand({ stateMachineArn, name, input }));
 * ```
 */
export function stepFunctionsOperations(engine: LocalStepFunctions): Record<string, JsonOperation> {
  return {
    StartExecution: (input) =>
      translate(() => {
        const name = optionalString(input, 'name');
        const result = engine.startExecution({
          stateMachineArn: requireString(input, 'stateMachineArn'),
          ...(name !== undefined ? { name } : {}),
          input: optionalString(input, 'input') ?? '{}',
        });
        return { executionArn: result.executionArn, startDate: epochSeconds(result.startDate) };
      }),
    DescribeExecution: (input) =>
      translate(() => describe(engine.describeExecution(requireString(input, 'executionArn')))),
    StopExecution: (input) =>
      translate(() => {
        const result = engine.stopExecution(
          requireString(input, 'executionArn'),
          optionalString(input, 'error'),
          optionalString(input, 'cause'),
        );
        return { stopDate: epochSeconds(result.stopDate) };
      }),
    // AWS's event types and details (`execution-history.ts`); `reverseOrder`, `maxResults`/
    // `nextToken` and `includeExecutionData` as in AWS.
    GetExecutionHistory: (input) =>
      translate(() => {
        const executionArn = requireString(input, 'executionArn');
        const description = engine.describeExecution(executionArn);
        let events = awsExecutionHistory(
          engine.getExecutionHistory(executionArn),
          description,
          engine.describeStateMachine(description.stateMachineArn).definition,
        );
        if (input.includeExecutionData === false) events = events.map(withoutExecutionData);
        if (input.reverseOrder === true) events.reverse();
        const { items, nextToken } = page(events, input, 100);
        return { events: items, ...(nextToken !== undefined ? { nextToken } : {}) };
      }),
    ListExecutions: (input) =>
      translate(() => {
        const status = optionalString(input, 'statusFilter');
        const { items, nextToken } = page(
          engine.listExecutions(requireString(input, 'stateMachineArn'), status as never),
          input,
          1000,
        );
        return {
          executions: items.map((description) => ({
            executionArn: description.executionArn,
            stateMachineArn: description.stateMachineArn,
            name: description.name,
            status: description.status,
            startDate: epochSeconds(description.startDate),
            ...(description.stopDate ? { stopDate: epochSeconds(description.stopDate) } : {}),
          })),
          ...(nextToken !== undefined ? { nextToken } : {}),
        };
      }),
    // Operator reads: `aws stepfunctions describe-state-machine` and
    // `describe-state-machine-for-execution` show the synthesized definition the engine runs
    // (no roleArn: the local engine runs no role).
    DescribeStateMachine: (input) =>
      translate(() => {
        const stateMachineArn = requireString(input, 'stateMachineArn');
        const machine = engine.describeStateMachine(stateMachineArn);
        return {
          stateMachineArn,
          name: machine.name,
          status: 'ACTIVE',
          definition: JSON.stringify(machine.definition),
          type: 'STANDARD',
          creationDate: epochSeconds(machine.createdAt),
        };
      }),
    DescribeStateMachineForExecution: (input) =>
      translate(() => {
        const execution = engine.describeExecution(requireString(input, 'executionArn'));
        const machine = engine.describeStateMachine(execution.stateMachineArn);
        return {
          stateMachineArn: execution.stateMachineArn,
          name: machine.name,
          definition: JSON.stringify(machine.definition),
          updateDate: epochSeconds(machine.createdAt),
        };
      }),
    ListStateMachines: () => ({
      stateMachines: engine.listStateMachines().map((arn) => ({
        stateMachineArn: arn,
        name: arn.split(':').pop(),
        type: 'STANDARD',
        creationDate: epochSeconds(engine.describeStateMachine(arn).createdAt),
      })),
    }),
    SendTaskSuccess: (input) =>
      translate(() => {
        engine.sendTaskSuccess(requireString(input, 'taskToken'), requireString(input, 'output'));
        return {};
      }),
    SendTaskFailure: (input) =>
      translate(() => {
        engine.sendTaskFailure(
          requireString(input, 'taskToken'),
          optionalString(input, 'error'),
          optionalString(input, 'cause'),
        );
        return {};
      }),
    SendTaskHeartbeat: (input) =>
      translate(() => {
        engine.sendTaskHeartbeat(requireString(input, 'taskToken'));
        return {};
      }),
  };
}
