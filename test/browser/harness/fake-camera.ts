/**
 * A video file for Chromium's fake camera (`--use-file-for-fake-video-capture=<file>.y4m`):
 * a sample person (`local/demo/liveness-frames.ts`, made from the photos inside
 * `@vladmandic/face-api`) turning the head smoothly from side to side, in a loop.
 *
 * The page takes one frame per prompt, about 1.85 s apart (longer on a busy machine), and the
 * video does not follow its prompts. The loop used to hold the head straight for half of its 4 s,
 * so for 27 % of the possible moments the page could start, all four frames showed a straight
 * head and the local liveness check found no movement (a CI run under load failed so). The head
 * now turns as a sine with a 3.2 s period: whatever the start, and for gaps of 1.8-2.6 s between
 * frames, the four frames' turns span at least 0.76 of the way from full left to full right.
 */
import { existsSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { cameraFrame } from '../../../local/demo/liveness-frames.ts';
import type { Raw } from '../../../scripts/fixtures/raster.ts';

export const CAMERA_WIDTH = 1280;
export const CAMERA_HEIGHT = 720;
const FPS = 5;
/** Head turn per frame of one 3.2-second loop (-1 full left, 1 full right): a sine. */
const TURNS = Array.from({ length: 16 }, (_, n) => Math.round(Math.sin((2 * Math.PI * n) / 16) * 100) / 100);

/** Planar YUV 4:2:0 (BT.601, studio range) of an RGB frame with even width and height. */
function toI420(frame: Raw): Buffer {
  const { data, width, height } = frame;
  const out = Buffer.alloc((width * height * 3) / 2);
  const uOffset = width * height;
  const vOffset = uOffset + (width * height) / 4;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const r = data[i] ?? 0;
      const g = data[i + 1] ?? 0;
      const b = data[i + 2] ?? 0;
      out[y * width + x] = Math.round(16 + 0.257 * r + 0.504 * g + 0.098 * b);
      if (y % 2 === 0 && x % 2 === 0) {
        const c = (y / 2) * (width / 2) + x / 2;
        out[uOffset + c] = Math.round(128 - 0.148 * r - 0.291 * g + 0.439 * b);
        out[vOffset + c] = Math.round(128 + 0.439 * r - 0.368 * g - 0.071 * b);
      }
    }
  return out;
}

/**
 * Writes (once per folder and person) a Y4M loop of sample person `index` and returns its path.
 *
 * @example
 * const video = await fakeCameraVideo(tmp, 1);
 * const browser = await launchBrowser({ fakeCamera: video });
 */
export async function fakeCameraVideo(folder: string, index: number): Promise<string> {
  const file = join(folder, `camera-person-${index}.y4m`);
  if (existsSync(file)) return file;
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, `YUV4MPEG2 W${CAMERA_WIDTH} H${CAMERA_HEIGHT} F${FPS}:1 Ip A1:1 C420jpeg\n`);
    for (const [n, turn] of TURNS.entries()) {
      const frame = await cameraFrame(index, turn, { seed: n + 1, width: CAMERA_WIDTH, height: CAMERA_HEIGHT });
      writeSync(fd, 'FRAME\n');
      writeSync(fd, toI420(frame));
    }
  } finally {
    closeSync(fd);
  }
  return file;
}
