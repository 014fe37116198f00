import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { retentionDays } from '../../lib/config.ts';
import { synthKyc } from './synth.ts';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };

/** The bucket tagged `kyc:data-class` = `dataClass`, with its logical id. */
function bucketOfClass(template: Template, dataClass: string): [string, Resource] {
  const buckets = Object.entries(template.findResources('AWS::S3::Bucket')) as [string, Resource][];
  const found = buckets.filter(([, bucket]) =>
    ((bucket.Properties.Tags ?? []) as { Key: string; Value: string }[]).some(
      (tag) => tag.Key === 'kyc:data-class' && tag.Value === dataClass,
    ),
  );
  if (found.length !== 1) throw new Error(`expected one ${dataClass} bucket, found ${found.length}`);
  return found[0]!;
}

/** Policy statements of the bucket policy attached to bucket `logicalId`. */
function policyStatements(template: Template, logicalId: string): Record<string, unknown>[] {
  const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')) as Resource[];
  const policy = policies.find((p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: logicalId }));
  if (!policy) throw new Error(`no bucket policy for ${logicalId}`);
  return (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
}

const CLASSES = ['intake', 'evidence', 'audit', 'access-logs', 'renditions'] as const;

describe('EvidenceBuckets', () => {
  const origins = ['https://app.example.com', 'https://admin.example.com'];
  const { dataTemplate } = synthKyc({ allowedOrigins: origins });

  it('has exactly the five buckets', () => {
    // Assess
    dataTemplate.resourceCountIs('AWS::S3::Bucket', 5);
  });

  it.each([
    ['evidence', 5],
    ['audit', 5],
  ])('the %s bucket is under Object Lock COMPLIANCE for at least 5 years (>= 1826 days)', (dataClass, years) => {
    // Act
    const [, bucket] = bucketOfClass(dataTemplate, dataClass);

    // Assess
    expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: retentionDays(years) } },
    });
    expect(retentionDays(years)).toBeGreaterThanOrEqual(1826);
  });

  it('uses the configured retention years on the locked buckets', () => {
    // Prepare
    const { dataTemplate: longer } = synthKyc({ retention: { evidenceYears: 7, auditYears: 10 } });

    // Act
    const [, vault] = bucketOfClass(longer, 'evidence');
    const [, audit] = bucketOfClass(longer, 'audit');

    // Assess
    expect(vault.Properties.ObjectLockConfiguration).toMatchObject({ Rule: { DefaultRetention: { Days: 2557 } } });
    expect(audit.Properties.ObjectLockConfiguration).toMatchObject({ Rule: { DefaultRetention: { Days: 3653 } } });
  });

  it.each(['intake', 'evidence', 'audit'])(
    'the %s bucket is SSE-KMS with a customer-managed key and a bucket key',
    (dataClass) => {
      // Act
      const [, bucket] = bucketOfClass(dataTemplate, dataClass);

      // Assess
      expect(bucket.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [expect.stringMatching(/^Keys/), 'Arn'] },
            },
          },
        ],
      });
    },
  );

  it('encrypts the access-log bucket with SSE-S3, the only encryption server access log delivery supports', () => {
    // Act
    const [, bucket] = bucketOfClass(dataTemplate, 'access-logs');

    // Assess
    expect(bucket.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket.Properties.ObjectLockEnabled).toBeUndefined();
  });

  it.each(CLASSES)('the %s bucket blocks all public access, is retained and disables ACLs', (dataClass) => {
    // Act
    const [, bucket] = bucketOfClass(dataTemplate, dataClass);

    // Assess
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
  });

  it.each(CLASSES)('the %s bucket denies requests without TLS and TLS older than 1.2', (dataClass) => {
    // Prepare
    const [logicalId] = bucketOfClass(dataTemplate, dataClass);

    // Act
    const statements = policyStatements(dataTemplate, logicalId);

    // Assess
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
        expect.objectContaining({
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:*',
          Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
        }),
      ]),
    );
  });

  it.each(['intake', 'evidence', 'audit'])(
    'the %s bucket sends server access logs to the access-log bucket',
    (dataClass) => {
      // Prepare
      const [logBucketId] = bucketOfClass(dataTemplate, 'access-logs');

      // Act
      const [, bucket] = bucketOfClass(dataTemplate, dataClass);

      // Assess
      expect(bucket.Properties.LoggingConfiguration).toEqual({
        DestinationBucketName: { Ref: logBucketId },
        LogFilePrefix: expect.stringMatching(/\/$/),
      });
    },
  );

  it('lets S3 log delivery write to the access-log bucket only from this account', () => {
    // Prepare
    const [logBucketId] = bucketOfClass(dataTemplate, 'access-logs');

    // Act
    const statements = policyStatements(dataTemplate, logBucketId);

    // Assess
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Action: 's3:PutObject',
          Condition: expect.objectContaining({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
        }),
      ]),
    );
  });

  it('refuses intake uploads that do not ask for SSE-KMS or name another key', () => {
    // Prepare
    const [logicalId] = bucketOfClass(dataTemplate, 'intake');

    // Act
    const statements = policyStatements(dataTemplate, logicalId);

    // Assess
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Sid: 'DenyUploadsWithoutSseKms',
          Effect: 'Deny',
          Action: 's3:PutObject',
          Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
        }),
        expect.objectContaining({
          Sid: 'DenyUploadsWithAnotherKmsKey',
          Effect: 'Deny',
          Action: 's3:PutObject',
          Condition: {
            StringNotEqualsIfExists: {
              's3:x-amz-server-side-encryption-aws-kms-key-id': {
                'Fn::GetAtt': [expect.stringMatching(/^KeysDocuments/), 'Arn'],
              },
            },
          },
        }),
      ]),
    );
  });

  it.each([
    ['evidence', /^KeysDocuments/],
    ['audit', /^KeysData/],
  ])('refuses writes to the %s bucket that ask for another encryption or key', (dataClass, keyPattern) => {
    // Prepare
    const [logicalId] = bucketOfClass(dataTemplate, dataClass);

    // Act
    const statements = policyStatements(dataTemplate, logicalId);

    // Assess
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Sid: 'DenyUploadsWithoutSseKms',
          Effect: 'Deny',
          Action: 's3:PutObject',
          Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
        }),
        expect.objectContaining({
          Sid: 'DenyUploadsWithAnotherKmsKey',
          Effect: 'Deny',
          Action: 's3:PutObject',
          Condition: {
            StringNotEqualsIfExists: {
              's3:x-amz-server-side-encryption-aws-kms-key-id': {
                'Fn::GetAtt': [expect.stringMatching(keyPattern), 'Arn'],
              },
            },
          },
        }),
      ]),
    );
  });

  it('sends intake events to EventBridge, is versioned and cleans up leftovers', () => {
    // Act
    const [, bucket] = bucketOfClass(dataTemplate, 'intake');

    // Assess
    expect(bucket.Properties.NotificationConfiguration).toEqual({
      EventBridgeConfiguration: { EventBridgeEnabled: true },
    });
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.LifecycleConfiguration).toEqual({
      Rules: [
        {
          Id: 'delete-unprocessed-uploads',
          Status: 'Enabled',
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          ExpirationInDays: 1,
          NoncurrentVersionExpiration: { NoncurrentDays: 1 },
        },
      ],
    });
  });

  it('allows cross-origin POST uploads from the configured origins only', () => {
    // Act
    const [, bucket] = bucketOfClass(dataTemplate, 'intake');

    // Assess
    expect(bucket.Properties.CorsConfiguration).toEqual({
      CorsRules: [expect.objectContaining({ AllowedMethods: ['POST'], AllowedOrigins: origins })],
    });
  });

  it('has no CORS rule when no origin is configured', () => {
    // Prepare
    const { dataTemplate: closed } = synthKyc();

    // Act
    const [, bucket] = bucketOfClass(closed, 'intake');

    // Assess
    expect(bucket.Properties.CorsConfiguration).toBeUndefined();
  });

  it('keeps noncurrent evidence versions until the retention has passed', () => {
    // Act
    const [, vault] = bucketOfClass(dataTemplate, 'evidence');

    // Assess
    expect(vault.Properties.LifecycleConfiguration).toEqual({
      Rules: expect.arrayContaining([
        expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: retentionDays(5) + 1 } }),
      ]),
    });
    expect(JSON.stringify(vault.Properties.LifecycleConfiguration)).not.toContain('ExpirationInDays');
  });

  it.each(['evidence', 'audit'])('moves %s objects to Glacier Instant Retrieval after 90 days', (dataClass) => {
    // Act
    const [, bucket] = bucketOfClass(dataTemplate, dataClass);

    // Assess
    expect(bucket.Properties.LifecycleConfiguration).toEqual({
      Rules: expect.arrayContaining([
        expect.objectContaining({ Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }] }),
      ]),
    });
  });

  it('never auto-deletes objects', () => {
    // Assess
    expect(Object.keys(dataTemplate.findResources('Custom::S3AutoDeleteObjects'))).toEqual([]);
    expect(Object.keys(dataTemplate.findResources('Custom::S3BucketNotifications'))).toEqual([]);
  });
});
