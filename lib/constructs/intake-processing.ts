/**
 * Processing of uploads: an EventBridge rule on the intake bucket's `Object Created` events
 * under `intake/` invokes the on-upload function, with a retry policy and a dead-letter queue
 * for events EventBridge could not deliver (function errors are retried by Lambda and end in
 * the shared failure queue). The function may read and delete intake uploads, write evidence
 * into the vault, use the documents key through S3, write documents, audit events and
 * rate-limit outcomes, call Rekognition DetectFaces and start the verification workflow.
 */
import { fileURLToPath } from 'node:url';
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/adapters/aws/environment.ts';
import type { KycConfig } from '../config.ts';
import type { KycDataResources } from '../stacks/data-stack.ts';
import { DataGrants } from './data-grants.ts';
import { FailureQueue } from './failure-queue.ts';
import { KycFunction, type KycFunctionShared } from './kyc-function.ts';

/** Prefix under which presigned POSTs put uploads (`intake/<verification>/<attempt>/<slot>`). */
export const INTAKE_PREFIX = 'intake/';

export interface IntakeProcessingProps {
  readonly config: KycConfig;
  readonly data: KycDataResources;
  readonly shared: KycFunctionShared;
  /** The verification workflow; can also be given later with `useStateMachine` (none). */
  readonly stateMachine?: sfn.IStateMachine;
  /** Reserved concurrency of the on-upload function (default `config.concurrency.onUpload`, sized to Rekognition's DetectFaces quota). */
  readonly reservedConcurrency?: number;
  /** Memory in MB; image analysis is CPU-bound and CPU scales with memory (1536). */
  readonly memorySize?: number;
  /** Function timeout (60 seconds). */
  readonly timeout?: Duration;
  /** Times EventBridge retries a delivery that failed (8). */
  readonly retryAttempts?: number;
}

/**
 * @example
 * ```ts
 * const intake = new IntakeProcessing(this, 'Intake', { config, data, shared: this.functionShared });
 * intake.useStateMachine(workflow.stateMachine);
 * ```
 */
export class IntakeProcessing extends Construct {
  public readonly onUpload: KycFunction;
  public readonly rule: events.Rule;
  /** Events EventBridge could not deliver to the function after its retries. */
  public readonly deadLetterQueue: FailureQueue;
  private stateMachineSet = false;

  constructor(scope: Construct, id: string, props: IntakeProcessingProps) {
    super(scope, id);
    const { data, shared } = props;

    this.onUpload = new KycFunction(this, 'OnUpload', {
      shared,
      entry: fileURLToPath(new URL('../../lambdas/handlers/events/on-upload.ts', import.meta.url)),
      memorySize: props.memorySize ?? 1536,
      timeout: props.timeout ?? Duration.seconds(60),
      reservedConcurrency: props.reservedConcurrency ?? props.config.concurrency.onUpload,
      nodeModules: ['sharp'],
      description: 'serverless-kyc on-upload: quality gate and evidence vaulting',
      environment: {
        [ENV.verificationsTable]: data.tables.verifications.tableName,
        [ENV.auditTable]: data.tables.auditEvents.tableName,
        [ENV.rateLimitsTable]: data.tables.rateLimits.tableName,
        [ENV.intakeBucket]: data.buckets.intake.bucketName,
        [ENV.vaultBucket]: data.buckets.vault.bucketName,
        [ENV.documentsKeyArn]: data.keys.documents.keyArn,
      },
    });
    const role = this.onUpload.role;
    const grants = new DataGrants(data);
    grants.intakeProcess(role);
    data.access.allowIntakeRead(role);
    grants.vaultWrite(role);
    grants.verificationsRead(role);
    grants.verificationsWrite(role);
    grants.auditAppend(role);
    grants.rateLimitsReadWrite(role);
    // DetectFaces on image bytes has no resource-level permissions: "*" is the only form.
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['rekognition:DetectFaces'], resources: ['*'] }));

    this.deadLetterQueue = new FailureQueue(this, 'UndeliveredUploads', { encryptionKey: data.keys.service });
    this.allowEventBridgeToUseKey(data);
    this.rule = new events.Rule(this, 'ObjectCreated', {
      description: 'Uploads into the intake bucket -> on-upload',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [data.buckets.intake.bucketName] },
          object: { key: [{ prefix: INTAKE_PREFIX }] },
        },
      },
      targets: [
        new targets.LambdaFunction(this.onUpload.fn, {
          retryAttempts: props.retryAttempts ?? 8,
          maxEventAge: Duration.hours(2),
          deadLetterQueue: this.deadLetterQueue.queue,
        }),
      ],
    });

    if (props.stateMachine) this.useStateMachine(props.stateMachine);
    this.suppressJustifiedFindings();
  }

  /** Lets on-upload start `stateMachine` executions and tells it the ARN. */
  public useStateMachine(stateMachine: sfn.IStateMachine): void {
    if (this.stateMachineSet) throw new Error('IntakeProcessing: the state machine is already set');
    this.stateMachineSet = true;
    this.onUpload.fn.addEnvironment(ENV.stateMachineArn, stateMachine.stateMachineArn);
    this.onUpload.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachine.stateMachineArn] }),
    );
  }

  /** The DLQ is encrypted with the service key: EventBridge rules of this account may use it for SQS. */
  private allowEventBridgeToUseKey(data: KycDataResources): void {
    const keyStack = Stack.of(data.keys.service);
    data.keys.service.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeDeadLetterQueues',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': keyStack.account },
          ArnLike: {
            'aws:SourceArn': `arn:${keyStack.partition}:events:${keyStack.region}:${keyStack.account}:rule/*`,
          },
        },
      }),
    );
  }

  private suppressJustifiedFindings(): void {
    NagSuppressions.addResourceSuppressions(
      this.onUpload.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason: 'rekognition:DetectFaces on image bytes supports no resource-level permissions.',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
    NagSuppressions.addResourceSuppressions(
      this.deadLetterQueue,
      [
        {
          id: 'AwsSolutions-SQS3',
          reason:
            'This queue IS the dead-letter queue of the upload rule; a DLQ of a DLQ would only move the same events.',
        },
      ],
      true,
    );
  }
}
