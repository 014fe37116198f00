/**
 * The upload quality gate as the intake sees it (implemented in `lambdas/quality`): decides
 * from the bytes alone whether an upload is usable evidence for its slot.
 */
import type { ReasonCode } from '../domain/reason-codes.ts';
import type { DocumentType, Slot } from '../domain/verification.ts';

export interface QualityGateVerdict {
  readonly accepted: boolean;
  readonly reasons: readonly ReasonCode[];
  readonly metrics: Readonly<Record<string, number>>;
  /** Type sniffed from the magic bytes, e.g. `image/jpeg`. */
  readonly detectedType?: string;
  readonly width?: number;
  readonly height?: number;
  /** Processors that handled the image (PRODUCT §5), e.g. `['quality-gate', 'rekognition:DetectFaces']`. */
  readonly processors?: readonly string[];
  /**
   * Set when the file carries media a camera appended after the image (an MPF or Ultra HDR gain
   * map, a motion photo's video, a maker trailer): the length of the image itself, which is all
   * that was judged and all that is kept as evidence.
   */
  readonly imageBytes?: number;
}

export type QualityGate = (
  bytes: Buffer,
  input: { readonly slot: Slot; readonly documentType: DocumentType },
) => Promise<QualityGateVerdict>;
