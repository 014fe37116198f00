/**
 * Pixel evidence of a rendered screen, for files whose size and metadata cannot tell a
 * screenshot from a browser's camera capture (`screenOrCameraFrame` in `metadata.ts`).
 *
 * A screen is drawn: its backgrounds, bars and panels are large areas of exactly one value. A
 * camera frame is sensed: its sensor noise (and the noise JPEG leaves on each 8 x 8 block's mean)
 * makes an exactly uniform 16 x 16 px tile, spanning four JPEG blocks, all but impossible outside
 * crushed black or blown-out white. Black tiles are not counted (a dark room's shadows clip to
 * 0 in most webcams); white ones are (the background of every light-mode app, and a frame blown
 * out that widely is refused for its exposure anyway). So the share of exactly uniform tiles
 * separates them.
 *
 * Calibration. Tuned on 48 synthetic screens (light and dark app layouts with a photo inset of
 * 15-60 % of the screen, PNG and JPEG q90, 1280 x 720 to 2560 x 1440 in both orientations; 43
 * above the 100 KB floor) and 64 camera-like frames (the demo's photos and the fixtures' renders
 * at the same sizes, sensor noise sigma 0-3, JPEG q80-q95, a median-filtered "denoised" variant,
 * PNG): screens read 26-85 % uniform tiles; camera frames with sensor noise 0-3 %; frames made
 * from noiseless renders up to 21 %. Held out (`test/unit/quality/screen.test.ts`, other
 * layouts, photos, sizes and qualities): 18 of 18 screens (34-66 %) and 0 of 18 camera frames
 * (0-3 %) read as screens. A screenshot of a photo filling most of the screen is missed.
 */
import type { GreyImage } from './pixels.ts';

/** Share of uniform tiles from which a file is a rendered screen. */
export const SCREEN_UNIFORM_TILE_SHARE = 0.25;

/** Tile side in pixels of the original image. */
const TILE_SIDE = 16;

/**
 * Share (0..1) of the image's square tiles (TILE_SIDE px of the original a side, `scale` being
 * the decode's size over the original's) whose pixels all hold one value of 3 or more.
 *
 * @example
 * ```ts
 * const rendered = uniformTileShare(first, first.scale) >= SCREEN_UNIFORM_TILE_SHARE;
 * ```
 */
export function uniformTileShare(image: GreyImage, scale = 1): number {
  const { data, width, height } = image;
  const side = Math.max(2, Math.round(TILE_SIDE * scale));
  let tiles = 0;
  let uniform = 0;
  for (let y = 0; y + side <= height; y += side) {
    for (let x = 0; x + side <= width; x += side) {
      tiles += 1;
      const value = data[y * width + x] as number;
      if (value < 3) continue;
      let same = true;
      for (let row = y; row < y + side && same; row += 1) {
        const start = row * width + x;
        for (let i = start; i < start + side; i += 1) {
          if (data[i] !== value) {
            same = false;
            break;
          }
        }
      }
      if (same) uniform += 1;
    }
  }
  return tiles === 0 ? 0 : uniform / tiles;
}
