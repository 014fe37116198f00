/**
 * The Lambda functions of the synthesized stacks, as the local runtime runs them: which source
 * file and export each one runs (resource metadata `kyc:entry` / `kyc:handler`, written by the
 * `KycFunction` construct), its timeout, and its environment resolved to local names.
 * Functions without `kyc:entry` (CDK's own custom-resource providers) are not run locally.
 */
import type { LocalResource, LocalResources } from './local-resources.ts';

/** Metadata keys `KycFunction` puts on its `AWS::Lambda::Function` resource. */
export const ENTRY_METADATA = 'kyc:entry';
export const HANDLER_METADATA = 'kyc:handler';

/** Variables that legitimately differ per function and are not shared through `process.env`. */
const PER_FUNCTION_VARIABLES = new Set([
  'POWERTOOLS_SERVICE_NAME',
  'NODE_OPTIONS',
  'AWS_NODEJS_CONNECTION_REUSE_ENABLED',
]);

export interface LocalFunction {
  readonly stackName: string;
  readonly logicalId: string;
  /** Function name (`Ref`), also the local ARN's last part. */
  readonly name: string;
  readonly arn: string;
  /** Repository-relative handler file, e.g. `lambdas/handlers/events/on-upload.ts`. */
  readonly entry: string;
  readonly exportName: string;
  readonly timeoutMs: number;
  readonly environment: Readonly<Record<string, string>>;
}

/** The handler file and export of a function resource, when it has them. */
function handlerOf(resource: LocalResource): { entry: string; exportName: string } | undefined {
  const entry = resource.metadata[ENTRY_METADATA];
  if (typeof entry !== 'string' || entry === '') return undefined;
  const exportName = resource.metadata[HANDLER_METADATA];
  return { entry, exportName: typeof exportName === 'string' && exportName !== '' ? exportName : 'handler' };
}

/**
 * Every function the runtime can run in-process, plus the ones it cannot (no entry metadata).
 *
 * @example
 * ```ts
 * const { runnable, skipped } = localFunctions(resources);
 * ```
 */
export function localFunctions(resources: LocalResources): { runnable: LocalFunction[]; skipped: string[] } {
  const runnable: LocalFunction[] = [];
  const skipped: string[] = [];
  for (const resource of resources.ofType('AWS::Lambda::Function')) {
    const handler = handlerOf(resource);
    if (!handler) {
      skipped.push(`${resource.stackName}/${resource.logicalId}`);
      continue;
    }
    const variables = (resources.resolve(resource.stackName, resource.properties.Environment) ?? {}) as {
      Variables?: Record<string, unknown>;
    };
    const environment: Record<string, string> = {};
    for (const [name, value] of Object.entries(variables.Variables ?? {})) environment[name] = String(value);
    const timeout = Number(resource.properties.Timeout ?? 3);
    runnable.push({
      stackName: resource.stackName,
      logicalId: resource.logicalId,
      name: resource.ref,
      arn: resource.attributes.Arn ?? resource.ref,
      entry: handler.entry,
      exportName: handler.exportName,
      timeoutMs: (Number.isFinite(timeout) ? timeout : 3) * 1000,
      environment,
    });
  }
  return { runnable, skipped };
}

/**
 * The variables the functions agree on, for the one process that runs them all. Variables
 * that differ between functions are left out of it: each invocation
 * sees its own function's values through the per-invocation overlay (`function-environment.ts`).
 */
export function sharedEnvironment(functions: readonly LocalFunction[]): Record<string, string> {
  const values = new Map<string, Set<string>>();
  for (const fn of functions) {
    for (const [name, value] of Object.entries(fn.environment)) {
      values.set(name, (values.get(name) ?? new Set()).add(value));
    }
  }
  const shared: Record<string, string> = {};
  for (const [name, set] of values) {
    const [value] = [...set];
    if (set.size === 1 && value !== undefined && !PER_FUNCTION_VARIABLES.has(name)) shared[name] = value;
  }
  return shared;
}
