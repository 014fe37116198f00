/**
 * `KycChecks`: serverless-kyc's own cdk-nag pack, applied next to `AwsSolutionsChecks`.
 */
import type { IConstruct } from 'constructs';
import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagPack, type NagPackProps } from 'cdk-nag';
import DynamoDBCustomerManagedKey from './DynamoDBCustomerManagedKey.ts';
import EvidenceBucketObjectLockCompliance from './EvidenceBucketObjectLockCompliance.ts';
import LambdaNodejsRuntimeCurrent from './LambdaNodejsRuntimeCurrent.ts';

/**
 * Rules (ids `Kyc-<RuleName>`, all errors):
 * - `EvidenceBucketObjectLockCompliance`: evidence/audit buckets under Object Lock COMPLIANCE >= 5 years;
 * - `DynamoDBCustomerManagedKey`: every DynamoDB table (and global table) uses a customer-managed key;
 * - `LambdaNodejsRuntimeCurrent`: Node.js functions run nodejs22.x or newer.
 *
 * @example
 * ```ts
 * Aspects.of(app).add(new AwsSolutionsChecks());
 * Aspects.of(app).add(new KycChecks());
 * ```
 */
export class KycChecks extends NagPack {
  constructor(props?: NagPackProps) {
    super(props);
    this.packName = 'Kyc';
  }

  public visit(node: IConstruct): void {
    if (!(node instanceof CfnResource)) return;
    this.applyRule({
      info: 'The bucket holds evidence or audit data but lacks Object Lock COMPLIANCE with at least 5 years of default retention.',
      explanation:
        'AML record keeping (31 CFR 1020.220; EU AMLD art. 40) requires identity evidence for 5 years; COMPLIANCE mode ' +
        'means nobody, root included, can shorten or remove the retention (SEC 17a-4(f) assessment of S3 Object Lock).',
      level: NagMessageLevel.ERROR,
      rule: EvidenceBucketObjectLockCompliance,
      node,
    });
    this.applyRule({
      info: 'The DynamoDB table is not encrypted with a customer-managed KMS key.',
      explanation:
        'Identity records must be encrypted under a customer-managed key so that decryption can be restricted by key ' +
        'policy and every use is logged in CloudTrail (PRODUCT §5).',
      level: NagMessageLevel.ERROR,
      rule: DynamoDBCustomerManagedKey,
      node,
    });
    this.applyRule({
      info: 'The Lambda function runs a Node.js runtime older than nodejs22.x.',
      explanation:
        'The handlers use Node 22 APIs and are tested on Node 22; older runtimes are leaving standard support.',
      level: NagMessageLevel.ERROR,
      rule: LambdaNodejsRuntimeCurrent,
      node,
    });
  }
}
