import { ListExecutionsCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../../lambdas/adapters/aws/environment.ts';
import { KycClient } from '../../../local/demo/kyc-client.ts';
import type { E2eRuntime } from '../support/local-runtime.ts';
import { startWithCaseInReview } from '../support/review-case.ts';

// A review that lost its workflow, through the local runtime as an operator and a reviewer meet
// it: a real case waits in manual review, claimed by a reviewer; its execution is stopped (what
// `aws stepfunctions stop-execution`, or any end of the execution while it waited, leaves
// behind: a review task whose token nobody waits for). The reconciler's next run re-arms the
// review, and the reviewer's decision is carried out.
let e2e: E2eRuntime;
let verificationId: string;
let attemptId: string;
let user: KycClient;

function sfn(runtime: E2eRuntime): SFNClient {
  return new SFNClient({
    endpoint: runtime.runtime.endpoints.sfn,
    region: runtime.runtime.config.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

async function executionsNamed(runtime: E2eRuntime, prefix: string) {
  const client = sfn(runtime);
  try {
    const { executions = [] } = await client.send(
      new ListExecutionsCommand({ stateMachineArn: runtime.env[ENV.stateMachineArn] }),
    );
    return executions.filter((execution) => execution.name?.startsWith(prefix));
  } finally {
    client.destroy();
  }
}

beforeAll(async () => {
  ({ e2e, user, verificationId, attemptId } = await startWithCaseInReview('recovery-e2e-user'));
}, 240_000);

afterAll(async () => {
  await e2e?.stop();
});

describe('a review whose workflow was stopped', () => {
  it('is re-armed by the reconciler, and the reviewer who claimed it decides it', async () => {
    // Prepare: the reviewer claims the case; then its execution is stopped.
    const reviewer = await KycClient.forStaff(
      e2e.runtime.apiUrl,
      'rhea-reviewer',
      'compliance_reviewer',
      e2e.signingKey,
    );
    await reviewer.call('POST', `/v1/cases/${verificationId}/claim`);
    const [first] = await executionsNamed(e2e, attemptId);
    const client = sfn(e2e);
    await client.send(new StopExecutionCommand({ executionArn: first?.executionArn, error: 'Operator' }));
    client.destroy();

    // Act: the reconciler's next run (every reconciler.everyMinutes), then the reviewer's decision.
    await e2e.runtime.reconcileNow();
    const deadline = Date.now() + 60_000;
    let rearmed = await executionsNamed(e2e, `${attemptId}-rv`);
    const waiting = () =>
      rearmed.some((execution) => e2e.runtime.stepFunctions.listPendingTaskTokens(execution.executionArn).length > 0);
    while (!waiting() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      rearmed = await executionsNamed(e2e, `${attemptId}-rv`);
    }
    const view: { review: { current: { status: string; assignee?: string } } } = await reviewer.call(
      'GET',
      `/v1/cases/${verificationId}`,
    );
    const answer = await reviewer.call('POST', `/v1/reviews/${verificationId}/decision`, {
      decision: 'approve',
      note: 'Checked by hand',
    });
    const decided = await user.waitForStatus(verificationId, { until: ['approved', 'rejected'], timeoutMs: 60_000 });
    const trail: { events: Array<{ action: string; actor: string }> } = await reviewer.call(
      'GET',
      `/v1/cases/${verificationId}/audit`,
    );

    // Assess
    expect(first).toMatchObject({ status: 'RUNNING' });
    expect(rearmed.map((execution) => [execution.name, execution.status])).toEqual([[`${attemptId}-rv1`, 'RUNNING']]);
    expect(view.review.current).toMatchObject({ status: 'open', assignee: 'rhea-reviewer' });
    expect(answer).toMatchObject({ verificationId, decision: 'approve' });
    expect(decided.status).toBe('approved');
    expect(trail.events.map((event) => event.action)).toEqual(
      expect.arrayContaining(['reconciler.review_rearmed', 'review.decided']),
    );
  }, 180_000);
});
