// Screens versus browser camera captures of the same sizes (`lambdas/quality/screen.ts`), on a
// set built apart from the one the threshold was tuned on: other layouts (a chat, a settings
// list, a document viewer), other photos, other sizes and JPEG qualities. Prints the confusion
// matrix.
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadSampleImages, demoPerson } from '../../../local/demo/sample-images.ts';
import { SCREEN_UNIFORM_TILE_SHARE, uniformTileShare } from '../../../lambdas/quality/screen.ts';
import { prng } from '../../../scripts/fixtures/raster.ts';

type Encoding = 'png' | 'q85' | 'q95';
const SIZES = [
  [1600, 900],
  [720, 1280],
  [1920, 1080],
] as const;
const ENCODINGS: readonly Encoding[] = ['png', 'q85', 'q95'];

const images = await loadSampleImages();
const photos = await Promise.all([1, 3, 6, 8].map((index) => images.selfie(demoPerson(index))));

/** A seeded normal deviate (Box-Muller over the fixtures' `prng`). */
function gaussian(seed: number): () => number {
  const uniform = prng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

async function encode(image: Sharp, encoding: Encoding): Promise<Buffer> {
  return encoding === 'png' ? image.png().toBuffer() : image.jpeg({ quality: encoding === 'q85' ? 85 : 95 }).toBuffer();
}

/** An app screen of `layout`, with a photo inset covering `inset` of it. */
async function screen(width: number, height: number, layout: number, inset: number, photo: Buffer): Promise<Sharp> {
  const dark = layout % 2 === 1;
  const [bg, fg, accent] = dark ? ['#202124', '#e3e3e3', '#8ab4f8'] : ['#ffffff', '#1f1f1f', '#0b57d0'];
  const unit = Math.round(Math.min(width, height) / 24);
  const parts: string[] = [`<rect width="${width}" height="${height}" fill="${bg}"/>`];
  if (layout < 2) {
    // A chat: bubbles down the screen.
    for (let i = 0; i < 8; i += 1) {
      const x = i % 2 === 0 ? unit : width / 2;
      parts.push(
        `<rect x="${x}" y="${unit * (2 + i * 2.6)}" width="${width / 2 - unit}" height="${unit * 2}" rx="${unit / 2}" fill="${i % 2 ? accent : dark ? '#303134' : '#e9eef6'}"/>`,
      );
    }
  } else if (layout < 4) {
    // A settings list: rows and dividers.
    for (let i = 0; i < 14; i += 1) {
      parts.push(
        `<text x="${unit}" y="${unit * (2 + i * 1.7)}" font-size="${unit * 0.7}" fill="${fg}" font-family="sans-serif">Setting ${i + 1}</text>`,
      );
      parts.push(
        `<rect x="${unit}" y="${unit * (2.4 + i * 1.7)}" width="${width - 2 * unit}" height="2" fill="${dark ? '#444746' : '#c4c7c5'}"/>`,
      );
    }
  } else {
    // A document viewer: toolbar, page margins.
    parts.push(`<rect width="${width}" height="${unit * 2}" fill="${accent}"/>`);
    parts.push(
      `<rect x="${unit}" y="${unit * 3}" width="${width - 2 * unit}" height="${height - unit * 4}" fill="${dark ? '#303134' : '#f8fafd'}"/>`,
    );
  }
  const svg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`,
  );
  const side = Math.sqrt(inset);
  const [w, h] = [Math.round(width * side), Math.round(height * side)];
  const inner = await sharp(photo).resize(w, h, { fit: 'cover' }).toBuffer();
  return sharp(
    await sharp(svg)
      .composite([{ input: inner, left: Math.round((width - w) / 2), top: Math.round((height - h) / 2) }])
      .png()
      .toBuffer(),
  );
}

/** A camera frame: a photo at the frame size with sensor noise of `sigma` grey levels. */
async function cameraFrame(width: number, height: number, sigma: number, photo: Buffer, seed: number): Promise<Sharp> {
  const raw = await sharp(photo).resize(width, height, { fit: 'cover' }).removeAlpha().raw().toBuffer();
  const noise = gaussian(seed);
  for (let i = 0; i < raw.length; i += 1)
    raw[i] = Math.max(0, Math.min(255, Math.round((raw[i] as number) + noise() * sigma)));
  return sharp(raw, { raw: { width, height, channels: 3 } });
}

/** The share as the gate measures it: on the luma of the decoded file. */
async function shareOf(file: Buffer): Promise<number> {
  const { data, info } = await sharp(file).greyscale().raw().toBuffer({ resolveWithObject: true });
  return uniformTileShare({ data, width: info.width, height: info.height });
}

describe('uniform tiles: rendered screens versus camera frames (held-out set)', () => {
  it('tells every screen from every camera frame, with the threshold between them', async () => {
    // Prepare: 18 screens and 18 camera frames over three sizes and three encodings.
    const cases: { kind: 'screen' | 'camera'; name: string; file: Buffer }[] = [];
    let n = 0;
    for (const [width, height] of SIZES) {
      for (const encoding of ENCODINGS) {
        const photo = photos[n % photos.length] as Buffer;
        const inset = [0.25, 0.5][n % 2] as number;
        cases.push({
          kind: 'screen',
          name: `screen ${width}x${height} layout ${n % 6} inset ${inset} ${encoding}`,
          file: await encode(await screen(width, height, n % 6, inset, photo), encoding),
        });
        cases.push({
          kind: 'screen',
          name: `screen ${width}x${height} layout ${(n + 3) % 6} inset 0.5 ${encoding}`,
          file: await encode(await screen(width, height, (n + 3) % 6, 0.5, photo), encoding),
        });
        for (const sigma of [0.5, 2]) {
          cases.push({
            kind: 'camera',
            name: `camera ${width}x${height} sigma ${sigma} ${encoding}`,
            file: await encode(await cameraFrame(width, height, sigma, photo, 17 + n), encoding),
          });
        }
        n += 1;
      }
    }

    // Act
    const measured = await Promise.all(cases.map(async (item) => ({ ...item, share: await shareOf(item.file) })));

    // Assess
    const flagged = (kind: string, yes: boolean): number =>
      measured.filter((item) => item.kind === kind && item.share >= SCREEN_UNIFORM_TILE_SHARE === yes).length;
    const screens = measured.filter((item) => item.kind === 'screen').map((item) => item.share);
    const cameras = measured.filter((item) => item.kind === 'camera').map((item) => item.share);
    console.log(
      [
        `uniform tile share >= ${SCREEN_UNIFORM_TILE_SHARE}: screenshot`,
        `                 flagged  passed`,
        `screens (${screens.length})      ${flagged('screen', true)}       ${flagged('screen', false)}`,
        `camera frames (${cameras.length}) ${flagged('camera', true)}       ${flagged('camera', false)}`,
        `screens ${(Math.min(...screens) * 100).toFixed(1)}-${(Math.max(...screens) * 100).toFixed(1)} %, camera frames ${(Math.min(...cameras) * 100).toFixed(1)}-${(Math.max(...cameras) * 100).toFixed(1)} %`,
      ].join('\n'),
    );
    expect(
      measured
        .filter((item) => item.kind === 'screen' && item.share < SCREEN_UNIFORM_TILE_SHARE)
        .map((item) => item.name),
    ).toEqual([]);
    expect(
      measured
        .filter((item) => item.kind === 'camera' && item.share >= SCREEN_UNIFORM_TILE_SHARE)
        .map((item) => item.name),
    ).toEqual([]);
    expect(Math.min(...screens)).toBeGreaterThan(SCREEN_UNIFORM_TILE_SHARE * 1.2);
    expect(Math.max(...cameras)).toBeLessThan(SCREEN_UNIFORM_TILE_SHARE / 2);
  }, 120_000);

  it('measures the same share on a decode at a third of the size, with tiles scaled to match', async () => {
    // Prepare
    const file = await encode(await screen(1920, 1080, 2, 0.25, photos[0] as Buffer), 'q95');
    const { data, info } = await sharp(file).greyscale().resize(640).raw().toBuffer({ resolveWithObject: true });
    // Act
    const full = await shareOf(file);
    const third = uniformTileShare({ data, width: info.width, height: info.height }, 1 / 3);
    // Assess
    expect(Math.abs(full - third)).toBeLessThan(0.1);
  });
});
