/**
 * The processor log (PRODUCT §5: which processor handled which image): one entry for every
 * call that sends an image, or its bytes, to an outside processor (Rekognition CompareFaces,
 * DetectFaces, DetectText, SearchFacesByImage, IndexFaces, Face Liveness; Textract when enabled).
 */

/** Why a processor was given the image. */
export type ProcessorPurpose =
  | 'quality_gate'
  | 'face_match'
  | 'document_data'
  | 'duplicate_search'
  | 'duplicate_index'
  | 'liveness'
  /** Locating faces and text to redact a support thumbnail. */
  | 'support_redaction';

export interface ProcessorCall {
  /** The service, e.g. `rekognition`. */
  readonly processor: string;
  /** Its operation, e.g. `CompareFaces`. */
  readonly operation: string;
  readonly purpose: ProcessorPurpose;
  readonly verificationId: string;
  readonly attemptId?: string;
  /** The object the image came from (vault or intake key) and its version, where versioned. */
  readonly objectKey: string;
  readonly objectVersion?: string;
  /** The processor's request id (e.g. `x-amzn-RequestId`), for its own logs and support cases. */
  readonly requestId?: string;
  /** Whether the processor answered (false: the call failed after the image was sent). */
  readonly succeeded: boolean;
  /** ISO time of the call. */
  readonly at: string;
}

/** A processor-log entry as stored: the call plus who made it. */
export interface ProcessorLogEntry extends ProcessorCall {
  /** The function that made the call (`system:<function>`). */
  readonly actor: string;
  /** Audit chain position of the entry. */
  readonly sequence: number;
}

export interface ProcessorLog {
  /** Records one call; an entry that cannot be written fails the step (it is retried), never dropped. */
  record(call: ProcessorCall): Promise<void>;
}
