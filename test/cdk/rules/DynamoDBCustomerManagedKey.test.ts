import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import rule from '../../../lib/rules/DynamoDBCustomerManagedKey.ts';
import { findingsOf, ruleTestStack } from './rule-harness.ts';

const partitionKey = { name: 'pk', type: dynamodb.AttributeType.STRING };

describe('DynamoDBCustomerManagedKey: DynamoDB tables are encrypted with a customer-managed KMS key', () => {
  it.each([
    ['the default AWS-owned key', {}],
    ['the AWS-managed key', { encryption: dynamodb.TableEncryption.AWS_MANAGED }],
  ])('Noncompliance 1: a table with %s', (_label, encryption) => {
    // Prepare
    const { stack } = ruleTestStack();
    new dynamodb.Table(stack, 'Table', { partitionKey, ...encryption });

    // Act
    const findings = findingsOf(stack, rule);

    // Assess
    expect(findings).toEqual(['/Stack/Table/Resource']);
  });

  it.each([
    ['the default AWS-owned key', undefined],
    ['the AWS-managed key', dynamodb.TableEncryptionV2.awsManagedKey()],
  ])('Noncompliance 2: a global table (TableV2) with %s', (_label, encryption) => {
    // Prepare
    const { stack } = ruleTestStack();
    new dynamodb.TableV2(stack, 'Global', { partitionKey, encryption });

    // Act
    const findings = findingsOf(stack, rule);

    // Assess
    expect(findings).toEqual(['/Stack/Global/Resource']);
  });

  it('Compliance: a table and a global table with a customer-managed key', () => {
    // Prepare
    const { stack } = ruleTestStack();
    const key = new kms.Key(stack, 'Key');
    new dynamodb.Table(stack, 'Table', {
      partitionKey,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
    });
    new dynamodb.TableV2(stack, 'Global', {
      partitionKey,
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(key),
    });

    // Act
    const findings = findingsOf(stack, rule);

    // Assess
    expect(findings).toEqual([]);
  });
});
