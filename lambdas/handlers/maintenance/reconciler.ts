/**
 * The reconciler: a safety net that finds work a lost event, a dead-lettered event or a stopped
 * workflow left behind, and puts it back on its way. EventBridge Scheduler runs it every
 * `reconciler.everyMinutes` in AWS; the local runtime runs it at start-up and on the same period.
 *
 * Four jobs, each action audited on the verification's chain (`reconciler.*`, actor
 * `system:reconciler`) and counted in a metric (namespace `serverless-kyc`, one metric per
 * action); nothing is dropped silently:
 * 1. Intake objects older than `intakeAgeMinutes` with no document record: re-driven through
 *    on-upload by copying the object onto itself (S3 emits a fresh `Object Created` event, in
 *    AWS and locally alike; on-upload is idempotent).
 * 2. Attempts in `processing` for `processingAgeMinutes` whose execution is not RUNNING: the
 *    execution is started (a lost start) or started again under `<attempt>-rc<n>`; after
 *    `maxRestarts` restarts the attempt is routed to manual review with the cause instead.
 * 3. Cases in `manual_review` whose review lost its execution, assigned or not, each by a review
 *    execution `<attempt>-rv<n>` (its first step refuses the attempt under review with
 *    `ReviewPendingError`, which the workflow routes into AwaitReview):
 *    - an open review task whose token no longer waits is re-armed (a new token for the same
 *      task, reasons, queue and assignee kept);
 *    - a decision recorded more than `processingAgeMinutes` ago while no execution of the
 *      attempt runs (the execution ended in `Exceptions` after its failure budget, or the
 *      decision found the token gone and was answered 202) is handed on; if carrying it out
 *      fails again, the workflow reopens the review in the `exceptions` queue with the failed
 *      decision beside it. Each round needs a person's decision, so none of it loops;
 *    - a latest attempt with no review task (routed to review by job 2, then the start of its
 *      review execution failed), still for `processingAgeMinutes` with nothing running, gets
 *      its review opened.
 * 4. Verifications in `cooldown` more than `cooldownGraceMinutes` past its end: reopened
 *    exactly as the workflow's Reopen step does.
 *
 * @example
 * ```ts
 * const report = await reconcile(deps);
 * // { intakeRedriven: 0, executionsStarted: 1, routedToReview: 0, reviewsRearmed: 0, cooldownsEnded: 0, decisionsRedriven: 0, ... }
 * ```
 */
import middy from '@middy/core';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { S3RestClient } from '../../adapters/aws/s3-rest-client.ts';
import type { KycConfig } from '../../../lib/config.ts';
import { DynamoDbAuditLog } from '../../adapters/aws/dynamodb-audit-log.ts';
import { configFromEnv, requireEnv } from '../../adapters/aws/environment.ts';
import { EventBridgeStatusEvents } from '../../adapters/aws/eventbridge-status-events.ts';
import { PowertoolsOperationalMetrics } from '../../adapters/aws/powertools-metrics.ts';
import { SfnExecutions } from '../../adapters/aws/sfn-executions.ts';
import { VerificationRepository } from '../../adapters/aws/verification-repository.ts';
import { DynamoDbWorkflowStore } from '../../adapters/aws/workflow-repository.ts';
import { OPERATIONAL_METRICS } from '../../domain/operational-metrics.ts';
import type { AttemptRecord, VerificationRecord } from '../../domain/records.ts';
import type { Slot } from '../../domain/verification.ts';
import type { AuditLog } from '../../ports/audit-log.ts';
import { systemClock, type Clock } from '../../ports/clock.ts';
import type { OperationalMetrics } from '../../ports/operational-metrics.ts';
import type { ReviewTask } from '../../ports/workflow-store.ts';
import { parseIntakeKey } from '../../domain/intake-key.ts';
import { logger } from '../shared/logger.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { reopenStep, type ReopenDeps } from '../workflow/reopen.ts';
import { parseState } from '../workflow/state.ts';
import { changeStatus } from '../workflow/support.ts';

const ACTOR = 'system:reconciler';
/** Most records one run looks at per job (the next run picks up the rest). */
const BATCH = 200;
/**
 * Most cases in manual review one run looks at for job 3 (oldest status change first). Larger
 * than BATCH: a review backlog is every case waiting for a person, and one that lost its
 * execution may sit anywhere in it, since the order follows entry into review, not the loss.
 * Each case costs two reads and, for an open review, one `SendTaskHeartbeat`.
 */
const REVIEW_BATCH = 2_000;
const MINUTE_MS = 60_000;
/** Most restart or review executions (`<attempt>-rc<n>`, `<attempt>-rv<n>`) of each kind one attempt gets. */
const NAMED_EXECUTIONS = 20;

export interface IntakeObject {
  readonly key: string;
  readonly lastModified: Date;
}

export interface ReconcilerDeps {
  readonly config: KycConfig;
  readonly clock: Clock;
  readonly intake: {
    /** Objects under `intake/`. */
    list(): Promise<IntakeObject[]>;
    /** Makes S3 emit a new `Object Created` event for the object (copy onto itself). */
    redrive(key: string): Promise<void>;
  };
  readonly repository: Pick<
    VerificationRepository,
    'listByStatus' | 'countByStatus' | 'getVerification' | 'listAttempts' | 'getDocument' | 'transitionAttempt'
  >;
  readonly reviews: {
    /** The newest review task of a verification, decided or not. */
    latest(verificationId: string): Promise<ReviewTask | undefined>;
  };
  readonly executions: Pick<SfnExecutions, 'status' | 'start' | 'isTokenWaiting'>;
  readonly audit: Pick<AuditLog, 'append'>;
  /** What the Reopen step needs to end a cooldown, and the status change to manual review. */
  readonly workflow: ReopenDeps;
  /** Counts one action (a CloudWatch metric in AWS). */
  readonly count: (metric: string) => void;
  /** The operations dashboard's gauges (the review queue depth, measured every run); none: not measured. */
  readonly metrics?: OperationalMetrics;
}

export interface ReconcileReport {
  readonly intakeRedriven: number;
  readonly executionsStarted: number;
  readonly routedToReview: number;
  readonly reviewsRearmed: number;
  readonly cooldownsEnded: number;
  readonly decisionsRedriven: number;
  /** Items whose repair failed this time (logged with ids; retried on the next run). */
  readonly failures: number;
}

/** Audits, counts and logs one action of the reconciler on a verification. */
type Act = (
  verificationId: string,
  action: string,
  metric: string,
  details: Record<string, string | number | boolean>,
) => Promise<void>;

/** Runs the four jobs once. One failing item never stops the others. */
export async function reconcile(deps: ReconcilerDeps): Promise<ReconcileReport> {
  const report = {
    intakeRedriven: 0,
    executionsStarted: 0,
    routedToReview: 0,
    reviewsRearmed: 0,
    cooldownsEnded: 0,
    decisionsRedriven: 0,
    failures: 0,
  };
  const guard = async (job: string, ids: Record<string, string>, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      report.failures += 1;
      deps.count('ReconcileFailed');
      logger.error('reconciler action failed', { job, ...ids, error: (error as Error).name });
    }
  };
  const act: Act = async (verificationId, action, metric, details) => {
    await deps.audit.append({ subject: `verification:${verificationId}`, action, actor: ACTOR, details });
    deps.count(metric);
    logger.info('reconciler action', { action, verificationId, ...details });
  };
  const now = deps.clock.now().getTime();
  const { config } = deps;

  // 1. Uploads whose event never arrived (or was dead-lettered).
  for (const object of await deps.intake.list()) {
    if (now - object.lastModified.getTime() < config.reconciler.intakeAgeMinutes * MINUTE_MS) continue;
    const target = parseIntakeKey(object.key);
    await guard('intake', { key: object.key }, async () => {
      if (target) {
        const recorded = await deps.repository.getDocument(target.verificationId, target.attemptId, target.slot);
        // Recorded but still in intake: on-upload deletes the copy when it sees the event again.
        await deps.intake.redrive(object.key);
        report.intakeRedriven += 1;
        await act(target.verificationId, 'reconciler.upload_redriven', 'UploadRedriven', {
          attemptId: target.attemptId,
          slot: target.slot as Slot,
          recorded: recorded !== undefined,
        });
      } else {
        // Not an attempt slot: on-upload audits and deletes it.
        await deps.intake.redrive(object.key);
        report.intakeRedriven += 1;
        deps.count('UploadRedriven');
      }
    });
  }

  // 2. Attempts in processing with no running execution.
  for (const verification of await deps.repository.listByStatus('processing', BATCH)) {
    const attempts = await deps.repository.listAttempts(verification.verificationId);
    for (const { attempt } of attempts) {
      if (attempt.status !== 'processing') continue;
      if (now - Date.parse(attempt.updatedAt) < config.reconciler.processingAgeMinutes * MINUTE_MS) continue;
      await guard('processing', { verificationId: attempt.verificationId, attemptId: attempt.attemptId }, () =>
        restartOrRoute(deps, verification, attempt, report, act),
      );
    }
  }

  // 3. Reviews whose execution is gone, on every case in manual review (assigned or not).
  for (const verification of await deps.repository.listByStatus('manual_review', REVIEW_BATCH)) {
    const { verificationId } = verification;
    await guard('review', { verificationId }, () => repairReview(deps, verificationId, now, report, act));
  }

  // The review queue depth for the operations dashboard (a COUNT query on the status index).
  if (deps.metrics) {
    await guard('queue-depth', {}, async () => {
      deps.metrics?.gauge(OPERATIONAL_METRICS.reviewQueueDepth, await deps.repository.countByStatus('manual_review'));
    });
  }

  // 4. Cooldowns past their end.
  for (const verification of await deps.repository.listByStatus('cooldown', BATCH)) {
    const until = verification.cooldownUntil ? Date.parse(verification.cooldownUntil) : Number.NaN;
    if (!(now - until > config.reconciler.cooldownGraceMinutes * MINUTE_MS)) continue;
    await guard('cooldown', { verificationId: verification.verificationId }, async () => {
      const latest = (await deps.repository.listAttempts(verification.verificationId)).at(-1)?.attempt;
      const result = await reopenStep(
        parseState({ verificationId: verification.verificationId, attemptId: latest?.attemptId ?? 'none' }),
        deps.workflow,
      );
      if (!result.reopened) return;
      report.cooldownsEnded += 1;
      await act(verification.verificationId, 'reconciler.cooldown_ended', 'CooldownEnded', {
        cooldownUntil: verification.cooldownUntil ?? '',
      });
    });
  }

  return report;
}

/**
 * Job 3 on one case in manual review, for its latest attempt, by a review execution
 * `<attempt>-rv<n>`: an open review task whose token no longer waits is re-armed; a decision
 * recorded more than `processingAgeMinutes` ago with no execution of the attempt running is
 * handed on; an attempt with no review task at all (routed to review, then the start of its
 * review execution failed) gets one once it has been still that long with nothing running.
 */
async function repairReview(
  deps: ReconcilerDeps,
  verificationId: string,
  now: number,
  report: { reviewsRearmed: number; decisionsRedriven: number; routedToReview: number },
  act: Act,
): Promise<void> {
  const [attempts, task] = await Promise.all([
    deps.repository.listAttempts(verificationId),
    deps.reviews.latest(verificationId),
  ]);
  const attempt = attempts.at(-1)?.attempt;
  if (!attempt) return;
  const { attemptId } = attempt;
  // The review of the latest attempt (a task of an earlier attempt is history).
  const review = task?.attemptId === attemptId ? task : undefined;
  // Without a review, only an attempt on its way to one (checks done, or routed here) gets one.
  if (!review && attempt.status !== 'manual_review' && attempt.status !== 'processing') return;
  if (review && review.decision === undefined) {
    if (await deps.executions.isTokenWaiting(review.taskToken)) return;
  } else {
    const still = now - Date.parse((review ? review.decidedAt : attempt.updatedAt) ?? '');
    if (!(still >= deps.config.reconciler.processingAgeMinutes * MINUTE_MS)) return;
    if (await executionRunning(deps, attemptId)) return;
  }
  const execution = await startNext(deps, attemptId, 'rv', verificationId);
  if (!execution) throw new Error('no free review execution name');
  if (!review) {
    report.routedToReview += 1;
    await act(verificationId, 'reconciler.routed_to_review', 'RoutedToReview', {
      attemptId,
      cause: 'review_missing',
      execution,
    });
  } else if (review.decision === undefined) {
    report.reviewsRearmed += 1;
    await act(verificationId, 'reconciler.review_rearmed', 'ReviewRearmed', { attemptId, execution });
  } else {
    report.decisionsRedriven += 1;
    await act(verificationId, 'reconciler.decision_redriven', 'DecisionRedriven', {
      attemptId,
      decision: review.decision,
      decidedAt: review.decidedAt ?? '',
      execution,
    });
  }
}

/** Whether any execution of the attempt runs: its own, a restart `-rc<n>` or a review `-rv<n>`. */
async function executionRunning(deps: ReconcilerDeps, attemptId: string): Promise<boolean> {
  if ((await deps.executions.status(attemptId)) === 'RUNNING') return true;
  if ((await countRestarts(deps, attemptId)).includes('RUNNING')) return true;
  for (let n = 1; n <= NAMED_EXECUTIONS; n += 1) {
    const status = await deps.executions.status(`${attemptId}-rv${n}`);
    if (status === undefined) return false;
    if (status === 'RUNNING') return true;
  }
  return false;
}

async function restartOrRoute(
  deps: ReconcilerDeps,
  verification: VerificationRecord,
  attempt: AttemptRecord,
  report: { executionsStarted: number; routedToReview: number },
  act: Act,
): Promise<void> {
  const { verificationId, attemptId } = attempt;
  const status = await deps.executions.status(attemptId);
  if (status === 'RUNNING') return;
  const restarts = await countRestarts(deps, attemptId);
  if (restarts.includes('RUNNING')) return;
  if (status === undefined) {
    // The start itself was lost (on-upload recorded everything, then failed to start).
    if (await deps.executions.start(attemptId, { verificationId, attemptId })) {
      report.executionsStarted += 1;
      await act(verificationId, 'reconciler.workflow_restarted', 'WorkflowRestarted', {
        attemptId,
        cause: 'execution_missing',
        execution: attemptId,
      });
    }
    return;
  }
  const cause = `execution_${status.toLowerCase()}`;
  if (restarts.length < deps.config.reconciler.maxRestarts) {
    const name = await startNext(deps, attemptId, 'rc', verificationId);
    if (!name) return;
    report.executionsStarted += 1;
    await act(verificationId, 'reconciler.workflow_restarted', 'WorkflowRestarted', {
      attemptId,
      cause,
      execution: name,
    });
    return;
  }
  // Restarted often enough: a person looks at it. The verification moves first: stopped after
  // it, the case is in manual review, where job 3 finds an attempt without a review (stopped
  // between the attempt and the verification, it would be in neither job's sight).
  if (verification.status === 'processing') {
    await changeStatus(deps.workflow, verificationId, 'manual_review', 'automatic_decision', {
      reasons: ['MANUAL_REVIEW_REQUIRED'],
    });
  }
  await deps.repository.transitionAttempt(verificationId, attemptId, ['processing'], {
    status: 'manual_review',
    reasons: ['MANUAL_REVIEW_REQUIRED'],
  });
  const name = await startNext(deps, attemptId, 'rv', verificationId);
  report.routedToReview += 1;
  await act(verificationId, 'reconciler.routed_to_review', 'RoutedToReview', {
    attemptId,
    cause: `${cause}_after_${restarts.length}_restarts`,
    execution: name ?? '',
  });
}

/** Statuses of the restarts `<attempt>-rc1..n` made so far. */
async function countRestarts(deps: ReconcilerDeps, attemptId: string): Promise<string[]> {
  const statuses: string[] = [];
  for (let n = 1; n <= deps.config.reconciler.maxRestarts; n += 1) {
    const status = await deps.executions.status(`${attemptId}-rc${n}`);
    if (status === undefined) break;
    statuses.push(status);
  }
  return statuses;
}

/** Starts `<attempt>-<kind><n>` with the first free n (up to {@link NAMED_EXECUTIONS}); returns the name. */
async function startNext(
  deps: ReconcilerDeps,
  attemptId: string,
  kind: 'rc' | 'rv',
  verificationId: string,
): Promise<string | undefined> {
  for (let n = 1; n <= NAMED_EXECUTIONS; n += 1) {
    const name = `${attemptId}-${kind}${n}`;
    if (await deps.executions.start(name, { verificationId, attemptId })) return name;
  }
  return undefined;
}

/** AWS dependencies from the function's environment. */
export function defaultReconcilerDeps(
  count: (metric: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): ReconcilerDeps {
  const config = configFromEnv(env);
  const tableName = requireEnv('verificationsTable', env);
  const intakeBucket = requireEnv('intakeBucket', env);
  const s3 = new S3RestClient();
  const repository = new VerificationRepository({ tableName });
  const store = new DynamoDbWorkflowStore({ tableName });
  const audit = new DynamoDbAuditLog({ tableName: requireEnv('auditTable', env) });
  return {
    config,
    clock: systemClock,
    intake: {
      async list() {
        const objects: IntakeObject[] = [];
        let token: string | undefined;
        do {
          const page = await s3.listObjectsV2({ Bucket: intakeBucket, Prefix: 'intake/', ContinuationToken: token });
          for (const object of page.Contents ?? []) {
            if (object.Key && object.LastModified) objects.push({ key: object.Key, lastModified: object.LastModified });
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token && objects.length < BATCH);
        return objects;
      },
      async redrive(key) {
        await s3.copyObject({
          Bucket: intakeBucket,
          Key: key,
          CopySource: `${intakeBucket}/${key.split('/').map(encodeURIComponent).join('/')}`,
          MetadataDirective: 'COPY',
          TaggingDirective: 'COPY',
          // Copying an object onto itself needs a change: the storage class is restated.
          StorageClass: 'STANDARD',
        });
      },
    },
    repository,
    reviews: { latest: (verificationId) => store.findLatestReviewTask(verificationId) },
    executions: new SfnExecutions({ stateMachineArn: requireEnv('stateMachineArn', env) }),
    audit,
    workflow: {
      config,
      store,
      audit,
      events: new EventBridgeStatusEvents({ eventBusName: requireEnv('eventBusName', env) }),
      functionName: env.AWS_LAMBDA_FUNCTION_NAME ?? 'reconciler',
    },
    count,
    metrics: new PowertoolsOperationalMetrics({ installation: config.prefix }),
  };
}

/** The scheduled handler (EventBridge Scheduler's event is ignored: the run reads the current state). */
export function createReconcilerHandler(source: DepsSource<ReconcilerDeps>, flush: () => void = () => undefined) {
  const deps = resolveDeps(source);
  return middy(async (): Promise<ReconcileReport> => {
    try {
      const report = await reconcile(deps());
      logger.info('reconciler run done', { ...report });
      return report;
    } finally {
      flush();
    }
  });
}

const metrics = new Metrics({ namespace: 'serverless-kyc', serviceName: 'reconciler' });

export const handler = createReconcilerHandler(
  () => defaultReconcilerDeps((metric) => metrics.addMetric(metric, MetricUnit.Count, 1)),
  () => metrics.publishStoredMetrics(),
);
