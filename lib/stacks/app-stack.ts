/**
 * The stateless stack: functions, the HTTP API and the verification workflow. It can be
 * destroyed and redeployed at any time; everything stateful lives in the data stack.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { NagSuppressions } from 'cdk-nag';
import type { KycConfig } from '../config.ts';
import { AuditArchive } from '../constructs/audit-archive.ts';
import { FailureQueue } from '../constructs/failure-queue.ts';
import { KycApi } from '../constructs/api.ts';
import { IntakeProcessing } from '../constructs/intake-processing.ts';
import { LivenessIdentity } from '../constructs/liveness-identity.ts';
import { KycFunction, type KycFunctionShared } from '../constructs/kyc-function.ts';
import { KycEdge } from '../constructs/edge.ts';
import { KycOperations } from '../constructs/operations.ts';
import { Reconciler } from '../constructs/reconciler.ts';
import { RecordsPurge } from '../constructs/records-purge.ts';
import { VerificationWorkflow } from '../constructs/verification-workflow.ts';
import type { KycDataResources } from './data-stack.ts';

export interface KycAppStackProps extends StackProps {
  /** Resolved configuration (required). */
  readonly config: KycConfig;
  /** Stateful resources from the data stack (required). */
  readonly data: KycDataResources;
  /**
   * ARN of the CLOUDFRONT-scope web ACL for the edge distribution when `apiWaf.enabled`:
   * `apiWaf.webAclArn`, or the one the `<prefix>-waf` stack creates in us-east-1.
   */
  readonly webAclArn?: string;
  /** Folder of the console's files (`web/console/`), for `consoleHosting`. */
  readonly consoleSourceDir?: string;
}

/**
 * Composes the stateless constructs. Holds the shared async-failure DLQ and the
 * `functionShared` settings every `KycFunction` takes.
 *
 * @example
 * ```ts
 * const app = new KycAppStack(scope, 'kyc-app', { config, data: dataStack.resources });
 * new KycFunction(app, 'Probe', { shared: app.functionShared, entry: handlerEntry('probe') });
 * ```
 */
export class KycAppStack extends Stack {
  /** Dead-letter queue of failed asynchronous invocations of every function. */
  public readonly failureQueue: FailureQueue;
  /** What every `KycFunction` in this stack shares. */
  public readonly functionShared: KycFunctionShared;
  /** Cognito, the HTTP API and one function per route of `HTTP_ROUTES`. */
  public readonly api: KycApi;
  /** Browser credentials for Face Liveness (present when `features.liveness` is on). */
  public readonly livenessIdentity?: LivenessIdentity;
  /** The on-upload function and its EventBridge rule; give it the workflow with `useStateMachine`. */
  public readonly intake: IntakeProcessing;
  /** The verification workflow (Step Functions); its ARN goes to the intake as `STATE_MACHINE_ARN`. */
  public readonly workflow: VerificationWorkflow;
  /** The scheduled reconciler (lost uploads, stalled workflows, lost review tokens, ended cooldowns). */
  public readonly reconciler: Reconciler;
  /** The scheduled deletion job (evidence and records whose retention ended). */
  public readonly recordsPurge: RecordsPurge;
  /** The audit table's stream -> locked archive files, and signed hourly digests of them. */
  public readonly auditArchive: AuditArchive;
  /** Dashboard, alarms and the alarm topic operators subscribe to. */
  public readonly operations: KycOperations;
  /** CloudFront in front of the API (with WAF) and the console site, when either is configured. */
  public readonly edge?: KycEdge;

  constructor(scope: Construct, id: string, props: KycAppStackProps) {
    super(scope, id, {
      description: 'serverless-kyc stateless resources: functions, API, verification workflow',
      ...props,
    });
    const { config, data } = props;

    this.failureQueue = new FailureQueue(this, 'AsyncFailures', { encryptionKey: data.keys.service });
    this.functionShared = { config, logKey: data.keys.service, failureQueue: this.failureQueue.queue };

    NagSuppressions.addResourceSuppressions(
      this.failureQueue,
      [
        {
          id: 'AwsSolutions-SQS3',
          reason:
            'This queue IS the dead-letter destination of failed asynchronous Lambda invocations; a DLQ of a DLQ would only move the same messages.',
        },
      ],
      true,
    );

    this.workflow = new VerificationWorkflow(this, 'Workflow', { config, data, shared: this.functionShared });
    this.api = new KycApi(this, 'Api', {
      config,
      data,
      shared: this.functionShared,
      stateMachine: this.workflow.stateMachine,
    });
    if (config.features.liveness) {
      this.livenessIdentity = new LivenessIdentity(this, 'LivenessIdentity', {
        config,
        userPool: this.api.userPool,
        userPoolClient: this.api.userPoolClient,
      });
    }
    this.intake = new IntakeProcessing(this, 'Intake', {
      config,
      data,
      shared: this.functionShared,
      stateMachine: this.workflow.stateMachine,
    });
    this.auditArchive = new AuditArchive(this, 'AuditArchive', { config, data, shared: this.functionShared });

    this.reconciler = new Reconciler(this, 'Reconciler', {
      config,
      data,
      shared: this.functionShared,
      stateMachineArn: this.workflow.stateMachineArn,
      failureQueue: this.failureQueue.queue,
    });
    this.recordsPurge = new RecordsPurge(this, 'RecordsPurge', {
      config,
      data,
      shared: this.functionShared,
      failureQueue: this.failureQueue.queue,
    });

    if (config.consoleHosting.enabled || config.apiWaf.enabled) {
      this.edge = new KycEdge(this, 'Edge', {
        config,
        api: this.api,
        renditionsBucket: data.buckets.renditions,
        ...(props.webAclArn ? { webAclArn: props.webAclArn } : {}),
        ...(props.consoleSourceDir ? { consoleSourceDir: props.consoleSourceDir } : {}),
      });
    }

    // Operations last: the dashboard shows every function and dead-letter queue defined above.
    const functions = this.node
      .findAll()
      .filter((construct): construct is KycFunction => construct instanceof KycFunction)
      .map((fn) => ({ label: fn.node.path.split('/').slice(1).join('/'), fn: fn.fn }));
    this.operations = new KycOperations(this, 'Operations', {
      config,
      topicKey: data.keys.alarms,
      stateMachine: this.workflow.stateMachine,
      functions,
      queueAlarms: [
        { label: 'AsyncFailures', alarm: this.failureQueue.alarm, queue: this.failureQueue.queue },
        {
          label: 'UndeliveredUploads',
          alarm: this.intake.deadLetterQueue.alarm,
          queue: this.intake.deadLetterQueue.queue,
        },
      ],
      deadLetterQueues: this.workflow.webhook ? [{ label: 'Webhooks', queue: this.workflow.webhook.dlq }] : [],
    });

    // ------------------------------------------------------------------------------------
    // STATELESS CONSTRUCTS GO HERE. Each takes `this.functionShared` for its KycFunctions and
    // `data` for the resources it is granted, e.g.:
    //   new KycApi(this, 'Api', { config, data, shared: this.functionShared });
    //   new VerificationWorkflow(this, 'Workflow', { config, data, shared: this.functionShared });
    // Keep this stack deployable at every commit: it must synthesize with only the queue above.
    // ------------------------------------------------------------------------------------
  }
}
