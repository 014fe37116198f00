/**
 * Where to redact a document image before support sees a thumbnail of it (PRODUCT §5: support
 * sees at most a redacted thumbnail, never the full document, never personal data beyond the
 * first name). Pure: takes what the face and text detectors found (boxes as fractions of the
 * image, like Rekognition) and returns the regions to blur and to mask.
 *
 *   faces (detector, confidence >= 50)      -> blurred, box grown by 40 % each side (hair, ears)
 *   text lines (OCR)                         -> masked, grown by half a line height
 *   MRZ lines (OCR, `looksLikeMrz`)          -> masked as one full-width band from a line above
 *                                              the first MRZ line down to the bottom of the image
 *   a document front without a found face    -> whole image   (the portrait cannot be placed)
 *   no text found at all                     -> whole image   (name, number, MRZ cannot be placed)
 *   passport page without a found MRZ        -> bottom 40 % masked full width (ICAO 9303 TD3 puts
 *                                              the MRZ at the foot of the data page)
 *
 * The thumbnail is then checked again by the same detectors; anything they still find (a face,
 * an MRZ line, a readable line) turns the redaction into the whole-image one. Failing closed is
 * the rule: whenever a region cannot be located, more is hidden, never less.
 *
 * @example
 * ```ts
 * const plan = redactionPlan({ slot: 'document_front', documentType: 'passport', faces, lines });
 * plan.wholeImage; // false when the portrait and the text were found
 * ```
 */
import { mrzCandidateLines } from './mrz.ts';
import type { DocumentType, Slot } from './verification.ts';

/** A rectangle as fractions (0..1) of the image width and height. */
export interface Box {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export interface FoundFace {
  readonly box: Box;
  /** 0..100 (Rekognition's scale). */
  readonly confidence: number;
}

export interface FoundTextLine {
  readonly text: string;
  readonly box: Box;
}

export interface RedactionInput {
  readonly slot: Slot;
  readonly documentType: DocumentType;
  readonly faces: readonly FoundFace[];
  readonly lines: readonly FoundTextLine[];
}

/** Why a redaction covers more than the located regions. */
export type RedactionFallback = 'no_face_found' | 'no_text_found' | 'no_mrz_found' | 'detector_failed' | 'check_failed';

export interface RedactionPlan {
  /** Regions to blur beyond recognition (faces). */
  readonly blur: readonly Box[];
  /** Regions to cover with a solid fill (text, the MRZ band). */
  readonly mask: readonly Box[];
  /** Pixelate the whole image: a region could not be located. */
  readonly wholeImage: boolean;
  readonly fallbacks: readonly RedactionFallback[];
}

/** Faces at or above this detector confidence are blurred (lower than the quality gate's 80: hide more). */
export const REDACTION_FACE_CONFIDENCE = 50;
/** Growth of a face box on each side, as a fraction of its size. */
export const FACE_MARGIN = 0.4;
/** Growth of a text line box above and below, as a fraction of its height. */
export const LINE_MARGIN = 0.5;
/** Growth of a text line box left and right, as a fraction of its width. */
export const LINE_X_MARGIN = 0.05;
/** Height of the band masked at the foot of a passport page whose MRZ was not found. */
export const MRZ_FALLBACK_BAND = 0.4;

/**
 * Does an OCR line look like part of a machine-readable zone? Looser than the MRZ reader on
 * purpose: any long run of `A-Z 0-9 <` with a filler, or a line the reader would take.
 */
export function looksLikeMrz(text: string): boolean {
  const compact = text.toUpperCase().replace(/«/g, '<<').replace(/\s+/g, '');
  if (mrzCandidateLines([text]).length > 0) return true;
  const kept = compact.replace(/[^A-Z0-9<]/g, '');
  return kept.length >= 20 && kept.length >= compact.length * 0.9 && kept.includes('<');
}

/** `box` grown by `x` and `y` (fractions of its own size) on each side, clipped to the image. */
export function grow(box: Box, x: number, y: number): Box {
  const left = Math.max(0, box.left - box.width * x);
  const top = Math.max(0, box.top - box.height * y);
  const right = Math.min(1, box.left + box.width * (1 + x));
  const bottom = Math.min(1, box.top + box.height * (1 + y));
  return { left, top, width: Math.max(0, right - left), height: Math.max(0, bottom - top) };
}

/** Whether the document type carries an MRZ on this slot (ICAO 9303: TD3 page; TD1 on the back). */
function expectsMrz(slot: Slot, documentType: DocumentType): boolean {
  return (
    (slot === 'document_front' && documentType === 'passport') ||
    (slot === 'document_back' && documentType === 'id_card')
  );
}

/** The whole image, pixelated: what every fallback that cannot place a region comes to. */
export function wholeImagePlan(fallbacks: readonly RedactionFallback[]): RedactionPlan {
  return { blur: [], mask: [], wholeImage: true, fallbacks };
}

export function redactionPlan(input: RedactionInput): RedactionPlan {
  const faces = input.faces.filter((face) => face.confidence >= REDACTION_FACE_CONFIDENCE);
  const lines = input.lines.filter((line) => line.text.trim() !== '' && line.box.width > 0 && line.box.height > 0);
  const fallbacks: RedactionFallback[] = [];
  if (faces.length === 0 && (input.slot === 'document_front' || input.slot === 'selfie'))
    fallbacks.push('no_face_found');
  if (lines.length === 0 && input.slot !== 'selfie') fallbacks.push('no_text_found');
  if (fallbacks.length > 0) return wholeImagePlan(fallbacks);

  const blur = faces.map((face) => grow(face.box, FACE_MARGIN, FACE_MARGIN));
  const mask: Box[] = lines.map((line) => grow(line.box, LINE_X_MARGIN, LINE_MARGIN));
  const mrz = lines.filter((line) => looksLikeMrz(line.text));
  if (mrz.length > 0) {
    const top = Math.min(...mrz.map((line) => line.box.top - line.box.height));
    mask.push({ left: 0, top: Math.max(0, top), width: 1, height: 1 - Math.max(0, top) });
  } else if (expectsMrz(input.slot, input.documentType)) {
    fallbacks.push('no_mrz_found');
    mask.push({ left: 0, top: 1 - MRZ_FALLBACK_BAND, width: 1, height: MRZ_FALLBACK_BAND });
  }
  return { blur, mask, wholeImage: false, fallbacks };
}

/**
 * Whether a redacted thumbnail may leave: the detectors, run again on it, find no face, no MRZ
 * line and no line of `minReadableChars` letters or digits or more.
 */
export function thumbnailIsClean(
  found: { readonly faces: readonly FoundFace[]; readonly lines: readonly FoundTextLine[] },
  minReadableChars = 4,
): boolean {
  if (found.faces.some((face) => face.confidence >= REDACTION_FACE_CONFIDENCE)) return false;
  return !found.lines.some(
    (line) => looksLikeMrz(line.text) || new RegExp(`[A-Za-z0-9]{${minReadableChars},}`).test(line.text),
  );
}
