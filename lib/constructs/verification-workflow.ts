/**
 * The verification workflow (PRODUCT §3, §4): a Standard Step Functions state machine
 * (task tokens and 24-hour waits need Standard) over one small Lambda function per step.
 *
 *   Start -> LoadAttempt -> Checks (Parallel: FaceMatch | Liveness | DocumentData | Duplicates)
 *     -> Decide -> Outcome? approve -> FinalizeApprove -> Approved
 *                           reject  -> FinalizeReject -> InCooldown? yes -> CooldownWait -> Reopen -> Reopened
 *                                                                    no  -> Rejected
 *                           review  -> AwaitReview (.waitForTaskToken, timeout = SLA)
 *                                        States.Timeout -> EscalateReview (.waitForTaskToken, loops on timeout)
 *                                        -> ReviewOutcome? approve -> FinalizeApprove, reject -> FinalizeReject
 *
 * Every Task retries Lambda service errors, throttling and 5xx with exponential backoff and full
 * jitter; a check that still fails becomes `{kind: 'error', cause}` for the decision policy
 * (manual review with a recorded cause), and any other step that still fails is caught into
 * AwaitReview with `$.error` — so no verification is ever left in `processing`.
 *
 * No path loops without bound: every Catch that leads back to review passes `CountFailure`
 * (`$.failures.count`, set to 0 by `Start`), and the `maxFailures`-th caught failure ends the
 * execution in the terminal `Exceptions` state instead (the review task is already in the
 * `exceptions` queue for an operator). A load of an attempt that is no longer the live one
 * (`StaleAttemptError`: superseded by a newer attempt, or the verification is approved and
 * frozen) ends at once in the terminal `StaleAttempt` state: nothing of it is decided. The only
 * other cycle is the SLA escalation, which waits a whole SLA per round.
 *
 * The payload is ids, scores and reason codes only (JSONPath, `payloadResponseOnly` for the
 * request-response tasks, so each result is the function's return value). Execution logs go to
 * a KMS-encrypted log group at level ALL without execution data: every transition, retry and
 * catch is visible to operators, and no payload is copied into logs. X-Ray tracing is on.
 *
 * @example
 * ```ts
 * const workflow = new VerificationWorkflow(this, 'Workflow', { config, data, shared: this.functionShared });
 * workflow.grantStartExecution(onUpload.fn);
 * ```
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/adapters/aws/environment.ts';
import {
  EVENT_SOURCE,
  REVIEW_ESCALATED,
  STATUS_CHANGED,
} from '../../lambdas/adapters/aws/eventbridge-status-events.ts';
import { REKOGNITION_CALLERS, type KycConfig } from '../config.ts';
import { dataResourceEnvironment, type KycDataResources } from '../stacks/data-stack.ts';
import { DataGrants } from './data-grants.ts';
import { handlerEntry, KycFunction, logRetention, type KycFunctionShared } from './kyc-function.ts';

/** Environment variable naming the workflow step a function runs (the local runtime maps by it). */
export const WORKFLOW_TASK_ENV = 'KYC_WORKFLOW_TASK';

/** The workflow's Lambda steps: construct id -> handler file under `lambdas/handlers/workflow/`. */
export const WORKFLOW_STEPS = {
  LoadAttempt: 'load-attempt',
  FaceMatch: 'face-match',
  Liveness: 'liveness',
  DocumentData: 'document-data',
  Duplicates: 'duplicates',
  Decide: 'decide',
  FinalizeApprove: 'finalize-approve',
  FinalizeReject: 'finalize-reject',
  ReviewTask: 'review-task',
  ReviewEscalate: 'review-escalate',
  Reopen: 'reopen',
} as const;
export type WorkflowStepId = keyof typeof WORKFLOW_STEPS;

/**
 * Errors worth retrying: Lambda service errors and throttling, AWS SDK throttling and 5xx
 * errors raised by the handlers, and lost optimistic-concurrency races.
 */
export const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.Unknown',
  'ThrottlingException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'InternalServerError',
  'InternalServerErrorException',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'KMSInternalException',
  'TimeoutError',
  'TransactionConflictException',
  'WorkflowConflictError',
  'RateLimitContentionError',
  'AuditAppendError',
  // The applicant has not finished the Face Liveness challenge yet (the Liveness step already
  // waited 20 s). Seven such waits and the retry intervals span about the session's 3-minute
  // life; a session still open after them goes to review with its cause.
  'LivenessSessionPendingError',
];

export interface VerificationWorkflowProps {
  /** Resolved configuration (required): thresholds, SLA, feature switches, retention. */
  readonly config: KycConfig;
  /** Keys, buckets, tables and bus of the data stack (required). */
  readonly data: KycDataResources;
  /** Settings every `KycFunction` shares (required). */
  readonly shared: KycFunctionShared;
  /** Retry attempts per Task for transient errors (6). */
  readonly retryAttempts?: number;
  /** First retry interval (2 seconds); doubles each time, capped at `maxRetryDelay`, full jitter. */
  readonly retryInterval?: Duration;
  /** Largest retry interval (1 minute). */
  readonly maxRetryDelay?: Duration;
  /** Caught step failures after which an execution ends in `Exceptions` instead of review (3). */
  readonly maxFailures?: number;
}

export class VerificationWorkflow extends Construct {
  /** The Standard state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** Its name (fixed, so grants can name it without a dependency cycle). */
  public readonly stateMachineName: string;
  /** Its ARN, built from the name. */
  public readonly stateMachineArn: string;
  /** Id of the face collection for duplicate search (stateful: it lives in the data stack). */
  public readonly faceCollectionId: string;
  /** ARN of that collection, for the Rekognition grants. */
  public readonly faceCollectionArn: string;
  /** One function per step. */
  public readonly functions: Readonly<Record<WorkflowStepId, KycFunction>>;
  /** KMS-encrypted execution log group. */
  public readonly logGroup: logs.LogGroup;
  /** The webhook deliverer, when `config.features.webhooks` is on. */
  public readonly webhook?: {
    readonly fn: KycFunction;
    readonly secret: secretsmanager.Secret;
    readonly dlq: sqs.Queue;
  };

  constructor(scope: Construct, id: string, props: VerificationWorkflowProps) {
    super(scope, id);
    const { config, data, shared } = props;
    const stack = Stack.of(this);

    // The collection holds biometric vectors of verified users: stateful and retained, so it is
    // created by the data stack; a RETAINed copy here would be orphaned by every app-stack
    // replacement and block the next deploy with "already exists".
    this.faceCollectionId = data.faceCollection.collectionId;
    this.faceCollectionArn = data.faceCollection.collectionArn;
    this.stateMachineName = `${config.prefix}-verification`;
    this.stateMachineArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: this.stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    const environment = {
      ...dataResourceEnvironment(data),
      [ENV.faceCollectionId]: this.faceCollectionId,
      [ENV.stateMachineArn]: this.stateMachineArn,
    };
    const functionScope = new Construct(this, 'Steps');
    // Steps calling Rekognition get the reserved concurrency its TPS quotas allow (lib/config.ts).
    const rekognitionSteps = new Set(
      REKOGNITION_CALLERS.filter((entry) => entry.caller === 'rekognitionSteps').map((entry) => entry.step),
    );
    const make = (stepId: WorkflowStepId, memorySize = 512) =>
      new KycFunction(functionScope, stepId, {
        shared,
        entry: handlerEntry(`workflow/${WORKFLOW_STEPS[stepId]}`),
        environment: { ...environment, [WORKFLOW_TASK_ENV]: WORKFLOW_STEPS[stepId] },
        memorySize,
        timeout: Duration.seconds(60),
        ...(rekognitionSteps.has(stepId) ? { reservedConcurrency: config.concurrency.rekognitionSteps } : {}),
      });
    const fns = {} as Record<WorkflowStepId, KycFunction>;
    for (const stepId of Object.keys(WORKFLOW_STEPS) as WorkflowStepId[]) fns[stepId] = make(stepId);
    this.functions = fns;
    this.grantSteps(props);

    this.logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `/aws/vendedlogs/states/${this.stateMachineName}`,
      encryptionKey: data.keys.service,
      retention: logRetention(config.retention.logDays),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: this.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      queryLanguage: sfn.QueryLanguage.JSON_PATH,
      definitionBody: sfn.DefinitionBody.fromChainable(this.definition(props)),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      comment: 'serverless-kyc verification: checks, decision, manual review with SLA escalation, cooldown',
    });
    for (const stepId of ['ReviewTask', 'ReviewEscalate'] as const) {
      fns[stepId].fn.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [this.stateMachineArn] }),
      );
    }

    if (config.features.webhooks) this.webhook = this.webhookDeliverer(props);
    this.suppressNagFindings();
  }

  /** Lets `grantee` start executions (the on-upload function). */
  public grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['states:StartExecution'],
      resourceArns: [this.stateMachineArn],
    });
  }

  /** Lets `grantee` complete review tasks (the review decision route). */
  public grantCompleteReview(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
      resourceArns: [this.stateMachineArn],
    });
  }

  private definition(props: VerificationWorkflowProps): sfn.IChainable {
    const { config } = props;
    const fns = this.functions;
    const retry: sfn.RetryProps = {
      errors: TRANSIENT_ERRORS,
      interval: props.retryInterval ?? Duration.seconds(2),
      maxAttempts: props.retryAttempts ?? 6,
      backoffRate: 2,
      maxDelay: props.maxRetryDelay ?? Duration.minutes(1),
      jitterStrategy: sfn.JitterType.FULL,
    };
    const invoke = (id: string, stepId: WorkflowStepId, resultPath: string) =>
      new tasks.LambdaInvoke(this, id, {
        lambdaFunction: fns[stepId].fn,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        resultPath,
        comment: `lambdas/handlers/workflow/${WORKFLOW_STEPS[stepId]}.ts`,
      }).addRetry(retry);
    const slaSeconds = Math.round(config.review.slaDays * 24 * 3600);
    const awaitTask = (id: string, stepId: WorkflowStepId) =>
      new tasks.LambdaInvoke(this, id, {
        lambdaFunction: fns[stepId].fn,
        integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload: sfn.TaskInput.fromObject({ taskToken: sfn.JsonPath.taskToken, state: sfn.JsonPath.entirePayload }),
        taskTimeout: sfn.Timeout.duration(Duration.seconds(slaSeconds)),
        retryOnServiceExceptions: false,
        resultPath: '$.review',
        comment: `Waits for a reviewer's decision (SLA ${config.review.slaDays} days)`,
      }).addRetry(retry);

    // Manual review: opened by the policy or by any step that failed after its retries.
    const awaitReview = awaitTask('AwaitReview', 'ReviewTask');
    const escalate = awaitTask('EscalateReview', 'ReviewEscalate');
    const reviewUnavailable = new sfn.Fail(this, 'ReviewUnavailable', {
      error: 'ReviewUnavailable',
      cause: 'The manual-review task could not be opened after retries; the case needs operator attention',
    });
    for (const task of [awaitReview, escalate]) {
      task.addCatch(escalate, { errors: ['States.Timeout'], resultPath: '$.timeout' });
      task.addCatch(reviewUnavailable, { errors: ['States.ALL'], resultPath: '$.error' });
    }
    // Every failure that leads back to review is counted; a few of them end the execution.
    const maxFailures = props.maxFailures ?? 3;
    const exceptions = new sfn.Fail(this, 'Exceptions', {
      error: 'WorkflowExceptions',
      cause: `Steps failed ${maxFailures} times; the case is in the exceptions review queue for an operator`,
    });
    const countFailure = new sfn.Pass(this, 'CountFailure', {
      parameters: { 'count.$': 'States.MathAdd($.failures.count, 1)' },
      resultPath: '$.failures',
      comment: 'Counts caught step failures so that no catch can loop back to review for ever',
    });
    countFailure.next(
      new sfn.Choice(this, 'FailureBudget')
        .when(sfn.Condition.numberGreaterThanEquals('$.failures.count', maxFailures), exceptions)
        .otherwise(awaitReview),
    );
    const toReview = (task: sfn.TaskStateBase) =>
      task.addCatch(countFailure, { errors: ['States.ALL'], resultPath: '$.error' });

    const finalizeApprove = toReview(invoke('FinalizeApprove', 'FinalizeApprove', '$.approval'));
    finalizeApprove.next(new sfn.Succeed(this, 'Approved'));
    const reopen = toReview(invoke('Reopen', 'Reopen', '$.reopen'));
    reopen.next(new sfn.Succeed(this, 'Reopened'));
    const cooldownWait = new sfn.Wait(this, 'CooldownWait', {
      time: sfn.WaitTime.timestampPath('$.rejection.cooldownUntil'),
      comment: 'Forced cooldown after consecutive failures (PRODUCT §4)',
    });
    const finalizeReject = toReview(invoke('FinalizeReject', 'FinalizeReject', '$.rejection'));
    finalizeReject.next(
      new sfn.Choice(this, 'InCooldown')
        .when(sfn.Condition.isPresent('$.rejection.cooldownUntil'), cooldownWait.next(reopen))
        .otherwise(new sfn.Succeed(this, 'Rejected')),
    );
    const reviewOutcome = new sfn.Choice(this, 'ReviewOutcome')
      .when(sfn.Condition.stringEquals('$.review.decision', 'approve'), finalizeApprove)
      .otherwise(finalizeReject);
    awaitReview.next(reviewOutcome);
    escalate.next(reviewOutcome);

    // Independent checks in parallel; a check that fails after retries reports {kind: 'error'}.
    const check = (id: string, stepId: WorkflowStepId) => {
      const task = invoke(id, stepId, '$');
      const failed = new sfn.Pass(this, `${id}Failed`, {
        parameters: { kind: 'error', cause: sfn.JsonPath.stringAt('$.error.Error') },
      });
      task.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });
      return task;
    };
    const checks = new sfn.Parallel(this, 'Checks', {
      resultPath: '$.checks',
      resultSelector: {
        'faceMatch.$': '$[0]',
        'liveness.$': '$[1]',
        'document.$': '$[2]',
        'duplicates.$': '$[3]',
      },
    })
      .branch(check('FaceMatch', 'FaceMatch'))
      .branch(check('Liveness', 'Liveness'))
      .branch(check('DocumentData', 'DocumentData'))
      .branch(check('Duplicates', 'Duplicates'));
    checks.addCatch(countFailure, { errors: ['States.ALL'], resultPath: '$.error' });

    const decideTask = toReview(invoke('Decide', 'Decide', '$.decision'));
    const outcome = new sfn.Choice(this, 'Outcome')
      .when(sfn.Condition.stringEquals('$.decision.outcome', 'approve'), finalizeApprove)
      .when(sfn.Condition.stringEquals('$.decision.outcome', 'reject'), finalizeReject)
      .otherwise(awaitReview);

    const stale = new sfn.Fail(this, 'StaleAttempt', {
      error: 'StaleAttemptError',
      cause: 'The attempt is no longer the live one (superseded, or the verification is approved); nothing is decided',
    });
    const load = toReview(
      invoke('LoadAttempt', 'LoadAttempt', '$.context').addCatch(stale, {
        errors: ['StaleAttemptError'],
        resultPath: '$.error',
      }),
    );
    const start = new sfn.Pass(this, 'Start', {
      result: sfn.Result.fromObject({ count: 0 }),
      resultPath: '$.failures',
      comment: 'No caught step failure yet',
    });
    return start.next(load).next(checks).next(decideTask).next(outcome);
  }

  /** Least-privilege grants of each step function. */
  private grantSteps(props: VerificationWorkflowProps): void {
    const { data } = props;
    const fns = this.functions;
    const grants = new DataGrants(data);
    const region = Stack.of(this).region;
    const verifications = data.tables.verifications;
    const tableResources = [verifications.tableArn, `${verifications.tableArn}/index/*`];
    const table = (fn: KycFunction, actions: string[]) => {
      fn.fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: tableResources }));
      // The table's key, only through DynamoDB.
      fn.fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
          resources: [data.keys.service.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` } },
        }),
      );
    };
    // Append-only through PartiQL INSERT: no role of the workflow can overwrite an audit event.
    const audit = (fn: KycFunction) => grants.auditAppend(fn.role);
    // Rekognition reads S3Object images with the caller's permissions, through the documents key.
    const readVault = (fn: KycFunction) => grants.vaultRead(fn.role);
    const rekognitionAny = (fn: KycFunction, actions: string[]) =>
      // These Rekognition actions support no resource-level permissions (Service Authorization Reference).
      fn.fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: ['*'] }));
    const rekognitionCollection = (fn: KycFunction, actions: string[]) =>
      fn.fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [this.faceCollectionArn] }));
    const rateLimits = (fn: KycFunction) => {
      fn.fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          resources: [data.tables.rateLimits.tableArn],
        }),
      );
    };
    const publish = (fn: KycFunction, detailTypes: readonly string[] = [STATUS_CHANGED]) =>
      grants.busPublish(fn.role, detailTypes);
    const READ = ['dynamodb:GetItem', 'dynamodb:Query'];
    const WRITE = [...READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

    table(fns.LoadAttempt, WRITE);
    audit(fns.LoadAttempt);

    table(fns.FaceMatch, [...READ, 'dynamodb:PutItem']);
    audit(fns.FaceMatch);
    readVault(fns.FaceMatch);
    rekognitionAny(fns.FaceMatch, ['rekognition:CompareFaces']);

    table(fns.Liveness, [...READ, 'dynamodb:PutItem']);
    audit(fns.Liveness);
    readVault(fns.Liveness);
    rekognitionAny(fns.Liveness, ['rekognition:GetFaceLivenessSessionResults', 'rekognition:CompareFaces']);
    rekognitionCollection(fns.Liveness, ['rekognition:SearchFacesByImage']);
    // Session images: read from the short-lived intake prefix, copied into the vault (the attempt
    // is going to a decision) and deleted from intake, all under the documents key.
    fns.Liveness.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:DeleteObject'],
        resources: [data.buckets.intake.arnForObjects('liveness/*')],
      }),
    );
    fns.Liveness.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [data.buckets.vault.arnForObjects('liveness/*')],
      }),
    );
    fns.Liveness.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey'],
        resources: [data.keys.documents.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
      }),
    );

    table(fns.DocumentData, [...READ, 'dynamodb:PutItem']);
    audit(fns.DocumentData);
    readVault(fns.DocumentData);
    rekognitionAny(fns.DocumentData, ['rekognition:DetectText']);
    data.keys.documentNumberHmac.grant(fns.DocumentData.fn, 'kms:GenerateMac');
    // Personal data is decrypted here only, and only under its encryption context.
    grants.personalDataOpen(fns.DocumentData.role);

    table(fns.Duplicates, [...READ, 'dynamodb:PutItem']);
    audit(fns.Duplicates);
    readVault(fns.Duplicates);
    // IndexFaces before SearchFacesByImage: two accounts with one face find each other (duplicates.ts).
    rekognitionCollection(fns.Duplicates, ['rekognition:IndexFaces', 'rekognition:SearchFacesByImage']);

    table(fns.Decide, ['dynamodb:PutItem']);
    audit(fns.Decide);

    table(fns.FinalizeApprove, WRITE);
    audit(fns.FinalizeApprove);
    readVault(fns.FinalizeApprove);
    rekognitionCollection(fns.FinalizeApprove, ['rekognition:IndexFaces']);
    rateLimits(fns.FinalizeApprove);
    publish(fns.FinalizeApprove);

    table(fns.FinalizeReject, WRITE);
    audit(fns.FinalizeReject);
    // The rejected attempt's face leaves the collection (finalize-reject.ts).
    rekognitionCollection(fns.FinalizeReject, ['rekognition:DeleteFaces']);
    rateLimits(fns.FinalizeReject);
    publish(fns.FinalizeReject);

    for (const fn of [fns.ReviewTask, fns.ReviewEscalate, fns.Reopen]) {
      table(fn, WRITE);
      audit(fn);
    }
    publish(fns.ReviewTask);
    publish(fns.ReviewEscalate, [REVIEW_ESCALATED, STATUS_CHANGED]);
    publish(fns.Reopen);
  }

  /** Signed webhook delivery of status changes (EventBridge rule -> function, retries, DLQ). */
  private webhookDeliverer(props: VerificationWorkflowProps) {
    const { data, shared } = props;
    const secret = new secretsmanager.Secret(this, 'WebhookSecret', {
      description: 'serverless-kyc webhook signing secret (HMAC-SHA256); share with the webhook receiver',
      encryptionKey: data.keys.service,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const fn = new KycFunction(this, 'WebhookDeliverer', {
      shared,
      entry: handlerEntry('events/webhook-deliverer'),
      environment: { [ENV.webhookSecretArn]: secret.secretArn },
      timeout: Duration.seconds(30),
      memorySize: 256,
    });
    // Identity-policy grants only: `secret.grantRead` would add the role to the data key's policy
    // in the data stack, a reference from the data stack back to this one (a dependency cycle).
    fn.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [secret.secretArn],
      }),
    );
    fn.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [data.keys.service.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    // Events hold ids, status and reason codes only, so SQS-managed encryption suffices and
    // EventBridge needs no access to a customer key to deliver failures here.
    const dlq = new sqs.Queue(this, 'WebhookDlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    new events.Rule(this, 'WebhookRule', {
      eventBus: data.bus,
      description: 'Status changes to the signed webhook deliverer',
      eventPattern: { source: [EVENT_SOURCE], detailType: [STATUS_CHANGED] },
    }).addTarget(
      new targets.LambdaFunction(fn.fn as lambda.IFunction, {
        retryAttempts: 8,
        maxEventAge: Duration.hours(24),
        deadLetterQueue: dlq,
      }),
    );
    NagSuppressions.addResourceSuppressions(secret, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'The webhook secret is shared with the integrator out of band; rotating it needs their receiver to accept ' +
          'both secrets, so rotation is an operator procedure, not an automatic Lambda rotation.',
      },
    ]);
    NagSuppressions.addResourceSuppressions(dlq, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is the dead-letter queue of the webhook rule target.' },
    ]);
    return { fn, secret, dlq };
  }

  private suppressNagFindings(): void {
    for (const fn of Object.values(this.functions)) {
      NagSuppressions.addResourceSuppressions(
        fn.role,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'Rekognition CompareFaces, DetectText and GetFaceLivenessSessionResults support no resource-level ' +
              'permissions (Resource "*" is the only form); vault reads are limited to the one bucket (object ' +
              'wildcard) and table queries to its indexes.',
            appliesTo: [
              'Resource::*',
              { regex: '/^Resource::<.*Vault.*\\.Arn>\\/\\*$/g' },
              { regex: '/^Resource::<.*Verifications.*\\.Arn>\\/index\\/\\*$/g' },
              { regex: '/^Resource::.*\\/index\\/\\*$/g' },
              { regex: '/^Resource::.*\\/\\*$/g' },
            ],
          },
        ],
        true,
      );
    }
    NagSuppressions.addResourceSuppressions(
      this.stateMachine,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'CDK grants the state machine lambda:InvokeFunction on each step function and its versions (":*"), and ' +
            'X-Ray/CloudWatch Logs delivery actions that support no resource-level permissions.',
          appliesTo: [{ regex: '/^Resource::<WorkflowSteps[A-Za-z]+Function[0-9A-F]{8}\\.Arn>:\\*$/g' }, 'Resource::*'],
        },
      ],
      true,
    );
  }
}
