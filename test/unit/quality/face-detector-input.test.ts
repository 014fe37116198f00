/**
 * What the quality gate hands the face detector: the upload itself when it is an upright sRGB
 * JPEG within Rekognition's 5 MB byte limit (the bytes the face match later compares, so the local
 * engine analyses them once), otherwise an oriented JPEG of at most `DETECTOR_SIDE`.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import type { DetectedFace, FaceDetector } from '../../../lambdas/ports/face-detector.ts';
import { DETECTOR_MAX_BYTES, DETECTOR_SIDE, checkFaces } from '../../../lambdas/quality/faces.ts';
import { runQualityGate } from '../../../lambdas/quality/gate.ts';
import { PEOPLE } from '../../../scripts/fixtures/people.ts';
import { renderSelfie } from '../../../scripts/fixtures/selfie.ts';

/** A detector that keeps what it was given and reports the rendered face. */
function recordingDetector(faces: readonly DetectedFace['box'][]): FaceDetector & { readonly seen: Buffer[] } {
  const seen: Buffer[] = [];
  return {
    processorName: 'test:recording',
    seen,
    detectFaces: async (image) => {
      seen.push(Buffer.from(image));
      return faces.map((box) => ({ box, confidence: 99 }));
    },
  };
}

const config = DEFAULT_CONFIG;

async function selfie() {
  return renderSelfie({ person: PEOPLE[3], width: 1200, height: 1600, seed: 5 });
}

describe('the image the quality gate hands the face detector', () => {
  it('is the upload itself for an upright sRGB JPEG, with the same verdict as a re-encoded copy', async () => {
    // Prepare
    const shot = await selfie();
    const jpeg = await sharp(shot.bytes).jpeg({ quality: 92 }).toBuffer();
    const asIs = recordingDetector(shot.faces);

    // Act
    const verdict = await runQualityGate(jpeg, {
      slot: 'selfie',
      documentType: 'passport',
      config,
      faceDetector: asIs,
    });
    const reencoded = await checkFaces(jpeg, {
      slot: 'selfie',
      width: shot.width,
      height: shot.height,
      detector: recordingDetector(shot.faces),
      thresholds: config.quality,
    });

    // Assess
    expect(asIs.seen).toHaveLength(1);
    expect(asIs.seen[0]!.equals(jpeg)).toBe(true);
    expect(verdict.reasons).toEqual([]);
    expect(verdict.metrics.faceSidePixels).toBe(reencoded.metrics.faceSidePixels);
  });

  it('is an upright JPEG of at most the detector side for a rotated JPEG, a PNG and a CMYK JPEG', async () => {
    // Prepare: the same selfie stored sideways with EXIF orientation 6, as a PNG, and in CMYK
    const shot = await selfie();
    const sideways = await sharp(shot.bytes).rotate(-90).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const png = await sharp(shot.bytes).png().toBuffer();
    const cmyk = await sharp(shot.bytes).toColourspace('cmyk').jpeg().toBuffer();

    for (const [name, upload] of [
      ['rotated', sideways],
      ['png', png],
      ['cmyk', cmyk],
    ] as const) {
      const detector = recordingDetector(shot.faces);

      // Act
      await runQualityGate(upload, { slot: 'selfie', documentType: 'passport', config, faceDetector: detector });

      // Assess
      expect(detector.seen, name).toHaveLength(1);
      const given = detector.seen[0]!;
      expect(given.equals(upload), name).toBe(false);
      const meta = await sharp(given).metadata();
      expect(meta.format, name).toBe('jpeg');
      expect(meta.orientation ?? 1, name).toBe(1);
      expect(meta.space, name).toBe('srgb');
      // Upright: portrait like the photo as seen, not like the stored sideways pixels.
      expect(meta.height!, name).toBeGreaterThan(meta.width!);
      expect(Math.max(meta.width!, meta.height!), name).toBeLessThanOrEqual(DETECTOR_SIDE);
    }
  });

  it('is a re-encoded copy when the upload is over the byte limit, even when it could go as is', async () => {
    // Prepare: an upright JPEG padded past 5 MB with a comment segment
    const shot = await selfie();
    const jpeg = await sharp(shot.bytes).jpeg().toBuffer();
    const padding = Buffer.alloc(DETECTOR_MAX_BYTES, 0x41);
    const big = Buffer.concat([jpeg.subarray(0, 2), commentSegments(padding), jpeg.subarray(2)]);
    const detector = recordingDetector(shot.faces);

    // Act
    await checkFaces(big, {
      slot: 'selfie',
      width: shot.width,
      height: shot.height,
      detector,
      thresholds: config.quality,
      asIs: true,
    });

    // Assess
    expect(big.length).toBeGreaterThan(DETECTOR_MAX_BYTES);
    expect(detector.seen[0]!.length).toBeLessThan(DETECTOR_MAX_BYTES);
    expect((await sharp(detector.seen[0]!).metadata()).format).toBe('jpeg');
  });
});

/** JPEG COM segments (at most 65,533 bytes of payload each) holding `payload`. */
function commentSegments(payload: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < payload.length; offset += 65_533) {
    const chunk = payload.subarray(offset, offset + 65_533);
    const header = Buffer.from([0xff, 0xfe, 0, 0]);
    header.writeUInt16BE(chunk.length + 2, 2);
    parts.push(header, chunk);
  }
  return Buffer.concat(parts);
}
