import { describe, expect, it } from 'vitest';
import { EMBEDDING_CROP_SCALE, squareAround } from '../../../local/face-engine/engine-worker.ts';

describe('squareAround: the square an embedding is computed on', () => {
  it('is square in pixels in a 16:9 frame, centred on the face, 2.5 times its longer side', () => {
    // Act: a face 100 x 120 px centred at (320, 180) of a 640 x 360 frame
    const { region, side } = squareAround(
      { left: 270 / 640, top: 120 / 360, width: 100 / 640, height: 120 / 360 },
      640,
      360,
    );

    // Assess
    const [y1, x1, y2, x2] = region;
    expect(side).toBeCloseTo(EMBEDDING_CROP_SCALE * 120, 6);
    expect((x2 - x1) * 640).toBeCloseTo(side, 6);
    expect((y2 - y1) * 360).toBeCloseTo(side, 6);
    expect(((x1 + x2) / 2) * 640).toBeCloseTo(320, 6);
    expect(((y1 + y2) / 2) * 360).toBeCloseTo(180, 6);
  });

  it('reaches past the edges for a face near one (that part is filled black), never shrinking the square', () => {
    // Act: a face in the top-left corner of a portrait image
    const { region, side } = squareAround({ left: 0, top: 0, width: 0.2, height: 0.1 }, 1000, 2000);

    // Assess
    expect(side).toBeCloseTo(500, 6);
    expect(region[0]).toBeLessThan(0);
    expect(region[1]).toBeLessThan(0);
    expect((region[3] - region[1]) * 1000).toBeCloseTo((region[2] - region[0]) * 2000, 6);
  });
});
