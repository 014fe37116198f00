/**
 * The quality gate against the labelled synthetic set (scripts/fixtures): every degraded or
 * hostile file gets its expected reason code, every good file is accepted, nothing throws.
 * Face-dependent variants use a deterministic detector that reports the faces the generator
 * placed (until the offline face engine is wired in, see `local/face-engine`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import { isReasonCode } from '../../../lambdas/domain/reason-codes.ts';
import type { FaceDetector } from '../../../lambdas/ports/face-detector.ts';
import { runQualityGate } from '../../../lambdas/quality/gate.ts';
import { SWEEP_CONFIG, sweepCases } from '../../../scripts/sweep/cases.ts';
import { ensureFixtures, type Manifest, type ManifestEntry } from '../../fixtures/index.ts';

const manifest: Manifest = await ensureFixtures();

function detectorFor(entry: ManifestEntry): FaceDetector {
  return {
    processorName: 'test:fixture-faces',
    detectFaces: async () => entry.faces.map((box) => ({ box, confidence: 99 })),
  };
}

async function verdictFor(entry: ManifestEntry) {
  const bytes = await readFile(join(manifest.dir, entry.file));
  return runQualityGate(bytes, {
    slot: entry.slot,
    documentType: entry.documentType,
    config: DEFAULT_CONFIG,
    faceDetector: detectorFor(entry),
  });
}

describe('quality gate on the labelled set', () => {
  beforeAll(() => expect(manifest.entries.length).toBeGreaterThan(30));

  it.each(manifest.entries.filter((e) => e.expected.length === 0).map((e) => [e.id, e] as const))(
    'accepts good file %s',
    async (_id, entry) => {
      // Act
      const verdict = await verdictFor(entry);
      // Assess
      expect(verdict.reasons).toEqual([]);
      expect(verdict.accepted).toBe(true);
      expect(verdict.processors).toContain('quality-gate');
    },
  );

  it.each(manifest.entries.filter((e) => e.expected.length > 0).map((e) => [e.id, e.expected.join(','), e] as const))(
    'rejects %s with %s',
    async (_id, _codes, entry) => {
      // Act
      const verdict = await verdictFor(entry);
      // Assess
      expect(verdict.accepted).toBe(false);
      for (const code of entry.expected) expect(verdict.reasons).toContain(code);
    },
  );
});

describe('quality gate on the labelled selfies with the offline face engine', () => {
  const selfies = manifest.entries.filter((e) => e.slot === 'selfie');

  it.each(selfies.map((e) => [e.id, e.expected.join(',') || 'accepted', e] as const))(
    '%s -> %s',
    async (_id, _codes, entry) => {
      // Prepare
      const { FaceEngineDetector } = await import('../../../local/face-engine/face-detector.ts');
      const bytes = await readFile(join(manifest.dir, entry.file));
      // Act
      const verdict = await runQualityGate(bytes, {
        slot: entry.slot,
        documentType: entry.documentType,
        config: DEFAULT_CONFIG,
        faceDetector: new FaceEngineDetector(),
      });
      // Assess
      if (entry.expected.length === 0) expect(verdict.reasons).toEqual([]);
      for (const code of entry.expected) expect(verdict.reasons).toContain(code);
      expect(verdict.processors).toContain('local:face-engine');
    },
  );
});

describe('quality gate on a well-lit face in a dark room, with the offline face engine', () => {
  // The demo's tenth sample person: black hair and clothes against a dark background, the face
  // itself well lit; the whole frame's mean luminance (about 42) is under the 55 floor.
  it('accepts the selfie, judged on its face, and refuses it under-exposed', async () => {
    // Prepare
    const sharp = (await import('sharp')).default;
    const { loadSampleImages } = await import('../../../local/demo/sample-images.ts');
    const { FaceEngineDetector } = await import('../../../local/face-engine/face-detector.ts');
    const images = await loadSampleImages();
    const selfie = await images.selfie(images.person(9));
    const underExposed = await sharp(selfie).linear(0.3, 0).jpeg({ quality: 92 }).toBuffer();
    const gate = (bytes: Buffer) =>
      runQualityGate(bytes, {
        slot: 'selfie',
        documentType: 'passport',
        config: DEFAULT_CONFIG,
        faceDetector: new FaceEngineDetector(),
      });
    // Act
    const lit = await gate(selfie);
    const dark = await gate(underExposed);
    // Assess
    expect(lit.metrics.meanLuminance).toBeLessThan(DEFAULT_CONFIG.quality.darkMinMeanLuminance);
    expect(lit.metrics.faceMeanLuminance).toBeGreaterThan(DEFAULT_CONFIG.quality.darkMinMeanLuminance);
    expect(lit.reasons).toEqual([]);
    expect(dark.reasons).toContain('BACKGROUND_TOO_DARK');
  });
});

describe('quality gate on a photo too dark to judge for focus', () => {
  it('names the darkness alone, not blur, when no edge can be measured', async () => {
    // Prepare: a sharp passport page from the held-out sweep family, then the light taken away
    const c = sweepCases('assert').find(
      (candidate) => candidate.label === 'sharp' && candidate.slot === 'document_front',
    );
    if (!c) throw new Error('no sharp sweep document');
    const sharp = (await import('sharp')).default;
    const lit = (await c.render()).bytes;
    const dark = await sharp(lit).linear(0.08, 0).jpeg({ quality: 90 }).toBuffer();
    const gate = (bytes: Buffer) =>
      runQualityGate(bytes, { slot: c.slot, documentType: c.documentType, config: SWEEP_CONFIG });

    // Act
    const [before, after] = [await gate(lit), await gate(dark)];

    // Assess: the lit page is accepted; the dark one shows no measurable edge and is refused as dark only
    expect(before.reasons).toEqual([]);
    expect(after.metrics.blurSigmaPixels).toBe(-1);
    expect(after.reasons).toEqual(['BACKGROUND_TOO_DARK']);
  }, 60_000);
});

describe('quality gate on arbitrary bytes', () => {
  it('never throws and always names a reason code when it refuses', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 2048 }),
          fc.uint8Array({ maxLength: 2048 }).map((tail) => Uint8Array.from([0xff, 0xd8, 0xff, ...tail])),
          fc
            .uint8Array({ maxLength: 2048 })
            .map((tail) => Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...tail])),
        ),
        fc.constantFrom('document_front', 'selfie', 'proof_of_address') as fc.Arbitrary<
          'document_front' | 'selfie' | 'proof_of_address'
        >,
        async (bytes, slot) => {
          const config = { ...DEFAULT_CONFIG, uploads: { ...DEFAULT_CONFIG.uploads, minFileBytes: 1 } };
          const verdict = await runQualityGate(Buffer.from(bytes), { slot, documentType: 'passport', config });
          expect(verdict.accepted).toBe(false);
          expect(verdict.reasons.length).toBeGreaterThan(0);
          for (const code of verdict.reasons) expect(isReasonCode(code)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});
