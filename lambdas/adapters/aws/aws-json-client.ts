/**
 * Calls to an AWS service that speaks the JSON protocol (`awsJson1_0`, `awsJson1_1`: DynamoDB,
 * Step Functions, KMS, EventBridge, Rekognition, Cognito user pools, Secrets Manager), built from
 * the SDK's own parts, without the service's SDK client.
 *
 * Why: an SDK client carries, besides the few calls a function makes, the whole generic machinery
 * of a Smithy client (middleware stack, schema codec, endpoint rules engine, configuration
 * resolvers), about 170 KB minified for DynamoDB with the document client. Importing that took
 * most of a lean function's cold start (`npm run bench -- bundles`, the floors). The JSON
 * protocol itself is small: a POST to `/` with the operation in `X-Amz-Target` and the input as
 * JSON, the answer as JSON, an error named by `__type` (or `X-Amzn-ErrorType`).
 *
 * The parts are the SDK's: `SignatureV4` signs, the `NodeHttpHandler` sends over a keep-alive
 * agent, the SDK's `StandardRetryStrategy` and error classification retry (3 attempts by default;
 * throttling, 5xx and dropped connections retried, client errors not). Errors carry the service's
 * code as `name`, the HTTP status in `$metadata.httpStatusCode`, and the error's other fields
 * (`CancellationReasons`, ...) as the SDK's do. Endpoints: the one the SDK would honour from the
 * environment (`AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`, unless
 * `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`), else `https://<prefix>.<region>.<partition's DNS
 * suffix>`. FIPS and dual-stack endpoints are refused by name, not silently ignored.
 *
 * The caller sends the wire shape: JSON values, blobs as base64 strings, timestamps as epoch
 * seconds (`test/unit/adapters/aws-json-client.test.ts` compares requests with the SDK's).
 *
 * @example
 * ```ts
 * const dynamodb = new AwsJsonClient(DYNAMODB);
 * const answer = await dynamodb.call('GetItem', { TableName: 't', Key: { pk: { S: 'a' } } });
 * ```
 */
import type { Readable } from 'node:stream';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { partition } from '@aws-sdk/core/client';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { StandardRetryStrategy } from '@smithy/core/retry';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import { configuredEndpoint, refuseEndpointVariants, regionFromEnv } from './aws-environment.ts';
import { withRetries } from './sdk-retry.ts';

/** A JSON-protocol service, as its Smithy model names it. */
export interface AwsJsonService {
  /** SigV4 signing name (`dynamodb`, `states`, `kms`, `events`, `rekognition`). */
  readonly signingName: string;
  /** The first label of the service's host name (`dynamodb`, `states`, ...). */
  readonly endpointPrefix: string;
  /** The `X-Amz-Target` prefix (`DynamoDB_20120810`, `AWSStepFunctions`, ...). */
  readonly targetPrefix: string;
  /** `awsJson1_0` or `awsJson1_1`. */
  readonly jsonVersion: '1.0' | '1.1';
  /** The service's part of `AWS_ENDPOINT_URL_<SERVICE>` (`DYNAMODB`, `SFN`, ...). */
  readonly endpointVariable: string;
}

export const DYNAMODB: AwsJsonService = {
  signingName: 'dynamodb',
  endpointPrefix: 'dynamodb',
  targetPrefix: 'DynamoDB_20120810',
  jsonVersion: '1.0',
  endpointVariable: 'DYNAMODB',
};
export const SFN: AwsJsonService = {
  signingName: 'states',
  endpointPrefix: 'states',
  targetPrefix: 'AWSStepFunctions',
  jsonVersion: '1.0',
  endpointVariable: 'SFN',
};
export const KMS: AwsJsonService = {
  signingName: 'kms',
  endpointPrefix: 'kms',
  targetPrefix: 'TrentService',
  jsonVersion: '1.1',
  endpointVariable: 'KMS',
};
export const EVENTBRIDGE: AwsJsonService = {
  signingName: 'events',
  endpointPrefix: 'events',
  targetPrefix: 'AWSEvents',
  jsonVersion: '1.1',
  endpointVariable: 'EVENTBRIDGE',
};
export const REKOGNITION: AwsJsonService = {
  signingName: 'rekognition',
  endpointPrefix: 'rekognition',
  targetPrefix: 'RekognitionService',
  jsonVersion: '1.1',
  endpointVariable: 'REKOGNITION',
};

export const COGNITO_IDENTITY_PROVIDER: AwsJsonService = {
  signingName: 'cognito-idp',
  endpointPrefix: 'cognito-idp',
  targetPrefix: 'AWSCognitoIdentityProviderService',
  jsonVersion: '1.1',
  endpointVariable: 'COGNITO_IDENTITY_PROVIDER',
};
export const SECRETS_MANAGER: AwsJsonService = {
  signingName: 'secretsmanager',
  endpointPrefix: 'secretsmanager',
  targetPrefix: 'secretsmanager',
  jsonVersion: '1.1',
  endpointVariable: 'SECRETS_MANAGER',
};

/** What the SDK puts beside every output: the answer's status and request id. */
export interface ResponseMetadata {
  readonly httpStatusCode: number;
  readonly requestId?: string;
}

/**
 * One operation's call, as the SDK's commands are made (`new SignCommand(input)`): its name, its
 * input in the SDK's shape (bytes as `Uint8Array`, times as `Date`: sent as base64 and epoch
 * seconds), and {@link JsonCommand.read}, which turns the answer into the SDK's output shape.
 */
export abstract class JsonCommand<I extends object, O> {
  /** The operation (`StartExecution`, `Sign`, ...). */
  public abstract readonly operation: string;
  declare public readonly output?: O;
  public constructor(public readonly input: I) {}

  /** The output of an answer: by default as it came (no bytes, no times in it). */
  public read(answer: Record<string, unknown>): O {
    return answer as O;
  }
}

/** What an adapter needs of a service's client: `send`, resolving to the output and its `$metadata`. */
export interface JsonCalls {
  send<O>(command: JsonCommand<object, O>): Promise<O & { readonly $metadata: ResponseMetadata }>;
}

/** Bytes the protocol sent as base64, as the SDK gives them. */
export const bytesOf = (value: unknown): Uint8Array | undefined =>
  typeof value === 'string' ? new Uint8Array(Buffer.from(value, 'base64')) : undefined;

/** A time the protocol sent as epoch seconds, as the SDK gives it. */
export const dateOf = (value: unknown): Date | undefined =>
  typeof value === 'number' ? new Date(Math.round(value * 1000)) : undefined;

/** Signing credentials (`AwsCredentialIdentity`), or a provider of them. */
export type AwsCredentials =
  | { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string }
  | (() => Promise<{ readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string }>);

/** Where and as whom requests go. */
export interface AwsServiceContext {
  readonly region: string;
  readonly credentials: AwsCredentials;
  /** A custom endpoint (the local runtime's): requests go there instead of AWS's. */
  readonly endpoint?: string;
  /** The signing clock (tests). */
  readonly now?: () => Date;
}

export interface AwsJsonClientOptions {
  /** Region, credentials and endpoint (default: the function's environment, read at the first call). */
  readonly context?: AwsServiceContext;
  /** How many times a request is tried in all (default 3, as the SDK). */
  readonly maxAttempts?: number;
  /** The HTTP handler (tests). */
  readonly httpHandler?: Pick<NodeHttpHandler, 'handle' | 'destroy'>;
  /** Reads the answer's JSON (`JSON.parse`'s reviver): where a service's shapes carry blobs as base64. */
  readonly reviver?: (key: string, value: unknown) => unknown;
}

/** An endpoint setting the SDK honours and this client does not (FIPS or dual-stack). */
export class AwsEndpointNotSupportedError extends Error {
  constructor(setting: string) {
    super(`${setting} is set: the SDK's client is needed for it (lambdas/adapters/aws/aws-json-client.ts)`);
    this.name = 'AwsEndpointNotSupportedError';
  }
}

/** An error the service answered: `name` is its code, the error's other fields are kept. */
export class AwsServiceError extends Error {
  public readonly $fault: 'client' | 'server';
  public readonly $metadata: { readonly httpStatusCode: number; readonly requestId?: string };
  [field: string]: unknown;

  public constructor(code: string, message: string, status: number, requestId?: string) {
    super(message || code);
    this.name = code;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status, ...(requestId ? { requestId } : {}) };
  }
}

/**
 * The context a Lambda function (or the local runtime's handler) has in its environment: the
 * region, the environment's credentials, and the endpoint the SDK would honour for `service`.
 */
export function serviceContextFromEnv(
  service: AwsJsonService,
  env: NodeJS.ProcessEnv = process.env,
): AwsServiceContext {
  const region = regionFromEnv(env);
  refuseEndpointVariants(env, (setting) => new AwsEndpointNotSupportedError(setting));
  const endpoint = configuredEndpoint(env, service.endpointVariable);
  return { region, credentials: fromEnv(), ...(endpoint ? { endpoint } : {}) };
}

/** The code of a JSON-protocol error, as the SDK reads it: the header, else `code`, else `__type`; no namespace. */
function errorCode(header: string | undefined, body: Record<string, unknown>): string | undefined {
  const raw = header ?? (typeof body.code === 'string' ? body.code : undefined) ?? body.__type;
  if (typeof raw !== 'string' || raw === '') return undefined;
  const code = raw.split(':')[0] as string;
  return code.slice(code.lastIndexOf('#') + 1);
}

/**
 * `JSON.stringify`'s replacer: bytes (`Uint8Array`, `Buffer`) go as base64 and times (`Date`) as
 * epoch seconds, as the protocol sends blobs and timestamps.
 */
function wireReplacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const original = this[key];
  if (original instanceof Uint8Array) return Buffer.from(original).toString('base64');
  if (original instanceof Date) return original.getTime() / 1000;
  return value;
}

/** A response body read whole (the functions' clients read answers of a few KB, or a ranged image). */
export async function bodyBytes(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

const text = async (body: Readable): Promise<string> => (await bodyBytes(body)).toString('utf8');

/** One JSON-protocol service's operations, called by name with the wire input. */
export class AwsJsonClient {
  private contextValue: AwsServiceContext | undefined;
  private signerValue: SignatureV4 | undefined;
  private addressValue: { protocol: string; hostname: string; port?: number; path: string } | undefined;
  private readonly http: Pick<NodeHttpHandler, 'handle' | 'destroy'>;
  private readonly retries: StandardRetryStrategy;
  private readonly reviver: ((key: string, value: unknown) => unknown) | undefined;

  public constructor(
    private readonly service: AwsJsonService,
    options: AwsJsonClientOptions = {},
  ) {
    this.contextValue = options.context;
    this.reviver = options.reviver;
    this.http = options.httpHandler ?? new NodeHttpHandler();
    this.retries = new StandardRetryStrategy(options.maxAttempts ?? 3);
  }

  /** The context, read from the environment at the first call (a function that never calls never reads it). */
  private get context(): AwsServiceContext {
    this.contextValue ??= serviceContextFromEnv(this.service);
    return this.contextValue;
  }

  private get signer(): SignatureV4 {
    this.signerValue ??= new SignatureV4({
      credentials: this.context.credentials,
      region: this.context.region,
      service: this.service.signingName,
      sha256: Sha256,
    });
    return this.signerValue;
  }

  /** Where requests go: the configured endpoint, else the service's host in the region's partition (worked out once). */
  private get address(): { protocol: string; hostname: string; port?: number; path: string } {
    if (!this.addressValue) {
      const { region, endpoint } = this.context;
      const url = new URL(
        endpoint ?? `https://${this.service.endpointPrefix}.${region}.${partition(region).dnsSuffix}`,
      );
      this.addressValue = {
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname === '' ? '/' : url.pathname,
      };
    }
    return this.addressValue;
  }

  /** Closes the kept-alive connections (a command-line tool that should exit). */
  public destroy(): void {
    this.http.destroy();
  }

  /**
   * Calls `operation` with `input` (its wire shape), retrying as the SDK's standard mode does;
   * resolves to the parsed answer (`{}` for an empty one), rejects with an {@link AwsServiceError}.
   */
  public async call<T = Record<string, unknown>>(
    operation: string,
    input: object,
  ): Promise<T & { readonly $metadata: ResponseMetadata }> {
    const body = JSON.stringify(input, wireReplacer);
    return withRetries(this.retries, this.service.signingName, () => this.attempt<T>(operation, body));
  }

  /** Sends `command`: its output in the SDK's shape, with `$metadata`. */
  public async send<O>(command: JsonCommand<object, O>): Promise<O & { readonly $metadata: ResponseMetadata }> {
    const { $metadata, ...answer } = await this.call(command.operation, command.input);
    return { ...command.read(answer), $metadata };
  }

  private async attempt<T>(operation: string, body: string): Promise<T & { readonly $metadata: ResponseMetadata }> {
    const { protocol, hostname, port, path } = this.address;
    const unsigned = new HttpRequest({
      protocol,
      hostname,
      ...(port !== undefined ? { port } : {}),
      method: 'POST',
      path,
      headers: {
        host: hostname + (port !== undefined ? `:${port}` : ''),
        'content-type': `application/x-amz-json-${this.service.jsonVersion}`,
        'x-amz-target': `${this.service.targetPrefix}.${operation}`,
        'content-length': String(Buffer.byteLength(body)),
      },
      body,
    });
    const signed = await this.signer.sign(unsigned, { signingDate: this.context.now?.() ?? new Date() });
    const { response } = await this.http.handle(signed as HttpRequest);
    const answer = await text(response.body as Readable);
    const requestId = response.headers['x-amzn-requestid'] ?? response.headers['x-amz-request-id'];
    let parsed: Record<string, unknown> = {};
    if (answer.trim() !== '') {
      try {
        parsed = JSON.parse(answer, this.reviver) as Record<string, unknown>;
      } catch {
        // A body that is not JSON (a proxy's HTML page, a cut answer): an error answer is named by
        // its status below; a success answer is a SyntaxError, not retried, as in the SDK (the
        // operation may have taken effect).
        if (response.statusCode < 300) {
          throw new AwsServiceError('SyntaxError', 'the answer is not JSON', response.statusCode, requestId);
        }
      }
    }
    if (response.statusCode >= 300) {
      const code = errorCode(response.headers['x-amzn-errortype'], parsed) ?? `Http${response.statusCode}`;
      const { __type: _type, code: _code, message, Message, ...fields } = parsed;
      const error = new AwsServiceError(
        code,
        typeof message === 'string' ? message : typeof Message === 'string' ? Message : '',
        response.statusCode,
        requestId,
      );
      for (const [name, value] of Object.entries(fields))
        if (!name.startsWith('$') && name !== 'name' && name !== 'stack') error[name] = value;
      throw error;
    }
    const $metadata: ResponseMetadata = { httpStatusCode: response.statusCode, ...(requestId ? { requestId } : {}) };
    return { ...(parsed as T), $metadata };
  }
}

const sharedClients = new Map<AwsJsonService, AwsJsonClient>();

/**
 * The function's client of `service`, made at its first use and shared by all its adapters (one
 * pool of kept-alive connections, one retry quota, as one SDK client gave them).
 */
export function sharedJsonClient(service: AwsJsonService): AwsJsonClient {
  let client = sharedClients.get(service);
  if (!client) {
    client = new AwsJsonClient(service);
    sharedClients.set(service, client);
  }
  return client;
}
