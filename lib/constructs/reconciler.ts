/**
 * The reconciler (`lambdas/handlers/maintenance/reconciler.ts`) and its EventBridge Scheduler
 * schedule (every `config.reconciler.everyMinutes`, 15 by default). Least privilege: it reads
 * and updates verification records (and queries their indexes), appends audit events, publishes
 * status events (reopened cooldowns), lists intake uploads and copies one onto itself (which
 * re-sends its upload event), describes the workflow's executions, starts them, and sends
 * heartbeats to test whether a review task token still waits. Failed scheduled invocations go
 * to the given dead-letter queue.
 *
 * @example
 * ```ts
 * new Reconciler(this, 'Reconciler', { config, data, shared, stateMachineArn, failureQueue });
 * ```
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/adapters/aws/environment.ts';
import type { KycConfig } from '../config.ts';
import { dataResourceEnvironment, type KycDataResources } from '../stacks/data-stack.ts';
import { DataGrants } from './data-grants.ts';
import { handlerEntry, KycFunction, type KycFunctionShared } from './kyc-function.ts';
import { scheduleJob } from './scheduled-job.ts';

export interface ReconcilerProps {
  readonly config: KycConfig;
  readonly data: KycDataResources;
  readonly shared: KycFunctionShared;
  /** ARN of the verification state machine (built from its name, no dependency cycle). */
  readonly stateMachineArn: string;
  /** Where scheduled invocations that failed after the scheduler's retries go. */
  readonly failureQueue: sqs.IQueue;
}

export class Reconciler extends Construct {
  public readonly function: KycFunction;
  public readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: ReconcilerProps) {
    super(scope, id);
    const { config, data, shared } = props;
    this.function = new KycFunction(this, 'Function', {
      shared,
      entry: handlerEntry('maintenance/reconciler'),
      description:
        'serverless-kyc reconciler: re-drives lost uploads, stalled workflows, lost review tokens, cooldowns',
      environment: { ...dataResourceEnvironment(data), [ENV.stateMachineArn]: props.stateMachineArn },
      timeout: Duration.minutes(5),
      memorySize: 512,
      // One run at a time: overlapping runs would only race each other.
      reservedConcurrency: 1,
    });
    const role = this.function.role;
    const grants = new DataGrants(data);
    grants.verificationsRead(role);
    grants.verificationsQueryIndexes(role);
    grants.verificationsWrite(role);
    grants.auditAppend(role);
    grants.busPublish(role);
    grants.intakeRedrive(role);

    const stack = Stack.of(this);
    const machineName = stack.splitArn(props.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['states:StartExecution', 'states:SendTaskHeartbeat'],
        resources: [props.stateMachineArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution'],
        resources: [
          stack.formatArn({
            service: 'states',
            resource: 'execution',
            resourceName: `${machineName}:*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );

    this.schedule = scheduleJob(this, {
      job: this.function,
      name: 'reconciler',
      rate: Duration.minutes(config.reconciler.everyMinutes),
      every: `${config.reconciler.everyMinutes} minutes`,
      maxEventAge: Duration.minutes(config.reconciler.everyMinutes),
      failureQueue: props.failureQueue,
    });
    NagSuppressions.addResourceSuppressions(
      role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'DescribeExecution names executions of the one state machine (<machine>:*): execution names are ' +
            'attempt ids, unknown until run time.',
          appliesTo: [{ regex: '/^Resource::arn:.+:states:.+:execution:[^:]+:\\*$/g' }],
        },
      ],
      true,
    );
  }
}
