/**
 * The blur sweep's cases: every document kind x document width x blur level, with noise, JPEG
 * quality, surface and lighting spread over them, the other defects (glare, darkness, a cut
 * corner, tilt) on sharp documents, and selfies x blur level x noise. `sampleCases` picks a
 * seeded subset that still covers every value of every axis (the CI test); the benchmark runs
 * them all.
 */
import { DEFAULT_CONFIG, type KycConfig } from '../../lib/config.ts';
import type { ReasonCode } from '../../lambdas/domain/reason-codes.ts';
import type { FaceDetector } from '../../lambdas/ports/face-detector.ts';
import type { DocumentType, Slot } from '../../lambdas/domain/verification.ts';
import { type FaceBox, personById } from '../fixtures/people.ts';
import type { BackgroundKind } from '../fixtures/raster.ts';
import {
  type BlurKind,
  type Defect,
  type Lighting,
  renderDocumentShot,
  renderSelfieShot,
  type Shot,
  type SweepFamily,
} from './render.ts';

/**
 * The gate's configuration for the sweep: the defaults, except the 100 KB file-size floor (a
 * separate check about photo resolution; a noiseless, heavily blurred 12 MP frame at JPEG 70
 * compresses below it, which a real camera's never does).
 */
export const SWEEP_CONFIG: KycConfig = { ...DEFAULT_CONFIG, uploads: { ...DEFAULT_CONFIG.uploads, minFileBytes: 1 } };

/** A face detector that reports the faces the generator placed (the selfie contract is about blur, not detection). */
export function knownFaces(faces: readonly FaceBox[]): FaceDetector {
  return {
    processorName: 'sweep:known-faces',
    detectFaces: async () => faces.map((box) => ({ box, confidence: 99 })),
  };
}

export interface SweepCase {
  readonly id: string;
  readonly slot: Slot;
  readonly documentType: DocumentType;
  /** Codes the gate must report; empty = accepted. */
  readonly expected: readonly ReasonCode[];
  /** `sharp` / `blurry` for blur cases, the defect otherwise. */
  readonly label: string;
  /** Axis values, for coverage and the report. */
  readonly axes: Readonly<Record<string, string>>;
  readonly render: () => Promise<Shot>;
}

/** Contract levels: <= 0.05 mm accepted, >= 0.15 mm refused (documents); 0.8 % / 3 % of the face width (selfies). */
export const DOCUMENT_BLUR_LEVELS: readonly { readonly mm: number; readonly kind: BlurKind }[] = [
  { mm: 0, kind: 'gaussian' },
  { mm: 0.05, kind: 'gaussian' },
  { mm: 0.05, kind: 'motion-h' },
  { mm: 0.15, kind: 'gaussian' },
  { mm: 0.15, kind: 'motion-h' },
  { mm: 0.15, kind: 'motion-v' },
  { mm: 0.3, kind: 'gaussian' },
  // Camera shake long enough to smear the edges across it away (balance, not width, finds it).
  { mm: 0.5, kind: 'motion-h' },
  { mm: 0.5, kind: 'motion-v' },
];
export const SELFIE_BLUR_LEVELS: readonly { readonly ratio: number; readonly kind: BlurKind }[] = [
  { ratio: 0, kind: 'gaussian' },
  { ratio: 0.008, kind: 'gaussian' },
  { ratio: 0.008, kind: 'motion-h' },
  { ratio: 0.03, kind: 'gaussian' },
  { ratio: 0.03, kind: 'motion-v' },
  { ratio: 0.06, kind: 'gaussian' },
];
const DOCUMENTS: readonly { readonly type: DocumentType; readonly side: 'front' | 'back' }[] = [
  { type: 'passport', side: 'front' },
  { type: 'id_card', side: 'front' },
  { type: 'id_card', side: 'back' },
  { type: 'driving_licence', side: 'front' },
];
const WIDTHS = [1000, 1400, 1900, 2400];
const NOISE = [0, 2.5, 4];
const QUALITY = [70, 85, 95];
const SURFACES: readonly BackgroundKind[] = ['dark', 'wood', 'grey'];
const LIGHTING: readonly Lighting[] = ['even', 'dim', 'gradient'];
const DEFECTS: readonly Exclude<Defect, 'none'>[] = ['glare', 'dark', 'corner', 'tilt'];
const DEFECT_CODE: Record<Exclude<Defect, 'none'>, ReasonCode> = {
  glare: 'REFLECTION_DETECTED',
  dark: 'BACKGROUND_TOO_DARK',
  corner: 'DOCUMENT_NOT_FULLY_VISIBLE',
  tilt: 'DOCUMENT_TILTED',
};

const FAMILY_PEOPLE: Record<SweepFamily, readonly string[]> = { tune: ['A', 'B', 'C'], assert: ['D', 'E'] };
const FAMILY_SEED: Record<SweepFamily, number> = { tune: 1000, assert: 5000 };

/**
 * Every case of one family.
 *
 * @example
 * ```ts
 * const cases = sweepCases('assert'); // 128 documents + 36 selfies
 * ```
 */
export function sweepCases(family: SweepFamily): SweepCase[] {
  const cases: SweepCase[] = [];
  const people = FAMILY_PEOPLE[family];
  let n = 0;
  for (const [d, document] of DOCUMENTS.entries()) {
    for (const [w, documentWidth] of WIDTHS.entries()) {
      for (const [b, blur] of DOCUMENT_BLUR_LEVELS.entries()) {
        // Latin-square spread: each noise, quality, surface and lighting meets every width and blur.
        const noise = NOISE[(w + b + d) % 3] as number;
        const quality = QUALITY[(w + 2 * b + d) % 3] as number;
        const surface = SURFACES[(b + d + 2 * w) % 3] as BackgroundKind;
        const lighting = LIGHTING[(w + b + 2 * d) % 3] as Lighting;
        const person = personById(people[n % people.length] as string);
        const seed = FAMILY_SEED[family] + n++;
        const blurry = blur.mm >= 0.15;
        cases.push({
          id: `${family}-${document.type}-${document.side}-w${documentWidth}-${blur.kind}-${blur.mm}mm-n${noise}-q${quality}-${surface}-${lighting}`,
          slot: document.side === 'front' ? 'document_front' : 'document_back',
          documentType: document.type,
          expected: blurry ? ['PHOTO_TOO_BLURRY'] : [],
          label: blurry ? 'blurry' : 'sharp',
          axes: {
            document: `${document.type}/${document.side}`,
            width: String(documentWidth),
            blur: `${blur.kind}/${blur.mm}`,
            noise: String(noise),
            quality: String(quality),
            surface,
            lighting,
          },
          render: () =>
            renderDocumentShot({
              family,
              person,
              documentType: document.type,
              side: document.side,
              documentWidth,
              blurMm: blur.mm,
              blurKind: blur.kind,
              noise,
              quality,
              surface,
              lighting,
              defect: 'none',
              seed,
            }),
        });
      }
    }
    for (const [k, defect] of DEFECTS.entries()) {
      const documentWidth = WIDTHS[(k + d) % WIDTHS.length] as number;
      const noise = NOISE[(k + d) % 3] as number;
      const quality = QUALITY[(k + 2 * d) % 3] as number;
      // Darkness is judged on a surface the card stands out from; glare on any.
      const surface = SURFACES[(k + d) % 3] as BackgroundKind;
      const person = personById(people[n % people.length] as string);
      const seed = FAMILY_SEED[family] + n++;
      cases.push({
        id: `${family}-${document.type}-${document.side}-w${documentWidth}-${defect}-n${noise}-q${quality}-${surface}`,
        slot: document.side === 'front' ? 'document_front' : 'document_back',
        documentType: document.type,
        expected: [DEFECT_CODE[defect]],
        label: defect,
        axes: {
          document: `${document.type}/${document.side}`,
          width: String(documentWidth),
          defect,
          noise: String(noise),
          quality: String(quality),
          surface,
        },
        render: () =>
          renderDocumentShot({
            family,
            person,
            documentType: document.type,
            side: document.side,
            documentWidth,
            blurMm: 0,
            blurKind: 'gaussian',
            noise,
            quality,
            surface,
            lighting: 'even',
            defect,
            seed,
          }),
      });
    }
  }
  for (const [p, id] of people.entries()) {
    for (const [b, blur] of SELFIE_BLUR_LEVELS.entries()) {
      for (const [k, noise] of NOISE.entries()) {
        const quality = QUALITY[(k + b + p) % 3] as number;
        const seed = FAMILY_SEED[family] + 500 + n++;
        const blurry = blur.ratio >= 0.03;
        cases.push({
          id: `${family}-selfie-${id}-${blur.kind}-${blur.ratio}-n${noise}-q${quality}`,
          slot: 'selfie',
          documentType: 'passport',
          expected: blurry ? ['PHOTO_TOO_BLURRY'] : [],
          label: blurry ? 'blurry' : 'sharp',
          axes: { selfie: id, blur: `${blur.kind}/${blur.ratio}`, noise: String(noise), quality: String(quality) },
          render: () =>
            renderSelfieShot({
              family,
              person: personById(id),
              blurRatio: blur.ratio,
              blurKind: blur.kind,
              noise,
              quality,
              seed,
            }),
        });
      }
    }
  }
  return cases;
}

/**
 * A seeded subset of `cases` that covers every value of every axis (greedy), filled up to `size`.
 *
 * @example
 * ```ts
 * const subset = sampleCases(sweepCases('assert'), 24, 7);
 * ```
 */
export function sampleCases(cases: readonly SweepCase[], size: number, seed: number): SweepCase[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const shuffled = [...cases];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j] as SweepCase, shuffled[i] as SweepCase];
  }
  const wanted = new Set(cases.flatMap((c) => Object.entries(c.axes).map(([k, v]) => `${k}=${v}`)));
  const picked: SweepCase[] = [];
  while (wanted.size > 0) {
    let best: SweepCase | undefined;
    let gain = 0;
    for (const c of shuffled) {
      if (picked.includes(c)) continue;
      const g = Object.entries(c.axes).filter(([k, v]) => wanted.has(`${k}=${v}`)).length;
      if (g > gain) {
        gain = g;
        best = c;
      }
    }
    if (!best) break;
    picked.push(best);
    for (const [k, v] of Object.entries(best.axes)) wanted.delete(`${k}=${v}`);
  }
  for (const c of shuffled) {
    if (picked.length >= size) break;
    if (!picked.includes(c)) picked.push(c);
  }
  return picked;
}
