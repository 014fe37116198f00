/**
 * Camera frames of a sample person doing the local liveness challenge (centre, turn left, turn
 * right, centre), made from the sample photos like the demo's selfies: nothing downloaded.
 * A head turn is imitated by warping the face sideways (the middle of the face moves further
 * than its outline, as when a head rotates) and moving it a little across the frame.
 *
 * Used by `kyc demo`, the liveness calibration bench and the browser tests (which write these
 * frames into a Y4M video for Chromium's fake camera).
 */
import sharp from 'sharp';
import { prng, type Raw } from '../../scripts/fixtures/raster.ts';
import { portrait } from './synthetic-images.ts';

/** What the challenge asks the person to do for one frame. */
export type ChallengePrompt = 'centre' | 'turn_left' | 'turn_right';

/** The local challenge, in order; the page and the demo send one or more frames per prompt. */
export const CHALLENGE_PROMPTS: readonly ChallengePrompt[] = ['centre', 'turn_left', 'turn_right', 'centre'];

/** One captured frame of the challenge. */
export interface ChallengeFrame {
  readonly prompt: ChallengePrompt;
  /** JPEG bytes, 640 x 360 like the frames the reference page sends. */
  readonly image: Buffer;
}

/**
 * How the frames are made: `live` a person turning their head; `static` a still photo held
 * still (every frame the same scene); `replay` a video of the person shown on a screen held up
 * to the camera (smaller, low contrast, bluish, with moiré stripes).
 */
export type FrameKind = 'live' | 'static' | 'replay';

/** Size of the frames the page sends (a 16:9 webcam image scaled to 640 px wide). */
export const FRAME_SIZE = { width: 640, height: 360 } as const;

const TURN: Record<ChallengePrompt, number> = { centre: 0, turn_left: -1, turn_right: 1 };

const portraits = new Map<string, Promise<Raw>>();

function portraitRaw(index: number, width: number): Promise<Raw> {
  const key = `${index}:${width}`;
  let cached = portraits.get(key);
  if (!cached) {
    cached = portrait(index, width).then(async (jpeg) => {
      // A webcam sharpens its image; the sample faces are upscaled and soft without it.
      const { data, info } = await sharp(jpeg)
        .normalise({ lower: 1, upper: 98 })
        .sharpen({ sigma: 1.2 })
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height };
    });
    portraits.set(key, cached);
  }
  return cached;
}

/**
 * One camera frame (RGB, 640 x 360 unless `width`/`height` say otherwise) of sample person
 * `index` with the head turned by `turn` (-1 fully left .. 1 fully right, 0 facing the camera).
 *
 * @example
 * const frame = await cameraFrame(0, 0.5, { seed: 7, width: 1280, height: 720 });
 */
export async function cameraFrame(
  index: number,
  turn: number,
  options: {
    readonly seed?: number;
    readonly kind?: FrameKind;
    readonly width?: number;
    readonly height?: number;
  } = {},
): Promise<Raw> {
  const frameWidth = options.width ?? FRAME_SIZE.width;
  const frameHeight = options.height ?? FRAME_SIZE.height;
  // Head and shoulders fill 90% of the height (the portrait crop is 1.3 times as tall as wide).
  const face = await portraitRaw(index, Math.round((frameHeight * 0.9) / 1.3));
  const random = prng(options.seed ?? 1);
  const amplitude = 0.18 * face.width * turn;
  const shiftX = Math.round(0.12 * face.width * turn);
  const data = Buffer.alloc(frameWidth * frameHeight * 3);
  // A plain wall behind the person, lit from the left.
  for (let y = 0; y < frameHeight; y++)
    for (let x = 0; x < frameWidth; x++) {
      const offset = (y * frameWidth + x) * 3;
      const light = 150 - (60 * x) / frameWidth;
      data[offset] = light + 8;
      data[offset + 1] = light + 4;
      data[offset + 2] = light;
    }
  const left0 = Math.round((frameWidth - face.width) / 2) + shiftX;
  const top0 = Math.max(0, frameHeight - face.height);
  for (let y = 0; y < Math.min(face.height, frameHeight); y++)
    for (let x = 0; x < face.width; x++) {
      const sourceX = Math.min(
        face.width - 1,
        Math.max(0, Math.round(x - amplitude * Math.sin((Math.PI * x) / face.width))),
      );
      const targetX = left0 + x;
      if (targetX < 0 || targetX >= frameWidth) continue;
      face.data.copy(
        data,
        ((top0 + y) * frameWidth + targetX) * 3,
        (y * face.width + sourceX) * 3,
        (y * face.width + sourceX) * 3 + 3,
      );
    }
  // Sensor noise: every frame of a camera differs a little.
  for (let i = 0; i < data.length; i++)
    data[i] = Math.min(255, Math.max(0, (data[i] ?? 0) + Math.round((random() - 0.5) * 10)));
  const frame: Raw = { data, width: frameWidth, height: frameHeight };
  return options.kind === 'replay' ? onScreen(frame, random) : frame;
}

/** The frame as shown on a phone screen held up to the camera. */
async function onScreen(frame: Raw, random: () => number): Promise<Raw> {
  const { width: frameWidth, height: frameHeight } = frame;
  const screenWidth = Math.round(frameWidth * 0.8);
  const screenHeight = Math.round(frameHeight * 0.8);
  const { data: small } = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .resize(screenWidth, screenHeight)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const data = Buffer.alloc(frameWidth * frameHeight * 3);
  for (let i = 0; i < data.length; i += 3) {
    data[i] = 92;
    data[i + 1] = 88;
    data[i + 2] = 84;
  }
  const left = Math.round((frameWidth - screenWidth) / 2);
  const top = Math.round((frameHeight - screenHeight) / 2);
  const phase = random() * Math.PI * 2;
  for (let y = -14; y < screenHeight + 14; y++)
    for (let x = -14; x < screenWidth + 14; x++) {
      const offset = ((top + y) * frameWidth + left + x) * 3;
      if (x < 0 || y < 0 || x >= screenWidth || y >= screenHeight) {
        data.fill(12, offset, offset + 3); // the phone's bezel
        continue;
      }
      const source = (y * screenWidth + x) * 3;
      const moire = 10 * Math.sin(x * 0.9 + y * 0.35 + phase);
      for (let c = 0; c < 3; c++) {
        const value = 40 + 0.62 * (small[source + c] ?? 0) + moire + (c === 2 ? 22 : 0);
        data[offset + c] = Math.min(255, Math.max(0, Math.round(value)));
      }
    }
  return { data, width: frameWidth, height: frameHeight };
}

/** A raw frame as a JPEG, as a browser's canvas would encode it. */
export function frameJpeg(frame: Raw): Promise<Buffer> {
  return sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .jpeg({ quality: 88 })
    .toBuffer();
}

/**
 * The frames a person sends for the challenge: `perPrompt` frames for each of
 * {@link CHALLENGE_PROMPTS}. A `static` set shows the same still scene in every frame.
 *
 * @example
 * const frames = await challengeFrames(0); // 4 frames of sample person 0 turning their head
 */
export async function challengeFrames(
  index: number,
  options: { readonly kind?: FrameKind; readonly perPrompt?: number; readonly seed?: number } = {},
): Promise<ChallengeFrame[]> {
  const kind = options.kind ?? 'live';
  const perPrompt = options.perPrompt ?? 1;
  const frames: ChallengeFrame[] = [];
  let seed = options.seed ?? 1;
  for (const prompt of CHALLENGE_PROMPTS)
    for (let k = 0; k < perPrompt; k++) {
      const turn = kind === 'static' ? 0 : TURN[prompt] * (0.75 + 0.25 * k);
      frames.push({ prompt, image: await frameJpeg(await cameraFrame(index, turn, { seed: seed++, kind })) });
    }
  return frames;
}
