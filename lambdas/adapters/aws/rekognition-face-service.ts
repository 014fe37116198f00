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
  DeleteFacesCommand,
  IndexFacesCommand,
  SearchFacesByImageCommand,
} from './rekognition-commands.ts';
import type { FaceOwner, FaceSearchHit, FaceService, ImageRef } from '../../ports/face-service.ts';
import {
  RekognitionVaultCalls,
  vaultImage as image,
  type RekognitionVaultCallsOptions,
} from './rekognition-vault-calls.ts';

export interface RekognitionFaceServiceOptions extends RekognitionVaultCallsOptions {
  /** Face collection for duplicate search and indexing. */
  readonly collectionId: string;
}

/**
 * A face's `ExternalImageId`: `<userId>:<attemptId>` (Rekognition allows `[a-zA-Z0-9_.\-:]+`), so a
 * search tells whose attempt a face came from.
 */
export function externalImageId(owner: FaceOwner): string {
  return `${owner.userId}:${owner.attemptId}`;
}

/** The owner an `ExternalImageId` names; a face indexed as `<userId>` alone (before attempts were recorded) has none. */
export function faceOwnerOf(id: string): { userId: string; attemptId?: string } {
  const at = id.lastIndexOf(':');
  return at > 0 && at < id.length - 1 ? { userId: id.slice(0, at), attemptId: id.slice(at + 1) } : { userId: id };
}

/** Rekognition indexed no face (the selfie passed the quality gate, so this is unexpected). */
export class NoFaceIndexedError extends Error {
  constructor(public readonly key: string) {
    super(`No face indexed from ${key}`);
    this.name = 'NoFaceIndexedError';
  }
}

export class RekognitionFaceService extends RekognitionVaultCalls implements FaceService {
  constructor(private readonly options: RekognitionFaceServiceOptions) {
    super(options);
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
        .map((m) => ({
          ...faceOwnerOf(m.Face?.ExternalImageId as string),
          ...(m.Face?.FaceId ? { faceId: m.Face.FaceId } : {}),
          similarity: m.Similarity ?? 0,
        }));
    } catch (error) {
      // An empty collection or no detectable face in the search image: nothing to match against.
      if ((error as Error).name === 'InvalidParameterException') return [];
      throw error;
    }
  }

  async indexFace(ref: ImageRef, owner: FaceOwner) {
    const output = await this.sendLogged('IndexFaces', 'duplicate_index', [ref], () =>
      this.client.send(
        new IndexFacesCommand({
          CollectionId: this.options.collectionId,
          Image: image(ref),
          ExternalImageId: externalImageId(owner),
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

  async removeFaces(faceIds: readonly string[]): Promise<void> {
    if (faceIds.length === 0) return;
    // No image is sent, so nothing goes to the processor log; a face already gone is reported
    // under UnsuccessfulFaceDeletions, not as an error.
    await this.client.send(new DeleteFacesCommand({ CollectionId: this.options.collectionId, FaceIds: [...faceIds] }));
  }
}
