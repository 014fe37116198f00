import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import { describe, expect, it } from 'vitest';
import type { FaceDetector } from '../../../lambdas/ports/face-detector.ts';
import { checkCommand } from '../../../local/cli/commands/check.ts';
import { ensureFixtures } from '../../fixtures/index.ts';
import { motionPhoto, mp4Video } from '../../support/camera-media.ts';

const manifest = await ensureFixtures();
const entry = (id: string) => {
  const found = manifest.entries.find((e) => e.id === id);
  if (!found) throw new Error(`fixture ${id} missing`);
  return found;
};

/** Reports the faces the generator placed in `id`. */
const detectorFor = (id: string): FaceDetector => ({
  processorName: 'test:fixture-faces',
  detectFaces: async () => entry(id).faces.map((box) => ({ box, confidence: 99 })),
});

async function run(args: string[], faceDetector: FaceDetector | null = null) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await checkCommand(
    args,
    { out: (t) => out.push(t), err: (t) => err.push(t), cwd: manifest.dir },
    { faceDetector },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('kyc check', () => {
  it('exits 0 and prints accepted JSON for a good passport', async () => {
    // Act
    const result = await run(
      ['passport-A-dark.jpg', '--slot', 'document_front', '--document-type', 'passport', '--json'],
      detectorFor('passport-A-dark'),
    );
    // Assess
    expect(result.code).toBe(0);
    const body = JSON.parse(result.out) as { accepted: boolean; reasons: unknown[]; metrics: Record<string, number> };
    expect(body.accepted).toBe(true);
    expect(body.reasons).toEqual([]);
    // Blur in millimetres of the document: sharp print is well under the 0.085 mm threshold.
    expect(body.metrics.blurMm).toBeGreaterThanOrEqual(0);
    expect(body.metrics.blurMm).toBeLessThan(DEFAULT_CONFIG.quality.blurMaxMm);
  });

  it('exits 2 without a verdict when the face detector fails for another reason than the photo', async () => {
    // Prepare
    const broken: FaceDetector = {
      processorName: 'test:broken',
      detectFaces: async () => {
        throw Object.assign(new Error('worker stopped'), { name: 'FaceEngineLoadError' });
      },
    };

    // Act
    const result = await run(['passport-A-dark.jpg', '--slot', 'document_front', '--json'], broken);

    // Assess
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toContain('the face detector test:broken failed (FaceEngineLoadError)');
  });

  it.each([
    ['en', 'PHOTO_TOO_BLURRY', /blur/i],
    ['zh-CN', 'PHOTO_TOO_BLURRY', /[\u4e00-\u9fff]/],
  ])('exits 1 with code, message and tip in %s', async (lang, code, pattern) => {
    // Act
    const result = await run(['passport-A-blur-strong.jpg', '--slot', 'document_front', '--json', '--lang', lang]);
    // Assess
    expect(result.code).toBe(1);
    const body = JSON.parse(result.out) as {
      accepted: boolean;
      reasons: { code: string; message: string; tip: string }[];
    };
    const reason = body.reasons.find((r) => r.code === code);
    expect(reason?.message).toMatch(pattern);
    expect(reason?.tip.length).toBeGreaterThan(10);
  });

  it('prints a readable text form without --json', async () => {
    // Act
    const result = await run(['wrong-type-text.jpg', '--slot', 'selfie']);
    // Assess
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/^REJECTED/);
    expect(result.out).toContain('UNSUPPORTED_FORMAT');
  });

  it.each([
    [['--slot', 'selfie']],
    [['a.jpg', '--slot', 'nose']],
    [['a.jpg', '--slot', 'selfie', '--lang', 'fr']],
    [['a.jpg', '--slot', 'selfie', '--document-type', 'library_card']],
    [['a.jpg', '--bogus']],
    [['does-not-exist.jpg', '--slot', 'selfie']],
  ])('exits 2 on usage or read error: %j', async (args) => {
    // Act
    const result = await run(args);
    // Assess
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/kyc check/);
  });

  it('judges the photo of a file a phone saved with a gain map and a motion video exactly as the plain photo', async () => {
    // Prepare: the passport photo as an Ultra HDR motion photo (MPF index and container XMP,
    // then a gain map JPEG and an MP4 after the end of the image).
    const plain = readFileSync(join(manifest.dir, 'passport-A-dark.jpg'));
    const gainMap = await sharp(plain).resize(256).greyscale().jpeg({ quality: 80 }).toBuffer();
    const video = mp4Video(300_000);
    const folder = mkdtempSync(join(tmpdir(), 'kyc-camera-media-'));
    const file = join(folder, 'passport-motion.jpg');
    writeFileSync(file, motionPhoto(plain, gainMap, video).file);
    const args = ['--slot', 'document_front', '--document-type', 'passport', '--json'];
    try {
      // Act
      const withMedia = await run([file, ...args], detectorFor('passport-A-dark'));
      const without = await run(['passport-A-dark.jpg', ...args], detectorFor('passport-A-dark'));
      // Assess
      type Body = { accepted: boolean; reasons: unknown[]; metrics: Record<string, number> };
      const [a, b] = [JSON.parse(withMedia.out) as Body, JSON.parse(without.out) as Body];
      expect(withMedia.code).toBe(0);
      expect(a.accepted).toBe(true);
      expect(a.reasons).toEqual([]);
      for (const metric of ['width', 'height', 'meanLuminance', 'blurMm'])
        expect([metric, a.metrics[metric]]).toEqual([metric, b.metrics[metric]]);
      expect(a.metrics.appendedBytes).toBe(gainMap.length + video.length);
      expect(b.metrics.appendedBytes).toBeUndefined();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('keeps no padding after the image: 2 MB of zeros after a JPEG are judged as absent and reported, not kept', async () => {
    // Prepare
    const plain = readFileSync(join(manifest.dir, 'passport-A-dark.jpg'));
    const folder = mkdtempSync(join(tmpdir(), 'kyc-padded-'));
    const file = join(folder, 'passport-padded.jpg');
    writeFileSync(file, Buffer.concat([plain, Buffer.alloc(2 * 1024 * 1024)]));
    try {
      // Act
      const result = await run(
        [file, '--slot', 'document_front', '--document-type', 'passport', '--json'],
        detectorFor('passport-A-dark'),
      );
      // Assess
      const body = JSON.parse(result.out) as { accepted: boolean; metrics: Record<string, number> };
      expect(result.code).toBe(0);
      expect(body.accepted).toBe(true);
      expect(body.metrics.appendedBytes).toBe(2 * 1024 * 1024);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it.each([
    ['a browser camera capture (JPEG 1920 x 1080)', 1920, 1080, 'jpeg', false, []],
    ['a browser camera capture (JPEG 1280 x 720)', 1280, 720, 'jpeg', false, []],
    ['a browser camera capture as a canvas PNG (1920 x 1080)', 1920, 1080, 'png', false, []],
    ['a screenshot of the photo in an app (PNG 1920 x 1080)', 1920, 1080, 'png', true, ['SCREENSHOT_DETECTED']],
    ['a screenshot of the photo in an app (JPEG 1920 x 1080)', 1920, 1080, 'jpeg', true, ['SCREENSHOT_DETECTED']],
  ] as const)('judges %s without metadata: %j', async (_name, width, height, format, onScreen, reasons) => {
    // Prepare: the passport photo as a browser encodes a camera frame (resized, no EXIF), or
    // shown at 40 % of an app screen with a toolbar and captioned rows.
    const photo = readFileSync(join(manifest.dir, 'passport-A-dark.jpg'));
    const image = onScreen
      ? sharp(
          Buffer.from(
            `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#f6f8fc"/>` +
              `<rect width="100%" height="96" fill="#0b57d0"/>` +
              Array.from(
                { length: 6 },
                (_, i) =>
                  `<text x="40" y="${200 + i * 120}" font-size="36" fill="#1f1f1f" font-family="sans-serif">Document ${i + 1}</text>`,
              ).join('') +
              `</svg>`,
          ),
        ).composite([
          {
            input: await sharp(photo)
              .resize(Math.round(width * 0.63), Math.round(height * 0.63))
              .toBuffer(),
            left: 600,
            top: 200,
          },
        ])
      : sharp(photo).resize(width, height, { fit: 'fill' });
    const frame = await sharp(await image.png().toBuffer())
      .toFormat(format, { quality: 95 })
      .toBuffer();
    const folder = mkdtempSync(join(tmpdir(), 'kyc-camera-frame-'));
    const file = join(folder, `frame.${format}`);
    writeFileSync(file, frame);
    try {
      // Act
      const result = await run(
        [file, '--slot', 'document_front', '--document-type', 'passport', '--json'],
        detectorFor('passport-A-dark'),
      );
      // Assess
      const body = JSON.parse(result.out) as {
        accepted: boolean;
        reasons: { code: string }[];
        metrics: Record<string, number>;
      };
      const codes = body.reasons.map((reason) => reason.code);
      if (onScreen) expect(codes).toEqual(expect.arrayContaining([...reasons]));
      else expect(codes).toEqual(reasons);
      expect(body.metrics.uniformTileShare).toBeDefined();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
