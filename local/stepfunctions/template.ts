/**
 * Reads Step Functions state machines out of a synthesized CloudFormation template, the way the
 * local runtime needs them: the `DefinitionString` with every intrinsic (`Fn::Join`, `Fn::Sub`,
 * `Ref`, `Fn::GetAtt`, pseudo parameters) resolved to local names, and a map from every Lambda
 * function name or ARN the definition may mention to the function's logical id.
 *
 * Lambda functions resolve to `arn:aws:lambda:<region>:<account>:function:<logicalId>` (GetAtt Arn)
 * and `<logicalId>` (Ref), so a task's `FunctionName` leads straight back to the logical id whose
 * in-process handler the local engine calls.
 *
 * @example
 * ```ts
 * const [machine] = stateMachinesFromTemplate(JSON.parse(readFileSync('cdk.out/Kyc.template.json', 'utf8')));
 * machine.definition.StartAt; // 'LoadAttempt'
 * ```
 */

/** The parts of a CloudFormation template this module reads. */
export interface CfnTemplate {
  readonly Resources?: Readonly<
    Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>
  >;
}

/** An ASL definition (JSONPath query language), as parsed JSON. */
export type AslDefinition = {
  readonly StartAt: string;
  readonly States: Record<string, Record<string, unknown>>;
  readonly TimeoutSeconds?: number;
  readonly Comment?: string;
  readonly QueryLanguage?: string;
};

export interface TemplateStateMachine {
  readonly logicalId: string;
  /** `StateMachineName` when the template sets one, else the logical id. */
  readonly name: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  readonly definition: AslDefinition;
}

export interface ResolveOptions {
  /** Region used for pseudo parameters and ARNs ('us-east-1'). */
  readonly region?: string;
  /** Account used for pseudo parameters and ARNs ('000000000000'). */
  readonly accountId?: string;
  /** Overrides how `Ref`/`Fn::GetAtt` of a non-Lambda resource resolve (default: logical id / a local ARN). */
  readonly resolveResource?: (logicalId: string, attribute: string | undefined, type: string) => string | undefined;
}

/** The template cannot be turned into a runnable local definition. */
export class TemplateResolutionError extends Error {
  constructor(
    message: string,
    public readonly logicalId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TemplateResolutionError';
  }
}

const DEFAULT_REGION = 'us-east-1';
const DEFAULT_ACCOUNT = '000000000000';

/** Local ARN of a template's Lambda function; `lambdaLogicalIdFromArn` reverses it. */
export function localLambdaArn(logicalId: string, region = DEFAULT_REGION, accountId = DEFAULT_ACCOUNT): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${logicalId}`;
}

/** Every Step Functions state machine of the template, with resolved definitions. */
export function stateMachinesFromTemplate(template: CfnTemplate, options: ResolveOptions = {}): TemplateStateMachine[] {
  const resources = template.Resources ?? {};
  const machines: TemplateStateMachine[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const props = resource.Properties ?? {};
    let text: unknown;
    if (props.DefinitionString !== undefined) text = resolveIntrinsics(props.DefinitionString, template, options);
    else if (props.Definition !== undefined)
      text = JSON.stringify(resolveIntrinsics(props.Definition, template, options));
    else throw new TemplateResolutionError(`State machine ${logicalId} has no definition`, logicalId);
    if (typeof text !== 'string') throw new TemplateResolutionError(`DefinitionString of ${logicalId} is not a string`);
    let definition: AslDefinition;
    try {
      definition = JSON.parse(text) as AslDefinition;
    } catch (error) {
      throw new TemplateResolutionError(`DefinitionString of ${logicalId} is not JSON`, logicalId, { cause: error });
    }
    const name = typeof props.StateMachineName === 'string' ? props.StateMachineName : logicalId;
    const type = props.StateMachineType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD';
    machines.push({ logicalId, name, type, definition });
  }
  return machines;
}

/**
 * Maps every way a task may name a template Lambda function (logical id, local ARN, explicit
 * `FunctionName`, with or without a `:qualifier`) to the function's logical id.
 */
export function lambdaNameIndex(template: CfnTemplate, options: ResolveOptions = {}): Map<string, string> {
  const index = new Map<string, string>();
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    index.set(logicalId, logicalId);
    index.set(localLambdaArn(logicalId, options.region, options.accountId), logicalId);
    const explicit = resource.Properties?.FunctionName;
    if (typeof explicit === 'string') index.set(explicit, logicalId);
  }
  return index;
}

/** Logical id named by a `FunctionName`/`Resource` value, using an index from `lambdaNameIndex`. */
export function lambdaLogicalIdFromName(name: string, index: ReadonlyMap<string, string>): string | undefined {
  const direct = index.get(name);
  if (direct) return direct;
  // arn:aws:lambda:region:account:function:name[:qualifier]
  const match = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/.exec(name);
  if (match?.[1]) return index.get(match[1]);
  const unqualified = name.split(':')[0];
  return unqualified ? index.get(unqualified) : undefined;
}

/** Resolves CloudFormation intrinsics in `value` to plain JSON with local names. */
export function resolveIntrinsics(value: unknown, template: CfnTemplate, options: ResolveOptions = {}): unknown {
  const region = options.region ?? DEFAULT_REGION;
  const accountId = options.accountId ?? DEFAULT_ACCOUNT;
  const resources = template.Resources ?? {};

  const pseudo: Record<string, string> = {
    'AWS::Region': region,
    'AWS::AccountId': accountId,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'local',
    'AWS::NoValue': '',
  };

  const resourceName = (logicalId: string, attribute: string | undefined): string => {
    if (pseudo[logicalId] !== undefined) return pseudo[logicalId];
    const resource = resources[logicalId];
    if (!resource) throw new TemplateResolutionError(`Reference to unknown resource ${logicalId}`, logicalId);
    const custom = options.resolveResource?.(logicalId, attribute, resource.Type);
    if (custom !== undefined) return custom;
    if (resource.Type === 'AWS::Lambda::Function') {
      return attribute === 'Arn' ? localLambdaArn(logicalId, region, accountId) : logicalId;
    }
    if (attribute === undefined) return logicalId;
    if (attribute === 'Arn') return `arn:aws:local:${region}:${accountId}:${logicalId}`;
    return `${logicalId}.${attribute}`;
  };

  const resolve = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(resolve);
    if (node === null || typeof node !== 'object') return node;
    const entries = Object.entries(node as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0] as [string, unknown];
      if (key === 'Ref') return resourceName(String(arg), undefined);
      if (key === 'Fn::GetAtt') {
        const [id, attr] = Array.isArray(arg) ? arg : String(arg).split('.');
        return resourceName(String(id), String(attr));
      }
      if (key === 'Fn::Join') {
        const [separator, parts] = arg as [string, unknown[]];
        return (resolve(parts) as unknown[]).map(String).join(separator);
      }
      if (key === 'Fn::Sub') {
        const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
        return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
          if (vars[name] !== undefined) return String(resolve(vars[name]));
          const [id, attr] = name.split('.');
          return resourceName(String(id), attr);
        });
      }
      if (key.startsWith('Fn::')) throw new TemplateResolutionError(`Intrinsic ${key} is not supported locally`);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v)]));
  };
  return resolve(value);
}
