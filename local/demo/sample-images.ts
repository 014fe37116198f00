/**
 * Synthetic sample images for the demo and the end-to-end tests, from the quality area's
 * generators (`test/fixtures/index.ts`: labelled passport pages and selfies of distinct
 * people, rendered locally — nothing is downloaded). Loaded by path, like the handlers, so
 * the CLI works without a build step.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A synthetic person: what the user types in, and what their document shows. */
export interface DemoPerson {
  readonly index: number;
  readonly fullName: string;
  readonly dateOfBirth: string;
  readonly nationality: string;
  readonly address: string;
  readonly documentNumber: string;
  readonly expiryDate: string;
}

export interface SampleImages {
  /** The n-th synthetic person (distinct faces for distinct n). */
  person(index: number): DemoPerson;
  /** A passport information page of the person (JPEG); `blurry` renders it out of focus. */
  document(person: DemoPerson, options?: { blurry?: boolean }): Promise<Buffer>;
  /** A selfie of the person (JPEG). */
  selfie(person: DemoPerson): Promise<Buffer>;
}

/** The generators are not in this checkout (or do not export what the demo needs). */
export class SampleImagesUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SampleImagesUnavailableError';
  }
}

const FIXTURES_MODULE = join(fileURLToPath(new URL('../../', import.meta.url)), 'test', 'fixtures', 'index.ts');

const SURNAMES = ['MARTIN', 'OKAFOR', 'LINDQVIST', 'TANAKA', 'ROSSI', 'NOVAK', 'HASSAN', 'SILVA', 'MURPHY', 'KOWALSKI'];
const GIVEN = ['ANNA', 'DAVID', 'SOFIA', 'KENJI', 'LUCA', 'EVA', 'OMAR', 'JOAO', 'AOIFE', 'PIOTR'];

/** A deterministic person for an index. */
export function demoPerson(index: number): DemoPerson {
  const pick = <T>(list: readonly T[]): T => list[index % list.length] as T;
  const year = 1960 + ((index * 7) % 40);
  const month = String(1 + ((index * 5) % 12)).padStart(2, '0');
  const day = String(1 + ((index * 11) % 28)).padStart(2, '0');
  return {
    index,
    fullName: `${pick(GIVEN)} ${pick(SURNAMES)}`,
    dateOfBirth: `${year}-${month}-${day}`,
    nationality: 'GBR',
    address: `${10 + index} High Street, London`,
    documentNumber: `9${String(10_000_000 + index * 7_919).slice(-8)}`,
    expiryDate: `${2030 + (index % 5)}-${month}-${day}`,
  };
}

type Generator = (options: Record<string, unknown>) => Promise<Buffer | Uint8Array> | Buffer | Uint8Array;

/**
 * Loads the generators: the quality area's when present, else the runtime's own synthetic
 * images (`synthetic-images.ts`: sample-photo crops and rendered passport pages).
 *
 * @throws SampleImagesUnavailableError when `test/fixtures/index.ts` exists but lacks them
 */
export async function loadSampleImages(): Promise<SampleImages> {
  if (!existsSync(FIXTURES_MODULE)) {
    const { syntheticSampleImages } = await import('./synthetic-images.ts');
    return syntheticSampleImages(demoPerson);
  }
  const module = (await import(pathToFileURL(FIXTURES_MODULE).href)) as Record<string, unknown>;
  const renderDocument = module.renderDocument as Generator | undefined;
  const renderSelfie = module.renderSelfie as Generator | undefined;
  if (typeof renderDocument !== 'function' || typeof renderSelfie !== 'function') {
    throw new SampleImagesUnavailableError('test/fixtures/index.ts does not export renderDocument and renderSelfie');
  }
  return {
    person: demoPerson,
    document: async (person, options = {}) =>
      Buffer.from(await renderDocument({ person, ...(options.blurry ? { blur: true } : {}) })),
    selfie: async (person) => Buffer.from(await renderSelfie({ person })),
  };
}
