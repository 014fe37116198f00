/**
 * The schedule of a periodic job (the reconciler, the deletion job): an EventBridge Scheduler
 * schedule that invokes the job's function at a fixed rate, with its own role that may invoke
 * that function and nothing else, two retries, and a dead-letter queue for invocations that
 * still failed. The schedule and role are created in the job's own scope (ids `Schedule` and
 * `ScheduleRole`), so each job's resources keep their names.
 *
 * @example
 * ```ts
 * this.schedule = scheduleJob(this, {
 *   job: this.function,
 *   name: 'reconciler',
 *   rate: Duration.minutes(15),
 *   every: '15 minutes',
 *   maxEventAge: Duration.minutes(15),
 *   failureQueue,
 * });
 * ```
 */
import { type CfnElement, type Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import type { KycFunction } from './kyc-function.ts';

export interface ScheduledJobProps {
  /** The function the schedule invokes. */
  readonly job: KycFunction;
  /** What the job is, in the schedule's and role's descriptions (e.g. `reconciler`). */
  readonly name: string;
  /** How often it runs. */
  readonly rate: Duration;
  /** The rate in words, for the schedule's description (e.g. `15 minutes`). */
  readonly every: string;
  /** How long the scheduler keeps retrying one invocation before it goes to the queue. */
  readonly maxEventAge: Duration;
  /** Where scheduled invocations that failed after the scheduler's retries go. */
  readonly failureQueue: sqs.IQueue;
}

/** Adds the job's schedule and the scheduler's role to `scope`; returns the schedule. */
export function scheduleJob(scope: Construct, props: ScheduledJobProps): scheduler.Schedule {
  const stack = Stack.of(scope);
  // The scheduler's own role: it may invoke the job (CDK grants the function and its versions)
  // and send failed invocations to the dead-letter queue, nothing else.
  const scheduleRole = new iam.Role(scope, 'ScheduleRole', {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
    description: `EventBridge Scheduler -> serverless-kyc ${props.name}`,
  });
  const schedule = new scheduler.Schedule(scope, 'Schedule', {
    description: `serverless-kyc ${props.name}, every ${props.every}`,
    schedule: scheduler.ScheduleExpression.rate(props.rate),
    target: new schedulerTargets.LambdaInvoke(props.job.fn, {
      role: scheduleRole,
      retryAttempts: 2,
      maxEventAge: props.maxEventAge,
      deadLetterQueue: props.failureQueue,
    }),
  });
  // After the schedule: its target creates the role's policy.
  NagSuppressions.addResourceSuppressions(
    scheduleRole,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason: `lambda:InvokeFunction on the ${props.name} function and its versions (":*"), as CDK grants it.`,
        appliesTo: [`Resource::<${stack.getLogicalId(props.job.fn.node.defaultChild as CfnElement)}.Arn>:*`],
      },
    ],
    true,
  );
  return schedule;
}
