/**
 * Synthetic sample images made on this machine, nothing downloaded: selfies are crops of the
 * people in the sample photos that ship inside the `@vladmandic/face-api` package (one face per
 * crop, a different person per index), and documents are passport information pages rendered
 * with sharp: the same portrait, the printed fields and a TD3 machine-readable zone with valid
 * check digits, so the local OCR and MRZ parser read what the user declared.
 * Used by `kyc demo` and the end-to-end tests when the quality area's generators are absent.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import type { DemoPerson, SampleImages } from './sample-images.ts';
import { finish, toRaw } from '../../scripts/fixtures/raster.ts';

/** One face in one sample photo (box as fractions of the photo, from the local face engine). */
interface SampleFace {
  readonly photo: number;
  readonly box: { readonly left: number; readonly top: number; readonly width: number; readonly height: number };
}

/** Faces with the highest anti-spoofing scores first (local Face Liveness reads them best). */
const FACES: readonly SampleFace[] = [
  { photo: 6, box: { left: 0.307, top: 0.198, width: 0.196, height: 0.245 } },
  { photo: 4, box: { left: 0.633, top: 0.091, width: 0.159, height: 0.211 } },
  { photo: 2, box: { left: 0.418, top: 0.135, width: 0.188, height: 0.263 } },
  { photo: 4, box: { left: 0.319, top: 0.044, width: 0.145, height: 0.192 } },
  { photo: 3, box: { left: 0.714, top: 0.181, width: 0.213, height: 0.302 } },
  { photo: 1, box: { left: 0.172, top: 0.245, width: 0.186, height: 0.279 } },
  { photo: 3, box: { left: 0.523, top: 0.137, width: 0.192, height: 0.273 } },
  { photo: 5, box: { left: 0.379, top: 0.067, width: 0.141, height: 0.194 } },
  { photo: 5, box: { left: 0.543, top: 0.122, width: 0.166, height: 0.229 } },
  { photo: 1, box: { left: 0.402, top: 0.301, width: 0.17, height: 0.257 } },
];

const require = createRequire(import.meta.url);
const PHOTO_DIR = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

function face(index: number): SampleFace {
  return FACES[index % FACES.length] as SampleFace;
}

/** A head-and-shoulders crop around the face of sample person `index`, `width` pixels wide (JPEG). */
export async function portrait(index: number, width: number): Promise<Buffer> {
  const { photo, box } = face(index);
  const file = readFileSync(join(PHOTO_DIR, `sample${photo}.jpg`));
  const { width: photoWidth = 0, height: photoHeight = 0 } = await sharp(file).metadata();
  const centerX = (box.left + box.width / 2) * photoWidth;
  const centerY = (box.top + box.height / 2) * photoHeight;
  const cropWidth = Math.min(photoWidth, box.width * photoWidth * 1.3);
  const cropHeight = Math.min(photoHeight, cropWidth * 1.3);
  const left = Math.max(0, Math.min(photoWidth - cropWidth, Math.round(centerX - cropWidth / 2)));
  const top = Math.max(0, Math.min(photoHeight - cropHeight, Math.round(centerY - cropHeight * 0.45)));
  return sharp(file)
    .extract({ left, top, width: Math.round(cropWidth), height: Math.round(cropHeight) })
    .resize(width)
    .jpeg({ quality: 96 })
    .toBuffer();
}

/**
 * A selfie: the portrait re-sharpened after upscaling, with the faint sensor noise of a real
 * camera and camera EXIF (the fixtures' finishing step), so it passes the quality gate.
 */
async function selfiePhoto(index: number): Promise<Buffer> {
  const raw = await toRaw(
    sharp(await portrait(index, 1100))
      .normalise({ lower: 1, upper: 98 })
      .sharpen({ sigma: 1.2 }),
  );
  return finish(raw, { seed: index + 1, noise: 6 });
}

/** ICAO 9303 check digit (weights 7, 3, 1; `<` = 0, A-Z = 10-35). */
export function mrzCheckDigit(text: string): string {
  const weights = [7, 3, 1];
  let sum = 0;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i] ?? '<';
    const value = /[0-9]/.test(char) ? Number(char) : /[A-Z]/.test(char) ? char.charCodeAt(0) - 55 : 0;
    sum += value * (weights[i % 3] ?? 1);
  }
  return String(sum % 10);
}

/** The two 44-character lines of a TD3 (passport) MRZ for a person. */
export function passportMrz(person: DemoPerson): [string, string] {
  const [given = '', ...rest] = person.fullName.split(' ');
  const surname = rest.join('<');
  const names = `${surname}<<${given}`.replace(/[^A-Z<]/g, '<');
  const line1 = `P<${person.nationality}${names}`.padEnd(44, '<').slice(0, 44);
  const documentNumber = person.documentNumber.padEnd(9, '<').slice(0, 9);
  const yymmdd = (iso: string): string => iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10);
  const birth = yymmdd(person.dateOfBirth);
  const expiry = yymmdd(person.expiryDate);
  const optional = '<'.repeat(14);
  const head = `${documentNumber}${mrzCheckDigit(documentNumber)}${person.nationality}${birth}${mrzCheckDigit(birth)}F${expiry}${mrzCheckDigit(expiry)}${optional}${mrzCheckDigit(optional)}`;
  const composite = `${documentNumber}${mrzCheckDigit(documentNumber)}${birth}${mrzCheckDigit(birth)}${expiry}${mrzCheckDigit(expiry)}${optional}${mrzCheckDigit(optional)}`;
  return [line1, `${head}${mrzCheckDigit(composite)}`];
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A passport information page (JPEG, 2000 x 1400) with portrait, printed fields and MRZ. */
async function passportPage(person: DemoPerson, blurry: boolean): Promise<Buffer> {
  const [line1, line2] = passportMrz(person);
  const [given = '', ...rest] = person.fullName.split(' ');
  const field = (label: string, value: string, y: number): string =>
    `<text x="820" y="${y}" font-family="DejaVu Sans" font-size="30" fill="#555">${escapeXml(label)}</text>` +
    `<text x="820" y="${y + 48}" font-family="DejaVu Sans" font-size="44" fill="#111">${escapeXml(value)}</text>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1800" height="1200">
    <rect width="1800" height="1200" rx="40" fill="#f4f1e8"/>
    <rect x="0" y="0" width="1800" height="120" rx="40" fill="#1f3b63"/>
    <text x="80" y="82" font-family="DejaVu Sans" font-size="52" fill="#ecebe4">PASSPORT  ${escapeXml(person.nationality)}</text>
    ${field('Surname', rest.join(' '), 200)}
    ${field('Given names', given, 330)}
    ${field('Date of birth', person.dateOfBirth, 460)}
    ${field('Document no.', person.documentNumber, 590)}
    ${field('Date of expiry', person.expiryDate, 720)}
    <rect x="0" y="930" width="1800" height="270" fill="#ffffff"/>
    <text x="60" y="1030" font-family="DejaVu Sans Mono" font-size="52" font-weight="bold" letter-spacing="5" fill="#000" xml:space="preserve">${escapeXml(line1)}</text>
    <text x="60" y="1130" font-family="DejaVu Sans Mono" font-size="52" font-weight="bold" letter-spacing="5" fill="#000" xml:space="preserve">${escapeXml(line2)}</text>
  </svg>`;
  const page = await sharp(Buffer.from(svg))
    // Printed portraits have no clipped whites (the sample photos' bright backdrops would read as glare).
    .composite([
      {
        input: await sharp(await portrait(person.index, 540))
          .linear(0.9, 6)
          .toBuffer(),
        left: 120,
        top: 170,
      },
    ])
    .png()
    .toBuffer();
  // The page lies flat on a dark, plain surface, fully visible, as the fix tips ask.
  let photo = sharp({ create: { width: 2000, height: 1400, channels: 3, background: '#2b2b30' } }).composite([
    { input: page, left: 100, top: 100 },
  ]);
  if (blurry) photo = sharp(await photo.png().toBuffer()).blur(9);
  return photo.jpeg({ quality: 95 }).toBuffer();
}

/**
 * The synthetic image source.
 *
 * @example
 * ```ts
 * const images = syntheticSampleImages(demoPerson);
 * const selfie = await images.selfie(images.person(1));
 * ```
 */
export function syntheticSampleImages(person: (index: number) => DemoPerson): SampleImages {
  return {
    person,
    document: (subject, options = {}) => passportPage(subject, options.blurry === true),
    selfie: (subject) => selfiePhoto(subject.index),
  };
}
