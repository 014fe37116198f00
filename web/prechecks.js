// Client-side pre-checks of a captured camera frame: instant hints before anything is uploaded.
// They are deliberately lenient (the server's quality gate is the authority and checks again);
// each returns reason codes of the shared catalog (web/reasons.js), so the hint reads exactly
// like the server's answer. Pure functions over RGBA pixels: no DOM, unit-tested in Node.

/** Pixels as a canvas returns them (`CanvasRenderingContext2D.getImageData`). */
/** @typedef {{ data: Uint8ClampedArray | Uint8Array, width: number, height: number }} Pixels */

/** Below this mean luminance (0-255) the photo is too dark (the server's default is 55). */
export const DARK_MEAN_LUMINANCE = 55;
/** Below this variance of the Laplacian (grey levels, image at most 640 px wide) the photo is too blurry. */
export const BLUR_MIN_LAPLACIAN_VARIANCE = 25;
/** Below this share of skin-coloured pixels inside the face oval, no face is there. */
export const MIN_SKIN_SHARE = 0.12;
/** Edge strength (grey levels) that counts as part of a document's outline. */
export const EDGE_STRENGTH = 40;
/** Share of a guide side an outline must follow to count as found. */
export const MIN_SIDE_COVERAGE = 0.45;

/**
 * The card-shaped guide of the document viewfinder, as fractions of the frame: the page draws
 * the same rectangle (style.css `.guide-card`).
 */
export const CARD_GUIDE = { left: 0.08, top: 0.12, width: 0.84, height: 0.76 };
/** The face oval of the selfie viewfinder (style.css `.guide-oval`), fractions of the frame. */
export const FACE_GUIDE = { left: 0.32, top: 0.1, width: 0.36, height: 0.8 };

/**
 * Greyscale (Rec. 601 luma) copy of the pixels.
 * @param {Pixels} pixels
 * @returns {Float32Array}
 */
export function luminance(pixels) {
  const { data, width, height } = pixels;
  const grey = new Float32Array(width * height);
  for (let i = 0, p = 0; p < grey.length; i += 4, p += 1)
    grey[p] = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
  return grey;
}

/**
 * Mean of `grey` over the whole frame, or over `box` (fractions of the frame) when given.
 * @param {Float32Array} grey
 * @param {number} width
 * @param {number} height
 * @param {{ left: number, top: number, width: number, height: number }} [box]
 */
export function meanIn(grey, width, height, box) {
  const x0 = box ? Math.max(0, Math.floor(box.left * width)) : 0;
  const y0 = box ? Math.max(0, Math.floor(box.top * height)) : 0;
  const x1 = box ? Math.min(width, Math.ceil((box.left + box.width) * width)) : width;
  const y1 = box ? Math.min(height, Math.ceil((box.top + box.height) * height)) : height;
  let sum = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += grey[y * width + x];
  return sum / Math.max(1, (x1 - x0) * (y1 - y0));
}

/**
 * Variance of the 4-neighbour Laplacian: low when nothing in the frame is sharp.
 * @param {Float32Array} grey
 * @param {number} width
 * @param {number} height
 */
export function laplacianVariance(grey, width, height) {
  let sum = 0;
  let sumSquares = 0;
  let count = 0;
  for (let y = 1; y < height - 1; y++)
    for (let x = 1; x < width - 1; x++) {
      const p = y * width + x;
      const value = grey[p - 1] + grey[p + 1] + grey[p - width] + grey[p + width] - 4 * grey[p];
      sum += value;
      sumSquares += value * value;
      count += 1;
    }
  if (count === 0) return 0;
  const mean = sum / count;
  return sumSquares / count - mean * mean;
}

/**
 * Share of skin-coloured pixels (YCbCr rule of Chai & Ngan) inside the face guide's ellipse.
 * @param {Pixels} pixels
 */
export function skinShareInOval(pixels) {
  const { data, width, height } = pixels;
  const cx = (FACE_GUIDE.left + FACE_GUIDE.width / 2) * width;
  const cy = (FACE_GUIDE.top + FACE_GUIDE.height / 2) * height;
  const rx = (FACE_GUIDE.width / 2) * width;
  const ry = (FACE_GUIDE.height / 2) * height;
  let inside = 0;
  let skin = 0;
  for (let y = Math.floor(cy - ry); y < cy + ry; y++)
    for (let x = Math.floor(cx - rx); x < cx + rx; x++) {
      if (x < 0 || y < 0 || x >= width || y >= height) continue;
      if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 > 1) continue;
      inside += 1;
      const i = (y * width + x) * 4;
      const r = data[i];
      const g = data[i + 1];
      const b = data[i + 2];
      const cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
      const cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
      if (cb >= 77 && cb <= 127 && cr >= 133 && cr <= 173) skin += 1;
    }
  return inside === 0 ? 0 : skin / inside;
}

/**
 * How many sides of the card guide have a document edge along them: for each side, the best
 * line within a band around it (±8% of the frame) where the gradient across the side is strong
 * over at least {@link MIN_SIDE_COVERAGE} of its length.
 * @param {Float32Array} grey
 * @param {number} width
 * @param {number} height
 */
export function documentSidesFound(grey, width, height) {
  const g = CARD_GUIDE;
  const x0 = Math.round(g.left * width);
  const x1 = Math.round((g.left + g.width) * width);
  const y0 = Math.round(g.top * height);
  const y1 = Math.round((g.top + g.height) * height);
  const bandX = Math.max(2, Math.round(0.08 * width));
  const bandY = Math.max(2, Math.round(0.08 * height));
  const at = (x, y) => grey[Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))];
  /** Best coverage of a horizontal outline near row `row`. */
  const horizontal = (row) => {
    let best = 0;
    for (let y = row - bandY; y <= row + bandY; y++) {
      if (y < 1 || y >= height - 1) continue;
      let strong = 0;
      for (let x = x0; x < x1; x++) if (Math.abs(at(x, y + 1) - at(x, y - 1)) >= EDGE_STRENGTH) strong += 1;
      best = Math.max(best, strong / Math.max(1, x1 - x0));
    }
    return best;
  };
  /** Best coverage of a vertical outline near column `column`. */
  const vertical = (column) => {
    let best = 0;
    for (let x = column - bandX; x <= column + bandX; x++) {
      if (x < 1 || x >= width - 1) continue;
      let strong = 0;
      for (let y = y0; y < y1; y++) if (Math.abs(at(x + 1, y) - at(x - 1, y)) >= EDGE_STRENGTH) strong += 1;
      best = Math.max(best, strong / Math.max(1, y1 - y0));
    }
    return best;
  };
  return [horizontal(y0), horizontal(y1), vertical(x0), vertical(x1)].filter((c) => c >= MIN_SIDE_COVERAGE).length;
}

/**
 * The hints for one captured frame, as reason codes, most important first.
 *
 * @param {Pixels} pixels the frame, at most about 640 px wide (the page scales it down first)
 * @param {'document' | 'selfie'} kind what the frame should show
 * @param {{ faces?: number, largestFaceShare?: number }} [faces] from the browser's FaceDetector, when it has one
 * @returns {string[]} e.g. `['BACKGROUND_TOO_DARK']`; empty when the frame looks fine
 * @example
 * precheckFrame(context.getImageData(0, 0, w, h), 'selfie'); // [] or ['NO_FACE_DETECTED']
 */
export function precheckFrame(pixels, kind, faces) {
  const { width, height } = pixels;
  const grey = luminance(pixels);
  const codes = [];
  // As the server judges it: a well-lit card or face in its guide is not too dark because the
  // table or the room around it is.
  const guide = kind === 'document' ? CARD_GUIDE : FACE_GUIDE;
  const exposure = Math.max(meanIn(grey, width, height), meanIn(grey, width, height, guide));
  if (exposure < DARK_MEAN_LUMINANCE) codes.push('BACKGROUND_TOO_DARK');
  if (laplacianVariance(grey, width, height) < BLUR_MIN_LAPLACIAN_VARIANCE) codes.push('PHOTO_TOO_BLURRY');
  if (kind === 'document') {
    if (documentSidesFound(grey, width, height) < 3) codes.push('DOCUMENT_NOT_FULLY_VISIBLE');
  } else if (faces && typeof faces.faces === 'number') {
    if (faces.faces === 0) codes.push('NO_FACE_DETECTED');
    else if (faces.faces > 1) codes.push('MULTIPLE_FACES');
    else if ((faces.largestFaceShare ?? 1) < 0.2) codes.push('FACE_TOO_SMALL');
  } else if (skinShareInOval(pixels) < MIN_SKIN_SHARE) {
    codes.push('NO_FACE_DETECTED');
  }
  return codes;
}
