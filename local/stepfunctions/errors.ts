/**
 * Errors of the local Step Functions engine. `code` is the AWS Step Functions API error code
 * (`__type` in the JSON 1.0 protocol), so the HTTP wrapper can answer exactly like the service.
 */
export type StepFunctionsErrorCode =
  | 'ExecutionAlreadyExists'
  | 'ExecutionDoesNotExist'
  | 'StateMachineDoesNotExist'
  | 'TaskDoesNotExist'
  | 'TaskTimedOut'
  | 'InvalidToken'
  | 'InvalidOutput'
  | 'InvalidName'
  | 'InvalidDefinition';

/** A local Step Functions API call was refused the way AWS would refuse it. */
export class StepFunctionsApiError extends Error {
  constructor(
    public readonly code: StepFunctionsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StepFunctionsApiError';
  }
}

/**
 * A task failure as Step Functions sees it: `name` is the ASL error name that Retry and Catch
 * match (e.g. `ThrottlingException`, `States.Timeout`), `message` becomes the `Cause`.
 */
export class TaskFailedError extends Error {
  constructor(errorName: string, cause: string) {
    super(cause);
    this.name = errorName;
  }
}
