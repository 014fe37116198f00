/**
 * The Step Functions API (JSON 1.0, target prefix `AWSStepFunctions`) over the local engine:
 * StartExecution, DescribeExecution, StopExecution, GetExecutionHistory, ListExecutions,
 * ListStateMachines, SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat. Errors keep the
 * service's codes (`ExecutionAlreadyExists`, `TaskDoesNotExist`, `InvalidToken`, ...) so the
 * SDK raises the same exception classes it raises against AWS. Timestamps are epoch seconds.
 */
import { StepFunctionsApiError } from '../../stepfunctions/errors.ts';
import type { LocalStepFunctions, ExecutionDescription } from '../../stepfunctions/engine.ts';
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

function translate<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    if (error instanceof StepFunctionsApiError)
      throw new AwsServiceError(error.code, error.message, 400, { cause: error });
    throw error;
  }
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
    GetExecutionHistory: (input) =>
      translate(() => ({
        events: engine.getExecutionHistory(requireString(input, 'executionArn')).map((event) => ({
          id: event.id,
          type: event.type,
          timestamp: epochSeconds(event.timestamp),
          ...(event.stateName ? { stateEnteredEventDetails: { name: event.stateName } } : {}),
        })),
      })),
    ListExecutions: (input) =>
      translate(() => {
        const status = optionalString(input, 'statusFilter');
        return {
          executions: engine
            .listExecutions(requireString(input, 'stateMachineArn'), status as never)
            .map((description) => ({
              executionArn: description.executionArn,
              stateMachineArn: description.stateMachineArn,
              name: description.name,
              status: description.status,
              startDate: epochSeconds(description.startDate),
              ...(description.stopDate ? { stopDate: epochSeconds(description.stopDate) } : {}),
            })),
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
          creationDate: 0,
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
          updateDate: 0,
        };
      }),
    ListStateMachines: () => ({
      stateMachines: engine.listStateMachines().map((arn) => ({
        stateMachineArn: arn,
        name: arn.split(':').pop(),
        type: 'STANDARD',
        creationDate: 0,
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
