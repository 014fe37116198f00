/**
 * A stand-in for the KYC HTTP API and the S3 intake bucket, for driving the reference upload
 * page until (and besides) the embedded local runtime. It follows the public contract of
 * PRODUCT §7 closely enough for the page: bearer tokens from `/_local/token`, the create /
 * attempt / status routes with `{code, message}` errors, presigned-POST-shaped uploads that
 * point back at this server, and reasons described by the real reason catalog in the language
 * asked for with `Accept-Language`. It also serves `web/` at `/`, as the local runtime does.
 *
 * Decisions are not made from image analysis: the test passes a `decide` function.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { describeReasons, negotiateLanguage } from '../../../lambdas/domain/reason-catalog/index.ts';
import type { ReasonCode } from '../../../lambdas/domain/reason-codes.ts';
import { assertTransition, type TransitionCause } from '../../../lambdas/domain/status-transitions.ts';
import {
  DOCUMENT_TYPES,
  LEVELS,
  requiredSlots,
  type DocumentType,
  type Slot,
  type VerificationLevel,
  type VerificationStatus,
} from '../../../lambdas/domain/verification.ts';
import { boundaryOf, MultipartError, parseMultipart } from './multipart.ts';

/** What the fake S3 receiver saw for one upload. */
export interface ReceivedUpload {
  readonly verificationId: string;
  readonly attemptId: string;
  readonly slot: Slot;
  readonly key: string;
  /** Part names in arrival order; `file` must be last. */
  readonly partOrder: readonly string[];
  readonly fields: Readonly<Record<string, string>>;
  readonly fileName: string | undefined;
  readonly fileContentType: string | undefined;
  readonly size: number;
  readonly sha256: string;
}

/** The outcome the test wants for an attempt whose uploads are all in. */
export type FakeDecision = { status: 'approved' } | { status: 'rejected' | 'manual_review'; reasons: ReasonCode[] };

export interface FakeKycApiOptions {
  /** Folder served at `/` (default: the repository's `web/`). */
  readonly webRoot?: string;
  /** Decides an attempt from its uploads (default: approve). */
  readonly decide?: (uploads: readonly ReceivedUpload[]) => FakeDecision;
  /** Milliseconds an attempt stays `processing` before the decision (default 1500). */
  readonly decisionDelayMs?: number;
  /**
   * Milliseconds between the attempt's decision and the verification's (default 0). The API
   * writes them one after the other (a refusal at intake: the attempt, then the failure count,
   * then the verification), so a status read can fall in between.
   */
  readonly verificationLagMs?: number;
  /** When set, every attempt is refused with this 429 answer. */
  readonly refuseAttempts?: { code: 'RATE_LIMITED' | 'COOLDOWN_ACTIVE'; message: string; retryAfterSeconds: number };
  /** Largest accepted file (default 10 MB, PRODUCT §2). */
  readonly maxFileBytes?: number;
  /**
   * Status reads that fail as a busy or unreachable server would, in order, before the reads
   * answer again: `503` a JSON `{ code, message }` 503, `drop` a connection closed unanswered.
   */
  readonly failingStatusReads?: readonly ('503' | 'drop')[];
}

interface FakeAttempt {
  readonly attemptId: string;
  readonly slots: readonly Slot[];
  readonly issuedFields: Map<Slot, Record<string, string>>;
  status: VerificationStatus;
  reasons: ReasonCode[];
  readonly uploads: Map<Slot, ReceivedUpload>;
  readonly createdAt: string;
}

interface FakeVerification {
  readonly verificationId: string;
  readonly userId: string;
  readonly level: VerificationLevel;
  readonly documentType: DocumentType;
  readonly request: unknown;
  status: VerificationStatus;
  reasons: ReasonCode[];
  readonly attempts: FakeAttempt[];
}

/** One request the fake API answered (for assertions on headers). */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly acceptLanguage: string | undefined;
  readonly authorization: string | undefined;
  readonly status: number;
}

/** A running fake; `close()` stops it. */
export interface FakeKycApi {
  readonly baseUrl: string;
  readonly uploads: ReceivedUpload[];
  /** Upload requests refused by the receiver, with the reason. */
  readonly refusedUploads: { key: string | undefined; problem: string }[];
  readonly requests: RecordedRequest[];
  readonly verifications: ReadonlyMap<string, FakeVerification>;
  close(): Promise<void>;
}

const REPOSITORY_ROOT = resolve(import.meta.dirname, '../../..');
const BUCKET = 'kyc-intake-local';
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

class HttpError extends Error {
  public constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
  response.end(JSON.stringify(body));
}

function sendS3Error(response: ServerResponse, status: number, code: string, message: string): void {
  response.writeHead(status, { 'Content-Type': 'application/xml' });
  response.end(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  );
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'PAYLOAD_TOO_LARGE', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function isString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/** Checks a create request the way the API does (400 `{code, message}` on the first problem). */
function validateCreate(body: unknown): {
  level: VerificationLevel;
  documentType: DocumentType;
} {
  const input = (body ?? {}) as Record<string, unknown>;
  const personal = (input.personalData ?? {}) as Record<string, unknown>;
  if (!LEVELS.includes(input.level as VerificationLevel))
    throw new HttpError(400, 'VALIDATION_ERROR', 'level is invalid');
  if (typeof input.nationality !== 'string' || !/^[A-Z]{3}$/.test(input.nationality)) {
    throw new HttpError(400, 'VALIDATION_ERROR', 'nationality must be an ISO 3166-1 alpha-3 code');
  }
  if (!DOCUMENT_TYPES.includes(input.documentType as DocumentType)) {
    throw new HttpError(400, 'VALIDATION_ERROR', 'documentType is invalid');
  }
  if (!isString(personal.fullName) || !isString(personal.address)) {
    throw new HttpError(400, 'VALIDATION_ERROR', 'personalData.fullName and personalData.address are required');
  }
  if (typeof personal.dateOfBirth !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(personal.dateOfBirth)) {
    throw new HttpError(400, 'VALIDATION_ERROR', 'personalData.dateOfBirth must be YYYY-MM-DD');
  }
  return { level: input.level as VerificationLevel, documentType: input.documentType as DocumentType };
}

/**
 * Starts the fake on 127.0.0.1 at a free port.
 *
 * @example
 * ```ts
 * const api = await startFakeKycApi({ decide: () => ({ status: 'rejected', reasons: ['PHOTO_TOO_BLURRY'] }) });
 * await page.goto(api.baseUrl);
 * await api.close();
 * ```
 */
export async function startFakeKycApi(options: FakeKycApiOptions = {}): Promise<FakeKycApi> {
  const webRoot = resolve(options.webRoot ?? join(REPOSITORY_ROOT, 'web'));
  const decide = options.decide ?? ((): FakeDecision => ({ status: 'approved' }));
  const decisionDelayMs = options.decisionDelayMs ?? 1500;
  const verificationLagMs = options.verificationLagMs ?? 0;
  const maxFileBytes = options.maxFileBytes ?? 10 * 1024 * 1024;
  const failingStatusReads = [...(options.failingStatusReads ?? [])];
  const tokens = new Map<string, string>();
  const verifications = new Map<string, FakeVerification>();
  const uploads: ReceivedUpload[] = [];
  const refusedUploads: { key: string | undefined; problem: string }[] = [];
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let baseUrl = '';

  const move = (verification: FakeVerification, to: VerificationStatus, cause: TransitionCause): void => {
    assertTransition(verification.status, to, cause); // the fake obeys the real status graph
    verification.status = to;
  };

  const userOf = (request: IncomingMessage): string => {
    const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
    const user = match?.[1] ? tokens.get(match[1]) : undefined;
    if (!user) throw new HttpError(401, 'UNAUTHORIZED', 'a valid bearer token is required');
    return user;
  };

  const ownVerification = (request: IncomingMessage, id: string): FakeVerification => {
    const user = userOf(request);
    const verification = verifications.get(id);
    if (!verification || verification.userId !== user) throw new HttpError(404, 'NOT_FOUND', 'verification not found');
    return verification;
  };

  const presignedFields = (key: string): Record<string, string> => {
    const date = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
    const policy = Buffer.from(
      JSON.stringify({
        expiration: new Date(Date.now() + 300_000).toISOString(),
        conditions: [{ bucket: BUCKET }, { key }, ['content-length-range', 1, maxFileBytes]],
      }),
    ).toString('base64');
    return {
      bucket: BUCKET,
      key,
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': 'alias/kyc-intake',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': `LOCALKEY/${date.slice(0, 8)}/eu-west-1/s3/aws4_request`,
      'X-Amz-Date': date,
      Policy: policy,
      'X-Amz-Signature': createHash('sha256').update(policy).digest('hex'),
    };
  };

  const later = (delayMs: number, action: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, delayMs);
    timers.add(timer);
  };

  const decideLater = (verification: FakeVerification, attempt: FakeAttempt): void => {
    later(decisionDelayMs, () => {
      const decision = decide([...attempt.uploads.values()]);
      const reasons = decision.status === 'approved' ? [] : decision.reasons;
      attempt.status = decision.status;
      attempt.reasons = reasons;
      const decideVerification = (): void => {
        move(verification, decision.status, 'automatic_decision');
        verification.reasons = reasons;
      };
      if (verificationLagMs > 0) later(verificationLagMs, decideVerification);
      else decideVerification();
    });
  };

  const receiveUpload = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    let parts;
    try {
      parts = parseMultipart(await readBody(request), boundaryOf(request.headers['content-type']));
    } catch (error) {
      const problem = error instanceof MultipartError ? error.message : 'unreadable body';
      refusedUploads.push({ key: undefined, problem });
      sendS3Error(response, 400, 'MalformedPOSTRequest', problem);
      return;
    }
    const key = parts.find((part) => part.name === 'key')?.data.toString('utf8');
    const refuse = (status: number, code: string, problem: string): void => {
      refusedUploads.push({ key, problem });
      sendS3Error(response, status, code, problem);
    };
    const [, verificationId = '', attemptId = '', slot = ''] = key?.split('/') ?? [];
    const verification = verifications.get(verificationId);
    const attempt = verification?.attempts.find((candidate) => candidate.attemptId === attemptId);
    const issued = attempt?.issuedFields.get(slot as Slot);
    if (!verification || !attempt || !issued) return refuse(403, 'AccessDenied', 'no upload was issued for this key');
    const fileIndex = parts.findIndex((part) => part.name === 'file');
    if (fileIndex < 0) return refuse(400, 'InvalidArgument', 'POST requires exactly one file upload per request');
    if (fileIndex !== parts.length - 1)
      return refuse(400, 'InvalidArgument', 'fields after the file are ignored by S3');
    const fields = Object.fromEntries(parts.slice(0, fileIndex).map((part) => [part.name, part.data.toString('utf8')]));
    for (const [name, value] of Object.entries(issued)) {
      if (fields[name] !== value) return refuse(403, 'AccessDenied', `field ${name} missing or changed before file`);
    }
    const extra = Object.keys(fields).filter((name) => !(name in issued));
    if (extra.length > 0) return refuse(403, 'AccessDenied', `fields not in the policy: ${extra.join(', ')}`);
    const file = parts[fileIndex]!;
    if (file.data.length < 1 || file.data.length > maxFileBytes) {
      return refuse(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
    }
    const upload: ReceivedUpload = {
      verificationId,
      attemptId,
      slot: slot as Slot,
      key: key ?? '',
      partOrder: parts.map((part) => part.name),
      fields,
      fileName: file.filename,
      fileContentType: file.contentType,
      size: file.data.length,
      sha256: createHash('sha256').update(file.data).digest('hex'),
    };
    uploads.push(upload);
    attempt.uploads.set(upload.slot, upload);
    response.writeHead(204).end();
    if (attempt.status === 'awaiting_upload' && attempt.slots.every((required) => attempt.uploads.has(required))) {
      move(verification, 'processing', 'uploads_complete');
      attempt.status = 'processing';
      decideLater(verification, attempt);
    }
  };

  const handleApi = async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<number> => {
    const language = negotiateLanguage(request.headers['accept-language']);
    const path = url.pathname;
    if (request.method === 'GET' && path === '/health') {
      sendJson(response, 200, { status: 'ok' });
      return 200;
    }
    // LOCAL MODE ONLY, as in the embedded runtime: mint a bearer token for a user.
    if (request.method === 'GET' && path === '/_local/token') {
      const user = url.searchParams.get('user');
      if (!user || url.searchParams.get('role') !== 'user')
        throw new HttpError(400, 'VALIDATION_ERROR', 'user and role=user required');
      const token = `local.${randomUUID()}`;
      tokens.set(token, user);
      sendJson(response, 200, { token });
      return 200;
    }
    if (request.method === 'POST' && path === '/v1/verifications') {
      const userId = userOf(request);
      let body: unknown;
      try {
        body = JSON.parse((await readBody(request)).toString('utf8'));
      } catch {
        throw new HttpError(400, 'VALIDATION_ERROR', 'body must be JSON');
      }
      const { level, documentType } = validateCreate(body);
      const verificationId = randomUUID();
      verifications.set(verificationId, {
        verificationId,
        userId,
        level,
        documentType,
        request: body,
        status: 'awaiting_upload',
        reasons: [],
        attempts: [],
      });
      sendJson(response, 201, { verificationId, status: 'awaiting_upload' });
      return 201;
    }
    const attemptsMatch = /^\/v1\/verifications\/([^/]+)\/attempts$/.exec(path);
    if (request.method === 'POST' && attemptsMatch) {
      const verification = ownVerification(request, decodeURIComponent(attemptsMatch[1]!));
      if (options.refuseAttempts) {
        const { code, message, retryAfterSeconds } = options.refuseAttempts;
        throw new HttpError(429, code, message, { retryAfterSeconds });
      }
      if (verification.status === 'rejected') move(verification, 'awaiting_upload', 'resubmission');
      if (verification.status !== 'awaiting_upload') {
        throw new HttpError(409, 'INVALID_STATE', `no new attempt while ${verification.status}`);
      }
      const attemptId = randomUUID();
      const slots = requiredSlots(verification.level, verification.documentType);
      const issuedFields = new Map<Slot, Record<string, string>>();
      const uploadTargets: Record<string, { url: string; fields: Record<string, string> }> = {};
      for (const slot of slots) {
        const fields = presignedFields(`intake/${verification.verificationId}/${attemptId}/${slot}`);
        issuedFields.set(slot, fields);
        uploadTargets[slot] = { url: `${baseUrl}/_s3/${BUCKET}`, fields };
      }
      verification.attempts.push({
        attemptId,
        slots,
        issuedFields,
        status: 'awaiting_upload',
        reasons: [],
        uploads: new Map(),
        createdAt: new Date().toISOString(),
      });
      sendJson(response, 201, { attemptId, uploads: uploadTargets });
      return 201;
    }
    const statusMatch = /^\/v1\/verifications\/([^/]+)$/.exec(path);
    if (request.method === 'GET' && statusMatch) {
      const failure = failingStatusReads.shift();
      if (failure === 'drop') {
        request.socket.destroy();
        return 0;
      }
      if (failure === '503') throw new HttpError(503, 'SERVICE_UNAVAILABLE', 'The service is busy; try again shortly');
      const verification = ownVerification(request, decodeURIComponent(statusMatch[1]!));
      sendJson(
        response,
        200,
        {
          verificationId: verification.verificationId,
          status: verification.status,
          level: verification.level,
          reasons: describeReasons(verification.reasons, language),
          attempts: verification.attempts.map((attempt) => ({
            attemptId: attempt.attemptId,
            status: attempt.status,
            reasons: attempt.reasons,
            createdAt: attempt.createdAt,
          })),
        },
        { 'Content-Language': language, Vary: 'Accept-Language' },
      );
      return 200;
    }
    throw new HttpError(404, 'NOT_FOUND', `no route for ${request.method ?? ''} ${path}`);
  };

  const serveStatic = async (response: ServerResponse, pathname: string): Promise<void> => {
    const relative = normalize(decodeURIComponent(pathname === '/' ? '/index.html' : pathname)).replace(
      /^([/\\])+/,
      '',
    );
    const file = resolve(webRoot, relative);
    if (!file.startsWith(webRoot + sep)) throw new HttpError(404, 'NOT_FOUND', 'not found');
    const body = await readFile(file).catch(() => undefined);
    if (!body) throw new HttpError(404, 'NOT_FOUND', 'not found');
    response.writeHead(200, {
      'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    response.end(body);
  };

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    void (async () => {
      let status = 500;
      try {
        if (request.method === 'POST' && url.pathname === `/_s3/${BUCKET}`) {
          await receiveUpload(request, response);
          return;
        }
        if (url.pathname === '/health' || url.pathname.startsWith('/v1/') || url.pathname.startsWith('/_local/')) {
          status = await handleApi(request, response, url);
          return;
        }
        if (request.method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'method not allowed');
        await serveStatic(response, url.pathname);
        status = 200;
      } catch (error) {
        if (error instanceof HttpError) {
          status = error.status;
          sendJson(response, error.status, { code: error.code, message: error.message, ...error.extra });
        } else {
          status = 500;
          if (!response.headersSent) sendJson(response, 500, { code: 'INTERNAL_ERROR', message: 'internal error' });
          else response.destroy();
        }
      } finally {
        if (url.pathname.startsWith('/v1/')) {
          requests.push({
            method: request.method ?? '',
            path: url.pathname,
            acceptLanguage: request.headers['accept-language'],
            authorization: request.headers.authorization,
            status,
          });
        }
      }
    })();
  });

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    uploads,
    refusedUploads,
    requests,
    verifications,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
    },
  };
}
