/**
 * AWS Backup for the four tables (PRODUCT §5: "backups encrypted too"): a daily backup kept
 * `backupDailyDays` (35) and a yearly one kept `backupYearlyYears` (5, the AML minimum) in a
 * backup vault encrypted with the data key and locked with AWS Backup Vault Lock in
 * **compliance mode** (`changeableFor` set: after that grace period nobody, root included, can
 * delete recovery points early or remove the lock). Point-in-time recovery stays on for the
 * last 35 days at one-second granularity.
 *
 * @example
 * ```ts
 * new TableBackups(this, 'Backups', { tables: [tables.verifications], encryptionKey: keys.data, config });
 * ```
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { KycConfig } from '../config.ts';

export interface TableBackupsProps {
  readonly config: KycConfig;
  /** Tables to back up (required). */
  readonly tables: readonly dynamodb.ITable[];
  /** Key that encrypts the backup vault (required; the data key). */
  readonly encryptionKey: kms.IKey;
  /** Days during which the vault lock can still be removed before it becomes immutable (3). */
  readonly lockChangeableDays?: number;
}

export class TableBackups extends Construct {
  public readonly vault: backup.BackupVault;
  public readonly plan: backup.BackupPlan;

  constructor(scope: Construct, id: string, props: TableBackupsProps) {
    super(scope, id);
    const { retention } = props.config;
    const yearlyDays = Math.ceil(retention.backupYearlyYears * 365.25);
    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: `${props.config.prefix}-tables`,
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
      lockConfiguration: {
        minRetention: Duration.days(retention.backupDailyDays),
        maxRetention: Duration.days(yearlyDays),
        changeableFor: Duration.days(props.lockChangeableDays ?? 3),
      },
    });
    this.plan = new backup.BackupPlan(this, 'Plan', {
      backupVault: this.vault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'Daily',
          scheduleExpression: events.Schedule.cron({ hour: '3', minute: '0' }),
          deleteAfter: Duration.days(retention.backupDailyDays),
        }),
        new backup.BackupPlanRule({
          ruleName: 'Yearly',
          scheduleExpression: events.Schedule.cron({ day: '1', month: '1', hour: '4', minute: '0' }),
          deleteAfter: Duration.days(yearlyDays),
        }),
      ],
    });
    const selection = this.plan.addSelection('Tables', {
      resources: props.tables.map((table) => backup.BackupResource.fromDynamoDbTable(table)),
    });
    NagSuppressions.addResourceSuppressions(
      selection,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            'AWSBackupServiceRolePolicyForBackup is the role policy AWS Backup documents for backup jobs; the role is ' +
            'assumed only by backup.amazonaws.com and the selection limits the jobs to the four tables.',
          appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup'],
        },
      ],
      true,
    );
  }
}
