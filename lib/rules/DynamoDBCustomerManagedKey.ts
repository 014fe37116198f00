/**
 * DynamoDB tables are encrypted with a customer-managed KMS key (PRODUCT §5), never the
 * AWS-owned or AWS-managed key: only a customer-managed key lets us restrict and audit who
 * can decrypt identity records.
 */
import { parse } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stack, type CfnResource } from 'aws-cdk-lib';
import { CfnGlobalTable, CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import { NagRuleCompliance, NagRules } from 'cdk-nag';

/** `sseSpecification` after `Stack.resolve` (L1 property names, camelCase). */
interface SseSpecification {
  sseEnabled?: unknown;
  sseType?: unknown;
  kmsMasterKeyId?: unknown;
}

/**
 * `AWS::DynamoDB::Table` needs SSEEnabled, SSEType KMS and a KMSMasterKeyId;
 * `AWS::DynamoDB::GlobalTable` needs SSEEnabled, SSEType KMS and a KMSMasterKeyId on every replica.
 * @param node the CfnResource to check
 */
export default Object.defineProperty(
  (node: CfnResource): NagRuleCompliance => {
    const stack = Stack.of(node);
    if (node instanceof CfnTable) {
      const sse = stack.resolve(node.sseSpecification) as SseSpecification | undefined;
      return sseEnabled(node, sse) && hasKey(sse?.kmsMasterKeyId)
        ? NagRuleCompliance.COMPLIANT
        : NagRuleCompliance.NON_COMPLIANT;
    }
    if (node instanceof CfnGlobalTable) {
      const sse = stack.resolve(node.sseSpecification) as SseSpecification | undefined;
      const replicas = (stack.resolve(node.replicas) ?? []) as { sseSpecification?: { kmsMasterKeyId?: unknown } }[];
      const everyReplicaKeyed =
        replicas.length > 0 && replicas.every((replica) => hasKey(replica.sseSpecification?.kmsMasterKeyId));
      return sseEnabled(node, sse) && everyReplicaKeyed ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
    }
    return NagRuleCompliance.NOT_APPLICABLE;
  },
  'name',
  { value: parse(fileURLToPath(import.meta.url)).name },
);

function sseEnabled(node: CfnResource, sse: SseSpecification | undefined): boolean {
  return (
    sse !== undefined &&
    NagRules.resolveIfPrimitive(node, sse.sseEnabled) === true &&
    NagRules.resolveIfPrimitive(node, sse.sseType) === 'KMS'
  );
}

function hasKey(keyId: unknown): boolean {
  if (keyId === undefined || keyId === null || keyId === '') return false;
  // The AWS-managed key (alias/aws/dynamodb) is not customer-managed.
  return !(typeof keyId === 'string' && keyId.includes('alias/aws/'));
}
