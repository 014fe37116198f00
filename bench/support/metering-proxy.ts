/**
 * A counting HTTP proxy in front of one local AWS server: the benchmark points the handlers'
 * `AWS_ENDPOINT_URL_<SERVICE>` at it to count what one verification costs in requests. It
 * records each request's operation (`X-Amz-Target` for the JSON protocols, the HTTP method and
 * shape for S3) and, for DynamoDB, asks for and reads `ConsumedCapacity`, so read and write
 * request units are what DynamoDB Local computes from the real items, not estimates.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Counters of one proxy; `snapshot()` copies them, `diff()` subtracts two snapshots. */
export interface Meter {
  /** Requests per operation (`GetItem`, `DetectFaces`, `s3:PUT`, ...). */
  readonly requests: Record<string, number>;
  readonly readUnits: number;
  readonly writeUnits: number;
  /** Entries published by `PutEvents`. */
  readonly events: number;
}

const DYNAMODB_READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
const CAPACITY_OPERATIONS = new Set([
  'GetItem',
  'BatchGetItem',
  'Query',
  'Scan',
  'TransactGetItems',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
  'ExecuteStatement',
  'BatchExecuteStatement',
  'ExecuteTransaction',
]);

export interface MeteringProxy {
  readonly endpoint: string;
  snapshot(): Meter;
  stop(): Promise<void>;
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function s3Operation(method: string, url: string, headers: IncomingMessage['headers']): string {
  if (method === 'GET' || method === 'HEAD') {
    const path = url.split('?')[0] ?? '';
    const bucketOnly = path.split('/').filter(Boolean).length <= 1;
    return bucketOnly ? 's3:LIST' : 's3:GET';
  }
  if (method === 'PUT' && headers['x-amz-copy-source']) return 's3:COPY';
  return `s3:${method}`;
}

/** Units of a DynamoDB answer's `ConsumedCapacity` (one object or a list). */
function consumedUnits(body: unknown): number {
  const consumed = (body as { ConsumedCapacity?: unknown } | undefined)?.ConsumedCapacity;
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  return list.reduce((sum: number, item) => sum + Number((item as { CapacityUnits?: number }).CapacityUnits ?? 0), 0);
}

/**
 * Starts a proxy to `target` (`http://host:port`) on a free port of 127.0.0.1.
 *
 * @example
 * ```ts
 * const dynamo = await startMeteringProxy(runtime.endpoints.dynamodb, 'dynamodb');
 * process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
 * ```
 */
export async function startMeteringProxy(target: string, service: 'dynamodb' | 'json' | 's3'): Promise<MeteringProxy> {
  const requests: Record<string, number> = {};
  let readUnits = 0;
  let writeUnits = 0;
  let events = 0;
  const upstream = new URL(target);
  const server: Server = createServer((incoming, outgoing) => {
    void (async () => {
      let body = await readBody(incoming);
      const targetHeader = incoming.headers['x-amz-target'];
      const operation =
        typeof targetHeader === 'string'
          ? (targetHeader.split('.').pop() ?? targetHeader)
          : service === 's3'
            ? s3Operation(incoming.method ?? 'GET', incoming.url ?? '/', incoming.headers)
            : `${incoming.method} ${incoming.url}`;
      requests[operation] = (requests[operation] ?? 0) + 1;
      const meterCapacity = service === 'dynamodb' && CAPACITY_OPERATIONS.has(operation);
      if (meterCapacity || operation === 'PutEvents') {
        try {
          const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
          if (operation === 'PutEvents') events += Array.isArray(parsed.Entries) ? parsed.Entries.length : 0;
          if (meterCapacity) {
            parsed.ReturnConsumedCapacity = 'TOTAL';
            body = Buffer.from(JSON.stringify(parsed));
          }
        } catch {
          // Not JSON: forwarded unchanged, counted only.
        }
      }
      // The Host header stays as signed (the local S3 checks SigV4); only the length follows the body.
      const headers = { ...incoming.headers, 'content-length': String(body.length) };
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers },
        (answer) => {
          void (async () => {
            const answerBody = await readBody(answer);
            if (meterCapacity && (answer.statusCode ?? 500) < 300) {
              try {
                const statement = operation.includes('Statement') || operation === 'ExecuteTransaction';
                const units = consumedUnits(JSON.parse(answerBody.toString('utf8')));
                const isRead = statement
                  ? /^\s*SELECT/i.test(body.toString('utf8').match(/"Statement":"([^"]*)"/)?.[1] ?? '')
                  : DYNAMODB_READS.has(operation);
                if (isRead) readUnits += units;
                else writeUnits += units;
              } catch {
                // An unparsable answer is passed on as it is.
              }
            }
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            outgoing.end(answerBody);
          })();
        },
      );
      forward.on('error', () => {
        if (!outgoing.headersSent) outgoing.writeHead(502);
        outgoing.end();
      });
      forward.end(body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    snapshot: () => ({ requests: { ...requests }, readUnits, writeUnits, events }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * What happened between two snapshots.
 *
 * @example
 * ```ts
 * const before = proxy.snapshot();
 * await verifyOnce();
 * const used = diffMeter(proxy.snapshot(), before);
 * ```
 */
export function diffMeter(after: Meter, before: Meter): Meter {
  const requests: Record<string, number> = {};
  for (const [operation, n] of Object.entries(after.requests)) {
    const delta = n - (before.requests[operation] ?? 0);
    if (delta > 0) requests[operation] = delta;
  }
  return {
    requests,
    readUnits: after.readUnits - before.readUnits,
    writeUnits: after.writeUnits - before.writeUnits,
    events: after.events - before.events,
  };
}
