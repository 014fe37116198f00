/**
 * DynamoDB's document calls (items as plain JavaScript values), as `@aws-sdk/lib-dynamodb`'s
 * `DynamoDBDocumentClient` makes them, over {@link AwsJsonClient} instead of the SDK's client.
 *
 * The commands have the document client's names and inputs (`new GetCommand({ TableName, Key })`,
 * sent with `documents.send(command)`), so a repository reads the same with either; what goes
 * on the wire is what the document client sends (`test/unit/adapters/aws-json-client.test.ts`
 * compares the requests and the answers read). Values are converted with `@aws-sdk/util-dynamodb`
 * as the document client converts them: `Key`, `Item`, `ExpressionAttributeValues`,
 * `ExclusiveStartKey` and the transaction items' on the way in (undefined values left out),
 * `Item`, `Items`, `Attributes` and `LastEvaluatedKey` on the way out.
 *
 * Seven operations: the ones the functions call (GetItem, PutItem, UpdateItem, DeleteItem, Query,
 * TransactWriteItems, ExecuteStatement with `Parameters` marshalled).
 *
 * @example
 * ```ts
 * const documents = new DynamoDocumentClient();
 * const { Item } = await documents.send(new GetCommand({ TableName: 'kyc', Key: { pk: 'VERIFICATION#v1', sk: 'META' } }));
 * ```
 */
import type {
  DeleteCommandInput,
  DeleteCommandOutput,
  ExecuteStatementCommandInput,
  ExecuteStatementCommandOutput,
  GetCommandInput,
  GetCommandOutput,
  PutCommandInput,
  PutCommandOutput,
  QueryCommandInput,
  QueryCommandOutput,
  TransactWriteCommandInput,
  TransactWriteCommandOutput,
  UpdateCommandInput,
  UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { AwsJsonClient, DYNAMODB, type AwsJsonClientOptions } from './aws-json-client.ts';

type Output<T> = Omit<T, '$metadata'>;

/** A document command: the operation it calls and its input. `O` is what `send` resolves to. */
export abstract class DocumentCommand<I extends object, O> {
  /** The DynamoDB operation (`GetItem`, ...). */
  public abstract readonly operation: DocumentOperation;
  declare public readonly output?: O;
  public constructor(public readonly input: I) {}
}

export type DocumentOperation =
  'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query' | 'TransactWriteItems' | 'ExecuteStatement';

export class GetCommand extends DocumentCommand<GetCommandInput, Output<GetCommandOutput>> {
  public readonly operation = 'GetItem';
}
export class PutCommand extends DocumentCommand<PutCommandInput, Output<PutCommandOutput>> {
  public readonly operation = 'PutItem';
}
export class UpdateCommand extends DocumentCommand<UpdateCommandInput, Output<UpdateCommandOutput>> {
  public readonly operation = 'UpdateItem';
}
export class DeleteCommand extends DocumentCommand<DeleteCommandInput, Output<DeleteCommandOutput>> {
  public readonly operation = 'DeleteItem';
}
export class QueryCommand extends DocumentCommand<QueryCommandInput, Output<QueryCommandOutput>> {
  public readonly operation = 'Query';
}
export class TransactWriteCommand extends DocumentCommand<
  TransactWriteCommandInput,
  Output<TransactWriteCommandOutput>
> {
  public readonly operation = 'TransactWriteItems';
}

export class ExecuteStatementCommand extends DocumentCommand<
  ExecuteStatementCommandInput,
  Output<ExecuteStatementCommandOutput>
> {
  public readonly operation = 'ExecuteStatement';
}

/** What a repository needs of a document client: `send`. */
export interface DynamoDocuments {
  send<O>(command: DocumentCommand<object, O>): Promise<O>;
}

type Values = Record<string, unknown>;
type Wire = Record<string, unknown>;

/** A map of values as the document client marshalls one (`ALL_VALUES`): each value on its own, undefined ones left out. */
function marshallValues(values: unknown): Wire | undefined {
  if (values === undefined || values === null) return undefined;
  const wire: Wire = {};
  for (const [name, value] of Object.entries(values as Values)) {
    if (value === undefined || typeof value === 'function') continue;
    wire[name] = marshall(value, { removeUndefinedValues: true, convertTopLevelContainer: true });
  }
  return wire;
}

function unmarshallValues(wire: unknown): Values | undefined {
  return wire === undefined || wire === null ? undefined : unmarshall(wire as Parameters<typeof unmarshall>[0]);
}

/** Replaces the listed members of `input` by their marshalled form. */
function withMarshalled(input: object, members: readonly string[]): Wire {
  const wire: Wire = { ...(input as Wire) };
  for (const member of members) {
    const marshalled = marshallValues(wire[member]);
    if (marshalled === undefined) delete wire[member];
    else wire[member] = marshalled;
  }
  return wire;
}

const TRANSACT_MEMBERS = {
  ConditionCheck: ['Key', 'ExpressionAttributeValues'],
  Put: ['Item', 'ExpressionAttributeValues'],
  Delete: ['Key', 'ExpressionAttributeValues'],
  Update: ['Key', 'ExpressionAttributeValues'],
} as const;

/** The wire input of a document command. */
export function documentRequest(operation: DocumentOperation, input: object): Wire {
  switch (operation) {
    case 'GetItem':
      return withMarshalled(input, ['Key']);
    case 'PutItem':
      return withMarshalled(input, ['Item', 'ExpressionAttributeValues']);
    case 'UpdateItem':
    case 'DeleteItem':
      return withMarshalled(input, ['Key', 'ExpressionAttributeValues']);
    case 'Query':
      return withMarshalled(input, ['ExpressionAttributeValues', 'ExclusiveStartKey']);
    case 'ExecuteStatement': {
      const { Parameters, ...rest } = input as ExecuteStatementCommandInput;
      if (Parameters === undefined) return rest;
      const options = { removeUndefinedValues: true, convertTopLevelContainer: true } as const;
      return { ...rest, Parameters: Parameters.map((value) => marshall(value, options)) };
    }
    case 'TransactWriteItems': {
      const { TransactItems, ...rest } = input as TransactWriteCommandInput;
      return {
        ...rest,
        TransactItems: (TransactItems ?? []).map((item) => {
          const wire: Wire = {};
          for (const [kind, members] of Object.entries(TRANSACT_MEMBERS)) {
            const part = (item as Record<string, object | undefined>)[kind];
            if (part !== undefined) wire[kind] = withMarshalled(part, members);
          }
          return wire;
        }),
      };
    }
  }
}

/** The document output of a wire answer. */
export function documentResponse(operation: DocumentOperation, answer: Wire): Wire {
  const output: Wire = { ...answer };
  const convert = (member: string): void => {
    if (output[member] !== undefined) output[member] = unmarshallValues(output[member]);
  };
  switch (operation) {
    case 'GetItem':
      convert('Item');
      break;
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
      convert('Attributes');
      break;
    case 'Query':
    case 'ExecuteStatement':
      if (Array.isArray(output.Items)) output.Items = output.Items.map((item) => unmarshallValues(item));
      convert('LastEvaluatedKey');
      break;
    case 'TransactWriteItems':
      break;
  }
  return output;
}

/** Blobs arrive as base64 (`B`, `BS`); the document client gives them as bytes. */
function blobs(key: string, value: unknown): unknown {
  if (key === 'B' && typeof value === 'string') return new Uint8Array(Buffer.from(value, 'base64'));
  if (key === 'BS' && Array.isArray(value))
    return value.map((item) => new Uint8Array(Buffer.from(String(item), 'base64')));
  return value;
}

let shared: DynamoDocumentClient | undefined;

/**
 * The function's document client, made at the first use and shared by its repositories (one
 * kept-alive connection pool, one retry quota, as one SDK client gave them).
 */
export function defaultDynamoDocuments(): DynamoDocumentClient {
  shared ??= new DynamoDocumentClient();
  return shared;
}

/** The document client over {@link AwsJsonClient}: the functions' DynamoDB calls. */
export class DynamoDocumentClient implements DynamoDocuments {
  private readonly json: AwsJsonClient;

  public constructor(options: Omit<AwsJsonClientOptions, 'reviver'> = {}) {
    this.json = new AwsJsonClient(DYNAMODB, { ...options, reviver: blobs });
  }

  public async send<O>(command: DocumentCommand<object, O>): Promise<O> {
    const answer = await this.json.call(command.operation, documentRequest(command.operation, command.input));
    return documentResponse(command.operation, answer) as O;
  }

  /** Closes the kept-alive connections (a command-line tool that should exit). */
  public destroy(): void {
    this.json.destroy();
  }
}
