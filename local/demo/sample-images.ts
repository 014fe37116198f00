/**
 * Sample people and images for the demo and the end-to-end tests, made locally (nothing is
 * downloaded): see `synthetic-images.ts` for how the selfies and passport pages are rendered.
 */
import { syntheticSampleImages } from './synthetic-images.ts';

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
  /** The n-th synthetic person (distinct faces for distinct n, up to the number of sample faces). */
  person(index: number): DemoPerson;
  /** A passport information page of the person (JPEG); `blurry` renders it out of focus. */
  document(person: DemoPerson, options?: { blurry?: boolean }): Promise<Buffer>;
  /** A selfie of the person (JPEG). */
  selfie(person: DemoPerson): Promise<Buffer>;
}

const SURNAMES = ['MARTIN', 'OKAFOR', 'LINDQVIST', 'TANAKA', 'ROSSI', 'NOVAK', 'HASSAN', 'SILVA', 'MURPHY', 'KOWALSKI'];
const GIVEN = ['ANNA', 'DAVID', 'SOFIA', 'KENJI', 'LUCA', 'EVA', 'OMAR', 'JOAO', 'AOIFE', 'PIOTR'];

/** A deterministic person for an index (valid until 2030 or later, adult, British). */
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

/**
 * The image source of the demo and the end-to-end tests.
 *
 * @example
 * ```ts
 * const images = await loadSampleImages();
 * const selfie = await images.selfie(images.person(1));
 * ```
 */
export async function loadSampleImages(): Promise<SampleImages> {
  return syntheticSampleImages(demoPerson);
}
