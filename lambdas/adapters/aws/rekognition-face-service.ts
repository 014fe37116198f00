/**
 * `FaceService` over Amazon Rekognition. Images are read by Rekognition straight from the
 * vault (`S3Object` with version), so no image passes through the function; the vault is
 * SSE-KMS, so the function's role needs `kms:Decrypt` on the documents key (Rekognition reads
 * with the caller's permissions). Indexed faces carry the user id as `ExternalImageId`.
 *
 * @example
 * ```ts
 * const faces = new RekognitionFaceService({ collectionId: 'kyc-faces' });
 * const { similarity } = await faces.compareFaces(selfie, documentFront);
 * ```
 */
import {
  CompareFacesCommand,
  DetectTextCommand,
  IndexFacesCommand,
  RekognitionClient,
  SearchFacesByImageCommand,
  type Image,
} from '@aws-sdk/client-rekognition';
import type { FaceSearchHit, FaceService, ImageRef, ImageRegion } from '../../ports/face-service.ts';
import type { ProcessorLog, ProcessorPurpose } from '../../ports/processor-log.ts';

export interface RekognitionFaceServiceOptions {
  /** Face collection for duplicate search and indexing. */
  readonly collectionId: string;
  /** Rekognition client (a default client for the function's region). */
  readonly client?: RekognitionClient;
  /** Where every call that sends an image is recorded (PRODUCT §5); none: not recorded. */
  readonly processorLog?: ProcessorLog;
}

/** `<prefix>/<verificationId>/<attemptId>/...`: the case an evidence object belongs to. */
const OBJECT_OWNER = /^(?:evidence|liveness|intake)\/([\w-]{1,64})\/([\w-]{1,64})\//;

/** The verification and attempt an evidence key names (`unattributed` for a key of no case). */
export function objectOwner(key: string): { verificationId: string; attemptId?: string } {
  const match = OBJECT_OWNER.exec(key);
  return match ? { verificationId: match[1]!, attemptId: match[2]! } : { verificationId: 'unattributed' };
}

/** Rekognition indexed no face (the selfie passed the quality gate, so this is unexpected). */
export class NoFaceIndexedError extends Error {
  constructor(public readonly key: string) {
    super(`No face indexed from ${key}`);
    this.name = 'NoFaceIndexedError';
  }
}

function image(ref: ImageRef): Image {
  return { S3Object: { Bucket: ref.bucket, Name: ref.key, ...(ref.versionId ? { Version: ref.versionId } : {}) } };
}

export class RekognitionFaceService implements FaceService {
  readonly processor = 'rekognition';
  private readonly client: RekognitionClient;

  constructor(private readonly options: RekognitionFaceServiceOptions) {
    this.client = options.client ?? new RekognitionClient({});
  }

  /** Sends `command`, then records one processor-log entry per image it carried (also when it failed). */
  private async sendLogged<T extends { $metadata: { requestId?: string } }>(
    operation: string,
    purpose: ProcessorPurpose,
    images: readonly ImageRef[],
    send: () => Promise<T>,
  ): Promise<T> {
    const at = new Date().toISOString();
    let output: T;
    try {
      output = await send();
    } catch (error) {
      const requestId = (error as { $metadata?: { requestId?: string } }).$metadata?.requestId;
      await this.log(operation, purpose, images, at, requestId, false);
      throw error;
    }
    await this.log(
      operation,
      purpose,
      images,
      at,
      (output.$metadata as { requestId?: string } | undefined)?.requestId,
      true,
    );
    return output;
  }

  private async log(
    operation: string,
    purpose: ProcessorPurpose,
    images: readonly ImageRef[],
    at: string,
    requestId: string | undefined,
    succeeded: boolean,
  ): Promise<void> {
    const processorLog = this.options.processorLog;
    if (!processorLog) return;
    for (const ref of images) {
      await processorLog.record({
        processor: this.processor,
        operation,
        purpose,
        ...objectOwner(ref.key),
        objectKey: ref.key,
        ...(ref.versionId ? { objectVersion: ref.versionId } : {}),
        ...(requestId ? { requestId } : {}),
        succeeded,
        at,
      });
    }
  }

  async compareFaces(source: ImageRef, target: ImageRef) {
    const output = await this.sendLogged('CompareFaces', 'face_match', [source, target], () =>
      this.client.send(
        new CompareFacesCommand({
          SourceImage: image(source),
          TargetImage: image(target),
          // Report every match; the decision policy applies our own bands.
          SimilarityThreshold: 0,
          QualityFilter: 'AUTO',
        }),
      ),
    );
    const best = Math.max(0, ...(output.FaceMatches ?? []).map((m) => m.Similarity ?? 0));
    return { similarity: best };
  }

  async searchFaces(ref: ImageRef, threshold: number): Promise<FaceSearchHit[]> {
    try {
      const output = await this.sendLogged('SearchFacesByImage', 'duplicate_search', [ref], () =>
        this.client.send(
          new SearchFacesByImageCommand({
            CollectionId: this.options.collectionId,
            Image: image(ref),
            FaceMatchThreshold: threshold,
            MaxFaces: 10,
            QualityFilter: 'AUTO',
          }),
        ),
      );
      return (output.FaceMatches ?? [])
        .filter((m) => m.Face?.ExternalImageId)
        .map((m) => ({ userId: m.Face?.ExternalImageId as string, similarity: m.Similarity ?? 0 }));
    } catch (error) {
      // An empty collection or no detectable face in the search image: nothing to match against.
      if ((error as Error).name === 'InvalidParameterException') return [];
      throw error;
    }
  }

  async indexFace(ref: ImageRef, userId: string) {
    const output = await this.sendLogged('IndexFaces', 'duplicate_index', [ref], () =>
      this.client.send(
        new IndexFacesCommand({
          CollectionId: this.options.collectionId,
          Image: image(ref),
          ExternalImageId: userId,
          MaxFaces: 1,
          QualityFilter: 'AUTO',
          DetectionAttributes: [],
        }),
      ),
    );
    const faceId = output.FaceRecords?.[0]?.Face?.FaceId;
    if (!faceId) throw new NoFaceIndexedError(ref.key);
    return { faceId };
  }

  async detectText(ref: ImageRef, region?: ImageRegion): Promise<string[]> {
    const filters = region
      ? {
          Filters: {
            RegionsOfInterest: [
              { BoundingBox: { Left: region.left, Top: region.top, Width: region.width, Height: region.height } },
            ],
          },
        }
      : {};
    const output = await this.sendLogged('DetectText', 'document_data', [ref], () =>
      this.client.send(new DetectTextCommand({ Image: image(ref), ...filters })),
    );
    return (output.TextDetections ?? [])
      .filter((d) => d.Type === 'LINE' && d.DetectedText)
      .sort((a, b) => (a.Geometry?.BoundingBox?.Top ?? 0) - (b.Geometry?.BoundingBox?.Top ?? 0))
      .map((d) => d.DetectedText as string);
  }
}
