/**
 * Creates the DynamoDB tables of a synthesized CloudFormation template in DynamoDB Local, so
 * the local runtime uses exactly the keys and indexes the CDK app deploys.
 *
 * Supports `AWS::DynamoDB::Table` (CDK `Table`) and `AWS::DynamoDB::GlobalTable` (CDK
 * `TableV2`). Keeps key schema, attribute definitions, GSIs, LSIs, streams and the TTL
 * attribute; drops what DynamoDB Local cannot do or does not need (SSE/KMS, point-in-time
 * recovery, billing and throughput, replicas, deletion protection, contributor insights, tags).
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type LocalSecondaryIndex,
  type Projection,
  type StreamViewType,
} from '@aws-sdk/client-dynamodb';

/** The part of a CloudFormation template this module reads. */
export interface CloudFormationTemplate {
  Resources?: Record<
    string,
    { Type?: string; Properties?: Record<string, unknown>; [other: string]: unknown } | undefined
  >;
}

/** Chooses the local table name for a table resource. */
export type TableNameFor = (logicalId: string, properties: Record<string, unknown>) => string;

/** A table resource of the template that cannot be created (missing or malformed key schema). */
export class InvalidTableDefinitionError extends Error {
  constructor(
    public readonly logicalId: string,
    message: string,
  ) {
    super(`Table ${logicalId}: ${message}`);
    this.name = 'InvalidTableDefinitionError';
  }
}

const TABLE_TYPES = new Set(['AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable']);

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const asArray = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isObject) : []);

function keySchema(logicalId: string, value: unknown): KeySchemaElement[] {
  const elements = asArray(value).map((element): KeySchemaElement => {
    const { AttributeName, KeyType } = element;
    if (typeof AttributeName !== 'string' || (KeyType !== 'HASH' && KeyType !== 'RANGE')) {
      throw new InvalidTableDefinitionError(logicalId, 'KeySchema entries need AttributeName and KeyType HASH|RANGE');
    }
    return { AttributeName, KeyType };
  });
  if (elements.length === 0) throw new InvalidTableDefinitionError(logicalId, 'KeySchema is missing');
  return elements;
}

function attributeDefinitions(logicalId: string, value: unknown): AttributeDefinition[] {
  return asArray(value).map(({ AttributeName, AttributeType }) => {
    if (
      typeof AttributeName !== 'string' ||
      (AttributeType !== 'S' && AttributeType !== 'N' && AttributeType !== 'B')
    ) {
      throw new InvalidTableDefinitionError(
        logicalId,
        'AttributeDefinitions need AttributeName and AttributeType S|N|B',
      );
    }
    return { AttributeName, AttributeType };
  });
}

function projection(value: unknown): Projection {
  if (!isObject(value)) return { ProjectionType: 'ALL' };
  const type = value.ProjectionType;
  const projectionType = type === 'KEYS_ONLY' || type === 'INCLUDE' ? type : 'ALL';
  const nonKey = Array.isArray(value.NonKeyAttributes)
    ? value.NonKeyAttributes.filter((name): name is string => typeof name === 'string')
    : undefined;
  return projectionType === 'INCLUDE'
    ? { ProjectionType: projectionType, NonKeyAttributes: nonKey }
    : { ProjectionType: projectionType };
}

function indexName(logicalId: string, index: Json): string {
  if (typeof index.IndexName !== 'string')
    throw new InvalidTableDefinitionError(logicalId, 'an index has no IndexName');
  return index.IndexName;
}

function streamViewType(properties: Json): StreamViewType | undefined {
  const spec = properties.StreamSpecification;
  if (!isObject(spec)) return undefined;
  const type = spec.StreamViewType;
  return type === 'KEYS_ONLY' || type === 'NEW_IMAGE' || type === 'OLD_IMAGE' || type === 'NEW_AND_OLD_IMAGES'
    ? type
    : undefined;
}

function ttlAttribute(properties: Json): string | undefined {
  const spec = properties.TimeToLiveSpecification;
  if (!isObject(spec) || spec.Enabled !== true || typeof spec.AttributeName !== 'string') return undefined;
  return spec.AttributeName;
}

/** Translates one table resource into a CreateTable request (billing: on demand). */
export function createTableInput(logicalId: string, properties: Json, tableName: string): CreateTableCommandInput {
  const gsis: GlobalSecondaryIndex[] = asArray(properties.GlobalSecondaryIndexes).map((index) => ({
    IndexName: indexName(logicalId, index),
    KeySchema: keySchema(logicalId, index.KeySchema),
    Projection: projection(index.Projection),
  }));
  const lsis: LocalSecondaryIndex[] = asArray(properties.LocalSecondaryIndexes).map((index) => ({
    IndexName: indexName(logicalId, index),
    KeySchema: keySchema(logicalId, index.KeySchema),
    Projection: projection(index.Projection),
  }));
  const viewType = streamViewType(properties);
  return {
    TableName: tableName,
    KeySchema: keySchema(logicalId, properties.KeySchema),
    AttributeDefinitions: attributeDefinitions(logicalId, properties.AttributeDefinitions),
    BillingMode: 'PAY_PER_REQUEST',
    ...(gsis.length > 0 ? { GlobalSecondaryIndexes: gsis } : {}),
    ...(lsis.length > 0 ? { LocalSecondaryIndexes: lsis } : {}),
    ...(viewType ? { StreamSpecification: { StreamEnabled: true, StreamViewType: viewType } } : {}),
  };
}

/**
 * Creates every `AWS::DynamoDB::Table` and `AWS::DynamoDB::GlobalTable` of `template` that
 * does not exist yet and enables its TTL attribute. Existing tables (a data folder made by an
 * older version) only get the global secondary indexes the template added since, one
 * UpdateTable each, as CloudFormation does in AWS; nothing else of them changes.
 *
 * Names: `nameFor(logicalId, properties)` when given, else the literal `TableName` of the
 * resource, else the logical id (CDK leaves `TableName` out unless the app sets it).
 *
 * @returns the table name of every table resource, by logical id
 * @example
 * const template = JSON.parse(readFileSync('cdk.out/KycStack.template.json', 'utf8'));
 * const names = await createTablesFromTemplate(template, new DynamoDBClient(localClientConfig(ddb.endpoint)));
 * // { VerificationsTable1234: 'VerificationsTable1234', ... }
 */
/** Creates the template's GSIs an existing table lacks, one UpdateTable per index. */
async function addMissingIndexes(client: DynamoDBClient, input: CreateTableCommandInput): Promise<void> {
  const wanted = input.GlobalSecondaryIndexes ?? [];
  if (wanted.length === 0) return;
  const described = await client.send(new DescribeTableCommand({ TableName: input.TableName }));
  const existing = new Set((described.Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  for (const index of wanted.filter((candidate) => !existing.has(candidate.IndexName))) {
    const names = new Set((index.KeySchema ?? []).map((key) => key.AttributeName));
    await client.send(
      new UpdateTableCommand({
        TableName: input.TableName,
        AttributeDefinitions: (input.AttributeDefinitions ?? []).filter((definition) =>
          names.has(definition.AttributeName),
        ),
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              IndexName: index.IndexName,
              KeySchema: index.KeySchema,
              Projection: index.Projection,
            },
          },
        ],
      }),
    );
  }
}

export async function createTablesFromTemplate(
  template: CloudFormationTemplate,
  client: DynamoDBClient,
  nameFor?: TableNameFor,
): Promise<Record<string, string>> {
  const names: Record<string, string> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    if (!resource || !TABLE_TYPES.has(resource.Type ?? '')) continue;
    const properties = resource.Properties ?? {};
    const literalName = typeof properties.TableName === 'string' ? properties.TableName : undefined;
    const tableName = nameFor ? nameFor(logicalId, properties) : (literalName ?? logicalId);
    const input = createTableInput(logicalId, properties, tableName);
    let created = true;
    try {
      await client.send(new CreateTableCommand(input));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
      created = false;
    }
    if (!created) await addMissingIndexes(client, input);
    const ttl = ttlAttribute(properties);
    if (created && ttl) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { Enabled: true, AttributeName: ttl },
        }),
      );
    }
    names[logicalId] = tableName;
  }
  return names;
}
