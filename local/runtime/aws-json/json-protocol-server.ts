/**
 * A small HTTP server speaking the AWS JSON protocols (awsJson1_0 / awsJson1_1): `POST /` with
 * `X-Amz-Target: <Service>.<Operation>` and a JSON body, answered with JSON, errors as
 * `{ "__type": "<Code>", "message": "..." }` with status 400 (client) or 500 (server). SDK v3
 * clients and the AWS CLI reach it through `AWS_ENDPOINT_URL_<SERVICE>`. SigV4 is not checked.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An operation refused as the service would refuse it. */
export class AwsServiceError extends Error {
  constructor(
    public readonly code: string,
    message: string,
    public readonly statusCode = 400,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AwsServiceError';
  }
}

export type JsonOperation = (input: Record<string, unknown>) => Promise<unknown> | unknown;

/** Operations of one service, keyed by the target prefix (`AWSStepFunctions`, `AWSEvents`). */
export type JsonServices = Readonly<Record<string, Readonly<Record<string, JsonOperation>>>>;

export interface JsonProtocolServer {
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('error', reject);
    request.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        reject(new AwsServiceError('RequestEntityTooLargeException', 'Request body too large'));
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        resolve({});
        return;
      }
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        resolve(parsed as Record<string, unknown>);
      } catch (error) {
        reject(
          new AwsServiceError('SerializationException', 'Request body is not a JSON object', 400, { cause: error }),
        );
      }
    });
  });
}

/**
 * Starts the server on 127.0.0.1 (`port` 0 picks a free one).
 *
 * @example
 * ```ts
 * const server = await startJsonProtocolServer({ AWSStepFunctions: { DescribeExecution: (input) => ... } }, 0);
 * process.env.AWS_ENDPOINT_URL_SFN = server.endpoint;
 * ```
 */
export async function startJsonProtocolServer(
  services: JsonServices,
  port: number,
  onError?: (operation: string, error: unknown) => void,
): Promise<JsonProtocolServer> {
  const server: Server = createServer((request, response) => {
    const send = (statusCode: number, body: unknown, errorType?: string): void => {
      const text = JSON.stringify(body);
      response.writeHead(statusCode, {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': Buffer.byteLength(text),
        'x-amzn-requestid': crypto.randomUUID(),
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      });
      response.end(text);
    };
    const fail = (error: unknown, operation: string): void => {
      if (error instanceof AwsServiceError) {
        send(error.statusCode, { __type: error.code, message: error.message }, error.code);
        return;
      }
      onError?.(operation, error);
      send(500, { __type: 'InternalFailure', message: 'Internal failure' }, 'InternalFailure');
    };
    const target = String(request.headers['x-amz-target'] ?? '');
    const [service = '', operation = ''] = target.split('.');
    const implementation = services[service]?.[operation];
    if (request.method !== 'POST' || !implementation) {
      // Drain the body before answering so the client sees the error, not a reset.
      request.resume();
      request.on('end', () =>
        fail(new AwsServiceError('UnknownOperationException', `Unknown operation ${target || '(none)'}`), target),
      );
      return;
    }
    readJson(request)
      .then((input) => implementation(input))
      .then(
        (output) => send(200, output ?? {}),
        (error: unknown) => fail(error, target),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A required string member of an operation's input, else a ValidationException. */
export function requireString(input: Record<string, unknown>, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value === '') {
    throw new AwsServiceError('ValidationException', `1 validation error detected: ${name} must not be null`);
  }
  return value;
}

/** An optional string member, else a ValidationException when present with another type. */
export function optionalString(input: Record<string, unknown>, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AwsServiceError('ValidationException', `${name} must be a string`);
  return value;
}
