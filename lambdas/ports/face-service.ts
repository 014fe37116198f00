/**
 * Face and text analysis of stored evidence (PRODUCT §3). In AWS: Amazon Rekognition reading
 * the images straight from the vault bucket (`S3Object`), so no image passes through a payload.
 * Every implementation names itself in `processor`, which the workflow records per image
 * (PRODUCT §5: which processor handled which image).
 */

/** An object in the evidence vault. */
export interface ImageRef {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
}

/** A part of an image, in fractions of its width and height (0..1). */
export interface ImageRegion {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export interface FaceMatch {
  /** Similarity (0-100) of the best face match; 0 when no face of the target matches. */
  readonly similarity: number;
}

/** Whose face is indexed: the user, and the attempt whose selfie it came from. */
export interface FaceOwner {
  readonly userId: string;
  readonly attemptId: string;
}

export interface FaceSearchHit {
  /** The user the indexed face belongs to. */
  readonly userId: string;
  /** The attempt whose selfie was indexed (none for a face indexed before attempts were recorded). */
  readonly attemptId?: string;
  /** The indexed face (Rekognition's `FaceId`). */
  readonly faceId?: string;
  readonly similarity: number;
}

export interface FaceService {
  /** Name recorded with every image this service handles, e.g. `rekognition`. */
  readonly processor: string;
  /** Compares the face of `source` (the selfie) with the largest face of `target` (document portrait). */
  compareFaces(source: ImageRef, target: ImageRef): Promise<FaceMatch>;
  /** Faces in the collection similar to the face of `image` (at or above `threshold`, 0-100). */
  searchFaces(image: ImageRef, threshold: number): Promise<FaceSearchHit[]>;
  /** Adds the face of `image` to the collection for `owner`, for duplicate searches. */
  indexFace(image: ImageRef, owner: FaceOwner): Promise<{ faceId: string }>;
  /** Removes indexed faces from the collection (a face already gone is no error). */
  removeFaces(faceIds: readonly string[]): Promise<void>;
}

/** The text of a document image (OCR), for reading its machine-readable zone. */
export interface DocumentText {
  /** Name recorded with every image this service reads, e.g. `rekognition`. */
  readonly processor: string;
  /**
   * Text lines detected in `image`, top to bottom; with `region`, only the lines of words lying
   * more than half inside it (Rekognition's regions of interest).
   */
  detectText(image: ImageRef, region?: ImageRegion): Promise<string[]>;
}
