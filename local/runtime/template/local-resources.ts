/**
 * Gives every resource of the synthesized stacks a deterministic local name and resolves the
 * CloudFormation intrinsics (`Ref`, `Fn::GetAtt`, `Fn::ImportValue`, `Fn::Join`, `Fn::Sub`,
 * `Fn::Select`, `Fn::Split`, pseudo parameters) the way CloudFormation would, but to those
 * local names. The runtime uses it to build each function's environment from the template
 * itself, so local handlers see exactly the variables their deployed twins get.
 *
 * Local names: a literal name property when the template sets one (`TableName`, `BucketName`,
 * ...), else a name derived from stack and logical id, valid for the service (bucket names are
 * lower-case and at most 63 characters). KMS key ids are UUIDs derived from the same pair.
 */
import { createHash } from 'node:crypto';
import type { CfnResource, CfnTemplate, SynthesizedStack } from '../synth.ts';

/** Account id local ARNs carry (the local servers use the same). */
export const LOCAL_ACCOUNT = '000000000000';

/** A template cannot be resolved locally (an unknown reference or intrinsic). */
export class TemplateResolveError extends Error {
  constructor(
    message: string,
    public readonly stackName: string,
    public readonly logicalId?: string,
  ) {
    super(message);
    this.name = 'TemplateResolveError';
  }
}

export interface LocalResource {
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
  /** What `Ref` returns. */
  readonly ref: string;
  /** What `Fn::GetAtt` returns, by attribute. */
  readonly attributes: Readonly<Record<string, string>>;
}

function hashName(...parts: string[]): string {
  return createHash('sha256').update(parts.join('/')).digest('hex');
}

/** A deterministic UUID for a stack's logical id (KMS key ids). */
export function deterministicUuid(stackName: string, logicalId: string): string {
  const hex = hashName('kms', stackName, logicalId);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A valid S3 bucket name for a stack's logical id: lower case, [a-z0-9-], at most 63 characters. */
export function localBucketName(stackName: string, logicalId: string): string {
  const base = `${stackName}-${logicalId}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-');
  const suffix = hashName('s3', stackName, logicalId).slice(0, 8);
  return `${base.slice(0, 63 - suffix.length - 1).replace(/-+$/, '')}-${suffix}`;
}

function literal(properties: Record<string, unknown>, name: string): string | undefined {
  const value = properties[name];
  return typeof value === 'string' ? value : undefined;
}

function nameResource(stackName: string, logicalId: string, resource: CfnResource, region: string): LocalResource {
  const type = resource.Type ?? 'Unknown';
  const properties = resource.Properties ?? {};
  const metadata = resource.Metadata ?? {};
  const arnOf = (service: string, resourcePart: string): string =>
    `arn:aws:${service}:${region}:${LOCAL_ACCOUNT}:${resourcePart}`;
  const base = { stackName, logicalId, type, properties, metadata };
  switch (type) {
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable': {
      const name = literal(properties, 'TableName') ?? `${stackName}-${logicalId}`;
      // StreamArn: a stable local name; the stream poller asks DynamoDB Local for the real one.
      return {
        ...base,
        ref: name,
        attributes: {
          Arn: arnOf('dynamodb', `table/${name}`),
          StreamArn: arnOf('dynamodb', `table/${name}/stream/local`),
        },
      };
    }
    case 'AWS::S3::Bucket': {
      const name = literal(properties, 'BucketName') ?? localBucketName(stackName, logicalId);
      return {
        ...base,
        ref: name,
        attributes: {
          Arn: `arn:aws:s3:::${name}`,
          DomainName: `${name}.s3.amazonaws.com`,
          RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
        },
      };
    }
    case 'AWS::KMS::Key': {
      const keyId = deterministicUuid(stackName, logicalId);
      return { ...base, ref: keyId, attributes: { Arn: arnOf('kms', `key/${keyId}`), KeyId: keyId } };
    }
    case 'AWS::KMS::Alias': {
      const name = literal(properties, 'AliasName') ?? `alias/${logicalId}`;
      return { ...base, ref: name, attributes: {} };
    }
    case 'AWS::Lambda::Function': {
      const name = literal(properties, 'FunctionName') ?? logicalId;
      return { ...base, ref: name, attributes: { Arn: arnOf('lambda', `function:${name}`) } };
    }
    case 'AWS::StepFunctions::StateMachine': {
      const name = literal(properties, 'StateMachineName') ?? logicalId;
      const arn = arnOf('states', `stateMachine:${name}`);
      return { ...base, ref: arn, attributes: { Arn: arn, Name: name } };
    }
    case 'AWS::Events::EventBus': {
      const name = literal(properties, 'Name') ?? logicalId;
      return { ...base, ref: name, attributes: { Arn: arnOf('events', `event-bus/${name}`), Name: name } };
    }
    case 'AWS::SQS::Queue': {
      const name = literal(properties, 'QueueName') ?? `${stackName}-${logicalId}`;
      return {
        ...base,
        ref: `https://sqs.${region}.amazonaws.com/${LOCAL_ACCOUNT}/${name}`,
        attributes: { Arn: arnOf('sqs', name), QueueName: name },
      };
    }
    case 'AWS::SNS::Topic': {
      const name = literal(properties, 'TopicName') ?? `${stackName}-${logicalId}`;
      return { ...base, ref: arnOf('sns', name), attributes: { TopicName: name } };
    }
    case 'AWS::SecretsManager::Secret': {
      const name = literal(properties, 'Name') ?? `${stackName}-${logicalId}`;
      return { ...base, ref: arnOf('secretsmanager', `secret:${name}`), attributes: {} };
    }
    case 'AWS::IAM::Role': {
      const name = literal(properties, 'RoleName') ?? `${stackName}-${logicalId}`;
      return { ...base, ref: name, attributes: { Arn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${name}`, RoleId: name } };
    }
    case 'AWS::Logs::LogGroup': {
      const name = literal(properties, 'LogGroupName') ?? `/local/${stackName}/${logicalId}`;
      return { ...base, ref: name, attributes: { Arn: arnOf('logs', `log-group:${name}:*`) } };
    }
    case 'AWS::Rekognition::Collection': {
      const name = literal(properties, 'CollectionId') ?? logicalId;
      return { ...base, ref: name, attributes: { Arn: arnOf('rekognition', `collection/${name}`) } };
    }
    default:
      return { ...base, ref: logicalId, attributes: { Arn: arnOf('local', `${stackName}/${logicalId}`) } };
  }
}

/**
 * All resources of all stacks with local names, plus an intrinsic resolver across stacks.
 *
 * @example
 * ```ts
 * const local = new LocalResources(stacks, 'eu-west-1');
 * local.ofType('AWS::S3::Bucket').map((bucket) => bucket.ref);
 * local.resolve('kyc-app', { 'Fn::ImportValue': 'kyc-data:ExportsOutputRefTable' });
 * ```
 */
export class LocalResources {
  readonly #byStack = new Map<string, Map<string, LocalResource>>();
  readonly #templates = new Map<string, CfnTemplate>();
  readonly #exports = new Map<string, { stackName: string; value: unknown }>();

  constructor(
    stacks: readonly SynthesizedStack[],
    public readonly region: string,
  ) {
    for (const { stackName, template } of stacks) {
      this.#templates.set(stackName, template);
      const resources = new Map<string, LocalResource>();
      for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
        if (resource) resources.set(logicalId, nameResource(stackName, logicalId, resource, region));
      }
      this.#byStack.set(stackName, resources);
    }
    for (const { stackName, template } of stacks) {
      for (const output of Object.values(template.Outputs ?? {})) {
        if (!output?.Export?.Name) continue;
        const name = this.resolve(stackName, output.Export.Name);
        if (typeof name === 'string') this.#exports.set(name, { stackName, value: output.Value });
      }
    }
  }

  /** Every resource of a CloudFormation type, across stacks. */
  ofType(type: string): LocalResource[] {
    return [...this.#byStack.values()].flatMap((resources) => [...resources.values()].filter((r) => r.type === type));
  }

  /** One resource by stack and logical id. */
  get(stackName: string, logicalId: string): LocalResource | undefined {
    return this.#byStack.get(stackName)?.get(logicalId);
  }

  /** Resolves every intrinsic in `value`, evaluated in `stackName`. */
  resolve(stackName: string, value: unknown): unknown {
    const resources = this.#byStack.get(stackName);
    if (!resources) throw new TemplateResolveError(`Unknown stack ${stackName}`, stackName);
    const pseudo: Record<string, string> = {
      'AWS::Region': this.region,
      'AWS::AccountId': LOCAL_ACCOUNT,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': stackName,
      'AWS::StackId': `arn:aws:cloudformation:${this.region}:${LOCAL_ACCOUNT}:stack/${stackName}/local`,
    };
    const reference = (logicalId: string, attribute?: string): string => {
      if (attribute === undefined && pseudo[logicalId] !== undefined) return pseudo[logicalId];
      const resource = resources.get(logicalId);
      if (!resource) throw new TemplateResolveError(`Reference to unknown resource ${logicalId}`, stackName, logicalId);
      if (attribute === undefined) return resource.ref;
      const found = resource.attributes[attribute];
      if (found === undefined) {
        throw new TemplateResolveError(
          `Attribute ${attribute} of ${resource.type} is not emulated`,
          stackName,
          logicalId,
        );
      }
      return found;
    };
    const walk = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(walk);
      if (node === null || typeof node !== 'object') return node;
      const entries = Object.entries(node as Record<string, unknown>);
      if (entries.length === 1) {
        const [key, argument] = entries[0] as [string, unknown];
        switch (key) {
          case 'Ref':
            return reference(String(argument));
          case 'Fn::GetAtt': {
            const [id, ...attribute] = Array.isArray(argument) ? argument.map(String) : String(argument).split('.');
            return reference(String(id), attribute.join('.'));
          }
          case 'Fn::Join': {
            const [separator, parts] = argument as [string, unknown];
            return (walk(parts) as unknown[]).map(String).join(separator);
          }
          case 'Fn::Select': {
            const [index, list] = argument as [unknown, unknown];
            return (walk(list) as unknown[])[Number(walk(index))];
          }
          case 'Fn::Split': {
            const [separator, text] = argument as [string, unknown];
            return String(walk(text)).split(separator);
          }
          case 'Fn::Sub': {
            const [text, variables] = Array.isArray(argument)
              ? (argument as [string, Record<string, unknown>])
              : [String(argument), {} as Record<string, unknown>];
            return text.replace(/\$\{([^}!]+)\}/g, (_match, name: string) => {
              if (variables[name] !== undefined) return String(walk(variables[name]));
              const [id, ...attribute] = name.split('.');
              return reference(String(id), attribute.length > 0 ? attribute.join('.') : undefined);
            });
          }
          case 'Fn::ImportValue': {
            const name = String(walk(argument));
            const exported = this.#exports.get(name);
            if (!exported) throw new TemplateResolveError(`No stack exports ${name}`, stackName);
            return this.resolve(exported.stackName, exported.value);
          }
          default:
            if (key.startsWith('Fn::')) throw new TemplateResolveError(`Intrinsic ${key} is not emulated`, stackName);
        }
      }
      return Object.fromEntries(entries.map(([name, child]) => [name, walk(child)]));
    };
    return walk(value);
  }

  /** The template of a stack, as synthesized. */
  template(stackName: string): CfnTemplate | undefined {
    return this.#templates.get(stackName);
  }
}
