/**
 * English texts for every reason code (PRODUCT §2, §7). Messages are short and neutral; tips
 * say exactly what to do. Tips never state exact times or thresholds: the API adds those
 * (e.g. `retryAfterSeconds`) where they apply.
 */
import { TOO_MANY_REQUESTS_TEXTS } from './too-many-requests.ts';
import type { ReasonCatalog } from './types.ts';
import { UNDERAGE_TEXTS } from './underage.ts';

export const en: ReasonCatalog = {
  // File
  UNSUPPORTED_FORMAT: {
    message: 'File format not supported',
    tip: 'Upload a JPEG or PNG photo. PDF is accepted only for proof of address.',
  },
  FILE_TOO_LARGE: {
    message: 'File too large',
    tip: 'Upload a JPEG or PNG under 10 MB. If your camera makes larger files, choose a lower resolution or save the photo as JPEG.',
  },
  FILE_TOO_SMALL: {
    message: 'Photo resolution too low',
    tip: 'Upload the original photo from your camera rather than a thumbnail or a compressed copy sent through a messaging app.',
  },
  ATTEMPT_TOO_LARGE: {
    message: 'Files too large in total',
    tip: 'Keep all files of one submission under 30 MB together, for example by saving each photo as JPEG.',
  },
  IMAGE_DIMENSIONS_INVALID: {
    message: 'Image size not accepted',
    tip: 'Take a new photo with your phone or camera at its normal settings; very small, very large or unusually shaped images cannot be checked.',
  },
  FILE_CORRUPT: {
    message: 'File could not be read',
    tip: 'The file seems damaged or incomplete. Take or export the photo again and upload the new file.',
  },
  // Quality
  PHOTO_TOO_BLURRY: {
    message: 'Photo too blurry',
    tip: 'Hold your phone steady, tap the screen to focus (on the document, or on your face for the selfie) and wait until the picture is sharp before you take the photo.',
  },
  REFLECTION_DETECTED: {
    message: 'Reflection detected',
    tip: 'Switch off the flash and tilt the document slightly away from lamps or windows so no bright spots cover the text or photo.',
  },
  DOCUMENT_NOT_FULLY_VISIBLE: {
    message: 'Document not fully visible',
    tip: 'Make sure all four corners are inside the frame, with a small margin around the document and nothing (such as fingers) covering it.',
  },
  BACKGROUND_TOO_DARK: {
    message: 'Background too dark',
    tip: 'Move to a well-lit room and face a window or lamp, with no bright light behind you or the document.',
  },
  DOCUMENT_TILTED: {
    message: 'Document tilted',
    tip: 'Place the document flat on a dark, plain surface and shoot from directly above, keeping the phone parallel to the document.',
  },
  NO_FACE_DETECTED: {
    message: 'No face detected',
    tip: 'For the selfie, look straight at the camera with your whole face inside the frame, in good light; for a document, photograph the side with your photo so the portrait is clearly visible.',
  },
  MULTIPLE_FACES: {
    message: 'More than one face detected',
    tip: 'Make sure only you are in the selfie, with no other people, photos or posters behind you.',
  },
  FACE_TOO_SMALL: {
    message: 'Face too small',
    tip: 'Hold the camera closer so that your face fills most of the frame.',
  },
  FACE_OBSTRUCTED: {
    message: 'Face partly covered',
    tip: 'Remove sunglasses, hat or mask, and keep hair and hands away from your face.',
  },
  IMAGE_EDITED: {
    message: 'Edited image detected',
    tip: 'Use the original photo, not an edited, filtered or cropped version. Take a new photo if you no longer have the original.',
  },
  SCREENSHOT_DETECTED: {
    message: 'Screenshot detected',
    tip: 'Take a photo of the physical document with your camera instead of uploading a screenshot or a photo of a screen.',
  },
  IMAGE_ALREADY_REJECTED: {
    message: 'This photo was already rejected',
    tip: 'Take a new photo after fixing the problem reported earlier; uploading the same file again will give the same result.',
  },
  // Identity
  FACE_NOT_MATCH: {
    message: 'Face not match',
    tip: 'Take the selfie yourself, facing the camera in good light, and use a document that shows your own current photo.',
  },
  LIVENESS_CHECK_FAILED: {
    message: 'Liveness check failed',
    tip: 'Do the check yourself in a well-lit place, keep your face inside the oval and follow the instructions on screen until it finishes.',
  },
  DOCUMENT_EXPIRED: {
    message: 'Document expired',
    tip: 'Use an identity document that is still valid. Check the expiry date printed on it.',
  },
  INFORMATION_MISMATCH: {
    message: 'Information mismatch',
    tip: 'Enter your name, date of birth and nationality exactly as they appear on your document, including spacing and spelling.',
  },
  DUPLICATE_IDENTITY: {
    message: 'Identity already verified on another account',
    tip: 'Each identity can verify only one account. Sign in to the account you verified before, or contact support.',
  },
  UNSUPPORTED_DOCUMENT_TYPE: {
    message: 'Document type not supported',
    tip: 'Upload a passport, national ID card or driving licence that matches the document type you selected.',
  },
  UNDERAGE: UNDERAGE_TEXTS.en,
  // Flow
  // The 429 codes' texts live in too-many-requests.ts (lean handlers carry only those).
  RATE_LIMITED: TOO_MANY_REQUESTS_TEXTS.en.RATE_LIMITED,
  COOLDOWN_ACTIVE: TOO_MANY_REQUESTS_TEXTS.en.COOLDOWN_ACTIVE,
  MANUAL_REVIEW_REQUIRED: {
    message: 'Manual review required',
    tip: 'No action is needed: a compliance officer will review your documents and you will be notified of the result.',
  },
};
