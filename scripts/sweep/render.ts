/**
 * The blur sweep's image generator: documents photographed in a 12 MP frame (4000x3000) and
 * selfies, with a known blur (Gaussian or linear motion of the same sigma), Gaussian sensor
 * noise, JPEG quality, lighting and surface, plus the other defects the gate judges (glare,
 * darkness, a cut corner, tilt).
 *
 * Two families, so the thresholds are never judged on what they were tuned on:
 * - `tune`: the labelled fixtures' card layout (`scripts/fixtures/document.ts`), people A-C,
 *   selfies framed edge to edge;
 * - `assert`: a different card layout drawn here (other fonts, sizes, positions, colours,
 *   security lines), people D-E plus the fixtures' others on the back sides, selfies framed
 *   smaller on a different wall, other seeds.
 */
import sharp from 'sharp';
import { personPhoto, renderCard, type FixtureDocumentType } from '../fixtures/document.ts';
import { td1Lines, td3Lines } from '../fixtures/mrz.ts';
import { type FaceBox, type Person } from '../fixtures/people.ts';
import { background, type BackgroundKind, CAMERA_EXIF, prng } from '../fixtures/raster.ts';

export type SweepFamily = 'tune' | 'assert';
export type BlurKind = 'gaussian' | 'motion-h' | 'motion-v';
export type Lighting = 'even' | 'dim' | 'gradient';
export type Defect = 'none' | 'glare' | 'dark' | 'corner' | 'tilt';

/** Physical long side of each document, millimetres. */
export const SWEEP_DOCUMENT_MM: Record<FixtureDocumentType, number> = {
  passport: 125,
  id_card: 85.6,
  driving_licence: 85.6,
};

export interface DocumentShot {
  readonly family: SweepFamily;
  readonly person: Person;
  readonly documentType: FixtureDocumentType;
  readonly side: 'front' | 'back';
  /** Document long side in frame pixels. */
  readonly documentWidth: number;
  /** Blur sigma in millimetres of the document (0 = none). */
  readonly blurMm: number;
  readonly blurKind: BlurKind;
  /** Gaussian sensor noise, grey levels. */
  readonly noise: number;
  readonly quality: number;
  readonly surface: BackgroundKind;
  readonly lighting: Lighting;
  readonly defect: Defect;
  readonly seed: number;
}

export interface SelfieShot {
  readonly family: SweepFamily;
  readonly person: Person;
  /** Blur sigma as a fraction of the face width (0 = none). */
  readonly blurRatio: number;
  readonly blurKind: BlurKind;
  readonly noise: number;
  readonly quality: number;
  readonly seed: number;
}

export interface Shot {
  readonly bytes: Buffer;
  readonly width: number;
  readonly height: number;
  readonly faces: FaceBox[];
}

const FRAME_WIDTH = 4000;
const FRAME_HEIGHT = 3000;

function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const RATIO: Record<FixtureDocumentType, number> = {
  passport: 125 / 88,
  id_card: 85.6 / 54,
  driving_licence: 85.6 / 54,
};

/** The `assert` family's card artwork (viewBox 1200 wide): a layout unlike the fixtures'. */
function alternateSvg(person: Person, type: FixtureDocumentType, side: 'front' | 'back', pixelWidth: number): string {
  const height = Math.round(1200 / RATIO[type]);
  const pixelHeight = Math.round(pixelWidth / RATIO[type]);
  const tint = type === 'passport' ? '#f3efe3' : type === 'id_card' ? '#eaf1ee' : '#f6eee1';
  const ink = type === 'passport' ? '#7a2e2e' : type === 'id_card' ? '#1f5c4a' : '#5a3d7a';
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${pixelWidth}" height="${pixelHeight}" viewBox="0 0 1200 ${height}">`,
    `<rect width="1200" height="${height}" rx="${type === 'passport' ? 10 : 44}" fill="${tint}"/>`,
  ];
  // Security print: concentric rings rather than the fixtures' sine lines.
  for (let r = 60; r < 700; r += 38) {
    parts.push(
      `<circle cx="900" cy="${height / 2}" r="${r}" stroke="${ink}" stroke-opacity="0.13" stroke-width="3" fill="none"/>`,
    );
  }
  parts.push(
    `<rect x="0" y="0" width="1200" height="96" fill="${ink}"/>`,
    `<text x="600" y="66" text-anchor="middle" font-family="DejaVu Serif" font-size="46" fill="#fafafa">${escapeXml(
      type === 'passport'
        ? 'REPUBLIC OF SYNTHESIA  PASSPORT'
        : type === 'id_card'
          ? 'NATIONAL IDENTITY CARD'
          : 'DRIVER LICENSE',
    )}</text>`,
  );
  const line = (x: number, y: number, label: string, value: string, size = 34): string =>
    `<text x="${x}" y="${y}" font-family="DejaVu Serif" font-size="20" fill="${ink}">${escapeXml(label)}</text>` +
    `<text x="${x}" y="${y + size + 4}" font-family="DejaVu Sans Condensed" font-size="${size}" fill="#0c0c0c">${escapeXml(value)}</text>`;
  if (side === 'front') {
    parts.push(
      line(440, 160, '1. NAME', person.surname.toUpperCase(), 40),
      line(440, 250, '2. GIVEN', person.givenNames.toUpperCase(), 40),
      line(440, 340, '3. BORN', person.dateOfBirth, 32),
      line(800, 340, '4. SEX', person.sex, 32),
      line(440, 420, '5. NUMBER', type === 'passport' ? person.passportNumber : person.idCardNumber, 32),
      line(800, 420, '6. VALID UNTIL', person.expiryDate, 32),
    );
    if (type === 'passport') {
      parts.push(`<rect x="0" y="${height - 200}" width="1200" height="200" fill="#f7f6f1"/>`);
      td3Lines(person).forEach((text, i) =>
        parts.push(
          `<text x="36" y="${height - 110 + i * 76}" font-family="DejaVu Sans Mono" font-size="42" fill="#000">${escapeXml(text)}</text>`,
        ),
      );
    } else {
      parts.push(
        `<text x="440" y="${height - 70}" font-family="DejaVu Serif" font-style="italic" font-size="44" fill="#222">${escapeXml(person.fullName)}</text>`,
      );
    }
  } else {
    parts.push(
      line(60, 170, 'RESIDENCE', '7 SWEEP AVENUE, GRIDTOWN 4400', 36),
      line(60, 270, 'ISSUED BY', 'CENTRAL REGISTRY', 36),
    );
    if (type === 'id_card') {
      parts.push(`<rect x="0" y="${height - 260}" width="1200" height="260" fill="#f7f6f1"/>`);
      td1Lines(person).forEach((text, i) =>
        parts.push(
          `<text x="40" y="${height - 180 + i * 78}" font-family="DejaVu Sans Mono" font-size="60" fill="#000">${escapeXml(text)}</text>`,
        ),
      );
    } else {
      for (let i = 0; i < 4; i++) {
        parts.push(
          `<rect x="60" y="${340 + i * 70}" width="1080" height="58" fill="#f9f7f2" stroke="${ink}" stroke-width="3"/>`,
          `<text x="80" y="${382 + i * 70}" font-family="DejaVu Sans" font-weight="bold" font-size="30" fill="#111">${['B', 'C1', 'D', 'T'][i]}  2019-03-0${i + 1}</text>`,
        );
      }
    }
  }
  parts.push('</svg>');
  return parts.join('');
}

/** The `assert` family's flat card with its portrait. */
async function alternateCard(person: Person, type: FixtureDocumentType, side: 'front' | 'back', pixelWidth: number) {
  const card = sharp(Buffer.from(alternateSvg(person, type, side, pixelWidth)));
  const meta = await card.metadata();
  const width = meta.width ?? pixelWidth;
  const height = meta.height ?? Math.round(pixelWidth / RATIO[type]);
  if (side === 'back') return { png: await card.png().toBuffer(), width, height };
  const scale = pixelWidth / 1200;
  const pw = Math.round(340 * scale);
  const ph = Math.round(420 * scale);
  const portrait = await sharp(await personPhoto(person))
    .resize(pw, ph, { fit: 'cover', position: 'top' })
    .toBuffer();
  const png = await card
    .composite([{ input: portrait, left: Math.round(50 * scale), top: Math.round(130 * scale) }])
    .png()
    .toBuffer();
  return { png, width, height };
}

/** A 1-D box kernel of real length `length` (sigma = length / sqrt(12)), fractional end taps. */
export function motionKernel(sigma: number): number[] {
  const length = sigma * Math.sqrt(12);
  const half = length / 2;
  const radius = Math.max(1, Math.ceil(half - 0.5));
  const taps: number[] = [];
  for (let i = -radius; i <= radius; i++) {
    const overlap = Math.max(0, Math.min(i + 0.5, half) - Math.max(i - 0.5, -half));
    taps.push(overlap);
  }
  const sum = taps.reduce((a, b) => a + b, 0);
  return taps.map((t) => t / sum);
}

async function applyBlur(image: Buffer, width: number, height: number, sigma: number, kind: BlurKind): Promise<Buffer> {
  const raw = sharp(image, { raw: { width, height, channels: 3 } });
  if (sigma < 0.3) return image;
  if (kind === 'gaussian') return raw.blur(sigma).raw().toBuffer();
  const taps = motionKernel(sigma);
  const size = taps.length;
  // sharp wants both kernel sides >= 3: the box sits in the middle row (or column) of a 3-wide kernel.
  const kernel = new Array<number>(size * 3).fill(0);
  const horizontal = kind === 'motion-h';
  taps.forEach((tap, i) => {
    if (horizontal) kernel[size + i] = tap;
    else kernel[i * 3 + 1] = tap;
  });
  return raw
    .convolve({ width: horizontal ? size : 3, height: horizontal ? 3 : size, kernel, scale: 1 })
    .raw()
    .toBuffer();
}

/** Adds the same Gaussian noise to the three channels of each pixel (luminance noise), in place. */
function addNoise(data: Buffer, sigma: number, seed: number): void {
  if (sigma <= 0) return;
  const random = prng(seed);
  const table = new Float32Array(1 << 16);
  for (let k = 0; k < table.length; k += 2) {
    const u = Math.max(1e-12, random());
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u)) * sigma;
    table[k] = r * Math.cos(2 * Math.PI * v);
    table[k + 1] = r * Math.sin(2 * Math.PI * v);
  }
  const stride = 1 + 2 * Math.floor(random() * 5000);
  for (let p = 0, i = 0; i < data.length; p++, i += 3) {
    const n = table[(p * stride) & 0xffff] as number;
    for (let c = 0; c < 3; c++) {
      const value = (data[i + c] as number) + n;
      data[i + c] = value < 0 ? 0 : value > 255 ? 255 : value;
    }
  }
}

function light(data: Buffer, width: number, lighting: Lighting, exposure: number): void {
  if (lighting === 'even' && exposure === 1) return;
  const row = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const gradient = lighting === 'gradient' ? 0.78 + 0.27 * (x / width) : lighting === 'dim' ? 0.68 : 1;
    row[x] = gradient * exposure;
  }
  for (let p = 0, i = 0; i < data.length; p++, i += 3) {
    const gain = row[p % width] as number;
    for (let c = 0; c < 3; c++) {
      const value = (data[i + c] as number) * gain;
      data[i + c] = value > 255 ? 255 : value;
    }
  }
}

function glareOverlay(width: number, height: number, seed: number): Buffer {
  const random = prng(seed);
  const x = (0.35 + 0.3 * random()) * width;
  const y = (0.35 + 0.3 * random()) * height;
  const r = (0.09 + 0.04 * random()) * width;
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><radialGradient id="g"><stop offset="0" stop-color="#fff"/><stop offset="0.6" stop-color="#fff"/><stop offset="1" stop-color="#fff" stop-opacity="0"/></radialGradient><ellipse cx="${x}" cy="${y}" rx="${r}" ry="${r * 0.65}" fill="url(#g)"/></svg>`,
  );
}

async function encode(data: Buffer, width: number, height: number, quality: number): Promise<Buffer> {
  return sharp(data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality, chromaSubsampling: '4:2:0' })
    .withExif({ IFD0: CAMERA_EXIF })
    .toBuffer();
}

/**
 * Renders one document photograph of the sweep.
 *
 * @example
 * ```ts
 * const shot = await renderDocumentShot({ family: 'assert', person: personById('D'), documentType: 'id_card',
 *   side: 'front', documentWidth: 1400, blurMm: 0.15, blurKind: 'gaussian', noise: 4, quality: 85,
 *   surface: 'wood', lighting: 'even', defect: 'none', seed: 5001 });
 * ```
 */
export async function renderDocumentShot(shot: DocumentShot): Promise<Shot> {
  const random = prng(shot.seed);
  const card =
    shot.family === 'tune'
      ? await renderCard(shot.person, shot.documentType, shot.side, shot.documentWidth)
      : await alternateCard(shot.person, shot.documentType, shot.side, shot.documentWidth);
  let art = card.png;
  if (shot.defect === 'glare') {
    art = await sharp(art)
      .composite([{ input: glareOverlay(card.width, card.height, shot.seed) }])
      .png()
      .toBuffer();
  }
  const degrees = shot.defect === 'tilt' ? 18 + 6 * random() : (random() - 0.5) * 6;
  const rotated = await sharp(art)
    .rotate(degrees, { background: { r: 0, g: 0, b: 0, alpha: 0 } })
    .png()
    .toBuffer({ resolveWithObject: true });
  const rw = rotated.info.width;
  const rh = rotated.info.height;
  const frame = background(shot.surface, FRAME_WIDTH, FRAME_HEIGHT, 1 + (shot.seed % 3));
  const sigmaPx = (shot.blurMm * shot.documentWidth) / SWEEP_DOCUMENT_MM[shot.documentType];
  const margin = Math.ceil(4 * sigmaPx * (shot.blurKind === 'gaussian' ? 1 : 1.2)) + 8;
  // Centre with a little jitter; the corner defect pushes the card over the frame's edge.
  const slackX = Math.max(0, FRAME_WIDTH - rw - 2 * margin - 40);
  const slackY = Math.max(0, FRAME_HEIGHT - rh - 2 * margin - 40);
  let left = Math.round(margin + 20 + slackX * (0.3 + 0.4 * random()));
  let top = Math.round(margin + 20 + slackY * (0.3 + 0.4 * random()));
  if (shot.defect === 'corner') {
    left = FRAME_WIDTH - Math.round(rw * 0.88);
    top = FRAME_HEIGHT - Math.round(rh * 0.9);
  }
  // The card and a margin of surface around it are blurred together (the rest of the frame does not matter).
  const px0 = Math.max(0, left - margin);
  const py0 = Math.max(0, top - margin);
  const px1 = Math.min(FRAME_WIDTH, left + rw + margin);
  const py1 = Math.min(FRAME_HEIGHT, top + rh + margin);
  const pw = px1 - px0;
  const ph = py1 - py0;
  const visibleW = Math.min(rw, FRAME_WIDTH - left);
  const visibleH = Math.min(rh, FRAME_HEIGHT - top);
  const overlay = await sharp(rotated.data).extract({ left: 0, top: 0, width: visibleW, height: visibleH }).toBuffer();
  const patch = await sharp(frame.data, { raw: { width: FRAME_WIDTH, height: FRAME_HEIGHT, channels: 3 } })
    .extract({ left: px0, top: py0, width: pw, height: ph })
    .composite([{ input: overlay, left: left - px0, top: top - py0 }])
    .removeAlpha()
    .raw()
    .toBuffer();
  const blurred = await applyBlur(patch, pw, ph, sigmaPx, shot.blurKind);
  for (let y = 0; y < ph; y++) {
    blurred.copy(frame.data, ((py0 + y) * FRAME_WIDTH + px0) * 3, y * pw * 3, (y + 1) * pw * 3);
  }
  light(frame.data, FRAME_WIDTH, shot.lighting, shot.defect === 'dark' ? 0.2 : 1);
  addNoise(frame.data, shot.noise, shot.seed * 7 + 1);
  const bytes = await encode(frame.data, FRAME_WIDTH, FRAME_HEIGHT, shot.quality);
  return { bytes, width: FRAME_WIDTH, height: FRAME_HEIGHT, faces: [] };
}

/**
 * Renders one selfie of the sweep: the person's photo, framed edge to edge (`tune`, 1200x1600
 * on the fixtures' wall) or smaller and off-centre (`assert`, 1500x2000 on grey).
 *
 * @example
 * ```ts
 * const shot = await renderSelfieShot({ family: 'assert', person: personById('E'), blurRatio: 0.03,
 *   blurKind: 'gaussian', noise: 2.5, quality: 70, seed: 6001 });
 * ```
 */
export async function renderSelfieShot(shot: SelfieShot): Promise<Shot> {
  const tune = shot.family === 'tune';
  const width = tune ? 1200 : 1500;
  const height = tune ? 1600 : 2000;
  const { crop, face } = shot.person;
  const scale = tune ? Math.max(width / crop.width, height / crop.height) : (0.82 * height) / crop.height;
  const pw = Math.round(crop.width * scale);
  const ph = Math.round(crop.height * scale);
  const photo = await sharp(await personPhoto(shot.person))
    .resize(pw, ph, { kernel: 'lanczos3' })
    .sharpen({ sigma: 0.8 })
    .png()
    .toBuffer();
  const visibleW = Math.min(pw, width);
  const visibleH = Math.min(ph, height);
  const extractLeft = Math.max(0, Math.round((pw - width) / 2));
  const extractTop = Math.max(0, Math.round((ph - height) / 2));
  const subject = await sharp(photo)
    .extract({ left: extractLeft, top: extractTop, width: visibleW, height: visibleH })
    .toBuffer();
  const left = tune ? Math.round((width - visibleW) / 2) : Math.round((width - visibleW) * 0.35);
  const top = tune ? Math.round((height - visibleH) / 2) : height - visibleH;
  const wall = background(tune ? 'wall' : 'grey', width, height, 2);
  const composed = await sharp(wall.data, { raw: { width, height, channels: 3 } })
    .composite([{ input: subject, left, top }])
    .removeAlpha()
    .raw()
    .toBuffer();
  const faceWidth = face.width * pw;
  const blurred = await applyBlur(composed, width, height, shot.blurRatio * faceWidth, shot.blurKind);
  const data = Buffer.from(blurred);
  addNoise(data, shot.noise, shot.seed * 7 + 3);
  const bytes = await encode(data, width, height, shot.quality);
  return {
    bytes,
    width,
    height,
    faces: [
      {
        left: (left + face.left * pw - extractLeft) / width,
        top: (top + face.top * ph - extractTop) / height,
        width: faceWidth / width,
        height: (face.height * ph) / height,
      },
    ],
  };
}
