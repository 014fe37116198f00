/** In-memory `ResetRequestStore` with the same conditional rules as the DynamoDB adapter. */
import type { ResetRequestRecord } from '../../lambdas/domain/four-eyes.ts';
import type { ResetDecisionInput, ResetRequestStore } from '../../lambdas/ports/reset-requests.ts';
import { WorkflowConflictError } from '../../lambdas/ports/workflow-store.ts';

export class InMemoryResetRequests implements ResetRequestStore {
  readonly requests = new Map<string, ResetRequestRecord>();

  async createResetRequest(request: ResetRequestRecord): Promise<void> {
    const key = `${request.verificationId}/${request.requestId}`;
    if (this.requests.has(key)) throw new WorkflowConflictError('exists', key);
    this.requests.set(key, request);
  }
  async getResetRequest(verificationId: string, requestId: string): Promise<ResetRequestRecord | undefined> {
    return this.requests.get(`${verificationId}/${requestId}`);
  }
  async findPendingResetRequest(verificationId: string): Promise<ResetRequestRecord | undefined> {
    return [...this.requests.values()].find(
      (request) => request.verificationId === verificationId && request.status === 'pending',
    );
  }
  async decideResetRequest(
    verificationId: string,
    requestId: string,
    decision: ResetDecisionInput,
  ): Promise<ResetRequestRecord> {
    const key = `${verificationId}/${requestId}`;
    const current = this.requests.get(key);
    if (!current || current.status !== 'pending') throw new WorkflowConflictError('not pending', key);
    const next: ResetRequestRecord = { ...current, ...decision };
    this.requests.set(key, next);
    return next;
  }
}
