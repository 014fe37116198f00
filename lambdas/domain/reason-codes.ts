/**
 * Machine-readable reason codes (PRODUCT §7). Stable, upper snake case; integrators rely on
 * these names. Messages and tips live in the reason catalog, one file per language.
 */
export const FILE_REASON_CODES = [
  'UNSUPPORTED_FORMAT',
  'FILE_TOO_LARGE',
  'FILE_TOO_SMALL',
  'ATTEMPT_TOO_LARGE',
  'IMAGE_DIMENSIONS_INVALID',
  'FILE_CORRUPT',
] as const;

export const QUALITY_REASON_CODES = [
  'PHOTO_TOO_BLURRY',
  'REFLECTION_DETECTED',
  'DOCUMENT_NOT_FULLY_VISIBLE',
  'BACKGROUND_TOO_DARK',
  'DOCUMENT_TILTED',
  'NO_FACE_DETECTED',
  'MULTIPLE_FACES',
  'FACE_TOO_SMALL',
  'FACE_OBSTRUCTED',
  'IMAGE_EDITED',
  'SCREENSHOT_DETECTED',
  'IMAGE_ALREADY_REJECTED',
] as const;

export const IDENTITY_REASON_CODES = [
  'FACE_NOT_MATCH',
  'LIVENESS_CHECK_FAILED',
  'DOCUMENT_EXPIRED',
  'INFORMATION_MISMATCH',
  'DUPLICATE_IDENTITY',
  'UNSUPPORTED_DOCUMENT_TYPE',
  /** The declared date of birth is below `applicants.minimumAge`. */
  'UNDERAGE',
] as const;

export const FLOW_REASON_CODES = ['RATE_LIMITED', 'COOLDOWN_ACTIVE', 'MANUAL_REVIEW_REQUIRED'] as const;

export const REASON_CODES = [
  ...FILE_REASON_CODES,
  ...QUALITY_REASON_CODES,
  ...IDENTITY_REASON_CODES,
  ...FLOW_REASON_CODES,
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && (REASON_CODES as readonly string[]).includes(value);
}
