/**
 * Customer-managed KMS keys of the installation, one per purpose, so that each key policy
 * and each grant says exactly what a key protects.
 */
import { Arn, ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface KycKeysProps {
  /** Prefix for the key aliases, e.g. `kyc` gives `alias/kyc/documents` (required). */
  readonly prefix: string;
  /**
   * Days KMS waits before deleting a key whose deletion was scheduled (30, the maximum:
   * the longest window to notice a mistake; evidence under Object Lock is unreadable without its key).
   */
  readonly pendingWindowDays?: number;
}

/**
 * The four keys of serverless-kyc:
 * - `documents`: symmetric, encrypts identity evidence in S3 (intake and vault buckets);
 * - `data`: symmetric, encrypts DynamoDB tables, log groups, queues and the envelope-encrypted PII fields;
 * - `documentNumberHmac`: HMAC_256, keyed hashes of document numbers for duplicate detection
 *   (the hash cannot be recomputed without KMS, so a leaked table does not reveal numbers);
 * - `auditSigning`: ECC_NIST_P256 SIGN_VERIFY, signs audit-chain digests.
 *
 * Every key is RETAINed: S3 Object Lock protects objects, not the key that decrypts them, so
 * deleting a stack must never schedule key deletion. Symmetric keys rotate yearly (KMS
 * automatic rotation; asymmetric and HMAC keys do not support it).
 *
 * Key policies keep CDK's default statement that delegates to IAM in this account (so only
 * identity policies CDK writes for each function's grants give access) and add one statement
 * for CloudWatch Logs on the data key, limited to log groups of this account and region
 * through the `kms:EncryptionContext:aws:logs:arn` condition.
 *
 * Object Lock does not protect the key that decrypts the locked objects, so every key policy
 * also denies `kms:ScheduleKeyDeletion` and `kms:DisableKey` to every principal. Deleting or
 * disabling a key therefore takes a deliberate key-policy change first (PutKeyPolicy stays
 * with the account administrators, logged by CloudTrail), never a single mistaken call.
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
  /** Symmetric key for DynamoDB, logs, queues and envelope encryption of personal data. */
  public readonly data: kms.Key;
  /** HMAC_256 key (GENERATE_VERIFY_MAC) for keyed hashes of document numbers. */
  public readonly documentNumberHmac: kms.Key;
  /** ECC_NIST_P256 key (SIGN_VERIFY) that signs audit digests. */
  public readonly auditSigning: kms.Key;

  constructor(scope: Construct, id: string, props: KycKeysProps) {
    super(scope, id);
    const pendingWindow = Duration.days(props.pendingWindowDays ?? 30);
    const common = { removalPolicy: RemovalPolicy.RETAIN, pendingWindow, enableKeyRotation: true } as const;

    this.documents = new kms.Key(this, 'Documents', {
      ...common,
      alias: `${props.prefix}/documents`,
      description: 'serverless-kyc: identity evidence in S3 (intake and vault buckets)',
    });

    this.data = new kms.Key(this, 'Data', {
      ...common,
      alias: `${props.prefix}/data`,
      description: 'serverless-kyc: DynamoDB tables, log groups, queues, envelope encryption of personal data',
    });
    this.allowCloudWatchLogs(this.data);

    this.documentNumberHmac = new kms.Key(this, 'DocumentNumberHmac', {
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow,
      alias: `${props.prefix}/document-number-hmac`,
      description: 'serverless-kyc: keyed hashes of document numbers (duplicate identity detection)',
      keySpec: kms.KeySpec.HMAC_256,
      keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
    });

    this.auditSigning = new kms.Key(this, 'AuditSigning', {
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow,
      alias: `${props.prefix}/audit-signing`,
      description: 'serverless-kyc: signs audit-chain digests',
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
    });

    for (const key of [this.documents, this.data, this.documentNumberHmac, this.auditSigning]) {
      this.denyDeletionAndDisabling(key);
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
