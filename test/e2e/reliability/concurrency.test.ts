/**
 * Concurrency through the running local runtime, driven like many frontends at once:
 * - 50 parallel attempt creations by one user: exactly `attemptsPerWindow` succeed, the rest
 *   get 429 `RATE_LIMITED`, and one attempt stays live;
 * - the same S3 event delivered three times, out of order: one document record per slot and
 *   one workflow execution;
 * - two reviewers deciding one task at once: exactly one wins, the other gets 409;
 * - 20 users verifying at once: every one reaches the status expected for their files;
 * then the operator's view of the same runtime (read operations of the AWS CLI, via the SDK).
 * Liveness and OCR are off here: those checks have their own suites, and this one is about races.
 */
import { DescribeTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  DescribeKeyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListAliasesCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
} from '@aws-sdk/client-kms';
import {
  DescribeCollectionCommand,
  ListCollectionsCommand,
  ListFacesCommand,
  RekognitionClient,
} from '@aws-sdk/client-rekognition';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentSk } from '../../../lambdas/adapters/aws/verification-repository.ts';
import { KycApiError, KycClient, type NewVerification, type VerificationView } from '../../../local/demo/kyc-client.ts';
import { loadSampleImages, type DemoPerson, type SampleImages } from '../../../local/demo/sample-images.ts';
import { decideReview } from '../../../local/demo/review-client.ts';
import { pdf } from '../../support/hostile-files.ts';
import { startE2eRuntime, type E2eRuntime } from '../support/local-runtime.ts';

let e2e: E2eRuntime;
let images: SampleImages;
let events: EventBridgeClient;
const run = Date.now().toString(36);

beforeAll(async () => {
  [e2e, images] = await Promise.all([
    startE2eRuntime({ config: { features: { liveness: false, ocr: false, webhooks: false } } }),
    loadSampleImages(),
  ]);
  events = new EventBridgeClient({
    endpoint: e2e.runtime.endpoints.eventbridge,
    region: e2e.runtime.config.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}, 180_000);

afterAll(async () => {
  events?.destroy();
  await e2e?.stop();
});

function application(person: DemoPerson, level: 'basic' | 'advanced' = 'basic'): NewVerification {
  return {
    level,
    nationality: person.nationality,
    documentType: 'passport',
    personalData: { fullName: person.fullName, dateOfBirth: person.dateOfBirth, address: person.address },
  };
}

/** Every document record of an attempt (sk `A#<attempt>#D#<slot>`). */
async function documentRecords(verificationId: string, attemptId: string): Promise<Record<string, unknown>[]> {
  const answer = await e2e.dynamo.send(
    new QueryCommand({
      TableName: e2e.env.VERIFICATIONS_TABLE,
      KeyConditionExpression: 'pk = :pk and begins_with(sk, :sk)',
      ExpressionAttributeValues: { ':pk': `V#${verificationId}`, ':sk': `A#${attemptId}#D#` },
    }),
  );
  return answer.Items ?? [];
}

/**
 * Polls until the verification settles, as a patient frontend does: a refused connection (the
 * API busy with 20 users' image work on two cores) is retried, not fatal.
 */
async function settled(
  client: KycClient,
  verificationId: string,
  until?: readonly string[],
): Promise<VerificationView> {
  const deadline = Date.now() + 240_000;
  let last = 'unknown';
  while (Date.now() < deadline) {
    try {
      return await client.waitForStatus(verificationId, {
        timeoutMs: Math.max(1, deadline - Date.now()),
        intervalMs: 500,
        ...(until ? { until } : {}),
      });
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      last = String(error.cause ?? error.message);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  throw new Error(`${verificationId} did not settle (last network error: ${last})`);
}

/** Executions of the verification workflow started for one attempt (named by the attempt id). */
function executionsOf(attemptId: string) {
  const engine = e2e.runtime.stepFunctions;
  return engine
    .listStateMachines()
    .flatMap((arn) => engine.listExecutions(arn))
    .filter((execution) => execution.name.includes(attemptId));
}

/** Uploads every slot of an attempt: the document and selfie of `files`, a bill for proof of address. */
async function uploadAll(
  client: KycClient,
  uploads: Readonly<Record<string, { url: string; fields: Readonly<Record<string, string>> }>>,
  files: { document: Buffer; selfie: Buffer },
): Promise<void> {
  for (const [slot, post] of Object.entries(uploads)) {
    if (slot === 'proof_of_address') await client.upload(post, pdf(), 'application/pdf', 'bill.pdf');
    else await client.upload(post, slot === 'selfie' ? files.selfie : files.document, 'image/jpeg', `${slot}.jpg`);
  }
}

describe('concurrency', () => {
  it('50 parallel attempt creations by one user: exactly the allowed number, the rest 429 RATE_LIMITED', async () => {
    // Prepare
    const person = images.person(40);
    const client = await KycClient.forUser(e2e.runtime.apiUrl, `race-attempts-${run}`);
    const { verificationId } = await client.createVerification(application(person));
    const allowed = e2e.runtime.config.rateLimits.attemptsPerWindow;

    // Act
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => client.createAttempt(verificationId)));

    // Assess
    const created = results.filter((result) => result.status === 'fulfilled');
    const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    const answers = refused.map((error) =>
      error instanceof KycApiError ? `${error.status} ${error.body.code}` : String(error),
    );
    expect(created.length, answers.join('; ')).toBe(allowed);
    expect(new Set(answers)).toEqual(new Set(['429 RATE_LIMITED']));
    const view = await client.getVerification(verificationId);
    expect(view.attempts).toHaveLength(allowed);
    expect(view.attempts.filter((attempt) => attempt.status === 'awaiting_upload')).toHaveLength(1);
  }, 120_000);

  it('the same S3 event delivered three times and out of order: one document record per slot, one execution', async () => {
    // Prepare
    const person = images.person(41);
    const client = await KycClient.forUser(e2e.runtime.apiUrl, `race-events-${run}`);
    const { verificationId } = await client.createVerification(application(person));
    const attempt = await client.createAttempt(verificationId);
    const files = { document: await images.document(person), selfie: await images.selfie(person) };
    const bucket = e2e.env.INTAKE_BUCKET ?? '';
    const deliveries: { slot: string; size: number }[] = [];

    // Act: each upload delivers its event once (S3 -> EventBridge); two more copies of each are
    // sent at once, the selfie's before the document's, while the first ones are being processed.
    for (const [slot, post] of Object.entries(attempt.uploads)) {
      const bytes = slot === 'selfie' ? files.selfie : files.document;
      await client.upload(post, bytes, 'image/jpeg', `${slot}.jpg`);
      deliveries.push({ slot, size: bytes.length });
    }
    const copies = [...deliveries].reverse().flatMap((delivery) => [delivery, delivery]);
    const sent = await events.send(
      new PutEventsCommand({
        Entries: copies.map((delivery) => ({
          Source: 'aws.s3',
          DetailType: 'Object Created',
          Resources: [`arn:aws:s3:::${bucket}`],
          Detail: JSON.stringify({
            version: '0',
            bucket: { name: bucket },
            object: { key: attempt.uploads[delivery.slot]?.fields.key, size: delivery.size },
            reason: 'PostObject',
          }),
        })),
      }),
    );
    const view = await client.waitForStatus(verificationId, { timeoutMs: 120_000 });
    await e2e.runtime.eventsIdle();

    // Assess
    expect(sent.FailedEntryCount).toBe(0);
    const records = await documentRecords(verificationId, attempt.attemptId);
    expect(records.map((record) => record.sk).sort()).toEqual(
      Object.keys(attempt.uploads)
        .map((slot) => documentSk(attempt.attemptId, slot as never))
        .sort(),
    );
    expect(executionsOf(attempt.attemptId)).toHaveLength(1);
    expect(['approved', 'manual_review', 'rejected']).toContain(view.status);
  }, 180_000);

  it('two reviewers deciding one task at once: exactly one wins, the other gets 409', async () => {
    // Prepare: Advanced verifications always go to a person.
    const person = images.person(42);
    const client = await KycClient.forUser(e2e.runtime.apiUrl, `race-review-${run}`);
    const { verificationId } = await client.createVerification(application(person, 'advanced'));
    const attempt = await client.createAttempt(verificationId);
    await uploadAll(client, attempt.uploads, {
      document: await images.document(person),
      selfie: await images.selfie(person),
    });
    await client.waitForStatus(verificationId, { until: ['manual_review'], timeoutMs: 120_000 });
    const reviewers = await Promise.all(
      ['race-reviewer-a', 'race-reviewer-b'].map((id) =>
        KycClient.forStaff(e2e.runtime.apiUrl, id, 'compliance_reviewer', e2e.signingKey),
      ),
    );

    // Act
    const [first, second] = await Promise.allSettled([
      decideReview(reviewers[0] as KycClient, verificationId, 'approve', 'Documents checked by hand'),
      decideReview(reviewers[1] as KycClient, verificationId, 'reject', 'Address does not match', [
        'INFORMATION_MISMATCH',
      ]),
    ]);
    const view = await client.waitForStatus(verificationId, { until: ['approved', 'rejected'], timeoutMs: 60_000 });

    // Assess
    const outcomes = [first, second];
    const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const losers = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    expect(losers[0]).toBeInstanceOf(KycApiError);
    expect((losers[0] as KycApiError).status).toBe(409);
    expect((losers[0] as KycApiError).body).toMatchObject({
      code: 'REVIEW_ALREADY_DECIDED',
      message: expect.any(String),
    });
    expect(view.status).toBe(first.status === 'fulfilled' ? 'approved' : 'rejected');
  }, 180_000);

  it('20 users verifying at once: every one reaches the status expected for their files', async () => {
    // Prepare: the sample set has 10 faces (person i shows face i % 10), and one face may verify
    // one account only, so the plans keep faces apart: own passport and selfie on faces 3-7,
    // never used before in this runtime (approved); Advanced level on face 8, which nobody gets
    // approved with (manual review); passport of face 8 with a selfie of face 0 (rejected
    // FACE_NOT_MATCH); a blurred passport (rejected at the gate, PHOTO_TOO_BLURRY). Face 9's
    // sample selfie is too dark for the gate, so it is not used. The five impostors show one
    // selfie face at once, and the duplicates check indexes each before it searches, so an
    // impostor who finds another's face goes to a reviewer (DUPLICATE_IDENTITY, FACE_NOT_MATCH
    // riding along) instead of being rejected; none is approved.
    const kinds = ['own', 'advanced', 'impostor', 'blurry'] as const;
    const expected = {
      own: ['approved'],
      impostor: ['rejected', 'manual_review'],
      advanced: ['manual_review'],
      blurry: ['rejected'],
    } as const;
    const plans = Array.from({ length: 20 }, (_, index) => {
      const kind = kinds[index % 4] ?? 'own';
      const round = Math.floor(index / 4);
      const personIndex = {
        own: 53 + round,
        advanced: 108 + round * 10,
        impostor: 208 + round * 10,
        blurry: 300 + round,
      }[kind];
      return { person: images.person(personIndex), kind, user: `crowd-${run}-${index}` };
    });
    // Act
    const outcomes = await Promise.all(
      plans.map(async (plan) => {
        const client = await KycClient.forUser(e2e.runtime.apiUrl, plan.user);
        const { verificationId } = await client.createVerification(
          application(plan.person, plan.kind === 'advanced' ? 'advanced' : 'basic'),
        );
        const attempt = await client.createAttempt(verificationId);
        const selfieOf = plan.kind === 'impostor' ? images.person(plan.person.index + 2) : plan.person;
        await uploadAll(client, attempt.uploads, {
          document: await images.document(plan.person, { blurry: plan.kind === 'blurry' }),
          selfie: await images.selfie(selfieOf),
        });
        const view = await settled(client, verificationId);
        return { plan, status: view.status, codes: view.reasons.map((reason) => reason.code) };
      }),
    );
    await e2e.runtime.eventsIdle();

    // Assess
    const table = outcomes.map((o) => `${o.plan.user} ${o.plan.kind} -> ${o.status} [${o.codes.join(',')}]`);
    console.log(table.join('\n'));
    for (const outcome of outcomes) {
      expect(expected[outcome.plan.kind], table.join('\n')).toContain(outcome.status);
      if (outcome.plan.kind === 'impostor') expect(outcome.codes).toContain('FACE_NOT_MATCH');
      if (outcome.plan.kind === 'impostor' && outcome.status === 'manual_review') {
        expect(outcome.codes).toContain('DUPLICATE_IDENTITY');
      }
      if (outcome.plan.kind === 'blurry') expect(outcome.codes).toContain('PHOTO_TOO_BLURRY');
    }
  }, 600_000);
});

// The operator's view of the same runtime after the runs above: the read operations an operator
// runs with the AWS CLI (`aws kms list-keys`, `aws stepfunctions describe-execution`, ...) answer
// on the local servers, through the SDK clients the CLI is built on.
describe("operator's view of the local twin", () => {
  const region = () => e2e.runtime.config.region;
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

  it('KMS: list-keys, list-aliases, describe-key, list-resource-tags and get-key-rotation-status', async () => {
    // Prepare
    const kms = new KMSClient({ endpoint: e2e.runtime.endpoints.kms, region: region(), credentials });

    // Act
    const keys = await kms.send(new ListKeysCommand({}));
    const aliases = await kms.send(new ListAliasesCommand({}));
    const described = await Promise.all(
      (keys.Keys ?? []).map((key) => kms.send(new DescribeKeyCommand({ KeyId: key.KeyArn }))),
    );
    const tags = await kms.send(new ListResourceTagsCommand({ KeyId: keys.Keys?.[0]?.KeyId }));
    // The template rotates the symmetric keys every year; HMAC and signing keys cannot rotate.
    const rotation = await Promise.all(
      described.map((answer) =>
        kms
          .send(new GetKeyRotationStatusCommand({ KeyId: answer.KeyMetadata?.KeyId }))
          .catch((error: unknown) => error),
      ),
    );
    kms.destroy();

    // Assess
    expect(keys.Keys?.length).toBeGreaterThanOrEqual(3);
    for (const key of keys.Keys ?? []) expect(key.KeyArn).toBe(`arn:aws:kms:${region()}:000000000000:key/${key.KeyId}`);
    expect(described.map((answer) => answer.KeyMetadata?.KeyState)).toEqual(described.map(() => 'Enabled'));
    expect(new Set(described.map((answer) => answer.KeyMetadata?.KeySpec))).toContain('SYMMETRIC_DEFAULT');
    const keyIds = new Set(keys.Keys?.map((key) => key.KeyId));
    for (const alias of aliases.Aliases ?? []) expect(keyIds).toContain(alias.TargetKeyId);
    expect(tags).toMatchObject({ Tags: [], Truncated: false });
    described.forEach((answer, index) => {
      expect(rotation[index]).toMatchObject(
        answer.KeyMetadata?.KeySpec === 'SYMMETRIC_DEFAULT'
          ? { KeyId: answer.KeyMetadata.Arn, KeyRotationEnabled: true, RotationPeriodInDays: 365 }
          : { name: 'UnsupportedOperationException' },
      );
    });
  });

  it('Rekognition: list-collections, describe-collection and list-faces show the indexed faces', async () => {
    // Prepare
    const rekognition = new RekognitionClient({
      endpoint: e2e.runtime.endpoints.rekognition,
      region: region(),
      credentials,
    });

    // Act
    const collections = await rekognition.send(new ListCollectionsCommand({}));
    const collectionId = e2e.env.FACE_COLLECTION_ID ?? collections.CollectionIds?.[0];
    const described = await rekognition.send(new DescribeCollectionCommand({ CollectionId: collectionId }));
    const faces = await rekognition.send(new ListFacesCommand({ CollectionId: collectionId, MaxResults: 100 }));
    rekognition.destroy();

    // Assess: every approval above indexed the user's face.
    expect(collections.CollectionIds).toContain(collectionId);
    expect(described.FaceCount).toBeGreaterThan(0);
    expect(faces.Faces?.length).toBe(described.FaceCount);
  });

  it('Step Functions: list-state-machines, describe-state-machine, list-executions, describe-execution, get-execution-history', async () => {
    // Prepare
    const stepFunctions = new SFNClient({ endpoint: e2e.runtime.endpoints.sfn, region: region(), credentials });

    // Act
    const machines = await stepFunctions.send(new ListStateMachinesCommand({}));
    const arn = machines.stateMachines?.[0]?.stateMachineArn;
    const machine = await stepFunctions.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    const executions = await stepFunctions.send(
      new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'SUCCEEDED' }),
    );
    const executionArn = executions.executions?.[0]?.executionArn;
    const execution = await stepFunctions.send(new DescribeExecutionCommand({ executionArn }));
    const history = await stepFunctions.send(new GetExecutionHistoryCommand({ executionArn }));
    const forExecution = await stepFunctions.send(new DescribeStateMachineForExecutionCommand({ executionArn }));
    const missing = await stepFunctions
      .send(new DescribeStateMachineCommand({ stateMachineArn: `${arn ?? ''}-missing` }))
      .catch((error: unknown) => error);
    stepFunctions.destroy();

    // Assess
    expect(machine).toMatchObject({ stateMachineArn: arn, status: 'ACTIVE', type: 'STANDARD' });
    expect(Object.keys((JSON.parse(machine.definition ?? '{}') as { States?: object }).States ?? {})).toContain(
      'Checks',
    );
    expect(executions.executions?.length).toBeGreaterThan(0);
    expect(execution).toMatchObject({ executionArn, status: 'SUCCEEDED', stateMachineArn: arn });
    expect(history.events?.length).toBeGreaterThan(0);
    expect(forExecution.definition).toBe(machine.definition);
    expect(missing).toMatchObject({ name: 'StateMachineDoesNotExist' });
  });

  it('DynamoDB and S3: list-tables, describe-table, list-buckets', async () => {
    // Prepare
    const dynamo = new DynamoDBClient({ endpoint: e2e.runtime.endpoints.dynamodb, region: region(), credentials });

    // Act
    const tables = await dynamo.send(new ListTablesCommand({}));
    const table = await dynamo.send(new DescribeTableCommand({ TableName: e2e.env.VERIFICATIONS_TABLE }));
    const buckets = await e2e.s3.send(new ListBucketsCommand({}));
    dynamo.destroy();

    // Assess
    expect(tables.TableNames).toContain(e2e.env.VERIFICATIONS_TABLE);
    expect(table.Table?.TableStatus).toBe('ACTIVE');
    expect(buckets.Buckets?.map((bucket) => bucket.Name)).toEqual(
      expect.arrayContaining([e2e.env.INTAKE_BUCKET, e2e.env.VAULT_BUCKET]),
    );
  });
});
