/**
 * Reads a function role's IAM policy from a template as `action @ resource [condition]` lines,
 * minus the baseline every `KycFunction` has (own log group, X-Ray, failure queue and its key through SQS),
 * so tests can compare what a construct granted with exactly what its code calls.
 */
import type { Template } from 'aws-cdk-lib/assertions';

const RESOURCE_LABELS: Array<[RegExp, string]> = [
  [/TablesVerifications/, 'verifications'],
  [/TablesAuditEvents/, 'auditEvents'],
  [/TablesRateLimits/, 'rateLimits'],
  [/TablesIdempotency/, 'idempotency'],
  [/KeysData/, 'dataKey'],
  [/KeysService/, 'serviceKey'],
  [/KeysDocuments/, 'documentsKey'],
  [/BucketsIntake/, 'intake'],
  [/BucketsVault/, 'vault'],
  [/BucketsRenditions/, 'renditions'],
  [/KeysDocumentNumberHmac/, 'hmacKey'],
  [/EventsBus|VerificationEvents|EventBus/, 'bus'],
  [/WorkflowStateMachine/, 'workflow'],
  [/GetAttFaces[0-9A-F]{8}Arn/, 'faceCollection'],
];

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

function label(resource: unknown): string {
  if (resource === '*') return '*';
  const text = JSON.stringify(resource);
  const name = RESOURCE_LABELS.find(([pattern]) => pattern.test(text))?.[1] ?? text;
  const suffix = /"(\/[^"]*)"\]\]/.exec(text)?.[1] ?? /Arn[0-9A-F]*"\},"(\/[^"]*)"/.exec(text)?.[1] ?? '';
  return `${name}${suffix}`;
}

function conditionLabel(condition: Statement['Condition']): string {
  if (!condition) return '';
  const parts: string[] = [];
  for (const values of Object.values(condition)) {
    for (const [key, value] of Object.entries(values)) {
      const shown =
        typeof value === 'string' ? value.replace(/\.[a-z]{2}-[a-z]+-\d\.amazonaws\.com$/, '') : JSON.stringify(value);
      parts.push(`${key}=${shown}`);
    }
  }
  return ` [${parts.join(', ')}]`;
}

function isBaseline(action: string, resource: string, condition: string): boolean {
  if (action.startsWith('logs:') || action.startsWith('xray:')) return true;
  if (action.startsWith('sqs:')) return true;
  return (
    resource === 'serviceKey' &&
    condition === ' [kms:ViaService=sqs]' &&
    ['kms:Decrypt', 'kms:GenerateDataKey'].includes(action)
  );
}

/** Grants of the role whose logical id starts with `rolePrefix`, baseline removed, sorted. */
export function grantsOf(template: Template, rolePrefix: string): string[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const lines = new Set<string>();
  let found = false;
  for (const policy of Object.values(policies)) {
    const roles = JSON.stringify(policy.Properties.Roles);
    if (!new RegExp(`"Ref":"${rolePrefix}Role[0-9A-F]{8}"`).test(roles)) continue;
    found = true;
    for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
      const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
      const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      for (const action of actions) {
        for (const resource of resources) {
          const resourceLabel = label(resource);
          const condition = conditionLabel(statement.Condition);
          if (!isBaseline(action, resourceLabel, condition)) lines.add(`${action} @ ${resourceLabel}${condition}`);
        }
      }
    }
  }
  if (!found) throw new Error(`no policy for role ${rolePrefix}`);
  return [...lines].sort();
}
