/**
 * An HTTP server that records every request and answers from a script (then from a default):
 * for comparing what two clients send on the wire, and for scripting errors and dropped
 * connections.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** An answer, or `drop`: the connection is closed without one. */
export type ScriptedReply = { status: number; headers?: Record<string, string>; body?: string } | 'drop';

export interface RecordingServer {
  readonly endpoint: string;
  /** Every request, in order (clear it between tests). */
  readonly seen: RecordedRequest[];
  /** Answers given first, in order, before the default. */
  readonly script: ScriptedReply[];
  close(): Promise<void>;
}

export async function startRecordingServer(
  defaultReply: (request: RecordedRequest) => ScriptedReply,
): Promise<RecordingServer> {
  const seen: RecordedRequest[] = [];
  const script: ScriptedReply[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const recorded = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(recorded);
      const reply = script.shift() ?? defaultReply(recorded);
      if (reply === 'drop') {
        request.socket.destroy();
        return;
      }
      response.writeHead(reply.status, reply.headers ?? {});
      response.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    script,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What the SDK sends that the functions' clients do not, or signs differently because of it. */
export const SDK_BOOKKEEPING = [
  'user-agent',
  'x-amz-user-agent',
  'amz-sdk-invocation-id',
  'amz-sdk-request',
  'authorization',
  'x-amz-date',
  'connection',
];

/**
 * A JSON-protocol request without the SDK's bookkeeping, its body as JSON: the SDK writes members
 * in its model's order, the functions' clients in the input's, so the bytes (and their SHA-256)
 * may differ while the JSON is the same; the hash is checked against each request's own body.
 */
export function comparable(request: RecordedRequest): RecordedRequest & { json: unknown } {
  const headers = { ...request.headers };
  for (const name of SDK_BOOKKEEPING) delete headers[name];
  expect(headers['x-amz-content-sha256']).toBe(createHash('sha256').update(request.body).digest('hex'));
  delete headers['x-amz-content-sha256'];
  return { ...request, headers, json: JSON.parse(request.body) as unknown };
}

/**
 * A recording server for one test file: started before its tests, cleared before each, closed
 * after them (vitest hooks).
 *
 * @example
 * ```ts
 * const wire = useRecordingServer(() => ({ status: 200, body: '{}' }));
 * it('sends one request', async () => {
 *   wire.scripted({ status: 503 });
 *   await client(wire.endpoint).call();
 *   expect(wire.seen).toHaveLength(2);
 * });
 * ```
 */
export function useRecordingServer(
  defaultReply: (request: RecordedRequest) => ScriptedReply,
): RecordingServer & { scripted(...replies: ScriptedReply[]): void } {
  let started: RecordingServer | undefined;
  const current = (): RecordingServer => {
    if (!started) throw new Error('the recording server is not started (use it inside a test)');
    return started;
  };
  beforeAll(async () => {
    started = await startRecordingServer(defaultReply);
  });
  afterAll(() => started?.close());
  beforeEach(() => {
    current().script.length = 0;
    current().seen.length = 0;
  });
  return {
    get endpoint() {
      return current().endpoint;
    },
    get seen() {
      return current().seen;
    },
    get script() {
      return current().script;
    },
    close: () => current().close(),
    scripted: (...replies) => {
      current().script.push(...replies);
    },
  };
}
