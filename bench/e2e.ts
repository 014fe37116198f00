/**
 * Upload to decision through the local runtime, like a frontend (`local/demo`), in two passes:
 *
 * - **Metered pass** (this process): one verification per cost path, one at a time, on a fresh
 *   runtime. The handlers' `AWS_ENDPOINT_URL_<SERVICE>` point at counting proxies
 *   (`support/metering-proxy.ts`) in front of the local DynamoDB, S3, KMS, Rekognition and Step
 *   Functions/EventBridge servers (DynamoDB units are DynamoDB Local's `ConsumedCapacity`);
 *   Lambda durations come from `observeInvocations`; state transitions from each execution's
 *   history; log bytes from the handlers' JSON log lines; stored bytes from the vault bucket.
 *   Each metered path waits until its event deliveries and stream records have drained and the
 *   counters stay still, then takes the difference.
 * - **Load pass** (a process of its own, `bench/e2e-load.ts`): a fresh runtime as `npm start`
 *   runs it, no proxy; one untimed warm-up verification, then >= 50 verifications by 4
 *   concurrent clients, status polled every 250 ms.
 *
 * Run alone: `npm run bench -- --phases=e2e [--quick] [--verifications=N]`; a full run writes
 * `local/cost/usage.json`.
 */
// First: before any import loads aws-cdk-lib (see the module).
import './support/node-builtins.ts';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { KycClient, type CreatedAttempt } from '../local/demo/kyc-client.ts';
import { decideReview } from '../local/demo/review-client.ts';
import { loadSampleImages, type DemoPerson } from '../local/demo/sample-images.ts';
import { challengeFrames, type ChallengeFrame } from '../local/demo/liveness-frames.ts';
import { loadFaceEngine } from '../local/face-engine/index.ts';
import { loadOrCreateSigningKey } from '../local/runtime/auth/local-signing-key.ts';
import { observeInvocations, type InvocationRecord } from '../local/runtime/lambda/handler-loader.ts';
import { startRuntime, type RunningRuntime } from '../local/runtime/runtime.ts';
import { synthesizeTemplates, type SynthesizedStack } from '../local/runtime/synth.ts';
import type { CostPath, PathUsage, UsageFile } from '../local/cost/model.ts';
import { appFunctions, type AppFunction } from './support/bundles.ts';
import { diffMeter, startMeteringProxy, type Meter, type MeteringProxy } from './support/metering-proxy.ts';
import { treeCpuMs } from './support/process-tree.ts';
import { percentile, round } from './support/stats.ts';

const REKOGNITION_IMAGE_OPERATIONS = new Set([
  'DetectFaces',
  'CompareFaces',
  'DetectText',
  'SearchFacesByImage',
  'IndexFaces',
  'DetectLabels',
  'DetectModerationLabels',
]);

interface Meters {
  readonly dynamodb: MeteringProxy;
  readonly s3: MeteringProxy;
  readonly kms: MeteringProxy;
  readonly rekognition: MeteringProxy;
  readonly json: MeteringProxy;
}

interface Snapshot {
  readonly meters: Record<keyof Meters, Meter>;
  readonly invocations: number;
  readonly logBytes: number;
  readonly executions: ReadonlySet<string>;
}

interface Harness {
  readonly runtime: RunningRuntime;
  readonly meters: Meters;
  readonly invocations: InvocationRecord[];
  readonly functions: readonly AppFunction[];
  readonly stacks: readonly SynthesizedStack[];
  /** Bytes of handler log lines so far. */
  readonly logs: { bytes: number };
}

function allExecutions(runtime: RunningRuntime): Set<string> {
  const arns = new Set<string>();
  for (const machine of runtime.stepFunctions.listStateMachines())
    for (const execution of runtime.stepFunctions.listExecutions(machine)) arns.add(execution.executionArn);
  return arns;
}

function snapshot(harness: Harness): Snapshot {
  const { meters } = harness;
  return {
    meters: {
      dynamodb: meters.dynamodb.snapshot(),
      s3: meters.s3.snapshot(),
      kms: meters.kms.snapshot(),
      rekognition: meters.rekognition.snapshot(),
      json: meters.json.snapshot(),
    },
    invocations: harness.invocations.length,
    logBytes: harness.logs.bytes,
    executions: allExecutions(harness.runtime),
  };
}

/** Waits until deliveries and streams have drained and no counter moved for `quietMs`. */
async function settle(harness: Harness, quietMs = 1_500, maxMs = 60_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = '';
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    await harness.runtime.eventsIdle();
    await harness.runtime.drainStreams();
    const now = snapshot(harness);
    const key = JSON.stringify([now.meters, now.invocations, [...now.executions].length]);
    if (key !== last) {
      last = key;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= quietMs) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The state machine definitions of the templates, tokens replaced by placeholders. */
function definitions(stacks: readonly SynthesizedStack[]): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  for (const stack of stacks) {
    for (const resource of Object.values(stack.template.Resources ?? {})) {
      if (resource?.Type !== 'AWS::StepFunctions::StateMachine') continue;
      const raw = resource.Properties?.DefinitionString;
      const text =
        typeof raw === 'string'
          ? raw
          : ((raw as { 'Fn::Join'?: [string, unknown[]] })?.['Fn::Join']?.[1] ?? [])
              .map((part) => (typeof part === 'string' ? part : 'TOKEN'))
              .join('');
      try {
        found.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        // A definition that is not plain JSON is left out of the retry count.
      }
    }
  }
  return found;
}

/** Configured retry attempts of every state by name (sum of its retriers' MaxAttempts). */
function retryAttempts(stacks: readonly SynthesizedStack[]): Map<string, number> {
  const attempts = new Map<string, number>();
  const visit = (states: Record<string, unknown>): void => {
    for (const [name, state] of Object.entries(states)) {
      const s = state as {
        Retry?: { MaxAttempts?: number }[];
        Branches?: { States: Record<string, unknown> }[];
        Iterator?: { States: Record<string, unknown> };
        ItemProcessor?: { States: Record<string, unknown> };
      };
      const total = (s.Retry ?? []).reduce((sum, retrier) => sum + (retrier.MaxAttempts ?? 3), 0);
      if (total > 0) attempts.set(name, total);
      for (const branch of s.Branches ?? []) visit(branch.States);
      if (s.Iterator) visit(s.Iterator.States);
      if (s.ItemProcessor) visit(s.ItemProcessor.States);
    }
  };
  for (const definition of definitions(stacks)) visit((definition.States ?? {}) as Record<string, unknown>);
  return attempts;
}

function memoryOf(functions: readonly AppFunction[], functionName: string): { name: string; memoryMb: number } {
  const byLogicalId = functions.find((fn) => functionName.startsWith(fn.name));
  if (byLogicalId) return { name: byLogicalId.name, memoryMb: byLogicalId.memoryMb };
  const base = functionName.replace(/^kyc-/, '');
  const byEntry = functions.find((fn) => fn.entry.endsWith(`/${base}.ts`));
  return { name: byEntry?.name ?? functionName, memoryMb: byEntry?.memoryMb ?? 512 };
}

async function storedBytes(
  harness: Harness,
  verificationIds: readonly string[],
): Promise<{ bytes: number; objects: number }> {
  const bucket = harness.runtime.environment.VAULT_BUCKET;
  if (!bucket) return { bytes: 0, objects: 0 };
  const s3 = new S3Client({
    endpoint: harness.runtime.endpoints.s3,
    region: harness.runtime.config.region,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    forcePathStyle: true,
  });
  let bytes = 0;
  let objects = 0;
  try {
    for (const id of verificationIds) {
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: `evidence/${id}/`, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) {
          bytes += object.Size ?? 0;
          objects += 1;
        }
        token = page.NextContinuationToken;
      } while (token);
    }
  } finally {
    s3.destroy();
  }
  return { bytes, objects };
}

async function usageBetween(
  harness: Harness,
  before: Snapshot,
  verificationIds: readonly string[],
  retries: Map<string, number>,
): Promise<PathUsage> {
  const after = snapshot(harness);
  const m = (service: keyof Meters) => diffMeter(after.meters[service], before.meters[service]);
  const rekognition = m('rekognition').requests;
  const s3 = m('s3').requests;
  const dynamodb = m('dynamodb');
  const lambda = new Map<string, { functionName: string; memoryMb: number; durationMs: number; invocations: number }>();
  for (const record of harness.invocations.slice(before.invocations)) {
    const { name, memoryMb } = memoryOf(harness.functions, record.functionName);
    const row = lambda.get(name) ?? { functionName: name, memoryMb, durationMs: 0, invocations: 0 };
    row.durationMs += Math.ceil(record.durationMs);
    row.invocations += 1;
    lambda.set(name, row);
  }
  let stateTransitions = 0;
  let retryTransitionsWorstCase = 0;
  for (const arn of after.executions) {
    if (before.executions.has(arn)) continue;
    for (const event of harness.runtime.stepFunctions.getExecutionHistory(arn)) {
      if (!/StateEntered$/.test(event.type)) continue;
      stateTransitions += 1;
      retryTransitionsWorstCase += retries.get(event.stateName ?? '') ?? 0;
    }
  }
  const stored = await storedBytes(harness, verificationIds);
  const sum = (requests: Record<string, number>, names: (name: string) => boolean) =>
    Object.entries(requests).reduce((total, [name, n]) => total + (names(name) ? n : 0), 0);
  return {
    rekognitionImages: sum(rekognition, (name) => REKOGNITION_IMAGE_OPERATIONS.has(name)),
    livenessChecks: rekognition.CreateFaceLivenessSession ?? 0,
    textractPages: 0,
    stateTransitions,
    retryTransitionsWorstCase,
    lambda: [...lambda.values()].map((row) => ({ ...row, durationMs: Math.round(row.durationMs) })),
    dynamodb: { readUnits: round(dynamodb.readUnits, 2), writeUnits: round(dynamodb.writeUnits, 2) },
    s3: {
      putRequests: sum(s3, (name) => ['s3:PUT', 's3:POST', 's3:COPY', 's3:LIST', 's3:DELETE'].includes(name)),
      getRequests: sum(s3, (name) => name === 's3:GET' || name === 's3:HEAD'),
      lifecycleTransitions: stored.objects,
    },
    storedBytes: stored.bytes,
    kmsRequests: sum(m('kms').requests, () => true),
    logBytes: after.logBytes - before.logBytes,
    events: m('json').events,
  };
}

export interface Person {
  readonly person: DemoPerson;
  readonly document: Buffer;
  readonly selfie: Buffer;
  readonly frames: readonly ChallengeFrame[];
}

export function newVerification(person: DemoPerson, level: 'basic' | 'advanced' = 'basic') {
  return {
    level,
    nationality: person.nationality,
    documentType: 'passport' as const,
    personalData: { fullName: person.fullName, dateOfBirth: person.dateOfBirth, address: person.address },
  };
}

/**
 * Completes liveness, then uploads every slot at once: what the reference page does (liveness
 * first, as the workflow reads the session's result as soon as the last photo is in; then
 * `onUploadSubmit` in `web/app.js` posts every chosen file together). Resolves to when the
 * challenge was sent and when the uploads started.
 */
export async function submit(
  client: KycClient,
  attempt: CreatedAttempt,
  files: { document: Buffer; selfie: Buffer; frames: readonly ChallengeFrame[]; proofOfAddress?: Buffer },
): Promise<{ livenessStarted: number; uploadStarted: number }> {
  const livenessStarted = performance.now();
  if (attempt.livenessSessionId) await client.completeLiveness(attempt.livenessSessionId, files.frames);
  const uploadStarted = performance.now();
  await Promise.all(
    Object.entries(attempt.uploads).map(([slot, post]) => {
      const file =
        slot === 'selfie'
          ? files.selfie
          : slot === 'proof_of_address'
            ? (files.proofOfAddress ?? files.document)
            : files.document;
      return client.upload(post, file, 'image/jpeg', `${slot}.jpg`);
    }),
  );
  return { livenessStarted, uploadStarted };
}

/**
 * Polling interval of the load pass: the slowest the proof issue allows (every 250 ms). The
 * reference page polls every second; polling faster than a frontend would loads the runtime with
 * status reads no user makes (at 100 ms, four clients made 40 reads a second, each a Lambda
 * invocation with two DynamoDB calls) and slows the very decisions being timed.
 */
export const LOAD_POLL_INTERVAL_MS = 250;

/** Waits for a decision; resolves to the status, with the reason codes when there are any (`rejected (FACE_NOT_MATCH)`). */
export async function waitDecided(
  client: KycClient,
  verificationId: string,
  intervalMs = 100,
  timeoutMs = 120_000,
): Promise<string> {
  const view = await client.waitForStatus(verificationId, {
    until: ['approved', 'rejected', 'cooldown', 'manual_review'],
    timeoutMs,
    intervalMs,
  });
  const codes = [...new Set(view.reasons.map((reason) => reason.code))].sort();
  return codes.length > 0 ? `${view.status} (${codes.join(', ')})` : view.status;
}

export interface E2eFigures {
  /** From the first upload to the decision (the liveness challenge done before, as the reference page does). */
  readonly p50Ms: number;
  readonly p95Ms: number;
  /** From the start of the liveness challenge to the decision. */
  readonly fromLivenessP50Ms: number;
  readonly fromLivenessP95Ms: number;
  readonly throughputPerMinute: number;
  readonly verifications: number;
  readonly concurrentClients: number;
  readonly pollIntervalMs: number;
  readonly statuses: Record<string, number>;
  readonly timeScale: number;
  /** Where the time goes under load: per function, invocations and p50 duration in the load pass. */
  readonly functionsUnderLoad: Record<string, { invocations: number; p50Ms: number }>;
  /** Images the local face engine analysed in the load pass, per verification (remembered ones not counted). */
  readonly faceAnalysesPerVerification: number;
  /**
   * CPU time the timed part of the load pass used, per verification, in seconds (user + system,
   * every thread): of the runtime's Node process (handlers, local services, the face engine's
   * and OCR's workers, the frontends) and of its child processes (DynamoDB Local's JVM); and the
   * share of the machine's cores that was busy. It says how much work a verification is, where
   * the latencies also say how long it queued for the cores (it still follows the machine's
   * speed: 2.6-2.7 s on a fast hour of this machine, 3.1-3.4 s on a slow one). Absent without
   * Linux's `/proc`.
   */
  readonly cpu?: { nodeSeconds: number; childSeconds: number; totalSeconds: number; busyShareOfCores: number };
}

/**
 * Handler log lines (JSON, one per line) are what CloudWatch Logs would ingest: counted through
 * `count`, not printed. Returns the function that puts the streams back.
 */
function swallowHandlerLogs(count: (bytes: number) => void): () => void {
  const restores = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (text.startsWith('{"')) {
        count(Buffer.byteLength(text));
        return true;
      }
      return (write as (chunk: string | Uint8Array, ...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    return () => {
      stream.write = write;
    };
  });
  return () => {
    for (const restore of restores) restore();
  };
}

/** A sample person's files for one verification: their own camera frames (see `runLoadPass`). */
export async function preparePerson(
  images: Awaited<ReturnType<typeof loadSampleImages>>,
  index: number,
  blurry = false,
): Promise<Person> {
  const person = images.person(index);
  return {
    person,
    document: await images.document(person, { blurry }),
    selfie: await images.selfie(person),
    frames: await challengeFrames(index, { seed: 1 + 16 * index }),
  };
}

/** Time scale of both passes' runtimes: workflow waits and retry intervals run 1000 times faster. */
const TIME_SCALE = 0.001;

/** What a pass gets from {@link withBenchRuntime}. */
interface BenchRuntime {
  readonly runtime: RunningRuntime;
  readonly dataDir: string;
  /** Every handler invocation of this runtime, in order. */
  readonly invocations: InvocationRecord[];
  /** Bytes of the handlers' JSON log lines (counted, not printed). */
  readonly logs: { bytes: number };
}

/**
 * Runs `pass` against a fresh runtime in a new data folder, with its invocations observed and
 * the handlers' log lines counted instead of printed; on failure prints the runtime's last log
 * lines; always stops the runtime and removes the folder.
 */
async function withBenchRuntime<T>(prefix: string, pass: (bench: BenchRuntime) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const runtimeLog: string[] = [];
  const runtime = await startRuntime({ port: 0, dataDir, timeScale: TIME_SCALE, log: (line) => runtimeLog.push(line) });
  const invocations: InvocationRecord[] = [];
  const logs = { bytes: 0 };
  const stopObserving = observeInvocations((record) => invocations.push(record));
  const restoreLogs = swallowHandlerLogs((bytes) => {
    logs.bytes += bytes;
  });
  try {
    return await pass({ runtime, dataDir, invocations, logs });
  } catch (error) {
    console.error(runtimeLog.slice(-20).join('\n'));
    throw error;
  } finally {
    restoreLogs();
    stopObserving();
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The metered pass: one verification per cost path, one at a time, on a fresh runtime whose
 * handlers reach the local AWS servers through counting proxies; resolves to the usage per path.
 */
async function meteredPass(log: (line: string) => void): Promise<{
  usage: Omit<UsageFile, 'storagePlan' | 'machine'>;
  metered: Record<string, string>;
}> {
  return withBenchRuntime('kyc-bench-e2e-', async ({ runtime, dataDir, invocations, logs }) => {
    const repoRoot = new URL('../', import.meta.url).pathname;
    const { stacks } = await synthesizeTemplates({ repoRoot, dataDir, config: runtime.config });
    const meters: Meters = {
      dynamodb: await startMeteringProxy(runtime.endpoints.dynamodb, 'dynamodb'),
      s3: await startMeteringProxy(runtime.endpoints.s3, 's3'),
      kms: await startMeteringProxy(runtime.endpoints.kms ?? '', 'json'),
      rekognition: await startMeteringProxy(runtime.endpoints.rekognition ?? '', 'json'),
      json: await startMeteringProxy(runtime.endpoints.sfn, 'json'),
    };
    // Handlers build their clients on first use, from these variables (the runtime's own clients keep
    // theirs). Clients live as long as this process: the load pass runs in a process of its own.
    for (const [name, value] of Object.entries({
      AWS_ENDPOINT_URL_DYNAMODB: meters.dynamodb.endpoint,
      AWS_ENDPOINT_URL_S3: meters.s3.endpoint,
      AWS_ENDPOINT_URL_KMS: meters.kms.endpoint,
      AWS_ENDPOINT_URL_REKOGNITION: meters.rekognition.endpoint,
      AWS_ENDPOINT_URL_SFN: meters.json.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: meters.json.endpoint,
      AWS_ENDPOINT_URL: meters.json.endpoint,
    })) {
      process.env[name] = value;
    }
    const harness: Harness = { runtime, meters, invocations, functions: appFunctions(stacks), stacks, logs };

    try {
      const images = await loadSampleImages();
      const signingKey = await loadOrCreateSigningKey(dataDir);
      const reviewer = await KycClient.forStaff(runtime.apiUrl, 'bench-reviewer', 'compliance_reviewer', signingKey);
      const retries = retryAttempts(stacks);
      const prepare = (index: number, blurry = false) => preparePerson(images, index, blurry);

      log('e2e: metered pass (one verification per cost path)');
      const usagePaths: Partial<Record<CostPath, PathUsage>> = {};
      const metered: Record<string, string> = {};
      const meter = async (path: CostPath, play: () => Promise<{ ids: string[]; outcome: string }>) => {
        await settle(harness);
        const before = snapshot(harness);
        const { ids, outcome } = await play();
        await settle(harness);
        usagePaths[path] = await usageBetween(harness, before, ids, retries);
        metered[path] = outcome;
        log(`  ${path}: ${outcome}`);
      };
      const verifyOnce = async (
        user: string,
        person: Person,
        level: 'basic' | 'advanced' = 'basic',
        selfieOf?: Person,
      ) => {
        const client = await KycClient.forUser(runtime.apiUrl, user);
        const { verificationId } = await client.createVerification(newVerification(person.person, level));
        const attempt = await client.createAttempt(verificationId);
        await submit(client, attempt, {
          document: person.document,
          selfie: (selfieOf ?? person).selfie,
          frames: (selfieOf ?? person).frames,
        });
        return { client, verificationId, status: await waitDecided(client, verificationId) };
      };
      const approveIfReview = async (client: KycClient, verificationId: string, status: string) => {
        if (!status.startsWith('manual_review')) return status;
        await decideReview(reviewer, verificationId, 'approve', 'Benchmark: checked by hand');
        return `manual_review -> ${await client.waitForStatus(verificationId, { until: ['approved', 'rejected'], intervalMs: 100 }).then((view) => view.status)}`;
      };
      /** A verification that a reviewer approves if it goes to manual review. */
      const verifyApproved = async (user: string, person: Person, level: 'basic' | 'advanced' = 'basic') => {
        const run = await verifyOnce(user, person, level);
        return {
          ids: [run.verificationId],
          outcome: await approveIfReview(run.client, run.verificationId, run.status),
        };
      };
      const first = await prepare(1);
      await meter('approvedBasic', () => verifyApproved('bench-approved', first));
      const blurry = await prepare(4, true);
      await meter('rejectedAtGate', async () => {
        const run = await verifyOnce('bench-gate', blurry);
        return { ids: [run.verificationId], outcome: run.status };
      });
      const holder = await prepare(2);
      const impostor = await prepare(3);
      await meter('rejectedAfterChecks', async () => {
        const run = await verifyOnce('bench-mismatch', holder, 'basic', impostor);
        return { ids: [run.verificationId], outcome: run.status };
      });
      const lookalike = await prepare(11);
      await meter('manualReview', async () => {
        // The face of an approved person on another passport and account: duplicate identity, to a reviewer.
        return verifyApproved('bench-duplicate', lookalike);
      });
      const advanced = await prepare(5);
      await meter('advanced', () => verifyApproved('bench-advanced', advanced, 'advanced'));
      return {
        usage: {
          measuredAt: new Date().toISOString(),
          how:
            'npm run bench (bench/e2e.ts): one verification per path through the local runtime, metered by counting proxies ' +
            'in front of the local AWS servers (DynamoDB units from DynamoDB Local ConsumedCapacity), Lambda durations per ' +
            'invocation, state transitions from the execution history. Outcomes: ' +
            Object.entries(metered)
              .map(([path, outcome]) => `${path}=${outcome}`)
              .join(', '),
          verificationsPerPath: Object.fromEntries(Object.keys(usagePaths).map((path) => [path, 1])),
          paths: usagePaths,
        },
        metered,
      };
    } finally {
      for (const proxy of Object.values(meters)) await proxy.stop();
    }
  });
}

/** Options of the load pass. */
export interface LoadPassOptions {
  /** Verifications timed (50). */
  readonly verifications?: number;
  /** Concurrent frontends (4). */
  readonly clients?: number;
  /** Status polling interval of each frontend ({@link LOAD_POLL_INTERVAL_MS}). */
  readonly pollIntervalMs?: number;
  readonly log?: (line: string) => void;
}

/**
 * The load pass, in this process: a fresh runtime as `npm start` runs it (handlers straight at
 * the local servers, no proxy), one untimed warm-up verification (the handlers' first imports and
 * clients, the Lambda cold starts), then `verifications` verifications by `clients` concurrent
 * frontends, each with its own sample person and camera frames. Resolves to the figures.
 */
export async function runLoadPass(options: LoadPassOptions = {}): Promise<E2eFigures> {
  const log = options.log ?? (() => undefined);
  const total = options.verifications ?? 50;
  const clients = options.clients ?? 4;
  const pollIntervalMs = options.pollIntervalMs ?? LOAD_POLL_INTERVAL_MS;
  return withBenchRuntime('kyc-bench-load-', async ({ runtime, invocations }) => {
    const images = await loadSampleImages();
    // Every person's own camera frames (the sample faces repeat every ten people, their frames'
    // sensor noise does not): the face engine remembers recent images, and frames shared between
    // verifications would be analysed once for all of them.
    const warmUp = await preparePerson(images, 99);
    const people: Person[] = [];
    for (let index = 0; index < total; index += 1) people.push(await preparePerson(images, 100 + index));

    type Run = { status: string; timing?: { livenessStarted: number; uploadStarted: number; decidedAt: number } };
    const verify = async (person: Person, poll: number): Promise<Run> => {
      const own = await KycClient.forUser(runtime.apiUrl, `bench-load-${person.person.index}`);
      const { verificationId } = await own.createVerification(newVerification(person.person));
      const attempt = await own.createAttempt(verificationId);
      const { livenessStarted, uploadStarted } = await submit(own, attempt, person);
      try {
        const status = await waitDecided(own, verificationId, poll);
        return { status, timing: { livenessStarted, uploadStarted, decidedAt: performance.now() } };
      } catch {
        // Not decided within the wait: counted (and left out of the latency figures), the run goes on.
        return { status: `undecided after 120 s (${(await own.getVerification(verificationId)).status})` };
      }
    };
    log('e2e: load pass, warm-up verification (untimed)');
    await verify(warmUp, pollIntervalMs);
    await runtime.eventsIdle();

    log(`e2e: load pass (${total} verifications, ${clients} concurrent clients, polling every ${pollIntervalMs} ms)`);
    const durations: number[] = [];
    const fromLiveness: number[] = [];
    const statuses: Record<string, number> = {};
    let next = 0;
    const invocationsBefore = invocations.length;
    const engine = await loadFaceEngine();
    const analysedBefore = engine.analysedImages();
    const started = performance.now();
    const cpuBefore = treeCpuMs(process.pid);
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (next < people.length) {
          const person = people[next] as Person;
          next += 1;
          const run = await verify(person, pollIntervalMs);
          if (run.timing) {
            durations.push(run.timing.decidedAt - run.timing.uploadStarted);
            fromLiveness.push(run.timing.decidedAt - run.timing.livenessStarted);
          }
          statuses[run.status] = (statuses[run.status] ?? 0) + 1;
        }
      }),
    );
    const wallMinutes = (performance.now() - started) / 60_000;
    const cpuAfter = treeCpuMs(process.pid);
    const byFunction = new Map<string, number[]>();
    for (const record of invocations.slice(invocationsBefore)) {
      byFunction.set(record.functionName, [...(byFunction.get(record.functionName) ?? []), record.durationMs]);
    }
    const functionsUnderLoad = Object.fromEntries(
      [...byFunction].map(([name, list]) => [
        name,
        { invocations: list.length, p50Ms: Math.round(percentile(list, 0.5)) },
      ]),
    );
    return {
      p50Ms: Math.round(percentile(durations, 0.5)),
      p95Ms: Math.round(percentile(durations, 0.95)),
      fromLivenessP50Ms: Math.round(percentile(fromLiveness, 0.5)),
      fromLivenessP95Ms: Math.round(percentile(fromLiveness, 0.95)),
      throughputPerMinute: round(durations.length / wallMinutes),
      verifications: durations.length,
      concurrentClients: clients,
      pollIntervalMs,
      statuses,
      timeScale: TIME_SCALE,
      functionsUnderLoad,
      faceAnalysesPerVerification: round((engine.analysedImages() - analysedBefore) / Math.max(1, people.length)),
      ...(cpuBefore && cpuAfter ? { cpu: cpuPerVerification(cpuBefore, cpuAfter, people.length, wallMinutes) } : {}),
    };
  });
}

/** CPU seconds per verification between two readings of the process tree, and how busy the cores were. */
export function cpuPerVerification(
  before: { selfMs: number; childrenMs: number },
  after: { selfMs: number; childrenMs: number },
  verifications: number,
  wallMinutes: number,
  cores = availableParallelism(),
): NonNullable<E2eFigures['cpu']> {
  const perVerification = (ms: number): number => Number((ms / 1000 / Math.max(1, verifications)).toFixed(3));
  const nodeMs = after.selfMs - before.selfMs;
  const childMs = after.childrenMs - before.childrenMs;
  return {
    nodeSeconds: perVerification(nodeMs),
    childSeconds: perVerification(childMs),
    totalSeconds: perVerification(nodeMs + childMs),
    busyShareOfCores: Number(((nodeMs + childMs) / (wallMinutes * 60_000 * cores)).toFixed(2)),
  };
}

/** Marks the figures line of the load-pass program's output (`bench/e2e-load.ts`). */
export const LOAD_FIGURES_PREFIX = 'e2e-load-figures ';

/**
 * Runs the load pass in a process of its own (`bench/e2e-load.ts`), so its runtime is what
 * `npm start` runs: the metered pass's handlers keep their clients, pointed at the counting
 * proxies, for the life of their process, and a proxy in front of every AWS call is work no
 * frontend's runtime does (it cost the timed decisions about a quarter of their speed).
 */
function loadPassInChild(options: LoadPassOptions): Promise<E2eFigures> {
  const program = new URL('./e2e-load.ts', import.meta.url).pathname;
  const args = [
    '--import',
    'tsx',
    program,
    `--verifications=${options.verifications ?? 50}`,
    `--clients=${options.clients ?? 4}`,
    `--poll-ms=${options.pollIntervalMs ?? LOAD_POLL_INTERVAL_MS}`,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      for (const line of chunk.split('\n')) if (line.startsWith('e2e: ')) options.log?.(line);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((candidate) => candidate.startsWith(LOAD_FIGURES_PREFIX));
      if (code === 0 && line) resolve(JSON.parse(line.slice(LOAD_FIGURES_PREFIX.length)) as E2eFigures);
      else reject(new Error(`load pass exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

/**
 * Both passes: the metered pass on a fresh runtime in this process, then the load pass in a
 * process of its own (see `loadPassInChild`); resolves to the load figures and the metered usage.
 *
 * @example
 * ```ts
 * const { e2e, usage } = await runE2e({ verifications: 50 });
 * ```
 */
export async function runE2e(options: LoadPassOptions = {}): Promise<{
  e2e: E2eFigures;
  usage: Omit<UsageFile, 'storagePlan' | 'machine'>;
  metered: Record<string, string>;
}> {
  const { usage, metered } = await meteredPass(options.log ?? (() => undefined));
  const e2e = await loadPassInChild(options);
  return { e2e, usage, metered };
}
