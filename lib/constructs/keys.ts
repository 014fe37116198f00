/**
 * Customer-managed KMS keys of the installation, one per purpose, so that each key policy
 * and each grant says exactly what a key protects.
 */
import { Arn, ArnFormat, Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Encryption context every envelope-encrypted personal-data field carries (`EnvelopeCrypto`). */
export const PERSONAL_DATA_CONTEXT = { key: 'kms:EncryptionContext:purpose', value: 'personal-data' } as const;

/**
 * Administrative KMS actions: everything that manages a key, nothing that uses it (no Encrypt,
 * Decrypt, ReEncrypt, GenerateDataKey, Sign or GenerateMac). `kms:PutKeyPolicy` is further
 * limited by `DenyKeyPolicyChangesOutsideDeployment`; deletion and disabling are denied to all.
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:DisableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListAliases',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RetireGrant',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
];

export interface KycKeysProps {
  /** Prefix for the key aliases, e.g. `kyc` gives `alias/kyc/documents` (required). */
  readonly prefix: string;
  /**
   * Days KMS waits before deleting a key whose deletion was scheduled (30, the maximum:
   * the longest window to notice a mistake; evidence under Object Lock is unreadable without its key).
   */
  readonly pendingWindowDays?: number;
  /**
   * ARN patterns of the principals allowed to change key policies (`kms:PutKeyPolicy`):
   * CloudFormation's deployment role and the break-glass role (default: the CDK bootstrap
   * CloudFormation execution role of this account and region, `cdk-*-cfn-exec-role-*`).
   */
  readonly keyPolicyEditors?: readonly string[];
}

/**
 * The five keys of serverless-kyc:
 * - `documents`: symmetric, encrypts identity evidence in S3 (intake and vault buckets);
 * - `data`: symmetric, ONLY envelope encryption of personal data fields (encryption context
 *   `purpose=personal-data`); Decrypt is allowed by its key policy only to the roles named with
 *   `EvidenceAccess.allowPersonalDataDecrypt`, and only under that context;
 * - `service`: symmetric, DynamoDB tables, log groups, queues, secrets and the audit archive;
 *   every grant on it goes through a service (`kms:ViaService`);
 * - `documentNumberHmac`: HMAC_256, keyed hashes of document numbers for duplicate detection
 *   (the hash cannot be recomputed without KMS, so a leaked table does not reveal numbers);
 * - `auditSigning`: ECC_NIST_P256 SIGN_VERIFY, signs audit-chain digests.
 *
 * Every key is RETAINed: S3 Object Lock protects objects, not the key that decrypts them, so
 * deleting a stack must never schedule key deletion. Symmetric keys rotate yearly (KMS
 * automatic rotation; asymmetric and HMAC keys do not support it).
 *
 * Key administration is separated from key use: the account (IAM administrators) gets
 * `KEY_ADMIN_ACTIONS` only, never `kms:*`; use goes through IAM policies CDK writes for each
 * function, limited to the actions each key supports (statement `KeyUseThroughIam`), and
 * `EvidenceAccess` narrows Decrypt on the documents and personal-data keys to named roles.
 *
 * Every key policy also denies `kms:ScheduleKeyDeletion` and `kms:DisableKey` to every
 * principal, and `kms:PutKeyPolicy` to every principal but `keyPolicyEditors` (the deployment
 * role): disabling or deleting a key, or widening who may decrypt, takes a reviewed deployment
 * of this stack (or the break-glass role), never a single call by an account administrator.
 *
 * @example
 * ```ts
 * const keys = new KycKeys(this, 'Keys', { prefix: config.prefix });
 * new s3.Bucket(this, 'Vault', { encryptionKey: keys.documents, encryption: s3.BucketEncryption.KMS });
 * ```
 */
export class KycKeys extends Construct {
  /** Symmetric key for identity evidence in S3. */
  public readonly documents: kms.Key;
  /** Symmetric key for envelope encryption of personal data only. */
  public readonly data: kms.Key;
  /** Symmetric key for DynamoDB, logs, queues, secrets and the audit archive. */
  public readonly service: kms.Key;
  /** HMAC_256 key (GENERATE_VERIFY_MAC) for keyed hashes of document numbers. */
  public readonly documentNumberHmac: kms.Key;
  /** ECC_NIST_P256 key (SIGN_VERIFY) that signs audit digests. */
  public readonly auditSigning: kms.Key;
  /** Symmetric key of the alarm topic; its policy lets CloudWatch alarms of this account publish. */
  public readonly alarms: kms.Key;
  /** ARN patterns that may change key policies. */
  public readonly keyPolicyEditors: readonly string[];

  constructor(scope: Construct, id: string, props: KycKeysProps) {
    super(scope, id);
    const pendingWindow = Duration.days(props.pendingWindowDays ?? 30);
    this.keyPolicyEditors = props.keyPolicyEditors ?? [
      `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/cdk-*-cfn-exec-role-${Aws.ACCOUNT_ID}-${Aws.REGION}`,
    ];
    const common = {
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow,
      enableKeyRotation: true,
    } as const;
    const SYMMETRIC_USE = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'];

    this.documents = new kms.Key(this, 'Documents', {
      ...common,
      policy: new iam.PolicyDocument(),
      alias: `${props.prefix}/documents`,
      description: 'serverless-kyc: identity evidence in S3 (intake and vault buckets)',
    });
    this.allowUseThroughIam(this.documents, SYMMETRIC_USE);

    this.data = new kms.Key(this, 'Data', {
      ...common,
      policy: new iam.PolicyDocument(),
      alias: `${props.prefix}/data`,
      description: 'serverless-kyc: envelope encryption of personal data fields only (purpose=personal-data)',
    });
    // Sealing only under the personal-data context; Decrypt is added per role by EvidenceAccess.
    this.data.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SealPersonalDataThroughIam',
        principals: [new iam.AccountRootPrincipal()],
        actions: ['kms:GenerateDataKey', 'kms:Encrypt'],
        resources: ['*'],
        conditions: { StringEquals: { [PERSONAL_DATA_CONTEXT.key]: PERSONAL_DATA_CONTEXT.value } },
      }),
    );
    this.data.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DescribeThroughIam',
        principals: [new iam.AccountRootPrincipal()],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
      }),
    );

    this.service = new kms.Key(this, 'Service', {
      ...common,
      policy: new iam.PolicyDocument(),
      alias: `${props.prefix}/service`,
      description: 'serverless-kyc: DynamoDB tables, log groups, queues, secrets and the audit archive',
    });
    this.allowUseThroughIam(this.service, SYMMETRIC_USE);
    this.allowCloudWatchLogs(this.service);

    this.documentNumberHmac = new kms.Key(this, 'DocumentNumberHmac', {
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow,
      policy: new iam.PolicyDocument(),
      alias: `${props.prefix}/document-number-hmac`,
      description: 'serverless-kyc: keyed hashes of document numbers (duplicate identity detection)',
      keySpec: kms.KeySpec.HMAC_256,
      keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
    });
    this.allowUseThroughIam(this.documentNumberHmac, ['kms:GenerateMac', 'kms:VerifyMac', 'kms:DescribeKey']);

    this.auditSigning = new kms.Key(this, 'AuditSigning', {
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow,
      policy: new iam.PolicyDocument(),
      alias: `${props.prefix}/audit-signing`,
      description: 'serverless-kyc: signs audit-chain digests',
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
    });
    this.allowUseThroughIam(this.auditSigning, ['kms:Sign', 'kms:Verify', 'kms:GetPublicKey', 'kms:DescribeKey']);

    this.alarms = new kms.Key(this, 'Alarms', {
      ...common,
      policy: new iam.PolicyDocument(),
      alias: `${props.prefix}/alarms`,
      description: 'serverless-kyc: the alarm notification topic (CloudWatch alarms publish through it)',
    });
    // CloudWatch publishes to an SSE-KMS topic as its own service principal: it needs a data key
    // and Decrypt, only for alarms of this account. Nothing else uses this key.
    this.alarms.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
        },
      }),
    );

    for (const key of this.all()) {
      this.allowAdministration(key);
      this.denyDeletionAndDisabling(key);
      this.denyPolicyChangesOutsideDeployment(key);
    }
  }

  /** The six keys. */
  public all(): kms.Key[] {
    return [this.documents, this.data, this.service, this.documentNumberHmac, this.auditSigning, this.alarms];
  }

  /** The account's IAM administrators manage the key (KEY_ADMIN_ACTIONS) but cannot use it. */
  private allowAdministration(key: kms.Key): void {
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'KeyAdministrationWithoutUse',
        principals: [new iam.AccountRootPrincipal()],
        actions: KEY_ADMIN_ACTIONS,
        resources: ['*'],
      }),
    );
  }

  /** Lets IAM policies of this account grant `actions` (the key's own usage, nothing else). */
  private allowUseThroughIam(key: kms.Key, actions: string[]): void {
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'KeyUseThroughIam',
        principals: [new iam.AccountRootPrincipal()],
        actions,
        resources: ['*'],
      }),
    );
    if (actions.includes('kms:Encrypt')) {
      // DynamoDB, SQS, S3 and Secrets Manager create grants for their own use; nobody else may.
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'GrantsOnlyForAwsResources',
          principals: [new iam.AccountRootPrincipal()],
          actions: ['kms:CreateGrant'],
          resources: ['*'],
          conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        }),
      );
    }
  }

  /** Makes deleting or disabling `key` need a key-policy change first. */
  private denyDeletionAndDisabling(key: kms.Key): void {
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyDeletionAndDisablingWithoutPolicyChange',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:ScheduleKeyDeletion', 'kms:DisableKey'],
        resources: ['*'],
      }),
    );
  }

  /** Only the deployment role (and the break-glass role, when listed) may replace the key policy. */
  private denyPolicyChangesOutsideDeployment(key: kms.Key): void {
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyKeyPolicyChangesOutsideDeployment',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:PutKeyPolicy'],
        resources: ['*'],
        conditions: { ArnNotLike: { 'aws:PrincipalArn': [...this.keyPolicyEditors] } },
      }),
    );
  }

  /** Lets CloudWatch Logs use `key` for log groups of this account and region only. */
  private allowCloudWatchLogs(key: kms.Key): void {
    const stack = Stack.of(this);
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsOfThisAccountAndRegion',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': Arn.format(
              { service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME },
              stack,
            ),
          },
        },
      }),
    );
  }
}
