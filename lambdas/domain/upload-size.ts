/**
 * The smallest upload accepted for a declared content type: the photo-resolution floor
 * (`uploads.minFileBytes`, PRODUCT §2: under 100 KB is insufficient resolution) for images; one
 * byte for a PDF, a vector document the floor does not apply to. The presigned POST's
 * `content-length-range` and on-upload's first size check use it; the quality gate then applies
 * the floor of the type it reads from the bytes, so a small image declared as a PDF still gets
 * `FILE_TOO_SMALL`.
 *
 * @example
 * ```ts
 * minimumUploadBytes('application/pdf', 102_400); // 1
 * minimumUploadBytes('image/jpeg', 102_400); // 102400
 * ```
 */
export function minimumUploadBytes(contentType: string, minFileBytes: number): number {
  return contentType === 'application/pdf' ? 1 : minFileBytes;
}
