/**
 * Face Liveness sessions of the local Rekognition.
 *
 * AWS runs the liveness challenge in its own UI (Amplify FaceLivenessDetector) and the
 * backend only calls CreateFaceLivenessSession and GetFaceLivenessSessionResults. Locally the
 * reference page runs a short challenge (centre, turn left, turn right, centre) and posts the
 * camera frames to a local-only control route:
 *
 *   POST /_local/liveness-sessions/{sessionId}/complete
 *   { "frames": [{ "prompt": "centre" | "turn_left" | "turn_right", "imageBase64": "<JPEG or PNG>" }, ...] }
 *
 * The route belongs to the session's owner only: before the body is read, the injected
 * {@link LivenessCompletionAuthorizer} checks the caller's bearer token (the same JWTs as the
 * API) and that the session is theirs (the runtime resolves the owner from the attempt whose
 * output prefix the session carries); no or an invalid token is 401, another user's or an
 * unknown session 404, so nobody but the applicant can complete (and so "win") a session.
 * Every error of the route is JSON `{ code, message }` (see {@link livenessRouteError}).
 *
 * (`{ "imageBase64" }` alone is one centre frame: it cannot show movement, so it scores 0.)
 * The face engine detects every frame and `judgeChallenge` (`local/face-engine/liveness-score.ts`)
 * combines them: several faces or too many frames without a face -> FAILED; another person
 * in some frame or no movement -> Confidence 0; otherwise the calibrated score on the AWS
 * scale, so the deployed bands (85 / 60) apply. The best centre frame is stored as
 * `<S3KeyPrefix><sessionId>/reference.jpg` (plus `audit_images/<n>.jpg`, up to
 * AuditImagesLimit) in the session's OutputConfig bucket through the injected S3 client, and
 * the session is SUCCEEDED. Deciding pass/fail from Confidence is the caller's job, as in AWS.
 * Sessions not completed within 3 minutes of creation are EXPIRED.
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
import type { EngineFace, FaceEngine } from './face-engine-port.ts';
import {
  judgeChallenge,
  type LivenessFinding,
  type LivenessPrompt,
  type LivenessVerdict,
} from '../../face-engine/liveness-score.ts';
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
  UnsupportedMediaTypeException: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
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
  /** Why the confidence was forced to 0, when it was. */
  finding?: LivenessFinding;
  /** The numbers behind the verdict (no image data). */
  evidence?: LivenessVerdict['evidence'];
}

/** One frame of the challenge as posted to the completion route. */
export interface LivenessFrame {
  readonly prompt: LivenessPrompt;
  readonly image: Uint8Array;
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
 * Completes a session with the frames of a challenge (see the module comment).
 *
 * `remember`, when given, learns the faces of the reference image: it is the reference frame
 * re-encoded as JPEG (no metadata), so the faces found in the frame are its faces, and the
 * comparison the pipeline makes next with it need not run the models again.
 *
 * @example
 * await completeLivenessSession(sessions, id, [{ prompt: 'centre', image }, ...], engine, s3);
 * @returns the resulting status and confidence
 */
export async function completeLivenessSession(
  sessions: LivenessSessions,
  sessionId: string,
  frames: readonly LivenessFrame[],
  engine: FaceEngine,
  s3: S3Client | undefined,
  remember?: (image: Uint8Array, faces: readonly EngineFace[]) => void,
): Promise<{ SessionId: string; Status: LivenessStatus; Confidence?: number }> {
  const session = sessions.get(sessionId);
  const status = sessions.statusOf(session);
  if (status !== 'CREATED') throw new LivenessSessionClosedError(sessionId, status);
  if (session.outputBucket && !s3) throw invalidParameter('This local Rekognition has no S3 client for OutputConfig');
  session.status = 'IN_PROGRESS';
  sessions.save(session);
  try {
    const { detected, verdict } = await judgeChallenge(engine, frames);
    session.evidence = verdict.evidence;
    if (verdict.finding) session.finding = verdict.finding;
    const reference = verdict.referenceFrame === undefined ? undefined : frames[verdict.referenceFrame];
    const face = verdict.referenceFrame === undefined ? undefined : detected[verdict.referenceFrame]?.faces[0];
    if (verdict.status === 'FAILED' || !reference || !face) {
      session.status = 'FAILED';
      session.failureReason = verdict.finding ?? 'NO_FACE';
      sessions.save(session);
      return { SessionId: sessionId, Status: 'FAILED' };
    }
    const jpeg = await sharp(reference.image).rotate().jpeg({ quality: 92 }).toBuffer();
    remember?.(jpeg, detected[verdict.referenceFrame as number]?.faces ?? []);
    if (session.outputBucket && s3) {
      const sse = session.kmsKeyId ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: session.kmsKeyId } : {};
      const put = (key: string, body: Buffer) =>
        s3.send(
          new PutObjectCommand({
            Bucket: session.outputBucket,
            Key: key,
            Body: body,
            ContentType: 'image/jpeg',
            ...sse,
          }),
        );
      await put(referenceKey(session), jpeg);
      const audit = frames.filter((frame) => frame !== reference).slice(0, session.auditImagesLimit);
      for (const [index, frame] of audit.entries())
        await put(
          `${session.outputPrefix}${session.SessionId}/audit_images/${index}.jpg`,
          await sharp(frame.image).rotate().jpeg({ quality: 90 }).toBuffer(),
        );
    } else {
      session.referenceBytes = jpeg.toString('base64');
    }
    session.status = 'SUCCEEDED';
    session.confidence = verdict.confidence ?? 0;
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
