/**
 * The embedded local runtime (`kyc local`): the whole pipeline on one machine, no AWS account.
 *
 *   CDK app ──synth (cached)──> templates ──> local names for every resource
 *      │                                        │
 *      ├─ DynamoDB Local (Java, -dbPath <data>/dynamodb), tables from the template
 *      ├─ s3rver (<data>/s3), the template's buckets ──Object Created──> local EventBridge rules
 *      │                                                                  └─> on-upload (in-process, retried, DLQ)
 *      ├─ KMS and Rekognition stand-ins
 *      ├─ Step Functions + EventBridge JSON endpoint ──> workflow engine running the synthesized ASL
 *      └─ HTTP API (API Gateway v2 emulation, JWT authorizer) ──> HTTP_ROUTES handlers (in-process)
 *
 * Handlers run in this process with the environment the template gives their deployed twins
 * and `AWS_ENDPOINT_URL_<SERVICE>` pointing at the local servers, so the same code runs here
 * and in Lambda. `startRuntime` is what `kyc local`, `kyc demo` and the end-to-end tests use.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import {
  CreateCollectionCommand,
  RekognitionClient,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-rekognition';
import { resolveConfig, type KycConfig, type PartialConfig } from '../../lib/config.ts';
import { ENV } from '../../lambdas/adapters/aws/environment.ts';
import { localClientConfig } from '../aws/client-config.ts';
import { localDynamoDocuments } from '../aws/dynamodb-documents.ts';
import { startDynamoDbLocal, type DynamoDbLocal } from '../aws/dynamodb-local.ts';
import { createTablesFromTemplate } from '../aws/dynamodb-tables.ts';
import { isPortBusy, reservePort } from '../aws/free-port.ts';
import { startKmsServer, type KmsServer, type LocalKeySpec } from '../aws/kms-server.ts';
import {
  LivenessCompletionDeniedError,
  startRekognitionServer,
  type LivenessCompletionAuthorizer,
} from '../aws/rekognition-server.ts';
import { localS3ClientConfig, startLocalS3, type LocalS3 } from '../aws/s3.ts';
import { LocalStepFunctions } from '../stepfunctions/engine.ts';
import type { AslDefinition } from '../stepfunctions/template.ts';
import { VerificationRepository } from '../../lambdas/adapters/aws/verification-repository.ts';
import { livenessOwnerAuthorizer } from './auth/liveness-owner.ts';
import { loadOrCreateSigningKey } from './auth/local-signing-key.ts';
import { startJsonProtocolServer, type JsonProtocolServer } from './aws-json/json-protocol-server.ts';
import { eventBridgeOperations } from './aws-json/event-bridge-service.ts';
import { stepFunctionsOperations } from './aws-json/step-functions-service.ts';
import { DeliveryQueue } from './events/delivery-queue.ts';
import { replayStreamFailures, startStreamPollers } from './events/event-source-mappings.ts';
import { redriveIntakeObjects, replayDeadLetters } from './events/recovery.ts';
import { LocalEventBus, rulesFromResources, type BusEvent, type RuleTarget } from './events/local-event-bus.ts';
import { PortUnavailableError, startApiServer, type ApiServer } from './http/api-server.ts';
import { consoleSecurityHeaders, uploadPageSecurityHeaders } from '../../lib/console-security-headers.ts';
import type { HttpRouteDefinition } from './http/route-matcher.ts';
import { installEnvironmentOverlay, runWithEnvironment } from './lambda/function-environment.ts';
import { invokeHandler, loadHandler } from './lambda/handler-loader.ts';
import { applyEnvironment, localProcessEnvironment, type LocalEndpoints } from './runtime-environment.ts';
import { faultPlanFromEnv, startFaultProxies, type FaultPlan, type InjectedFault } from '../aws/fault-injection.ts';
import { markRuntimeStopped, writeRuntimeManifest } from './runtime-manifest.ts';
import { synthesizeTemplates, type DataEnvironment } from './synth.ts';
import { localFunctions, sharedEnvironment, type LocalFunction } from './template/local-functions.ts';
import { LOCAL_ACCOUNT, LocalResources } from './template/local-resources.ts';
import { withTimeScale } from './template/time-scale.ts';

/** Repository root (this file is `local/runtime/runtime.ts`). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The intake's HTTP route table, loaded by path like every handler. */
export const HTTP_ROUTES_MODULE = 'lambdas/handlers/http/routes.ts';

export interface RuntimeOptions {
  /** API port (3000; 0 picks a free one). */
  readonly port?: number;
  /** Folder for all local state: tables, objects, keys, caches (`.local-data`). */
  readonly dataDir?: string;
  /** Multiplier of workflow waits and timeouts, and of the cooldown and review SLA the functions compute (1; 0.001 turns 24 h into 86 s). */
  readonly timeScale?: number;
  /** Configuration overrides on top of the defaults (`lib/config.ts`). */
  readonly config?: PartialConfig;
  /** Progress and diagnostics (no PII ever reaches it). */
  readonly log?: (line: string) => void;
  /** Retry policy of event deliveries (EventBridge-like defaults). */
  readonly eventRetry?: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
  /** Let `GET /_local/token` mint staff-role tokens (false: `user` only; `kyc local --dev-tokens`). */
  readonly devTokens?: boolean;
  /**
   * How long `stop()` lets workflow steps and event deliveries already running finish after
   * intake has stopped (10 000 ms). What is left is persisted and continues on the next start.
   */
  readonly stopGraceMs?: number;
  /**
   * Deliver the events of `<data>/dlq/events.jsonl` again at start, and read the stream batches
   * of `<data>/dlq/streams.jsonl` again for their functions (`kyc local --replay-dlq`).
   */
  readonly replayDeadLetters?: boolean;
  /**
   * Faults to inject between the handlers and the local S3, DynamoDB, KMS and Rekognition
   * (`local/aws/fault-injection.ts`); default: the plan of `KYC_FAULT_PLAN`, if set.
   */
  readonly faultPlan?: FaultPlan;
}

/** What the runtime recovered at start from the data folder (see the README's durability section). */
export interface RuntimeRecovery {
  /** Workflow executions that were RUNNING when the previous process stopped, now continuing. */
  readonly resumedExecutions: number;
  /** RUNNING executions whose state machine no longer exists (kept RUNNING in the store). */
  readonly unresumableExecutions: number;
  /** Intake objects whose upload event was delivered again. */
  readonly intakeRedriven: number;
  /** Dead letters delivered again, stream batches included (with `replayDeadLetters`). */
  readonly deadLettersReplayed: number;
}

export interface RuntimeEndpoints extends LocalEndpoints {
  readonly api: string;
}

export interface RunningRuntime {
  readonly apiUrl: string;
  readonly endpoints: RuntimeEndpoints;
  readonly config: KycConfig;
  readonly dataDir: string;
  /** Environment the handlers run with (names, ARNs, endpoints). */
  readonly environment: Readonly<Record<string, string>>;
  /** The workflow engine, for tests that inspect executions. */
  readonly stepFunctions: LocalStepFunctions;
  /**
   * Runs the reconciler now, as its schedule does (after a run under way, if any), and resolves
   * when it is done; its counts are logged as on schedule.
   */
  reconcileNow(): Promise<void>;
  /** Resolves when every event delivery has finished (delivered or dead-lettered). */
  eventsIdle(): Promise<void>;
  /** Resolves when every DynamoDB stream record written so far reached its function (e.g. the audit archiver). */
  drainStreams(): Promise<void>;
  /** Where undeliverable events are written. */
  readonly deadLetterFile: string;
  /** Faults injected so far by the fault plan (empty without one). */
  injectedFaults(): readonly InjectedFault[];
  /** Replaces the fault plan; only when the runtime started with one (throws otherwise). */
  setFaultPlan(plan: FaultPlan): void;
  /** Milliseconds from call to ready, and which phases took how long. */
  readonly timings: Readonly<Record<string, number>>;
  /** What was recovered from the data folder at start. */
  readonly recovery: RuntimeRecovery;
  /**
   * Stops gracefully: intake first (the HTTP API), then lets running workflow steps and event
   * deliveries finish within `stopGraceMs`, persists every execution still running, then stops
   * every server and the Java child.
   */
  stop(): Promise<void>;
}

/** The runtime cannot start (busy port, missing Java, broken template); the message says why. */
export class RuntimeStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuntimeStartError';
  }
}

async function loadRoutes(): Promise<HttpRouteDefinition[]> {
  const file = join(REPO_ROOT, HTTP_ROUTES_MODULE);
  if (!existsSync(file)) return [];
  const module = (await import(pathToFileURL(file).href)) as { HTTP_ROUTES?: unknown };
  if (!Array.isArray(module.HTTP_ROUTES))
    throw new RuntimeStartError(`${HTTP_ROUTES_MODULE} does not export HTTP_ROUTES`);
  return module.HTTP_ROUTES as HttpRouteDefinition[];
}

/**
 * Starts everything and resolves once the API answers.
 *
 * @example
 * ```ts
 * const runtime = await startRuntime({ port: 0, dataDir: tmp, timeScale: 0.001 });
 * await fetch(`${runtime.apiUrl}/health`);
 * await runtime.stop();
 * ```
 */
export async function startRuntime(options: RuntimeOptions = {}): Promise<RunningRuntime> {
  const started = Date.now();
  const timings: Record<string, number> = {};
  const mark = (phase: string, since: number): void => {
    timings[phase] = Date.now() - since;
  };
  const log = options.log ?? (() => undefined);
  const port = options.port ?? 3000;
  const dataDir = resolve(options.dataDir ?? '.local-data');
  // The same bands as a deployment: the local liveness engine is calibrated to Rekognition's scale.
  const config = resolveConfig(options.config ?? {});
  const region = config.region;
  mkdirSync(dataDir, { recursive: true });

  if (port !== 0 && (await isPortBusy(port, '127.0.0.1'))) {
    throw new RuntimeStartError(`Port ${port} on 127.0.0.1 is already in use: stop the other process or pass --port`);
  }
  // Known before S3 starts: the intake bucket's CORS rule names the upload page's origin. The
  // port is held until the API listens on it: the servers started in between (and other
  // processes' connections) would otherwise be free to take it.
  const reservation = port === 0 ? await reservePort('127.0.0.1') : undefined;
  const apiPort = reservation?.port ?? port;

  const cleanups: (() => Promise<void> | void)[] = [() => reservation?.release()];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`stop: ${(error as Error).message}`);
      }
    }
  };

  try {
    let since = Date.now();
    const synth = await synthesizeTemplates({ repoRoot: REPO_ROOT, dataDir, config });
    mark(synth.cached ? 'synth (cached)' : 'synth', since);
    const resources = new LocalResources(synth.stacks, region);
    const local = localFunctions(resources);
    const { skipped } = local;
    // Durations the functions compute themselves follow the workflow's time scale.
    const functions = local.runnable.map((fn) => withTimeScale(fn, options.timeScale ?? 1));
    if (skipped.length > 0) log(`not run locally (no kyc:entry metadata): ${skipped.join(', ')}`);
    const functionEnvironment = {
      ...baseEnvironment(resources, synth.dataEnvironment),
      ...sharedEnvironment(functions),
    };

    // DynamoDB Local (a JVM) is the slowest to start: launch it first, start the rest meanwhile.
    const dynamoStarted = Date.now();
    const dynamoStarting = startDynamoDbWithFastJvm(join(dataDir, 'dynamodb'));
    cleanups.push(async () => (await dynamoStarting.catch(() => undefined))?.stop());
    const routes = await loadRoutes();

    // Workflow engine and the JSON-protocol endpoint (Step Functions + EventBridge).
    since = Date.now();
    const engine = new LocalStepFunctions({
      timeScale: options.timeScale ?? 1,
      // The functions compute the cooldown end on the scaled clock already (`withTimeScale`).
      scaleTimestampWaits: false,
      region,
      accountId: LOCAL_ACCOUNT,
      storeDir: join(dataDir, 'stepfunctions', 'executions'),
    });
    cleanups.push(() => engine.close());
    const deadLetterFile = join(dataDir, 'dlq', 'events.jsonl');
    const queue = new DeliveryQueue({
      deadLetterFile,
      ...(options.eventRetry ? { retry: options.eventRetry } : {}),
      log: {
        retry: (target, attempt, error) =>
          log(`event to ${target} failed (attempt ${attempt}): ${(error as Error).name}; retrying`),
        deadLetter: (letter) =>
          log(
            `event to ${letter.target} dead-lettered after ${letter.attempts} attempts: ${letter.errorName} -> ${deadLetterFile}`,
          ),
      },
    });
    cleanups.push(() => queue.close());
    cleanups.push(installEnvironmentOverlay());
    const invokeFunction = async (fn: LocalFunction, payload: unknown): Promise<unknown> => {
      const handler = await loadHandler(REPO_ROOT, fn.entry, fn.exportName);
      return runWithEnvironment(fn.environment, () =>
        invokeHandler(handler, payload, { functionName: fn.name, timeoutMs: fn.timeoutMs, region }),
      );
    };
    const rules = rulesFromResources(resources);
    const bus = new LocalEventBus({
      rules,
      functions,
      queue,
      region,
      eventsDir: join(dataDir, 'events'),
      delivery: {
        invokeFunction,
        startExecution: async (arn, payload) => engine.startExecution({ stateMachineArn: arn, input: payload }),
      },
      fallback: (busName, event) => uploadFallback(busName, event, functionEnvironment, functions),
      onUnroutable: (busName, event, reason) => log(`event ${event['detail-type']} on ${busName}: ${reason}`),
    });
    const json: JsonProtocolServer = await startJsonProtocolServer(
      {
        AWSStepFunctions: stepFunctionsOperations(engine),
        AWSEvents: eventBridgeOperations({
          region,
          busNames: resources.ofType('AWS::Events::EventBus').map((eventBus) => eventBus.ref),
          rules,
          putEntries: (entries) => bus.putEntries(entries),
        }),
      },
      0,
      (operation, error) => log(`${operation} failed: ${(error as Error).message}`),
    );
    cleanups.push(() => json.close());
    registerStateMachines(engine, resources, functions, invokeFunction);
    mark('stepfunctions', since);

    since = Date.now();
    const bucketResources = resources.ofType('AWS::S3::Bucket');
    const buckets = bucketResources.map((bucket) => bucket.ref);
    // CORS as in AWS: the intake bucket only (tagged kyc:data-class=intake), for the upload
    // page's own origin (the API's) and the configured origins.
    const intakeBuckets = bucketResources
      .filter((bucket) => JSON.stringify(bucket.properties.Tags ?? []).includes('"Value":"intake"'))
      .map((bucket) => bucket.ref);
    const s3: LocalS3 = await startLocalS3({
      directory: join(dataDir, 's3'),
      buckets,
      region,
      objectLock: { stateFile: join(dataDir, 's3-object-lock.json'), buckets: objectLockedBuckets(resources) },
      cors: {
        buckets: intakeBuckets,
        origins: [`http://127.0.0.1:${apiPort}`, `http://localhost:${apiPort}`, ...config.allowedOrigins],
      },
      onObjectEvent: (event) => {
        bus.put('default', event as unknown as BusEvent);
      },
    });
    cleanups.push(() => s3.stop());
    mark('s3', since);

    since = Date.now();
    const kms = await startKmsServer({ dataDir: join(dataDir, 'kms'), region });
    cleanups.push(() => kms.stop());
    createKeys(kms, resources);
    mark('kms', since);

    since = Date.now();
    const rekognitionS3 = new S3Client(localS3ClientConfig(s3.endpoint, region));
    cleanups.push(() => rekognitionS3.destroy());
    // Only the applicant may complete their liveness session (bearer token, owner from the attempt).
    const livenessOwner: { authorize?: LivenessCompletionAuthorizer } = {};
    const rekognition = await startRekognitionServer({
      dataDir: join(dataDir, 'rekognition'),
      region,
      s3Client: rekognitionS3,
      authorizeLivenessCompletion: (input) => {
        if (!livenessOwner.authorize) {
          throw new LivenessCompletionDeniedError(401, 'The local runtime is still starting');
        }
        return livenessOwner.authorize(input);
      },
    });
    cleanups.push(() => rekognition.stop());
    await createCollections(rekognition.endpoint, resources, region);
    mark('rekognition', since);

    const dynamo = await dynamoStarting;
    await createTables(dynamo, resources, region);
    mark('dynamodb', dynamoStarted);

    const endpoints: LocalEndpoints = {
      s3: s3.endpoint,
      kms: kms.endpoint,
      rekognition: rekognition.endpoint,
      dynamodb: dynamo.endpoint,
      sfn: json.endpoint,
      eventbridge: json.endpoint,
    };
    // With a fault plan, the handlers reach the planned services through fault-injecting proxies.
    const faultPlan = options.faultPlan ?? faultPlanFromEnv();
    const faults = faultPlan
      ? await startFaultProxies(
          faultPlan,
          { s3: s3.endpoint, dynamodb: dynamo.endpoint, kms: kms.endpoint, rekognition: rekognition.endpoint },
          log,
        )
      : undefined;
    if (faults) cleanups.push(() => faults.stop());
    const environment = localProcessEnvironment(functionEnvironment, { ...endpoints, ...faults?.endpoints }, region);
    if (!environment[ENV.config]) environment[ENV.config] = JSON.stringify(config);
    const restoreEnvironment = applyEnvironment(environment);
    cleanups.push(restoreEnvironment);

    const streamFailureFile = join(dataDir, 'dlq', 'streams.jsonl');
    const streamPollers = startStreamPollers(resources, functions, invokeFunction, {
      endpoint: dynamo.endpoint,
      region,
      stateDir: join(dataDir, 'streams'),
      failureFile: streamFailureFile,
      timeScale: options.timeScale ?? 1,
      log,
    });
    cleanups.push(() => Promise.all(streamPollers.map((poller) => poller.stop())).then(() => undefined));

    since = Date.now();
    const signingKey = await loadOrCreateSigningKey(dataDir);
    const ownerDynamo = localDynamoDocuments(dynamo.endpoint, region);
    cleanups.push(() => ownerDynamo.destroy());
    livenessOwner.authorize = livenessOwnerAuthorizer({
      signingKey,
      repository: new VerificationRepository({
        tableName: environment[ENV.verificationsTable] ?? '',
        client: ownerDynamo,
      }),
    });
    const webDir = join(REPO_ROOT, 'web');
    const openApiFile = join(REPO_ROOT, 'openapi', 'openapi.json');
    // Strict CSPs, built once: the console's (its document renditions come from the local S3) and
    // the upload page's (it uploads to the local S3 with presigned POSTs).
    const pageHeaders = {
      console: consoleSecurityHeaders({ imageOrigins: [s3.endpoint] }),
      upload: uploadPageSecurityHeaders({ uploadOrigins: [s3.endpoint] }),
    };
    let api: ApiServer;
    try {
      await reservation?.release();
      api = await startApiServer({
        routes,
        repoRoot: REPO_ROOT,
        signingKey,
        region,
        port: apiPort,
        devTokens: options.devTokens ?? false,
        // CORS as the HTTP API's in AWS: the configured origins only.
        allowedOrigins: config.allowedOrigins,
        ...(existsSync(webDir) ? { webDir } : {}),
        staticHeaders: (path) =>
          path === '/console' || path.startsWith('/console/') ? pageHeaders.console : pageHeaders.upload,
        ...(existsSync(openApiFile) ? { openApiFile } : {}),
        // Each route runs with its own function's environment, as in Lambda.
        aroundInvocation: (route, invoke) => {
          const fn = functions.find(
            (candidate) => candidate.entry === route.entry && candidate.exportName === route.exportName,
          );
          return fn ? runWithEnvironment(fn.environment, invoke) : invoke();
        },
        localProxies: [{ prefix: '/_local/liveness-sessions/', target: rekognition.endpoint }],
        health: () => ({ mode: 'local', region, pendingEvents: queue.size }),
        onHandlerError: (routeKey, error) => log(`${routeKey}: ${(error as Error).name}: ${(error as Error).message}`),
      });
    } catch (error) {
      if (error instanceof PortUnavailableError) throw new RuntimeStartError(error.message, { cause: error });
      throw error;
    }
    let apiClosed = false;
    const closeApi = async (): Promise<void> => {
      if (apiClosed) return;
      apiClosed = true;
      await api.close();
    };
    cleanups.push(closeApi);
    mark('api', since);

    // Recovery from the data folder: running executions continue, lost upload events are re-sent.
    since = Date.now();
    const { resumed, unresumable } = engine.resume();
    if (unresumable.length > 0) {
      log(`${unresumable.length} running execution(s) have no state machine of that name here; kept RUNNING`);
    }
    const intake = functionEnvironment[ENV.intakeBucket];
    const recoveryS3 = new S3Client(localS3ClientConfig(s3.endpoint, region));
    cleanups.push(() => recoveryS3.destroy());
    const intakeRedriven = intake ? await redriveIntakeObjects({ s3: recoveryS3, bucket: intake, region, bus }) : 0;
    let deadLettersReplayed = 0;
    if (options.replayDeadLetters) {
      const replay = replayDeadLetters(deadLetterFile, (target, event) => bus.redeliver(target, event));
      deadLettersReplayed = replay.replayed;
      if (replay.skipped > 0)
        log(`${replay.skipped} dead letter(s) name a target that no longer exists; kept in ${replay.archivedAs}`);
      deadLettersReplayed += (await replayStreamFailures(streamFailureFile, streamPollers, log)).replayed;
    }
    const recovery: RuntimeRecovery = {
      resumedExecutions: resumed.length,
      unresumableExecutions: unresumable.length,
      intakeRedriven,
      deadLettersReplayed,
    };
    if (resumed.length + intakeRedriven + deadLettersReplayed > 0) {
      log(
        `recovered: ${resumed.length} running execution(s) resumed, ${intakeRedriven} intake object(s) re-sent, ${deadLettersReplayed} dead letter(s) replayed`,
      );
    }
    mark('recovery', since);
    writeRuntimeManifest(dataDir, {
      endpoints,
      environment: functionEnvironment,
      region,
      apiUrl: api.url,
      objectLockedBuckets: objectLockedBuckets(resources),
    });
    cleanups.push(() => markRuntimeStopped(dataDir));

    // The reconciler, as EventBridge Scheduler runs it in AWS: now, then every configured period.
    const reconcilerFn = functions.find((fn) => /(^|\/)maintenance\/reconciler\.ts$/.test(fn.entry));
    let reconciling: Promise<void> | undefined;
    const runReconciler = (): Promise<void> => {
      if (!reconcilerFn) return Promise.resolve();
      reconciling ??= invokeFunction(reconcilerFn, { source: 'local.scheduler', 'detail-type': 'Scheduled Event' })
        .then((report) => {
          const counts = Object.entries((report ?? {}) as Record<string, number>).filter(([, n]) => n > 0);
          if (counts.length > 0) log(`reconciler: ${counts.map(([name, n]) => `${name}=${n}`).join(' ')}`);
        })
        .catch((error: unknown) => log(`reconciler failed: ${(error as Error).name}: ${(error as Error).message}`))
        .finally(() => (reconciling = undefined));
      return reconciling;
    };
    void runReconciler();
    const reconcilerTimer = setInterval(() => void runReconciler(), config.reconciler.everyMinutes * 60_000);
    reconcilerTimer.unref();
    cleanups.push(() => clearInterval(reconcilerTimer));

    // The deletion job, as EventBridge Scheduler runs it in AWS: every retention.purgeEveryHours
    // (first run one period after the start; `kyc records purge` runs it at once).
    const purgeFn = functions.find((fn) => /(^|\/)scheduled\/records-purge\.ts$/.test(fn.entry));
    let purging: Promise<void> | undefined;
    const runPurge = (): void => {
      if (!purgeFn || purging) return;
      purging = invokeFunction(purgeFn, { source: 'local.scheduler', 'detail-type': 'Scheduled Event' })
        .then((report) => {
          const { attemptsErased = 0, verificationsErased = 0 } = (report ?? {}) as Record<string, number>;
          if (attemptsErased + verificationsErased > 0) {
            log(`records purge: attemptsErased=${attemptsErased} verificationsErased=${verificationsErased}`);
          }
        })
        .catch((error: unknown) => log(`records purge failed: ${(error as Error).name}: ${(error as Error).message}`))
        .finally(() => (purging = undefined));
    };
    const purgeTimer = setInterval(runPurge, config.retention.purgeEveryHours * 3_600_000);
    purgeTimer.unref();
    cleanups.push(() => clearInterval(purgeTimer));
    timings.total = Date.now() - started;

    const graceMs = options.stopGraceMs ?? 10_000;
    let stopping: Promise<void> | undefined;
    const stopGracefully = async (): Promise<void> => {
      // Intake first, then let what is running finish within the bound, then persist and stop.
      await closeApi().catch((error: unknown) => log(`stop: ${(error as Error).message}`));
      clearInterval(reconcilerTimer);
      clearInterval(purgeTimer);
      let timer: NodeJS.Timeout | undefined;
      const [report] = await Promise.all([
        engine.shutdown(graceMs),
        Promise.race([queue.idle(), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]),
      ]);
      clearTimeout(timer);
      if (report.interruptedSteps > 0 || queue.size > 0) {
        log(
          `stop: after ${graceMs} ms, ${report.interruptedSteps} step(s) and ${queue.size} event(s) were still running; they run again on the next start`,
        );
      }
      if (report.persistedRunning > 0)
        log(`stop: ${report.persistedRunning} running execution(s) saved for the next start`);
      await stopAll();
    };

    return {
      apiUrl: api.url,
      endpoints: { ...endpoints, api: api.url },
      config,
      dataDir,
      environment,
      stepFunctions: engine,
      async reconcileNow() {
        await reconciling;
        await runReconciler();
      },
      deadLetterFile,
      injectedFaults: () => faults?.controller.injected() ?? [],
      setFaultPlan: (plan) => {
        if (!faults) throw new RuntimeStartError('The runtime was started without a fault plan');
        faults.controller.setPlan(plan);
      },
      timings,
      eventsIdle: () => queue.idle(),
      drainStreams: async () => {
        for (const poller of streamPollers) await poller.drain();
      },
      recovery,
      stop: () => (stopping ??= stopGracefully()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Buckets the template creates with Object Lock, and their default COMPLIANCE retention in days. */
function objectLockedBuckets(resources: LocalResources): Record<string, { days: number }> {
  const locked: Record<string, { days: number }> = {};
  for (const bucket of resources.ofType('AWS::S3::Bucket')) {
    const configuration = bucket.properties.ObjectLockConfiguration as
      { ObjectLockEnabled?: string; Rule?: { DefaultRetention?: { Days?: number; Years?: number } } } | undefined;
    if (configuration?.ObjectLockEnabled !== 'Enabled') continue;
    const retention = configuration.Rule?.DefaultRetention;
    const days = Number(retention?.Days ?? 0) + Math.ceil(Number(retention?.Years ?? 0) * 365.25);
    locked[bucket.ref] = { days };
  }
  return locked;
}

/** Variables every function gets from the data stack, plus the state machine's ARN. */
function baseEnvironment(
  resources: LocalResources,
  dataEnvironment: DataEnvironment | undefined,
): Record<string, string> {
  const environment: Record<string, string> = {};
  if (dataEnvironment) {
    const resolved = resources.resolve(dataEnvironment.stackName, dataEnvironment.variables) as Record<string, unknown>;
    for (const [name, value] of Object.entries(resolved)) environment[name] = String(value);
  }
  const [machine, ...others] = resources.ofType('AWS::StepFunctions::StateMachine');
  if (machine && others.length === 0) environment[ENV.stateMachineArn] = machine.ref;
  return environment;
}

const KEY_SPECS: readonly LocalKeySpec[] = ['SYMMETRIC_DEFAULT', 'HMAC_256', 'ECC_NIST_P256'];

/**
 * Creates the template's KMS keys (same spec) and aliases in the local KMS, unless they exist,
 * and applies each key's rotation setting (`EnableKeyRotation`, `RotationPeriodInDays`) as a deploy does.
 */
function createKeys(kms: KmsServer, resources: LocalResources): void {
  for (const key of resources.ofType('AWS::KMS::Key')) {
    const spec = (key.properties.KeySpec ?? 'SYMMETRIC_DEFAULT') as LocalKeySpec;
    if (!KEY_SPECS.includes(spec)) {
      throw new RuntimeStartError(
        `KMS key ${key.logicalId} has spec ${String(spec)}, which the local KMS does not emulate`,
      );
    }
    const description = typeof key.properties.Description === 'string' ? key.properties.Description : key.logicalId;
    const period = typeof key.properties.RotationPeriodInDays === 'number' ? key.properties.RotationPeriodInDays : 365;
    kms.ensureKey(
      key.attributes.Arn ?? key.ref,
      spec,
      description,
      key.properties.EnableKeyRotation === true ? period : undefined,
    );
  }
  for (const alias of resources.ofType('AWS::KMS::Alias')) {
    const target = resources.resolve(alias.stackName, alias.properties.TargetKeyId);
    if (typeof target === 'string') kms.ensureAlias(alias.ref, target);
  }
}

/**
 * JVM settings that start DynamoDB Local markedly faster (measured on 2 busy cores: 13 s -> 6-8 s):
 * C1 compiler only and the serial collector suit a short-lived, single-user local server.
 * Passed through JAVA_TOOL_OPTIONS (read by every JVM) unless the developer set their own.
 */
const FAST_JVM_OPTIONS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';

async function startDynamoDbWithFastJvm(dbPath: string): Promise<DynamoDbLocal> {
  const previous = process.env.JAVA_TOOL_OPTIONS;
  if (previous === undefined) process.env.JAVA_TOOL_OPTIONS = FAST_JVM_OPTIONS;
  try {
    // Set until the start resolves: the launcher spawns Java after probing for a free port.
    return await startDynamoDbLocal({ dbPath });
  } finally {
    if (previous === undefined) delete process.env.JAVA_TOOL_OPTIONS;
  }
}

/** Creates the template's Rekognition face collections in the local Rekognition, unless they exist. */
async function createCollections(endpoint: string, resources: LocalResources, region: string): Promise<void> {
  const collections = resources.ofType('AWS::Rekognition::Collection');
  if (collections.length === 0) return;
  const client = new RekognitionClient(localClientConfig(endpoint, region));
  try {
    for (const collection of collections) {
      try {
        await client.send(new CreateCollectionCommand({ CollectionId: collection.ref }));
      } catch (error) {
        if (!(error instanceof ResourceAlreadyExistsException)) throw error;
      }
    }
  } finally {
    client.destroy();
  }
}

async function createTables(dynamo: DynamoDbLocal, resources: LocalResources, region: string): Promise<void> {
  const client = new DynamoDBClient(localClientConfig(dynamo.endpoint, region));
  try {
    for (const table of resources.ofType('AWS::DynamoDB::Table')) {
      const template = resources.template(table.stackName);
      if (!template) continue;
      await createTablesFromTemplate(
        { Resources: { [table.logicalId]: template.Resources?.[table.logicalId] } },
        client,
        () => table.ref,
      );
    }
  } finally {
    client.destroy();
  }
}

/**
 * When the templates define no rule for uploads (yet), deliver the intake bucket's
 * `Object Created` events to the function whose entry is the on-upload handler, as the rule
 * would.
 */
function uploadFallback(
  busName: string,
  event: BusEvent,
  environment: Readonly<Record<string, string>>,
  functions: readonly LocalFunction[],
): RuleTarget[] {
  const intake = environment[ENV.intakeBucket];
  const detail = event.detail as { bucket?: { name?: string }; object?: { key?: string } } | undefined;
  if (
    busName !== 'default' ||
    event['detail-type'] !== 'Object Created' ||
    !intake ||
    detail?.bucket?.name !== intake ||
    // Like the template's rule: uploads only, never the liveness images under `liveness/`.
    !detail.object?.key?.startsWith('intake/')
  ) {
    return [];
  }
  const onUpload = functions.find((fn) => /(^|\/)on-upload\.ts$/.test(fn.entry));
  return onUpload ? [{ id: 'local-upload-fallback', arn: onUpload.arn }] : [];
}

function registerStateMachines(
  engine: LocalStepFunctions,
  resources: LocalResources,
  functions: readonly LocalFunction[],
  invokeFunction: (fn: LocalFunction, payload: unknown) => Promise<unknown>,
): void {
  const handlers = Object.fromEntries(
    functions.map((fn) => [fn.logicalId, (payload: unknown) => invokeFunction(fn, payload)]),
  );
  // Every way a definition may name a function (logical id, name, ARN) leads to its logical id.
  const lambdaIndex = new Map<string, string>();
  for (const fn of functions) for (const alias of [fn.logicalId, fn.name, fn.arn]) lambdaIndex.set(alias, fn.logicalId);
  for (const machine of resources.ofType('AWS::StepFunctions::StateMachine')) {
    const properties = machine.properties;
    const source = properties.DefinitionString ?? JSON.stringify(properties.Definition ?? null);
    const text = resources.resolve(machine.stackName, source);
    let definition: unknown;
    try {
      definition = typeof text === 'string' ? JSON.parse(text) : text;
    } catch (error) {
      throw new RuntimeStartError(`State machine ${machine.logicalId} has no valid definition`, { cause: error });
    }
    engine.addStateMachine({
      name: machine.attributes.Name ?? machine.logicalId,
      definition: definition as AslDefinition,
      handlers,
      lambdaIndex,
    });
  }
}
