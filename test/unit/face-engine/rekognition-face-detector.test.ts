import {
  DetectFacesCommand,
  InvalidImageFormatException,
  RekognitionClient,
  ThrottlingException,
} from '@aws-sdk/client-rekognition';
import { mockClient } from 'aws-sdk-client-mock';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ImageDownscaleError,
  REKOGNITION_MAX_IMAGE_BYTES,
  RekognitionFaceDetector,
} from '../../../lambdas/adapters/aws/rekognition-face-detector.ts';
import { FaceImageRefusedError } from '../../../lambdas/ports/face-detector.ts';
import { sdkCalls } from '../../../local/aws/sdk-calls.ts';
import * as rekognitionSdk from '@aws-sdk/client-rekognition';

const rekognition = mockClient(RekognitionClient);

const FULL_FACE = {
  BoundingBox: { Left: 0.3, Top: 0.2, Width: 0.25, Height: 0.4 },
  Confidence: 99.9,
  Sunglasses: { Value: true, Confidence: 97 },
  FaceOccluded: { Value: false, Confidence: 92 },
  Pose: { Roll: 1.5, Yaw: -12, Pitch: 4 },
  Quality: { Brightness: 71, Sharpness: 88 },
};

describe('RekognitionFaceDetector', () => {
  beforeEach(() => {
    rekognition.reset();
  });

  it('asks DetectFaces for all attributes with the image bytes and maps the answer', async () => {
    // Prepare
    rekognition.on(DetectFacesCommand).resolves({ FaceDetails: [FULL_FACE] });
    const detector = new RekognitionFaceDetector(
      sdkCalls(new RekognitionClient({ region: 'eu-west-1' }), rekognitionSdk),
    );
    const bytes = new Uint8Array([1, 2, 3]);

    // Act
    const faces = await detector.detectFaces(bytes);

    // Assess
    const input = rekognition.commandCalls(DetectFacesCommand)[0]?.args[0].input;
    expect(input).toEqual({ Image: { Bytes: bytes }, Attributes: ['ALL'] });
    expect(detector.processorName).toBe('rekognition:DetectFaces');
    expect(faces).toHaveLength(1);
    expect(faces[0]?.box.left).toBeCloseTo(0.3);
    expect(faces[0]?.box.top).toBeCloseTo(0.2);
    expect(faces[0]?.box.width).toBeCloseTo(0.25);
    expect(faces[0]?.box.height).toBeCloseTo(0.4);
    expect(faces[0]).toMatchObject({
      confidence: 99.9,
      sunglasses: true,
      occluded: false,
      pose: { roll: 1.5, yaw: -12, pitch: 4 },
      quality: { brightness: 71, sharpness: 88 },
    });
  });

  it.each([
    ['sunglasses below 80% confidence', { Sunglasses: { Value: true, Confidence: 60 } }, 'sunglasses'],
    ['occlusion below 80% confidence', { FaceOccluded: { Value: true, Confidence: 79.9 } }, 'occluded'],
    ['sunglasses missing', {}, 'sunglasses'],
    ['occlusion missing', {}, 'occluded'],
  ])('reports "cannot tell" (undefined) for %s', async (_label, attributes, field) => {
    // Prepare
    rekognition.on(DetectFacesCommand).resolves({ FaceDetails: [{ Confidence: 95, ...attributes }] });

    // Act
    const [face] = await new RekognitionFaceDetector(sdkCalls(new RekognitionClient({}), rekognitionSdk)).detectFaces(
      new Uint8Array([1]),
    );

    // Assess
    expect(face).toBeDefined();
    expect(face).not.toHaveProperty(field);
    expect(face).not.toHaveProperty('pose');
    expect(face).not.toHaveProperty('quality');
  });

  it('clips a box that reaches outside the image', async () => {
    // Prepare
    rekognition
      .on(DetectFacesCommand)
      .resolves({ FaceDetails: [{ Confidence: 90, BoundingBox: { Left: -0.1, Top: 0.8, Width: 0.3, Height: 0.4 } }] });

    // Act
    const [face] = await new RekognitionFaceDetector(sdkCalls(new RekognitionClient({}), rekognitionSdk)).detectFaces(
      new Uint8Array([1]),
    );

    // Assess
    expect(face?.box.left).toBe(0);
    expect(face?.box.top).toBeCloseTo(0.8);
    expect(face?.box.width).toBeCloseTo(0.2);
    expect(face?.box.height).toBeCloseTo(0.2);
  });

  it('returns no faces when Rekognition finds none', async () => {
    // Prepare
    rekognition.on(DetectFacesCommand).resolves({});

    // Act
    const faces = await new RekognitionFaceDetector(sdkCalls(new RekognitionClient({}), rekognitionSdk)).detectFaces(
      new Uint8Array([1]),
    );

    // Assess
    expect(faces).toEqual([]);
  });

  it('downscales an image above 5 MB to a JPEG within the limit', async () => {
    // Prepare: random pixels do not compress, so a 1600x1200 PNG is well above 5 MB.
    const width = 1600;
    const height = 1200;
    const noise = Buffer.alloc(width * height * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    const big = await sharp(noise, { raw: { width, height, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(big.byteLength).toBeGreaterThan(REKOGNITION_MAX_IMAGE_BYTES);
    rekognition.on(DetectFacesCommand).resolves({ FaceDetails: [] });

    // Act
    await new RekognitionFaceDetector(sdkCalls(new RekognitionClient({}), rekognitionSdk)).detectFaces(big);

    // Assess
    const sent = rekognition.commandCalls(DetectFacesCommand)[0]?.args[0].input.Image?.Bytes;
    expect(sent).toBeDefined();
    expect(sent?.byteLength).toBeLessThanOrEqual(REKOGNITION_MAX_IMAGE_BYTES);
    const meta = await sharp(sent).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBe(width);
  });

  it('rejects undecodable bytes above 5 MB with ImageDownscaleError and does not call Rekognition', async () => {
    // Prepare
    const garbage = new Uint8Array(REKOGNITION_MAX_IMAGE_BYTES + 1).fill(7);

    // Act
    const attempt = new RekognitionFaceDetector(sdkCalls(new RekognitionClient({}), rekognitionSdk)).detectFaces(
      garbage,
    );

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ImageDownscaleError);
    expect(rekognition.commandCalls(DetectFacesCommand)).toHaveLength(0);
  });
  it('tells an image Rekognition refuses apart from throttling, which it passes on as it came', async () => {
    // Prepare
    const detector = new RekognitionFaceDetector(
      sdkCalls(new RekognitionClient({ region: 'eu-west-1', maxAttempts: 1 }), rekognitionSdk),
    );
    const refusal = new InvalidImageFormatException({ message: 'Request has invalid image format', $metadata: {} });
    const throttling = new ThrottlingException({ message: 'Rate exceeded', $metadata: {} });

    // Act
    rekognition.on(DetectFacesCommand).rejects(refusal);
    const refused = detector.detectFaces(new Uint8Array([1, 2, 3]));
    await expect(refused).rejects.toBeInstanceOf(FaceImageRefusedError);
    rekognition.reset();
    rekognition.on(DetectFacesCommand).rejects(throttling);
    const throttled = detector.detectFaces(new Uint8Array([1, 2, 3]));

    // Assess
    await expect(throttled).rejects.toBe(throttling);
    await expect(throttled).rejects.not.toBeInstanceOf(FaceImageRefusedError);
  });
});
