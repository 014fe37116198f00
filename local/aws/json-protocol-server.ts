/**
 * A minimal HTTP server for AWS JSON 1.1 protocol services (`POST /` with
 * `X-Amz-Target: <Service>.<Operation>`), shared by the local KMS and Rekognition servers.
 *
 * - binds 127.0.0.1 (port 0: a free port);
 * - request bodies above `maxBodyBytes` get a 413 with an AWS error body, never a crash;
 * - malformed JSON gets `SerializationException`, unknown targets `UnknownOperationException`;
 * - errors are `{ "__type": ..., "message": ... }` with the `x-amzn-ErrorType` header, as AWS
 *   sends them, so SDK v3 clients raise their modelled exception classes;
 * - no request or response data is logged (bodies may carry images or key material): only
 *   the operation name and error name of unexpected failures.
 * Request signatures are not verified: the servers only listen on loopback.
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { PortInUseError } from './errors.ts';

/** An error answered in the AWS JSON shape with its status code (400 unless given). */
export class AwsServiceError extends Error {
  constructor(
    public readonly type: string,
    message: string,
    public readonly statusCode = 400,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AwsServiceError';
  }
}

/** An operation handler: parsed JSON request in, JSON-serialisable response out. */
export type OperationHandler = (input: Record<string, unknown>) => Promise<unknown> | unknown;

/** A non-AWS route on the same server (local-only control endpoints). */
export interface LocalRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Matched against the URL path; capture groups are passed to `handle`. */
  readonly path: RegExp;
  /** The body must be declared `application/json` (else 415, through `errorResponse`). */
  readonly jsonBody?: boolean;
  /** Runs before the body is read (e.g. a bearer-token check); throws to refuse the request. */
  authorize?(params: string[], headers: IncomingHttpHeaders): Promise<void> | void;
  handle(params: string[], body: unknown, headers: IncomingHttpHeaders): Promise<unknown> | unknown;
  /** The answer to any failure of this route, body included (default: the AWS JSON error shape). */
  errorResponse?(error: unknown): { readonly status: number; readonly body: unknown };
}

/** Options of {@link startJsonProtocolServer}. */
export interface JsonProtocolServerOptions {
  /** Human-readable name for logs and errors, e.g. "local KMS". */
  readonly name: string;
  /** Target prefix, e.g. `TrentService` for KMS. */
  readonly targetPrefix: string;
  readonly operations: Readonly<Record<string, OperationHandler>>;
  readonly localRoutes?: readonly LocalRoute[];
  /** TCP port (0 or undefined: a free port). */
  readonly port?: number;
  /** Largest accepted request body in bytes. */
  readonly maxBodyBytes: number;
  /** `__type` of the 413 answer for oversized bodies (default RequestEntityTooLargeException). */
  readonly tooLargeErrorType?: string;
}

/** A running JSON protocol server. */
export interface JsonProtocolServer {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const payload = JSON.stringify(body ?? {});
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/x-amz-json-1.1',
    'Content-Length': Buffer.byteLength(payload),
    'x-amzn-RequestId': randomUUID(),
  };
  if (errorType) headers['x-amzn-ErrorType'] = errorType;
  res.writeHead(status, headers);
  res.end(payload);
}

/** A plain JSON answer (local routes speak `{ code, message }`, not the AWS protocol). */
function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body ?? {});
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(payload),
    'Cache-Control': 'no-store',
  });
  res.end(payload);
}

function sendError(res: ServerResponse, error: AwsServiceError): void {
  send(res, error.statusCode, { __type: error.type, message: error.message }, error.type);
}

class BodyTooLargeError extends Error {
  constructor() {
    super('Request body too large');
    this.name = 'BodyTooLargeError';
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      reject(new BodyTooLargeError());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (!failed) reject(error);
    });
    // A client that disconnects mid-body emits neither 'end' nor always 'error'.
    req.on('close', () => {
      if (!req.complete && !failed) {
        failed = true;
        reject(new Error('Client closed the connection before sending the whole body'));
      }
    });
  });
}

function parseJson(raw: Buffer, allowEmpty: boolean): unknown {
  const text = raw.toString('utf8').trim();
  if (text === '' && allowEmpty) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new AwsServiceError('SerializationException', 'The request body is not valid JSON', 400, { cause: error });
  }
}

/**
 * Starts a JSON 1.1 protocol server.
 *
 * @example
 * const server = await startJsonProtocolServer({
 *   name: 'local KMS', targetPrefix: 'TrentService', maxBodyBytes: 1 << 20,
 *   operations: { DescribeKey: (input) => describeKey(input) },
 * });
 */
export async function startJsonProtocolServer(options: JsonProtocolServerOptions): Promise<JsonProtocolServer> {
  const tooLarge = new AwsServiceError(
    options.tooLargeErrorType ?? 'RequestEntityTooLargeException',
    `Request body exceeds the limit of ${options.maxBodyBytes} bytes`,
    413,
  );

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    for (const route of options.localRoutes ?? []) {
      const match = route.path.exec(url.pathname);
      if (!match || route.method !== method) continue;
      try {
        await route.authorize?.(match.slice(1), req.headers);
        if (route.jsonBody && !/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
          throw new AwsServiceError('UnsupportedMediaTypeException', 'The request body must be application/json', 415);
        }
        const body = parseJson(await readBody(req, options.maxBodyBytes), true);
        sendJson(res, 200, await route.handle(match.slice(1), body, req.headers));
      } catch (error) {
        if (!route.errorResponse) throw error;
        const answer = route.errorResponse(error instanceof BodyTooLargeError ? tooLarge : error);
        if (!req.complete) {
          // Refused before the body was read: do not read an unauthenticated upload.
          res.setHeader('Connection', 'close');
          res.on('finish', () => req.destroy());
        }
        sendJson(res, answer.status, answer.body);
      }
      return;
    }

    const target = req.headers['x-amz-target'];
    const prefix = `${options.targetPrefix}.`;
    const operationName = typeof target === 'string' && target.startsWith(prefix) ? target.slice(prefix.length) : '';
    const operation = Object.hasOwn(options.operations, operationName) ? options.operations[operationName] : undefined;
    if (method !== 'POST' || !operation) {
      req.resume();
      throw new AwsServiceError(
        'UnknownOperationException',
        `Unknown operation ${String(target ?? method + ' ' + url.pathname)}`,
      );
    }
    const input = parseJson(await readBody(req, options.maxBodyBytes), true);
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new AwsServiceError('SerializationException', 'The request body must be a JSON object');
    }
    try {
      send(res, 200, await operation(input as Record<string, unknown>));
    } catch (error) {
      if (!(error instanceof AwsServiceError)) {
        console.error(`${options.name}: ${operationName} failed: ${(error as Error)?.name ?? 'Error'}`);
      }
      throw error;
    }
  }

  const server = createServer((req, res) => {
    dispatch(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof BodyTooLargeError) {
        res.setHeader('Connection', 'close');
        res.on('finish', () => req.destroy());
        sendError(res, tooLarge);
        return;
      }
      sendError(
        res,
        error instanceof AwsServiceError
          ? error
          : new AwsServiceError('InternalServerError', 'The local server could not process the request', 500),
      );
    });
  });

  const port = await listenOnLoopback(server, options.name, options.port);

  let stopped = false;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Idle keep-alive of the local servers: well above the clients' own (undici closes after 4 s). */
export const LOCAL_KEEP_ALIVE_MS = 65_000;

/**
 * Listens on 127.0.0.1 (`port` 0 or undefined: a free port) and resolves with the port;
 * a busy port rejects with `PortInUseError` naming the server.
 */
export function listenOnLoopback(server: Server, name: string, port?: number): Promise<number> {
  // Keep idle connections open longer than clients do (undici: 4 s): otherwise, when a busy
  // event loop (the face engine) delays both timers, the server may close a socket just as a
  // client reuses it, and the client sees "fetch failed".
  server.keepAliveTimeout = LOCAL_KEEP_ALIVE_MS;
  server.headersTimeout = LOCAL_KEEP_ALIVE_MS + 1_000;
  return new Promise<number>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(name, port ?? 0, { cause: error }) : error),
    );
    server.listen(port ?? 0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
}
