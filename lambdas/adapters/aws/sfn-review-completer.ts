/**
 * `ReviewCompleter` over Step Functions SendTaskSuccess: hands a reviewer's decision to the
 * waiting manual-review task of the verification workflow.
 *
 * @example
 * ```ts
 * await new SfnReviewCompleter().completeReview(task.taskToken, { decision: 'approve', reasons: [], reviewer });
 * ```
 */
import { defaultSfnCalls, SendTaskSuccessCommand } from './sfn-commands.ts';
import type { JsonCalls } from './aws-json-client.ts';
import type { ReviewCompleter } from '../../ports/workflow.ts';

export interface SfnReviewCompleterOptions {
  /** Step Functions client (a default client for the function's region). */
  readonly client?: JsonCalls;
}

export class SfnReviewCompleter implements ReviewCompleter {
  private readonly client: JsonCalls;

  constructor(options: SfnReviewCompleterOptions = {}) {
    this.client = options.client ?? defaultSfnCalls();
  }

  async completeReview(taskToken: string, output: Readonly<Record<string, unknown>>): Promise<void> {
    await this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  }
}
