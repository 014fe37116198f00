/**
 * A face detector that fails for a reason other than the photo (throttling, an outage) makes
 * the quality gate throw, so the upload is processed again later; one that refuses the image
 * itself makes it `FILE_CORRUPT`, as a photo the gate cannot decode.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import {
  FaceDetectorUnavailableError,
  FaceImageRefusedError,
  type FaceDetector,
} from '../../../lambdas/ports/face-detector.ts';
import { runQualityGate } from '../../../lambdas/quality/gate.ts';
import { PEOPLE } from '../../../scripts/fixtures/people.ts';
import { renderSelfie } from '../../../scripts/fixtures/selfie.ts';

const failing = (error: Error): FaceDetector => ({
  processorName: 'test:failing',
  detectFaces: async () => {
    throw error;
  },
});

async function selfieJpeg(): Promise<Buffer> {
  const shot = await renderSelfie({ person: PEOPLE[2], width: 1200, height: 1600, seed: 9 });
  return sharp(shot.bytes).jpeg({ quality: 92 }).toBuffer();
}

describe('the quality gate when the face detector fails', () => {
  it('throws for throttling or an outage instead of refusing the photo', async () => {
    // Prepare
    const jpeg = await selfieJpeg();
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

    // Act
    const judging = runQualityGate(jpeg, {
      slot: 'selfie',
      documentType: 'passport',
      config: DEFAULT_CONFIG,
      faceDetector: failing(throttled),
    });

    // Assess
    await expect(judging).rejects.toBeInstanceOf(FaceDetectorUnavailableError);
    await expect(judging).rejects.toThrow('the face detector test:failing failed (ThrottlingException)');
  });

  it('refuses the photo as FILE_CORRUPT when the detector refuses the image itself', async () => {
    // Prepare
    const jpeg = await selfieJpeg();

    // Act
    const verdict = await runQualityGate(jpeg, {
      slot: 'document_front',
      documentType: 'passport',
      config: DEFAULT_CONFIG,
      faceDetector: failing(new FaceImageRefusedError('InvalidImageFormatException')),
    });

    // Assess
    expect(verdict.accepted).toBe(false);
    expect(verdict.reasons).toEqual(['FILE_CORRUPT']);
  });
});
