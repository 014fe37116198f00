/**
 * Starts and completes the verification workflow. In AWS: Step Functions (StartExecution with
 * the attempt id as execution name, so a repeated start is a no-op; SendTaskSuccess for
 * manual-review decisions). Locally: the same API against the local Step Functions endpoint.
 */
export interface WorkflowInput {
  readonly verificationId: string;
  readonly attemptId: string;
}

export interface WorkflowStarter {
  /** Returns `started: false` when an execution with this name already exists (idempotent). */
  start(input: WorkflowInput): Promise<{ started: boolean; executionArn?: string }>;
}

export interface ReviewCompleter {
  /** Completes a waiting manual-review task with the reviewer's decision payload. */
  completeReview(taskToken: string, output: Readonly<Record<string, unknown>>): Promise<void>;
}
