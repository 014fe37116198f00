/**
 * Local S3: `s3rver` in-process, on 127.0.0.1, storing objects in a folder, with CORS on the
 * intake bucket only and S3 → EventBridge-shaped object events.
 *
 * s3rver checks neither SigV4 signatures nor POST policies; this wrapper does, before s3rver
 * sees a request (`s3-auth.ts`): every request must be signed with the local credentials
 * (unsigned → `AccessDenied`), presigned URLs expire, and a browser POST needs a policy signed
 * with those credentials, unexpired, whose every condition holds (key, content-length-range,
 * Content-Type, SSE fields, bucket). Errors are S3's XML with S3's status. SSE, versioning and
 * Object Lock are still not emulated. The wrapper also adds:
 * - an object-size limit (`EntityTooLarge`) and S3's rule that uploads carry Content-Length;
 * - writes that are complete, atomic and flushed to the disk before the event and the answer
 *   (`s3-durable-store.ts`: s3rver's own store announces objects still being written);
 * - events in the EventBridge shape with the right `reason` (PutObject, PostObject,
 *   CopyObject, CompleteMultipartUpload, DeleteObject), also one per key deleted by
 *   DeleteObjects (for which s3rver itself emits nothing).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { S3RestClient } from '../../lambdas/adapters/aws/s3-rest-client.ts';
import { localClientConfig, localCredentials, LOCAL_REGION, type LocalClientConfig } from './client-config.ts';
import { listenOnLoopback } from './json-protocol-server.ts';
import { readPostForm, S3AuthError, verifyPostPolicy, verifySigV4, type S3Credentials } from './s3-auth.ts';
import { makeStoreWritesDurable, removeInterruptedWrites, type S3rverFilesystemStore } from './s3-durable-store.ts';
import { toEventBridgeEvent, type S3ObjectEvent, type S3ObjectEventReason } from './s3-events.ts';
import { LocalObjectLock } from './s3-object-lock.ts';

export type { S3ObjectEvent } from './s3-events.ts';

/** Options of {@link startLocalS3}. */
export interface LocalS3Options {
  /** Folder that holds buckets and objects (created when missing). */
  readonly directory: string;
  /** Buckets to create at start (existing ones are kept with their objects). */
  readonly buckets: readonly string[];
  /** TCP port (0 or undefined: a free port). */
  readonly port?: number;
  /**
   * Browser uploads: the buckets that answer CORS (POST only) and the origins they allow, as the
   * intake bucket's CORS rule in AWS (default: none, so no bucket answers a cross-origin request).
   */
  readonly cors?: { readonly buckets: readonly string[]; readonly origins: readonly string[] };
  /**
   * Credentials every request must be signed with (SigV4), and POST policies too (default: the
   * local credentials, `S3RVER`/`S3RVER`).
   */
  readonly credentials?: S3Credentials;
  /** Region put into events (default us-east-1). */
  readonly region?: string;
  /** Largest accepted request body in bytes (default 100 MiB). */
  readonly maxObjectBytes?: number;
  /** Receives every object event; errors it throws or rejects with are logged, never fatal. */
  readonly onObjectEvent?: (event: S3ObjectEvent) => void | Promise<void>;
  /** Object Lock of the locked buckets (retention and legal hold kept in `stateFile`); none by default. */
  readonly objectLock?: {
    readonly stateFile: string;
    readonly buckets: Readonly<Record<string, { readonly days: number }>>;
  };
}

/** A running local S3. */
export interface LocalS3 {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** Closes the server (open connections are closed too). */
  stop(): Promise<void>;
}

/** Extra settings every S3 client needs against s3rver. */
export interface LocalS3ClientConfig extends LocalClientConfig {
  forcePathStyle: true;
  requestChecksumCalculation: 'WHEN_REQUIRED';
  responseChecksumValidation: 'WHEN_REQUIRED';
}

/**
 * S3 client configuration for the local S3: path-style URLs, s3rver's credentials and no
 * default checksums (with them, s3rver stores the aws-chunked framing inside the object).
 *
 * @example
 * const s3 = new S3Client(localS3ClientConfig(localS3.endpoint));
 */
export function localS3ClientConfig(endpoint: string, region: string = LOCAL_REGION): LocalS3ClientConfig {
  return {
    ...localClientConfig(endpoint, region),
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/**
 * The functions' own S3 client (`S3RestClient`) pointed at the local S3, as the command-line
 * tools use it with the functions' adapters.
 *
 * @example
 * const locks = new S3EvidenceLocks({ bucket, client: localS3RestClient(localS3.endpoint) });
 */
export function localS3RestClient(endpoint: string, region: string = LOCAL_REGION): S3RestClient {
  const { credentials, maxAttempts } = localClientConfig(endpoint, region);
  return new S3RestClient({ context: { region, endpoint, credentials, forcePathStyle: true }, maxAttempts });
}

const DEFAULT_MAX_OBJECT_BYTES = 100 * 1024 * 1024;

/** The parts of s3rver this module uses (it ships no types). */
interface S3rverRecord {
  eventName: string;
  requestParameters?: { sourceIPAddress?: string };
  s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string } };
}
interface S3rverInstance {
  configureBuckets(): Promise<void>;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  on(event: 'event', listener: (event: { Records: S3rverRecord[] }) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  store: S3rverFilesystemStore & {
    deleteObject(bucket: string, key: string): Promise<void>;
  };
  logger: { close(): void; exceptions?: { unhandle(): void } };
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

interface RequestInfo {
  method: string;
  multipartComplete: boolean;
  /** DeleteObjects (`POST /<bucket>?delete`), for which s3rver emits no events. */
  multiDelete: boolean;
}

/** The intake bucket's CORS rule (`lib/constructs/intake-bucket.ts`): POST from the given origins. */
function corsXml(origins: readonly string[]): string {
  const escape = (value: string): string => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return [
    '<CORSConfiguration><CORSRule>',
    ...origins.map((origin) => `<AllowedOrigin>${escape(origin)}</AllowedOrigin>`),
    '<AllowedMethod>POST</AllowedMethod>',
    '<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds>',
    '</CORSRule></CORSConfiguration>',
  ].join('');
}

/** A copy of `req` whose body is `body` (already read), for s3rver after the POST policy check. */
function replayRequest(req: IncomingMessage, body: Buffer): IncomingMessage {
  return Object.assign(Readable.from([body]), {
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    method: req.method,
    url: req.url,
    socket: req.socket,
    connection: req.socket,
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    complete: true,
    aborted: false,
  }) as unknown as IncomingMessage;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.destroy();
        reject(
          new S3AuthError(
            400,
            'EntityTooLarge',
            `Your proposed upload exceeds the maximum allowed size (${limit} bytes).`,
          ),
        );
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function s3ErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

function reasonFor(record: S3rverRecord, request: RequestInfo | undefined): S3ObjectEventReason | undefined {
  switch (record.eventName) {
    case 'ObjectCreated:Put':
      return 'PutObject';
    case 'ObjectCreated:Copy':
      return 'CopyObject';
    case 'ObjectCreated:Post':
      return request?.multipartComplete ? 'CompleteMultipartUpload' : 'PostObject';
    case 'ObjectRemoved:Delete':
      return 'DeleteObject';
    default:
      return undefined;
  }
}

/**
 * S3 URL-decodes the whole `x-amz-copy-source` header; s3rver applies `decodeURI`, which
 * leaves `%2F`, `%2B`, `%26`, ... encoded, so copies of keys with such characters fail with
 * NoSuchKey. Re-encode the header so that `decodeURI` yields the real key.
 */
function normaliseCopySource(req: IncomingMessage): void {
  const header = req.headers['x-amz-copy-source'];
  if (typeof header !== 'string') return;
  const withoutVersion = header.replace(/\?versionId=[^&]*$/, '');
  try {
    req.headers['x-amz-copy-source'] = encodeURI(decodeURIComponent(withoutVersion));
  } catch {
    // Malformed escapes: leave it to s3rver, which answers with an S3 error.
  }
}

/** A GET or HEAD of the object itself (presigned or not), not of a subresource such as `?retention` or `?tagging`. */
function readsObject(url: URL): boolean {
  return [...url.searchParams.keys()].every(
    (name) => name === 'x-id' || name === 'versionId' || name === 'partNumber' || /^(response-|x-amz-)/i.test(name),
  );
}

/**
 * Starts s3rver with the given buckets and CORS rules.
 *
 * @throws PortInUseError when the requested port is taken
 * @example
 * const s3 = await startLocalS3({
 *   directory: '.local-data/s3',
 *   buckets: ['kyc-intake'],
 *   onObjectEvent: (event) => router.dispatch(event),
 * });
 */
export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const region = options.region ?? LOCAL_REGION;
  const maxObjectBytes = options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  const directory = resolve(options.directory);
  mkdirSync(directory, { recursive: true });

  const require = createRequire(import.meta.url);
  const S3rver = require('s3rver') as S3rverConstructor;
  const corsBuckets = new Set(options.cors?.origins.length ? options.cors.buckets : []);
  const cors = corsXml(options.cors?.origins ?? []);
  const credentials = options.credentials ?? localCredentials;
  const app = new S3rver({
    directory,
    silent: true,
    configureBuckets: options.buckets.map((name) => ({ name, configs: corsBuckets.has(name) ? [cors] : [] })),
  });
  // s3rver's store reports a write done before the file is (see s3-durable-store.ts): events
  // and answers would announce objects a reader still sees cut short.
  makeStoreWritesDurable(app.store);
  removeInterruptedWrites(directory);
  await app.configureBuckets();

  const requests = new AsyncLocalStorage<RequestInfo>();
  const deliver = async (event: S3ObjectEvent): Promise<void> => {
    try {
      await options.onObjectEvent?.(event);
    } catch (error) {
      // Bucket and reason only: keys may contain personal data.
      console.error(
        `local S3: object event handler failed (bucket ${event.detail.bucket.name}, ${event.detail.reason}): ${(error as Error).name}`,
      );
    }
  };
  const objectLock = options.objectLock
    ? new LocalObjectLock(options.objectLock.stateFile, options.objectLock.buckets)
    : undefined;
  app.on('event', ({ Records }) => {
    const request = requests.getStore();
    for (const record of Records) {
      const reason = reasonFor(record, request);
      if (!reason) continue;
      const bucket = record.s3.bucket.name;
      const { key, size, eTag } = record.s3.object;
      if (reason !== 'DeleteObject') objectLock?.objectCreated(bucket, key);
      else objectLock?.objectDeleted(bucket, key);
      const sourceIp = record.requestParameters?.sourceIPAddress?.replace(/^::ffff:/, '');
      if (reason === 'CopyObject') {
        // s3rver's Copy records carry no ETag: read it from the stored metadata.
        void app.store
          .getMetadata(bucket, key)
          .then((metadata) => metadata.etag)
          .catch(() => undefined)
          .then((etag) => deliver(toEventBridgeEvent({ bucket, key, reason, size, etag, sourceIp }, region)));
      } else {
        void deliver(toEventBridgeEvent({ bucket, key, reason, size, etag: eTag, sourceIp }, region));
      }
    }
  });
  // s3rver deletes each existing key of a DeleteObjects request through the store without
  // emitting an event; S3 sends one "Object Deleted" per key, so emit it here. Deletes run one
  // at a time: s3rver's store removes emptied folders afterwards and two concurrent deletes
  // in one folder race (the loser fails with ENOENT and the client gets a 500).
  const deleteObject = app.store.deleteObject.bind(app.store);
  let deletions: Promise<unknown> = Promise.resolve();
  app.store.deleteObject = async (bucket, key) => {
    const deletion = deletions.then(() => deleteObject(bucket, key));
    deletions = deletion.catch(() => undefined);
    await deletion;
    if (requests.getStore()?.multiDelete) {
      void deliver(toEventBridgeEvent({ bucket, key, reason: 'DeleteObject' }, region));
    }
  };
  app.on('error', () => {
    // s3rver reports every S3 error response (NoSuchKey, ...) here as well; the client gets it.
  });

  const handle = app.callback();
  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    if (method === 'PUT' || method === 'POST') {
      const length = req.headers['content-length'];
      if (length === undefined && req.headers['transfer-encoding'] !== undefined) {
        res.writeHead(411, { 'Content-Type': 'application/xml' });
        res.end(s3ErrorXml('MissingContentLength', 'You must provide the Content-Length HTTP header.'));
        req.resume();
        return;
      }
      if (length !== undefined && Number(length) > maxObjectBytes) {
        res.writeHead(400, { 'Content-Type': 'application/xml', Connection: 'close' });
        res.on('finish', () => req.destroy());
        res.end(
          s3ErrorXml(
            'EntityTooLarge',
            `Your proposed upload exceeds the maximum allowed size (${maxObjectBytes} bytes).`,
          ),
        );
        return;
      }
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const info: RequestInfo = {
      method,
      multipartComplete: method === 'POST' && url.searchParams.has('uploadId'),
      multiDelete: method === 'POST' && url.searchParams.has('delete'),
    };
    const fail = (error: unknown): void => {
      const known = error instanceof S3AuthError ? error : new S3AuthError(400, 'InvalidRequest', 'Bad request');
      if (!res.headersSent) {
        res.writeHead(known.status, { 'Content-Type': 'application/xml', Connection: 'close' });
        res.on('finish', () => req.destroy());
        res.end(s3ErrorXml(known.code, known.message));
      }
    };
    // CORS preflights carry no credentials in AWS either; s3rver answers them from the bucket's rule.
    if (method === 'OPTIONS') {
      requests.run(info, () => handle(req, res));
      return;
    }
    const bucketPath = /^\/([^/?]+)\/?$/.exec(url.pathname);
    const isFormPost =
      method === 'POST' &&
      bucketPath !== null &&
      url.search === '' &&
      req.headers.authorization === undefined &&
      /^multipart\/form-data/i.test(req.headers['content-type'] ?? '');
    if (isFormPost) {
      const bucket = decodeURIComponent(bucketPath[1]!);
      readBody(req, maxObjectBytes + 1024 * 1024)
        .then(async (body) => {
          verifyPostPolicy(bucket, await readPostForm(body, req.headers), credentials);
          const replay = replayRequest(req, body);
          requests.run(info, () => handle(replay, res));
        })
        .catch(fail);
      return;
    }
    try {
      verifySigV4({ method, rawUrl: req.url ?? '/', headers: req.headers }, credentials);
    } catch (error) {
      req.resume();
      fail(error);
      return;
    }
    normaliseCopySource(req);
    if (objectLock && (method === 'GET' || method === 'HEAD') && readsObject(url)) {
      const [, bucket = '', ...rest] = url.pathname.split('/');
      const key = decodeURIComponent(rest.join('/'));
      if (key !== '')
        for (const [name, value] of Object.entries(objectLock.objectHeaders(bucket, key))) res.setHeader(name, value);
    }
    if (objectLock && (url.search !== '' || method === 'DELETE')) {
      void objectLock.intercept(req, res, url).then((answered) => {
        if (!answered) requests.run(info, () => handle(req, res));
      });
      return;
    }
    requests.run(info, () => handle(req, res));
  });

  const port = await listenOnLoopback(server, 'local S3', options.port);

  let stopped = false;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      app.logger.exceptions?.unhandle();
      app.logger.close();
    },
  };
}
