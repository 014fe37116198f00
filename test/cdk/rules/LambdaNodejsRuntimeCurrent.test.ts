import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import rule from '../../../lib/rules/LambdaNodejsRuntimeCurrent.ts';
import { findingsOf, ruleTestStack } from './rule-harness.ts';

const code = lambda.Code.fromInline('exports.handler = async () => ({})');

describe('LambdaNodejsRuntimeCurrent: Node.js Lambda functions run nodejs22.x or newer', () => {
  it.each([lambda.Runtime.NODEJS_18_X, lambda.Runtime.NODEJS_20_X])('Noncompliance 1: a function on %s', (runtime) => {
    // Prepare
    const { stack } = ruleTestStack();
    new lambda.Function(stack, 'Old', { runtime, code, handler: 'index.handler' });

    // Act
    const findings = findingsOf(stack, rule);

    // Assess
    expect(findings).toEqual(['/Stack/Old/Resource']);
  });

  it('Noncompliance 2: a raw CfnFunction on a malformed nodejs runtime', () => {
    // Prepare
    const { stack } = ruleTestStack();
    new lambda.CfnFunction(stack, 'Odd', {
      runtime: 'nodejs',
      handler: 'index.handler',
      role: 'arn:aws:iam::123456789012:role/x',
      code: { zipFile: 'exports.handler = async () => ({})' },
    });

    // Act
    const findings = findingsOf(stack, rule);

    // Assess
    expect(findings).toEqual(['/Stack/Odd']);
  });

  it('Compliance: nodejs22.x, nodejs24.x, and functions of other languages', () => {
    // Prepare
    const { stack } = ruleTestStack();
    new lambda.Function(stack, 'Node22', { runtime: lambda.Runtime.NODEJS_22_X, code, handler: 'index.handler' });
    new lambda.Function(stack, 'Node24', { runtime: lambda.Runtime.NODEJS_24_X, code, handler: 'index.handler' });
    new lambda.Function(stack, 'Python', {
      runtime: lambda.Runtime.PYTHON_3_13,
      code: lambda.Code.fromInline('def handler(e, c): return {}'),
      handler: 'index.handler',
    });

    // Act
    const findings = findingsOf(stack, rule);

    // Assess
    expect(findings).toEqual([]);
  });
});
