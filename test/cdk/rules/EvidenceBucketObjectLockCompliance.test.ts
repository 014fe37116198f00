import { Duration } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { tagDataClass } from '../../../lib/constructs/bucket-security.ts';
import { LockedBucket } from '../../../lib/constructs/locked-bucket.ts';
import rule from '../../../lib/rules/EvidenceBucketObjectLockCompliance.ts';
import { findingsOf, ruleTestStack } from './rule-harness.ts';

describe('EvidenceBucketObjectLockCompliance: evidence and audit buckets use Object Lock COMPLIANCE for at least 5 years', () => {
  it('Noncompliance 1: a locked bucket in GOVERNANCE mode', () => {
    // Prepare
    const { stack } = ruleTestStack();
    new s3.Bucket(stack, 'Governance', {
      objectLockDefaultRetention: s3.ObjectLockRetention.governance(Duration.days(3650)),
    });

    // Act
    const findings = findingsOf(stack, rule);

    // Assess
    expect(findings).toEqual(['/Stack/Governance/Resource']);
  });

  it.each([
    ['Days 1825', { days: 1825 }],
    ['Years 4', { years: 4 }],
    ['no default retention', undefined],
  ])('Noncompliance 2: a COMPLIANCE-locked bucket with too short a retention (%s)', (_label, retention) => {
    // Prepare
    const { stack } = ruleTestStack();
    const bucket = new s3.Bucket(stack, 'Short', { objectLockEnabled: true, versioned: true });
    (bucket.node.defaultChild as s3.CfnBucket).objectLockConfiguration = {
      objectLockEnabled: 'Enabled',
      rule: retention ? { defaultRetention: { mode: 'COMPLIANCE', ...retention } } : undefined,
    };

    // Act
    const findings = findingsOf(stack, rule);

    // Assess
    expect(findings).toEqual(['/Stack/Short/Resource']);
  });

  it('Noncompliance 3: a bucket tagged as evidence without Object Lock', () => {
    // Prepare
    const { stack } = ruleTestStack();
    const bucket = new s3.Bucket(stack, 'Unlocked');
    tagDataClass(bucket, 'evidence');

    // Act
    const findings = findingsOf(stack, rule);

    // Assess
    expect(findings).toEqual(['/Stack/Unlocked/Resource']);
  });

  it.each([
    ['Days 1826', { days: 1826 }],
    ['Years 5', { years: 5 }],
  ])(
    'Compliance: COMPLIANCE mode for at least 5 years (%s), and unlocked buckets of other classes',
    (_label, retention) => {
      // Prepare
      const { stack } = ruleTestStack();
      const bucket = new s3.Bucket(stack, 'Locked', { objectLockEnabled: true, versioned: true });
      (bucket.node.defaultChild as s3.CfnBucket).objectLockConfiguration = {
        objectLockEnabled: 'Enabled',
        rule: { defaultRetention: { mode: 'COMPLIANCE', ...retention } },
      };
      new LockedBucket(stack, 'Vault', {
        encryptionKey: new kms.Key(stack, 'Key'),
        accessLogsBucket: new s3.Bucket(stack, 'Logs'),
        retentionYears: 5,
        dataClass: 'evidence',
      });
      tagDataClass(new s3.Bucket(stack, 'Intake'), 'intake');

      // Act
      const findings = findingsOf(stack, rule);

      // Assess
      expect(findings).toEqual([]);
    },
  );
});
