/**
 * Operations: one CloudWatch dashboard and the alarms an operator of serverless-kyc must hear
 * about, every alarm with an action to one SNS topic (KMS-encrypted with a key of its own whose
 * policy lets CloudWatch publish) that operators subscribe to.
 *
 * Metrics read (namespace `serverless-kyc`, dimension `service` = the installation prefix,
 * emitted by the handlers, see `lambdas/domain/operational-metrics.ts`):
 * `Upload` by outcome, `Decision` by outcome, `RejectionReason` by reason, `ReviewSlaBreached`,
 * `ReviewQueueDepth`; plus AWS metrics: Step Functions executions failed / timed out / aborted,
 * SQS messages visible in every dead-letter queue, Lambda errors and durations.
 *
 * Alarms (all to the topic, on ALARM and back to OK):
 * - workflow failures: any failed, timed-out or aborted execution in 5 minutes;
 * - every dead-letter queue not empty (the `FailureQueue` alarms routed here, and one per other DLQ);
 * - SLA breaches: `operations.slaBreachesPerHour` escalations within an hour;
 * - rejection-rate spike: rejected / (approved + rejected) above `operations.rejectionRatePercent`
 *   over an hour with at least `operations.rejectionRateMinDecisions` decisions.
 *
 * @example
 * ```ts
 * const ops = new KycOperations(this, 'Operations', {
 *   config, topicKey: data.keys.alarms, stateMachine: workflow.stateMachine, functions: [...], queueAlarms: [...],
 * });
 * ops.topic.topicArn; // subscribe here
 * ```
 */
import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  DECISION_OUTCOMES,
  METRICS_NAMESPACE,
  OPERATIONAL_METRICS,
  OUTCOME_DIMENSION,
  REASON_DIMENSION,
} from '../../lambdas/domain/operational-metrics.ts';
import type { KycConfig } from '../config.ts';

export interface KycOperationsProps {
  /** Resolved configuration: prefix (the metrics' `service` dimension) and `operations` (required). */
  readonly config: KycConfig;
  /** Key of the alarm topic, whose policy lets CloudWatch alarms publish (required; `data.keys.alarms`). */
  readonly topicKey: kms.IKey;
  /** The verification workflow, whose failed, timed-out and aborted executions alarm (required). */
  readonly stateMachine: sfn.IStateMachine;
  /** Functions whose errors and durations the dashboard shows, by a short label (required). */
  readonly functions: ReadonlyArray<{ readonly label: string; readonly fn: lambda.IFunction }>;
  /** Dead-letter queues without an alarm of their own: each gets a "not empty" alarm (none). */
  readonly deadLetterQueues?: ReadonlyArray<{ readonly label: string; readonly queue: sqs.IQueue }>;
  /** Existing "queue not empty" alarms (`FailureQueue.alarm`), routed to the topic and shown (none). */
  readonly queueAlarms?: ReadonlyArray<{
    readonly label: string;
    readonly alarm: cloudwatch.Alarm;
    readonly queue: sqs.IQueue;
  }>;
}

const FIVE_MINUTES = Duration.minutes(5);
const HOUR = Duration.hours(1);

/**
 * The alarm topic and its key, the alarms and the dashboard of one installation (see the file comment).
 *
 * @example
 * ```ts
 * const ops = new KycOperations(stack, 'Operations', { config, topicKey: data.keys.alarms, stateMachine, functions });
 * ops.alarms.get('WorkflowFailures');
 * ```
 */
export class KycOperations extends Construct {
  /** The alarm topic (SSE-KMS); operators subscribe to it. */
  public readonly topic: sns.Topic;
  /** The topic's key (`KycKeys.alarms` of the data stack: CloudWatch alarms may use it). */
  public readonly topicKey: kms.IKey;
  public readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm with an action to the topic, by name. */
  public readonly alarms: ReadonlyMap<string, cloudwatch.IAlarm>;

  constructor(scope: Construct, id: string, props: KycOperationsProps) {
    super(scope, id);
    const { config } = props;
    const ops = config.operations;
    const service = { service: config.prefix };

    this.topicKey = props.topicKey;
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `serverless-kyc ${config.prefix} alarms`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    if (ops.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(ops.alarmEmail));

    const metric = (name: string, statistic: string, period: Duration, dimensions = {}) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { ...service, ...dimensions },
        statistic,
        period,
      });
    const decisions = (outcome: string, period = HOUR) =>
      metric(OPERATIONAL_METRICS.decision, cloudwatch.Stats.SUM, period, { [OUTCOME_DIMENSION]: outcome });

    // ---- Alarms ----------------------------------------------------------------------------
    const alarms = new Map<string, cloudwatch.IAlarm>();
    const action = new actions.SnsAction(this.topic);
    const route = (name: string, alarm: cloudwatch.Alarm) => {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      alarms.set(name, alarm);
    };

    const workflowFailures = new cloudwatch.MathExpression({
      label: 'Workflow executions failed, timed out or aborted',
      expression: 'failed + timedOut + aborted',
      usingMetrics: {
        failed: props.stateMachine.metricFailed({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
        timedOut: props.stateMachine.metricTimedOut({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
        aborted: props.stateMachine.metricAborted({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
      },
      period: FIVE_MINUTES,
    });
    route(
      'WorkflowFailures',
      workflowFailures.createAlarm(this, 'WorkflowFailures', {
        alarmDescription: `serverless-kyc ${config.prefix}: verification workflow executions failed, timed out or were aborted; the reconciler restarts them, look at the execution history for the cause`,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );

    const queueDepths: cloudwatch.IMetric[] = [];
    for (const { label, alarm, queue } of props.queueAlarms ?? []) {
      route(`DeadLetters${label}`, alarm);
      queueDepths.push(queueDepth(queue, label));
    }
    for (const { label, queue } of props.deadLetterQueues ?? []) {
      queueDepths.push(queueDepth(queue, label));
      route(
        `DeadLetters${label}`,
        queueDepth(queue).createAlarm(this, `DeadLetters${label}`, {
          alarmDescription: `serverless-kyc ${config.prefix}: failed events wait in the ${label} dead-letter queue; inspect and redrive them`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    const slaBreaches = metric(OPERATIONAL_METRICS.reviewSlaBreached, cloudwatch.Stats.SUM, HOUR);
    route(
      'SlaBreaches',
      slaBreaches.createAlarm(this, 'SlaBreaches', {
        alarmDescription: `serverless-kyc ${config.prefix}: manual reviews ran past their SLA (${config.review.slaDays} days) and were escalated`,
        threshold: ops.slaBreachesPerHour,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );

    const rejectionRate = new cloudwatch.MathExpression({
      label: 'Rejection rate (%)',
      // Judged only with enough decisions in the hour; below that the rate is reported as 0.
      expression: `IF((FILL(approved, 0) + FILL(rejected, 0)) >= ${ops.rejectionRateMinDecisions}, 100 * FILL(rejected, 0) / (FILL(approved, 0) + FILL(rejected, 0)), 0)`,
      usingMetrics: { approved: decisions('approved'), rejected: decisions('rejected') },
      period: HOUR,
    });
    route(
      'RejectionRateSpike',
      rejectionRate.createAlarm(this, 'RejectionRateSpike', {
        alarmDescription: `serverless-kyc ${config.prefix}: more than ${ops.rejectionRatePercent} % of the last hour's decisions (at least ${ops.rejectionRateMinDecisions}) were rejections: a broken check, a bad release or an attack`,
        threshold: ops.rejectionRatePercent,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    this.alarms = alarms;

    // ---- Dashboard -------------------------------------------------------------------------
    const region = Stack.of(this).region;
    const search = (metricName: string, dimension: string, label: string) =>
      new cloudwatch.MathExpression({
        label,
        expression: `SEARCH('{${METRICS_NAMESPACE},service,${dimension}} MetricName="${metricName}" service="${config.prefix}"', 'Sum', 3600)`,
        usingMetrics: {},
        period: HOUR,
        searchRegion: region,
      });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${config.prefix}-operations`,
      defaultInterval: Duration.days(1),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          `# serverless-kyc ${config.prefix}: operations\n` +
          'Alarms notify the SNS topic of this stack; see the README, section "Operations".',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Uploads by outcome (per hour)',
        left: [search(OPERATIONAL_METRICS.upload, OUTCOME_DIMENSION, 'uploads')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Decisions by outcome (per hour)',
        left: DECISION_OUTCOMES.map((outcome) => decisions(outcome).with({ label: outcome })),
        stacked: true,
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Rejection rate (%)',
        left: [rejectionRate],
        leftAnnotations: [{ value: ops.rejectionRatePercent, label: 'alarm', color: cloudwatch.Color.RED }],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Rejection reasons (per hour)',
        left: [search(OPERATIONAL_METRICS.rejectionReason, REASON_DIMENSION, 'reasons')],
        stacked: true,
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Review queue depth',
        left: [
          metric(OPERATIONAL_METRICS.reviewQueueDepth, cloudwatch.Stats.MAXIMUM, FIVE_MINUTES).with({
            label: 'waiting for review',
          }),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'SLA breaches (per hour)',
        left: [slaBreaches.with({ label: 'escalated reviews' })],
        leftAnnotations: [{ value: ops.slaBreachesPerHour, label: 'alarm', color: cloudwatch.Color.RED }],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Workflow failures', left: [workflowFailures], width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Dead-letter queue depth', left: queueDepths, width: 8 }),
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [...alarms.values()],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        left: props.functions.map(({ label, fn }) =>
          fn.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM, label }),
        ),
        legendPosition: cloudwatch.LegendPosition.RIGHT,
        width: 12,
        height: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function duration p90 (ms)',
        left: props.functions.map(({ label, fn }) =>
          fn.metricDuration({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.p(90), label }),
        ),
        legendPosition: cloudwatch.LegendPosition.RIGHT,
        width: 12,
        height: 8,
      }),
    );
  }
}

function queueDepth(queue: sqs.IQueue, label?: string): cloudwatch.Metric {
  return queue.metricApproximateNumberOfMessagesVisible({
    period: FIVE_MINUTES,
    statistic: cloudwatch.Stats.MAXIMUM,
    ...(label ? { label } : {}),
  });
}
