/**
 * Node.js Lambda functions run nodejs22.x or newer: the code relies on Node 22 APIs, and
 * older runtimes leave (or have left) standard support.
 */
import { parse } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CfnResource } from 'aws-cdk-lib';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { NagRuleCompliance, NagRules } from 'cdk-nag';

/** Oldest Node.js major version allowed on Lambda. */
export const MIN_NODE_MAJOR = 22;

/**
 * Functions on another language family or on a container image are not applicable;
 * `nodejs` without a version number (never valid today) is non-compliant.
 * @param node the CfnResource to check
 */
export default Object.defineProperty(
  (node: CfnResource): NagRuleCompliance => {
    if (!(node instanceof CfnFunction)) return NagRuleCompliance.NOT_APPLICABLE;
    const runtime = NagRules.resolveIfPrimitive(node, node.runtime) as unknown;
    if (typeof runtime !== 'string' || !runtime.startsWith('nodejs')) return NagRuleCompliance.NOT_APPLICABLE;
    const major = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
    return major !== undefined && Number(major) >= MIN_NODE_MAJOR
      ? NagRuleCompliance.COMPLIANT
      : NagRuleCompliance.NON_COMPLIANT;
  },
  'name',
  { value: parse(fileURLToPath(import.meta.url)).name },
);
