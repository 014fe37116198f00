/**
 * Settings every serverless-kyc bucket shares: no public access, TLS 1.2 or newer only,
 * ACLs disabled, kept when the stack is deleted. Each bucket construct spreads these into
 * its `BucketProps` and adds its own encryption, lifecycle and lock settings.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';

/** Tag on every bucket naming the class of data it holds; `KycChecks` reads it. */
export const DATA_CLASS_TAG = 'kyc:data-class';

/** Classes of data a bucket may hold. `evidence` and `audit` must be under Object Lock COMPLIANCE. */
export type DataClass = 'intake' | 'evidence' | 'audit' | 'access-logs' | 'renditions' | 'static-site';

/**
 * Oldest TLS version a client may use (PRODUCT §5: deny old TLS at the bucket policy). S3 has no
 * TLS 1.3-only policy key value in wide use, so 1.2 is the floor, enforced with `s3:TlsVersion`.
 */
export const MINIMUM_TLS_VERSION = 1.2;

/** Baseline bucket properties: BPA all, enforceSSL with TLS >= 1.2, owner-enforced ownership, RETAIN. */
export const SECURE_BUCKET_DEFAULTS = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  enforceSSL: true,
  minimumTLSVersion: MINIMUM_TLS_VERSION,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  removalPolicy: RemovalPolicy.RETAIN,
  autoDeleteObjects: false,
} as const satisfies s3.BucketProps;

/** Tags the bucket's CloudFormation resource with its data class (set directly, not through an aspect). */
export function tagDataClass(bucket: s3.Bucket, dataClass: DataClass): void {
  const cfn = bucket.node.defaultChild as s3.CfnBucket;
  cfn.tags.setTag(DATA_CLASS_TAG, dataClass);
}

/** The underlying `CfnBucket` of an L2 bucket (for tests and nag suppressions). */
export function cfnBucketOf(bucket: IConstruct): s3.CfnBucket {
  return bucket.node.defaultChild as s3.CfnBucket;
}

/**
 * Adds bucket-policy statements that refuse any PutObject (uploads and copies) asking for
 * another encryption than SSE-KMS with `key`:
 * - `DenyUploadsWithoutSseKms`: the `x-amz-server-side-encryption` header is not `aws:kms`
 *   (with `requireHeader`, a missing header is refused too; without, a write that names no
 *   encryption gets the bucket default, which is SSE-KMS with `key`);
 * - `DenyUploadsWithAnotherKmsKey`: the request names a KMS key other than `key` by its ARN.
 * Writers that name a key must use the full key ARN (`DOCUMENTS_KEY_ARN`, `DATA_KEY_ARN`).
 */
export function denyForeignEncryption(bucket: s3.Bucket, key: kms.IKey, options: { requireHeader: boolean }): void {
  const objects = bucket.arnForObjects('*');
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DenyUploadsWithoutSseKms',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [objects],
      conditions: {
        [options.requireHeader ? 'StringNotEquals' : 'StringNotEqualsIfExists']: {
          's3:x-amz-server-side-encryption': 'aws:kms',
        },
      },
    }),
  );
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DenyUploadsWithAnotherKmsKey',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [objects],
      conditions: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': key.keyArn } },
    }),
  );
}
