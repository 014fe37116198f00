/**
 * Local Rekognition: an HTTP server speaking Rekognition's JSON 1.1 protocol
 * (`X-Amz-Target: RekognitionService.<Operation>`) for the operations the pipeline uses.
 *
 * - Faces: DetectFaces, CompareFaces and the collection/user operations (see
 *   `rekognition/collection-operations.ts`) run on an injected {@link FaceEngine}; by default
 *   the project's engine from `local/face-engine/index.ts`, loaded on first use.
 * - Text: DetectText with tesseract.js, offline (`rekognition/text-detection.ts`).
 * - Liveness: CreateFaceLivenessSession / GetFaceLivenessSessionResults, completed through
 *   the LOCAL-ONLY route `POST /_local/liveness-sessions/{sessionId}/complete` with the
 *   challenge's frames `{ "frames": [{ "prompt", "imageBase64" }] }` (see `rekognition/liveness.ts`).
 *   AWS has no such route.
 * Images are `Bytes` (≤ 5 MB) or `S3Object` (≤ 15 MB) read through the injected S3 client.
 * Collections and sessions persist as JSON under `dataDir`. No image data is ever logged.
 */
import { resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { LOCAL_REGION } from './client-config.ts';
import { optionalNumber, optionalObject, optionalString, requiredString } from './json-input.ts';
import { AwsServiceError, startJsonProtocolServer, type OperationHandler } from './json-protocol-server.ts';
import { collectionOperations } from './rekognition/collection-operations.ts';
import { CollectionStore } from './rekognition/collections.ts';
import { imageTooLarge, invalidImageFormat, invalidParameter } from './rekognition/errors.ts';
import {
  attributeSelection,
  boundingBox,
  comparedFace,
  faceDetail,
  GreyImageMemory,
  largestFace,
} from './rekognition/face-details.ts';
import type { DetectOptions, EngineFace, FaceEngine } from './rekognition/face-engine-port.ts';
import { imageFormat, MAX_BYTES_IMAGE, resolveImage } from './rekognition/images.ts';
import {
  auditImageKey,
  completeLivenessSession,
  livenessRouteError,
  LivenessSessions,
  referenceKey,
  sessionNotFound,
  type LivenessCompletionAuthorizer,
  type LivenessFrame,
} from './rekognition/liveness.ts';
import { FaceEngineLoadError } from '../face-engine/errors.ts';
import { analysisParts, FaceMemory, type AnalysisParts } from '../face-engine/face-memory.ts';
import { LIVENESS_PROMPTS, type LivenessPrompt } from '../face-engine/liveness-score.ts';
import { TextDetector } from './rekognition/text-detection.ts';
import { regionsOfInterest } from './rekognition/text-regions.ts';

export type { EngineFace, FaceEngine } from './rekognition/face-engine-port.ts';
export {
  fixedTokenAuthorizer,
  LivenessCompletionDeniedError,
  type LivenessCompletionAuthorizer,
} from './rekognition/liveness.ts';

/** Options of {@link startRekognitionServer}. */
export interface RekognitionServerOptions {
  /** Folder for collections and liveness sessions (created when missing). */
  readonly dataDir: string;
  /** TCP port (0 or undefined: a free port). */
  readonly port?: number;
  readonly region?: string;
  /** Client of the local S3, for `S3Object` images and liveness output (default: none). */
  readonly s3Client?: S3Client;
  /** The face engine, or a loader called once on first use (default: `loadFaceEngine()` of `local/face-engine`). */
  readonly faceEngine?: FaceEngine | (() => Promise<FaceEngine>);
  /** Clock in epoch milliseconds (default Date.now), for session expiry. */
  readonly now?: () => number;
  /** Largest request body (default 7 MiB: a 5 MB image in base64 plus the request). */
  readonly maxBodyBytes?: number;
  /**
   * Who may complete a liveness session through the local route (required): the runtime checks
   * the applicant's bearer token and that the session is theirs.
   */
  readonly authorizeLivenessCompletion: LivenessCompletionAuthorizer;
}

/** A running local Rekognition. */
export interface RekognitionServer {
  readonly endpoint: string;
  readonly port: number;
  /** Stops the server and the OCR worker. */
  stop(): Promise<void>;
}

/** Distinct images whose detections are kept in memory. */
const DETECTION_CACHE_SIZE = 64;
/** Grey copies kept for face quality (about 1.4 MB each; a few cases' uploads). */
const GREY_IMAGES_KEPT = 16;

async function defaultFaceEngine(): Promise<FaceEngine> {
  // Imported on first use: loading the engine (TensorFlow.js, models) costs time and memory.
  const { loadFaceEngine } = await import('../face-engine/index.ts');
  return loadFaceEngine();
}

/** Loads the engine once; a failed load is retried on the next request and answered with a clear 500. */
function engineLoader(option: RekognitionServerOptions['faceEngine']): () => Promise<FaceEngine> {
  let loading: Promise<FaceEngine> | undefined;
  return () => {
    if (!loading) {
      const started = typeof option === 'function' ? option() : option ? Promise.resolve(option) : defaultFaceEngine();
      loading = started.catch((error: unknown) => {
        loading = undefined;
        console.error(
          `local Rekognition: the face engine could not be loaded: ${(error as Error)?.message ?? String(error)}`,
        );
        throw new AwsServiceError('InternalServerError', 'The local face engine could not be loaded', 500, {
          cause: error,
        });
      });
    }
    return loading;
  };
}

/**
 * Starts the local Rekognition.
 *
 * @example
 * const rekognition = await startRekognitionServer({
 *   dataDir: '.local-data/rekognition',
 *   s3Client: new S3Client(localS3ClientConfig(s3.endpoint)),
 * });
 * const client = new RekognitionClient(localClientConfig(rekognition.endpoint));
 */
export async function startRekognitionServer(options: RekognitionServerOptions): Promise<RekognitionServer> {
  const dataDir = resolve(options.dataDir);
  const region = options.region ?? LOCAL_REGION;
  const now = options.now ?? Date.now;
  const s3 = options.s3Client;
  const engine = engineLoader(options.faceEngine);
  const collections = new CollectionStore(dataDir);
  const sessions = new LivenessSessions(dataDir, now);
  const text = new TextDetector();

  const detectUncached = async (image: Uint8Array, parts: AnalysisParts): Promise<EngineFace[]> => {
    const faceEngine = await engine();
    try {
      return await faceEngine.detect(image, parts);
    } catch (error) {
      // The engine failing (its worker stopped or hung) is the service's fault, and worth a retry,
      // as Rekognition's own 500s are; anything else is about the image.
      if (error instanceof FaceEngineLoadError) {
        throw new AwsServiceError('InternalServerError', 'The local face engine failed; try again', 500, {
          cause: error,
        });
      }
      throw new AwsServiceError('InvalidImageFormatException', 'Request has invalid image format', 400, {
        cause: error,
      });
    }
  };
  // The pipeline sends the same image several times per case (the quality gate's DetectFaces, face
  // match, liveness binding, duplicate search, indexing): the engine runs once per distinct image
  // (bounded LRU, in memory). DetectFaces asks for the embeddings too, although it reports none:
  // the gate hands it the upload itself, the very bytes the comparisons later read from the
  // vault, so they come from memory. (`kyc check`, which only detects, uses the engine directly.)
  const memory = new FaceMemory<EngineFace>(DETECTION_CACHE_SIZE);
  const detect = (image: Uint8Array, options: DetectOptions = {}): Promise<EngineFace[]> =>
    memory.recall(image, analysisParts(options), (parts) => detectUncached(image, parts));
  /** Faces known without the models (a liveness reference image is its frame, re-encoded). */
  const remember = (image: Uint8Array, faces: readonly EngineFace[]): void => memory.remember(image, faces);
  const greys = new GreyImageMemory(GREY_IMAGES_KEPT);

  const operations: Record<string, OperationHandler> = {
    ...collectionOperations({ store: collections, engine, detect, grey: (image) => greys.of(image), s3, region, now }),
    async DetectFaces(input) {
      const attributes = attributeSelection(input.Attributes, invalidParameter);
      const image = await resolveImage(input, 'Image', s3);
      // The grey copy (libvips, this thread) is made while the engine's worker looks for faces.
      const [faces, grey] = await Promise.all([detect(image), greys.of(image)]);
      return { FaceDetails: faces.map((face) => faceDetail(face, grey, attributes)) };
    },
    async CompareFaces(input) {
      const threshold = optionalNumber(input, 'SimilarityThreshold', 0, 100, invalidParameter) ?? 80;
      const source = await resolveImage(input, 'SourceImage', s3);
      const target = await resolveImage(input, 'TargetImage', s3);
      const [sourceFaces, targetFaces, targetGrey] = await Promise.all([
        detect(source),
        detect(target),
        greys.of(target),
      ]);
      const sourceFace = largestFace(sourceFaces);
      if (!sourceFace) throw invalidParameter('There are no faces in the source image');
      const faceEngine = await engine();
      const faceMatches: Record<string, unknown>[] = [];
      const unmatched: Record<string, unknown>[] = [];
      for (const face of targetFaces) {
        const similarity = faceEngine.similarity(sourceFace.embedding, face.embedding);
        if (similarity >= threshold) {
          faceMatches.push({ Similarity: Number(similarity.toFixed(4)), Face: comparedFace(face, targetGrey) });
        } else {
          unmatched.push(comparedFace(face, targetGrey));
        }
      }
      faceMatches.sort((a, b) => (b.Similarity as number) - (a.Similarity as number));
      return {
        SourceImageFace: {
          BoundingBox: boundingBox(sourceFace),
          Confidence: Number((sourceFace.confidence * 100).toFixed(3)),
        },
        FaceMatches: faceMatches,
        UnmatchedFaces: unmatched,
      };
    },
    async DetectText(input) {
      const image = await resolveImage(input, 'Image', s3);
      const filters = optionalObject(input, 'Filters', invalidParameter) ?? {};
      const wordFilter = optionalObject(filters, 'WordFilter', invalidParameter);
      const minWordConfidence = wordFilter
        ? (optionalNumber(wordFilter, 'MinConfidence', 0, 100, invalidParameter) ?? 0)
        : 0;
      const regions = regionsOfInterest(filters.RegionsOfInterest);
      return { TextDetections: await text.detect(image, { minWordConfidence, regions }), TextModelVersion: '3.0' };
    },
    CreateFaceLivenessSession(input) {
      const settings = optionalObject(input, 'Settings', invalidParameter) ?? {};
      const output = optionalObject(settings, 'OutputConfig', invalidParameter);
      const auditImagesLimit = optionalNumber(settings, 'AuditImagesLimit', 0, 4, invalidParameter);
      if (auditImagesLimit !== undefined && !Number.isInteger(auditImagesLimit))
        throw invalidParameter('AuditImagesLimit must be 0-4');
      const session = sessions.create({
        kmsKeyId: optionalString(input, 'KmsKeyId', invalidParameter),
        outputBucket: output ? requiredString(output, 'S3Bucket', invalidParameter) : undefined,
        outputPrefix: output ? optionalString(output, 'S3KeyPrefix', invalidParameter) : undefined,
        auditImagesLimit,
      });
      return { SessionId: session.SessionId };
    },
    GetFaceLivenessSessionResults(input) {
      const session = sessions.get(requiredString(input, 'SessionId', invalidParameter));
      const status = sessions.statusOf(session);
      const result: Record<string, unknown> = { SessionId: session.SessionId, Status: status };
      if (status === 'SUCCEEDED') {
        result.Confidence = session.confidence;
        const reference: Record<string, unknown> = { BoundingBox: session.referenceBox };
        if (session.outputBucket) reference.S3Object = { Bucket: session.outputBucket, Name: referenceKey(session) };
        else reference.Bytes = session.referenceBytes;
        result.ReferenceImage = reference;
        result.AuditImages =
          session.outputBucket && session.auditImagesLimit > 0
            ? [
                {
                  S3Object: { Bucket: session.outputBucket, Name: auditImageKey(session) },
                  BoundingBox: session.referenceBox,
                },
              ]
            : [];
      }
      return result;
    },
  };

  const server = await startJsonProtocolServer({
    name: 'local Rekognition',
    targetPrefix: 'RekognitionService',
    operations,
    port: options.port,
    maxBodyBytes: options.maxBodyBytes ?? 7 * 1024 * 1024,
    tooLargeErrorType: 'ImageTooLargeException',
    localRoutes: [
      {
        method: 'POST',
        path: /^\/_local\/liveness-sessions\/([^/]+)\/complete$/,
        jsonBody: true,
        errorResponse: livenessRouteError,
        async authorize([sessionId = ''], headers) {
          let id: string | undefined;
          try {
            id = decodeURIComponent(sessionId);
          } catch {
            id = undefined;
          }
          await options.authorizeLivenessCompletion({
            sessionId: id ?? sessionId,
            outputPrefix: id === undefined ? undefined : sessions.find(id)?.outputPrefix,
            authorization: typeof headers.authorization === 'string' ? headers.authorization : undefined,
          });
        },
        async handle([sessionId = ''], body) {
          const frames = livenessFrames(body);
          let id: string;
          try {
            id = decodeURIComponent(sessionId);
          } catch {
            throw sessionNotFound(sessionId);
          }
          sessions.get(id);
          const faceEngine = await engine();
          const checked: FaceEngine = { detect, similarity: (a, b) => faceEngine.similarity(a, b) };
          const completed = await completeLivenessSession(sessions, id, frames, checked, s3, remember);
          // Only that the challenge is done, as the Face Liveness UI learns it in AWS: the score
          // (and whether a face was found) is for the backend, which reads the session's results.
          return { sessionId: completed.SessionId, status: 'COMPLETE' };
        },
      },
    ],
  });

  return {
    endpoint: server.endpoint,
    port: server.port,
    async stop() {
      await server.stop();
      await text.close();
    },
  };
}

/** Most frames one challenge may post. */
export const MAX_LIVENESS_FRAMES = 16;

/**
 * The frames of a completion request: `{ frames: [{ prompt, imageBase64 }] }`, or the single
 * centre frame `{ imageBase64 }`. Each must be a JPEG or PNG within Rekognition's image limit.
 */
function livenessFrames(body: unknown): LivenessFrame[] {
  if (typeof body !== 'object' || body === null) throw invalidParameter('Body must be a JSON object');
  const record = body as Record<string, unknown>;
  const entries: unknown[] = Array.isArray(record.frames)
    ? record.frames
    : record.imageBase64 === undefined
      ? []
      : [{ prompt: 'centre', imageBase64: record.imageBase64 }];
  if (entries.length === 0) throw invalidParameter('frames is required: [{ "prompt", "imageBase64" }]');
  if (entries.length > MAX_LIVENESS_FRAMES) throw invalidParameter(`At most ${MAX_LIVENESS_FRAMES} frames`);
  return entries.map((entry, index) => {
    const { prompt, imageBase64 } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<
      string,
      unknown
    >;
    if (typeof prompt !== 'string' || !LIVENESS_PROMPTS.includes(prompt as LivenessPrompt))
      throw invalidParameter(`frames[${index}].prompt must be one of ${LIVENESS_PROMPTS.join(', ')}`);
    if (typeof imageBase64 !== 'string' || imageBase64 === '')
      throw invalidParameter(`frames[${index}].imageBase64 is required`);
    const image = Buffer.from(imageBase64, 'base64');
    if (image.length > MAX_BYTES_IMAGE) throw imageTooLarge(`Image bytes are limited to ${MAX_BYTES_IMAGE} bytes`);
    if (!imageFormat(image)) throw invalidImageFormat();
    return { prompt: prompt as LivenessPrompt, image };
  });
}
