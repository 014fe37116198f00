/**
 * Finds lines of text, with where they are, in an image (in AWS: Rekognition DetectText on the
 * image bytes; locally the same call answered by tesseract.js). Used to locate what must be
 * masked before support sees a thumbnail of a document.
 */
import type { FoundTextLine } from '../domain/redaction.ts';

export interface TextDetector {
  /** Name recorded as the processor of the image (PRODUCT §5), e.g. `rekognition:DetectText`. */
  readonly processorName: string;
  /** Lines of text, boxes as fractions of the (oriented) image, top to bottom. */
  detectLines(image: Uint8Array): Promise<FoundTextLine[]>;
}
