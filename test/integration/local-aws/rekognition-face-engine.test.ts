import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CompareFacesCommand,
  CreateFaceLivenessSessionCommand,
  DetectFacesCommand,
  GetFaceLivenessSessionResultsCommand,
  RekognitionClient,
} from '@aws-sdk/client-rekognition';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../local/aws/client-config.ts';
import {
  fixedTokenAuthorizer,
  startRekognitionServer,
  type RekognitionServer,
} from '../../../local/aws/rekognition-server.ts';

// The real face engine lives on branch `quality` (local/face-engine); until it is merged there is nothing to run.
const engineAvailable = existsSync(fileURLToPath(new URL('../../../local/face-engine/index.ts', import.meta.url)));
const samples = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo');

/** Cuts one face out of a group photo with a margin (fractions of the face box). */
async function cropFace(
  photo: Buffer,
  box: { Left?: number; Top?: number; Width?: number; Height?: number },
  margin: number,
): Promise<Buffer> {
  const { width = 0, height = 0 } = await sharp(photo).metadata();
  const w = (box.Width ?? 0) * width;
  const h = (box.Height ?? 0) * height;
  const left = Math.max(0, Math.round((box.Left ?? 0) * width - w * margin));
  const top = Math.max(0, Math.round((box.Top ?? 0) * height - h * margin));
  return sharp(photo)
    .extract({
      left,
      top,
      width: Math.min(width - left, Math.round(w * (1 + 2 * margin))),
      height: Math.min(height - top, Math.round(h * (1 + 2 * margin))),
    })
    .jpeg()
    .toBuffer();
}

describe.skipIf(!engineAvailable)('local Rekognition with the real face engine', () => {
  let dataDir: string;
  let server: RekognitionServer;
  let rekognition: RekognitionClient;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kyc-rekognition-engine-'));
    server = await startRekognitionServer({ dataDir, authorizeLivenessCompletion: fixedTokenAuthorizer('owner') });
    rekognition = new RekognitionClient(localClientConfig(server.endpoint));
  });

  afterAll(async () => {
    rekognition?.destroy();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finds the three faces of a group photo and matches a person with herself, not with her neighbour', async () => {
    // Prepare
    const photo = readFileSync(join(samples, 'sample1.jpg'));
    const { FaceDetails = [] } = await rekognition.send(
      new DetectFacesCommand({ Image: { Bytes: photo }, Attributes: ['ALL'] }),
    );
    const [first, second] = [...FaceDetails].sort((a, b) => (a.BoundingBox?.Left ?? 0) - (b.BoundingBox?.Left ?? 0));
    const tight = await cropFace(photo, first!.BoundingBox!, 0.3);
    const wide = await sharp(await cropFace(photo, first!.BoundingBox!, 0.6))
      .modulate({ brightness: 1.15 })
      .jpeg()
      .toBuffer();
    const neighbour = await cropFace(photo, second!.BoundingBox!, 0.3);

    // Act
    const same = await rekognition.send(
      new CompareFacesCommand({ SourceImage: { Bytes: tight }, TargetImage: { Bytes: wide } }),
    );
    const other = await rekognition.send(
      new CompareFacesCommand({ SourceImage: { Bytes: tight }, TargetImage: { Bytes: neighbour } }),
    );

    // Assess
    expect(FaceDetails).toHaveLength(3);
    for (const detail of FaceDetails) {
      expect(detail.Confidence).toBeGreaterThan(50);
      expect(detail.BoundingBox?.Width).toBeGreaterThan(0);
    }
    expect(same.FaceMatches).toHaveLength(1);
    expect(other.FaceMatches).toHaveLength(0);
    expect(other.UnmatchedFaces).toHaveLength(1);
  });

  it.each([
    ['one face', 'single', 'SUCCEEDED'],
    ['a group photo', 'group', 'FAILED'],
  ] as const)('scores a liveness frame showing %s', async (_name, frame, status) => {
    // Prepare
    const photo = readFileSync(join(samples, 'sample1.jpg'));
    const { FaceDetails = [] } = await rekognition.send(new DetectFacesCommand({ Image: { Bytes: photo } }));
    const image = frame === 'single' ? await cropFace(photo, FaceDetails[0]!.BoundingBox!, 0.5) : photo;
    const { SessionId } = await rekognition.send(new CreateFaceLivenessSessionCommand({}));

    // Act
    const response = await fetch(`${server.endpoint}/_local/liveness-sessions/${SessionId}/complete`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer owner' },
      body: JSON.stringify({ imageBase64: image.toString('base64') }),
    });
    const result = await rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId }));

    // Assess
    expect(response.status).toBe(200);
    expect(result.Status).toBe(status);
    if (status === 'SUCCEEDED') {
      expect(result.Confidence).toBeGreaterThanOrEqual(0);
      expect(result.Confidence).toBeLessThanOrEqual(100);
      expect(result.ReferenceImage?.Bytes?.length).toBeGreaterThan(0);
    }
  });
});
