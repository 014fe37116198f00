/**
 * Face Liveness sessions of the local Rekognition.
 *
 * AWS runs the liveness challenge in its own UI (Amplify FaceLivenessDetector) and the
 * backend only calls CreateFaceLivenessSession and GetFaceLivenessSessionResults. Locally
 * there is no challenge UI, so the server has a local-only control route:
 *
 *   POST /_local/liveness-sessions/{sessionId}/complete   { "imageBase64": "<JPEG or PNG>" }
 *
 * The route belongs to the session's owner only: before the body is read, the injected
 * {@link LivenessCompletionAuthorizer} checks the caller's bearer token (the same JWTs as the
 * API) and that the session is theirs (the runtime resolves the owner from the attempt whose
 * output prefix the session carries); no or an invalid token is 401, another user's or an
 * unknown session 404, so nobody but the applicant can complete (and so "win") a session.
 * Every error of the route is JSON `{ code, message }` (see {@link livenessRouteError}).
 *
 * The page (or `kyc demo`) posts one selfie frame there. The frame must show exactly one
 * face, else the session ends FAILED. Otherwise the face engine's liveness scores (`live`,
 * `real`; the lower one counts) become the 0–100 Confidence, the frame is stored as
 * `<S3KeyPrefix><sessionId>/reference.jpg` (plus `audit_images/0.jpg` when
 * AuditImagesLimit > 0) in the session's OutputConfig bucket through the injected S3 client,
 * and the session is SUCCEEDED. Deciding pass/fail from Confidence is the caller's job, as
 * in AWS. Sessions not completed within 3 minutes of creation are EXPIRED.
 *
 *   CreateFaceLivenessSession ─► CREATED ──complete──► IN_PROGRESS ──► SUCCEEDED | FAILED
 *                                   └──── 3 min without completion ───► EXPIRED
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { AwsServiceError } from '../json-protocol-server.ts';
import { boundingBox, type BoundingBox } from './face-details.ts';
import type { FaceEngine } from './face-engine-port.ts';
import { invalidParameter } from './errors.ts';

/** The completion route refuses the caller: 401 (no or invalid token) or 404 (not their session). */
export class LivenessCompletionDeniedError extends Error {
  constructor(
    public readonly status: 401 | 404,
    message: string,
  ) {
    super(message);
    this.name = 'LivenessCompletionDeniedError';
  }
}

/**
 * Decides whether the caller may complete a session: resolves when they own it, throws
 * {@link LivenessCompletionDeniedError} otherwise. `outputPrefix` is undefined for an unknown session.
 */
export type LivenessCompletionAuthorizer = (input: {
  readonly sessionId: string;
  readonly outputPrefix: string | undefined;
  readonly authorization: string | undefined;
}) => Promise<void>;

/**
 * An authorizer for a stand-alone local Rekognition (its tests, benchmarks): the holder of one
 * fixed bearer token owns every existing session.
 *
 * @example
 * ```ts
 * const rekognition = await startRekognitionServer({ dataDir, authorizeLivenessCompletion: fixedTokenAuthorizer('t0k3n') });
 * ```
 */
export function fixedTokenAuthorizer(token: string): LivenessCompletionAuthorizer {
  return async ({ outputPrefix, authorization }) => {
    if (authorization !== `Bearer ${token}`)
      throw new LivenessCompletionDeniedError(401, 'Missing or invalid bearer token');
    if (outputPrefix === undefined) throw new LivenessCompletionDeniedError(404, 'Liveness session not found');
  };
}

const AWS_TO_ROUTE_ERRORS: Readonly<Record<string, { status: number; code: string }>> = {
  SessionNotFoundException: { status: 404, code: 'NOT_FOUND' },
  InvalidParameterException: { status: 400, code: 'INVALID_REQUEST' },
  SerializationException: { status: 400, code: 'INVALID_REQUEST' },
  InvalidImageFormatException: { status: 400, code: 'INVALID_IMAGE_FORMAT' },
  ImageTooLargeException: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
};

/** The `{ code, message }` answer of the completion route to any failure. */
export function livenessRouteError(error: unknown): { status: number; body: { code: string; message: string } } {
  if (error instanceof LivenessCompletionDeniedError) {
    return {
      status: error.status,
      body: { code: error.status === 401 ? 'UNAUTHORIZED' : 'NOT_FOUND', message: error.message },
    };
  }
  if (error instanceof LivenessSessionClosedError) {
    return { status: 409, body: { code: 'LIVENESS_SESSION_CLOSED', message: error.message } };
  }
  if (error instanceof AwsServiceError) {
    const mapped = AWS_TO_ROUTE_ERRORS[error.type];
    if (mapped) return { status: mapped.status, body: { code: mapped.code, message: error.message } };
  }
  return { status: 500, body: { code: 'INTERNAL_ERROR', message: 'The liveness session could not be completed' } };
}

/** The session is no longer CREATED (completed, failed or expired): it cannot be completed again. */
export class LivenessSessionClosedError extends Error {
  constructor(
    public readonly sessionId: string,
    public readonly status: string,
  ) {
    super(`Session ${sessionId} is ${status} and cannot be completed`);
    this.name = 'LivenessSessionClosedError';
  }
}

/** A session expires 3 minutes after creation unless completed (AWS behaviour). */
export const LIVENESS_SESSION_TTL_MS = 3 * 60 * 1000;

export type LivenessStatus = 'CREATED' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'EXPIRED';

/** A stored session. */
export interface LivenessSession {
  SessionId: string;
  createdAt: number;
  status: Exclude<LivenessStatus, 'EXPIRED'>;
  kmsKeyId?: string;
  outputBucket?: string;
  outputPrefix: string;
  auditImagesLimit: number;
  confidence?: number;
  referenceBox?: BoundingBox;
  /** Base64 JPEG, kept only when the session has no OutputConfig (returned as Bytes). */
  referenceBytes?: string;
  failureReason?: string;
}

export const sessionNotFound = (sessionId: string): AwsServiceError =>
  new AwsServiceError('SessionNotFoundException', `Session ${sessionId} was not found`);

/** Persists sessions as JSON files in `<dataDir>/liveness/`. */
export class LivenessSessions {
  private readonly directory: string;
  private readonly sessions = new Map<string, LivenessSession>();

  constructor(
    dataDir: string,
    private readonly now: () => number,
  ) {
    this.directory = join(dataDir, 'liveness');
    mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    for (const file of readdirSync(this.directory)) {
      if (!file.endsWith('.json')) continue;
      const session = JSON.parse(readFileSync(join(this.directory, file), 'utf8')) as LivenessSession;
      this.sessions.set(session.SessionId, session);
    }
  }

  create(settings: {
    kmsKeyId?: string;
    outputBucket?: string;
    outputPrefix?: string;
    auditImagesLimit?: number;
  }): LivenessSession {
    const prefix = settings.outputPrefix ?? '';
    const session: LivenessSession = {
      SessionId: randomUUID(),
      createdAt: this.now(),
      status: 'CREATED',
      kmsKeyId: settings.kmsKeyId,
      outputBucket: settings.outputBucket,
      outputPrefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`,
      auditImagesLimit: settings.auditImagesLimit ?? 0,
    };
    this.save(session);
    return session;
  }

  /** The session, or undefined when there is none with this id. */
  find(sessionId: string): LivenessSession | undefined {
    return this.sessions.get(sessionId);
  }

  get(sessionId: string): LivenessSession {
    const session = this.sessions.get(sessionId);
    if (!session) throw sessionNotFound(sessionId);
    return session;
  }

  /** The status a client sees, with expiry applied. */
  statusOf(session: LivenessSession): LivenessStatus {
    if (session.status === 'CREATED' && this.now() - session.createdAt > LIVENESS_SESSION_TTL_MS) return 'EXPIRED';
    return session.status;
  }

  save(session: LivenessSession): void {
    this.sessions.set(session.SessionId, session);
    const file = join(this.directory, `${session.SessionId}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(session), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }
}

/** The S3 key of a session's reference image. */
export const referenceKey = (session: LivenessSession): string =>
  `${session.outputPrefix}${session.SessionId}/reference.jpg`;

/** The S3 key of a session's (single) audit image. */
export const auditImageKey = (session: LivenessSession): string =>
  `${session.outputPrefix}${session.SessionId}/audit_images/0.jpg`;

/**
 * Completes a session with one selfie frame (see the module comment).
 *
 * @returns the resulting status and confidence
 */
export async function completeLivenessSession(
  sessions: LivenessSessions,
  sessionId: string,
  image: Uint8Array,
  engine: FaceEngine,
  s3: S3Client | undefined,
): Promise<{ SessionId: string; Status: LivenessStatus; Confidence?: number }> {
  const session = sessions.get(sessionId);
  const status = sessions.statusOf(session);
  if (status !== 'CREATED') throw new LivenessSessionClosedError(sessionId, status);
  if (session.outputBucket && !s3) throw invalidParameter('This local Rekognition has no S3 client for OutputConfig');
  session.status = 'IN_PROGRESS';
  sessions.save(session);
  try {
    const faces = await engine.detect(image);
    const [face] = faces;
    if (faces.length !== 1 || !face) {
      session.status = 'FAILED';
      session.failureReason = faces.length === 0 ? 'NO_FACE' : 'MULTIPLE_FACES';
      sessions.save(session);
      return { SessionId: sessionId, Status: 'FAILED' };
    }
    const scores = [face.live, face.real].filter((value): value is number => typeof value === 'number');
    const confidence = scores.length === 0 ? 0 : Math.min(...scores.map((value) => Math.min(1, Math.max(0, value))));
    const jpeg = await sharp(image).rotate().jpeg({ quality: 92 }).toBuffer();
    if (session.outputBucket && s3) {
      const sse = session.kmsKeyId ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: session.kmsKeyId } : {};
      await s3.send(
        new PutObjectCommand({
          Bucket: session.outputBucket,
          Key: referenceKey(session),
          Body: jpeg,
          ContentType: 'image/jpeg',
          ...sse,
        }),
      );
      if (session.auditImagesLimit > 0) {
        const auditKey = auditImageKey(session);
        await s3.send(
          new PutObjectCommand({
            Bucket: session.outputBucket,
            Key: auditKey,
            Body: jpeg,
            ContentType: 'image/jpeg',
            ...sse,
          }),
        );
      }
    } else {
      session.referenceBytes = jpeg.toString('base64');
    }
    session.status = 'SUCCEEDED';
    session.confidence = Number((confidence * 100).toFixed(3));
    session.referenceBox = boundingBox(face);
    sessions.save(session);
    return { SessionId: sessionId, Status: 'SUCCEEDED', Confidence: session.confidence };
  } catch (error) {
    session.status = 'FAILED';
    session.failureReason = 'PROCESSING_ERROR';
    sessions.save(session);
    throw error;
  }
}
