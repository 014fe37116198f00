/**
 * Fault injection through the running local runtime (`local/aws/fault-injection.ts`): the
 * handlers reach S3, DynamoDB, KMS and Rekognition through proxies that throttle, fail with
 * 5xx, delay or drop requests by plan. Shown here:
 * - short bursts of throttling, 5xx, latency and dropped connections on every service are
 *   absorbed by retries (SDK, event delivery, workflow Retry): the verification ends as it
 *   would without faults;
 * - a Rekognition outage of CompareFaces is retried with backoff by the workflow, then the case
 *   goes to manual review with the cause recorded (`face_match:error:ThrottlingException`);
 * - no attempt is left in `processing`.
 * Liveness and OCR are off: the face match is the Rekognition step under test.
 */
import { GetExecutionHistoryCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultPlan } from '../../../local/aws/fault-injection.ts';
import { newVerification } from '../../../local/demo/scenarios.ts';
import { KycClient } from '../../../local/demo/kyc-client.ts';
import { loadSampleImages, type DemoPerson, type SampleImages } from '../../../local/demo/sample-images.ts';
import { startE2eRuntime, type E2eRuntime } from '../support/local-runtime.ts';

let e2e: E2eRuntime;
let images: SampleImages;
let sfn: SFNClient;
const run = Date.now().toString(36);

beforeAll(async () => {
  [e2e, images] = await Promise.all([
    startE2eRuntime({
      // Workflow retry intervals (2 s doubling, capped at 60 s, full jitter) become 20 ms .. 600 ms.
      timeScale: 0.01,
      config: { features: { liveness: false, ocr: false, webhooks: false } },
      faultPlan: { rules: [] },
    }),
    loadSampleImages(),
  ]);
  sfn = new SFNClient({
    endpoint: e2e.runtime.endpoints.sfn,
    region: e2e.runtime.config.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}, 180_000);

afterAll(async () => {
  sfn?.destroy();
  await e2e?.stop();
});

/** One Basic verification with the person's own passport and selfie, as a frontend sends it. */
async function verify(person: DemoPerson, user: string) {
  const client = await KycClient.forUser(e2e.runtime.apiUrl, user);
  const { verificationId } = await client.createVerification(newVerification(person));
  const attempt = await client.createAttempt(verificationId);
  for (const [slot, post] of Object.entries(attempt.uploads)) {
    const file = slot === 'selfie' ? await images.selfie(person) : await images.document(person);
    await client.upload(post, file, 'image/jpeg', `${slot}.jpg`);
  }
  const view = await client.waitForStatus(verificationId, { timeoutMs: 180_000 });
  return { verificationId, attemptId: attempt.attemptId, view };
}

async function auditOf(verificationId: string) {
  const answer = await e2e.dynamo.send(
    new QueryCommand({
      TableName: e2e.env.AUDIT_TABLE,
      KeyConditionExpression: '#s = :s',
      ExpressionAttributeNames: { '#s': 'subject' },
      ExpressionAttributeValues: { ':s': `verification:${verificationId}` },
    }),
  );
  return (answer.Items ?? []) as { action: string; details?: Record<string, unknown> }[];
}

/**
 * Retries of one task state in the execution of an attempt, from its history as an operator
 * reads it in AWS: each failed try is a `LambdaFunctionFailed` whose `previousEventId` chain
 * leads back to that state's `TaskStateEntered`; every try but the last was retried.
 */
async function retriesOf(attemptId: string, state: string): Promise<number> {
  const engine = e2e.runtime.stepFunctions;
  const execution = engine
    .listStateMachines()
    .flatMap((arn) => engine.listExecutions(arn))
    .find((candidate) => candidate.name.includes(attemptId));
  if (!execution) throw new Error(`no execution for attempt ${attemptId}`);
  const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: execution.executionArn }));
  const events = history.events ?? [];
  const byId = new Map(events.map((event) => [event.id, event]));
  const stateOf = (event: HistoryEvent | undefined): string | undefined => {
    for (let current = event; current; current = byId.get(current.previousEventId)) {
      if (current.stateEnteredEventDetails) return current.stateEnteredEventDetails.name;
    }
    return undefined;
  };
  const failures = events.filter((event) => event.type === 'LambdaFunctionFailed' && stateOf(event) === state);
  return Math.max(0, failures.length - 1);
}

describe('fault injection', () => {
  it('absorbs bursts of throttling, 5xx, latency and dropped connections on S3, DynamoDB, KMS and Rekognition', async () => {
    // Prepare: every rule has a budget of at most two faults, below each SDK's three attempts.
    const plan: FaultPlan = {
      seed: 11,
      rules: [
        { service: 'kms', operation: 'GenerateDataKey', fault: 'throttle', rate: 1, times: 2 },
        { service: 'rekognition', operation: 'DetectFaces', fault: 'throttle', rate: 1, times: 2 },
        { service: 'rekognition', operation: 'CompareFaces', fault: 'server-error', rate: 1, times: 2 },
        { service: 's3', operation: 'GetObject', fault: 'drop', rate: 1, times: 1 },
        { service: 's3', operation: 'CopyObject', fault: 'server-error', rate: 1, times: 2 },
        { service: 's3', operation: 'HeadObject', fault: 'latency', rate: 1, times: 2, latencyMs: 400 },
        { service: 'dynamodb', operation: 'PutItem', fault: 'throttle', rate: 0.5, times: 2 },
        { service: 'dynamodb', operation: 'UpdateItem', fault: 'server-error', rate: 0.5, times: 2 },
        { service: 'dynamodb', operation: 'Query', fault: 'drop', rate: 0.5, times: 1 },
      ],
    };
    e2e.runtime.setFaultPlan(plan);
    const before = e2e.runtime.injectedFaults().length;

    // Act
    const { verificationId, view } = await verify(images.person(60), `faults-burst-${run}`);
    await e2e.runtime.eventsIdle();
    e2e.runtime.setFaultPlan({ rules: [] });

    // Assess
    const injected = e2e.runtime.injectedFaults().slice(before);
    const kinds = new Set(injected.map((fault) => `${fault.service}:${fault.operation}:${fault.fault}`));
    console.log(`faults injected and absorbed: ${injected.length} (${[...kinds].join(', ')})`);
    for (const service of ['kms', 'rekognition', 's3', 'dynamodb'])
      expect(
        [...kinds].some((kind) => kind.startsWith(`${service}:`)),
        service,
      ).toBe(true);
    for (const fault of ['throttle', 'server-error', 'latency', 'drop'])
      expect(
        [...kinds].some((kind) => kind.endsWith(`:${fault}`)),
        fault,
      ).toBe(true);
    expect(view.status).toBe('approved');
    const audit = await auditOf(verificationId);
    expect(audit.filter((event) => event.action === 'document.accepted')).toHaveLength(2);
  }, 240_000);

  it('retries a Rekognition outage with backoff, then sends the case to manual review with the cause', async () => {
    // Prepare
    e2e.runtime.setFaultPlan({
      rules: [{ service: 'rekognition', operation: 'CompareFaces', fault: 'throttle', rate: 1 }],
    });
    const before = e2e.runtime.injectedFaults().length;

    // Act
    const { verificationId, attemptId, view } = await verify(images.person(61), `faults-outage-${run}`);
    await e2e.runtime.eventsIdle();
    e2e.runtime.setFaultPlan({ rules: [] });

    // Assess
    const throttled = e2e.runtime
      .injectedFaults()
      .slice(before)
      .filter((fault) => fault.operation === 'CompareFaces');
    const retries = await retriesOf(attemptId, 'FaceMatch');
    const gaps = throttled.slice(1).map((fault, index) => fault.at - (throttled[index]?.at ?? fault.at));
    console.log(
      `CompareFaces throttled ${throttled.length} times, FaceMatch retried ${retries} times; gaps (ms): ${gaps.join(' ')}`,
    );
    expect(view.status).toBe('manual_review');
    // The workflow's Retry (6 retries after the first run); each run's SDK client retried as well.
    expect(retries).toBe(6);
    expect(throttled.length).toBeGreaterThan(retries + 1);
    const decided = (await auditOf(verificationId)).find((event) => event.action === 'workflow.decided');
    expect(decided?.details).toMatchObject({
      outcome: 'manual_review',
      causes: expect.arrayContaining(['face_match:error:ThrottlingException']),
    });
  }, 240_000);

  it('leaves no attempt in processing', async () => {
    // Act
    await e2e.runtime.eventsIdle();
    const attempts = await e2e.dynamo.send(
      new ScanCommand({
        TableName: e2e.env.VERIFICATIONS_TABLE,
        FilterExpression: 'begins_with(sk, :a) and not contains(sk, :d) and #status = :processing',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':a': 'A#', ':d': '#D#', ':processing': 'processing' },
      }),
    );

    // Assess
    expect(attempts.Items ?? []).toEqual([]);
  });
});
