/**
 * Pure signal processing for the forensic watermark, on float luma planes (row-major, 0-255).
 * No I/O: the codec lives in `index.ts`.
 *
 * The mark is one small keyed tile (GRID x GRID cells of CELL_PX pixels) repeated over the whole
 * luma plane. The detector never needs the original image or its size:
 *
 *   image ──► whitened residual (image minus local mean, over local energy)
 *         ──► row / column autocorrelation: the repeated tile shows as peaks at its period
 *             (any scale between MIN_SCALE and MAX_SCALE; the peaks at 2, 3, 4 periods refine it)
 *         ──► fold every pixel onto one tile of that period (a crop only shifts the tile)
 *         ──► circular correlation of the folded tile with the keyed sync pattern: the peak gives
 *             the tile's offset and the sync score (a z-score: about N(0,1) on unmarked images)
 *         ──► payload chips read at that offset (soft values for the Viterbi decoder)
 */
import FFT from 'fft.js';
import { CELLS, GRID, type TileLayout } from './layout.ts';

/** Pixels per cell side at embedding. */
export const CELL_PX = 4;
/** Tile period in pixels at embedding. */
export const TILE_PX = GRID * CELL_PX;
/** Smallest and largest rescaling (relative to the marked image) the detector looks for. */
export const MIN_SCALE = 0.3;
export const MAX_SCALE = 2.5;

export interface Plane {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
}

/* ------------------------------------------------------------------ box filters */

/** Mean over the (2r+1)^2 box around each pixel, the box clipped to the image. */
export function boxMean(plane: Plane, radius: number): Float32Array {
  const { data, width, height } = plane;
  const stride = width + 1;
  const integral = new Float64Array(stride * (height + 1));
  for (let y = 0; y < height; y += 1) {
    let row = 0;
    for (let x = 0; x < width; x += 1) {
      row += data[y * width + x] as number;
      integral[(y + 1) * stride + x + 1] = (integral[y * stride + x + 1] as number) + row;
    }
  }
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y += 1) {
    const y0 = Math.max(0, y - radius);
    const y1 = Math.min(height, y + radius + 1);
    for (let x = 0; x < width; x += 1) {
      const x0 = Math.max(0, x - radius);
      const x1 = Math.min(width, x + radius + 1);
      const sum =
        (integral[y1 * stride + x1] as number) -
        (integral[y0 * stride + x1] as number) -
        (integral[y1 * stride + x0] as number) +
        (integral[y0 * stride + x0] as number);
      out[y * width + x] = sum / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}

/* ------------------------------------------------------------------ embedding */

/** Strength map settings. */
export interface StrengthOptions {
  /** Target root-mean-square change of luma (grey levels). */
  readonly targetRms: number;
  /** Largest change at any pixel. */
  readonly maxAmplitude: number;
  /** Largest gain (change per grey level of local texture): keeps smooth images clean. */
  readonly maxGain: number;
  /** Amplitude on flat areas when the texture alone carries the target. */
  readonly minFloor: number;
  /** Highest amplitude on flat areas, for images with almost no texture (flat renders). */
  readonly maxFloor: number;
}

export const DEFAULT_STRENGTH: StrengthOptions = {
  targetRms: 2.2,
  maxAmplitude: 6,
  maxGain: 1.2,
  minFloor: 0.5,
  maxFloor: 1.5,
};

/**
 * Local texture: root-mean-square of the fine detail (luma minus its 3x3 mean) over a 7x7
 * neighbourhood. Noise, hair, fabric and print are texture; smooth gradients and flat paint are
 * not, and those are where a pattern would show.
 */
export function localTexture(luma: Plane): Float32Array {
  const mean = boxMean(luma, 1);
  const detail = new Float32Array(luma.data.length);
  for (let i = 0; i < detail.length; i += 1) detail[i] = ((luma.data[i] as number) - (mean[i] as number)) ** 2;
  const energy = boxMean({ ...luma, data: detail }, 3);
  for (let i = 0; i < energy.length; i += 1) energy[i] = Math.sqrt(Math.max(0, energy[i] as number));
  return energy;
}

/** Texture below which a pixel counts as perfectly flat (a synthetic render, not a photo). */
const FLAT_TEXTURE = 0.25;

function bisect(low: number, high: number, tooStrong: (value: number) => boolean): number {
  let lo = low;
  let hi = high;
  for (let iteration = 0; iteration < 24; iteration += 1) {
    const mid = (lo + hi) / 2;
    if (tooStrong(mid)) hi = mid;
    else lo = mid;
  }
  return lo;
}

/** The mark's per-pixel amplitude, and the share of perfectly flat pixels it was judged on. */
export interface MarkStrength {
  readonly amplitude: Float32Array;
  /** Share (0..1) of pixels below the flat texture: about 0 on photographs, most of a rendered card. */
  readonly flatShare: number;
}

/** Flat share from which an image counts as a render (the floor has risen to `maxFloor`). */
export const RENDER_FLAT_SHARE = 0.5;

/**
 * Per-pixel amplitude of the mark: a floor plus a gain times the local texture (texture masks
 * the pattern), capped; the gain is lowered until the root-mean-square change meets `targetRms`.
 * The floor is `minFloor` on photographs; it rises to `maxFloor` on images that are mostly
 * perfectly flat (rendered documents), where text edges alone would not carry a mark through
 * re-encoding, so that such renders still carry a readable one.
 */
export function strengthMap(luma: Plane, options: StrengthOptions = DEFAULT_STRENGTH): MarkStrength {
  const texture = localTexture(luma);
  const rmsFor = (floor: number, gain: number): number => {
    let sum = 0;
    let count = 0;
    for (let i = 0; i < texture.length; i += 7) {
      sum += Math.min(options.maxAmplitude, floor + gain * (texture[i] as number)) ** 2;
      count += 1;
    }
    return Math.sqrt(sum / Math.max(1, count));
  };
  let flat = 0;
  for (let i = 0; i < texture.length; i += 7) if ((texture[i] as number) < FLAT_TEXTURE) flat += 1;
  const flatShare = flat / Math.ceil(texture.length / 7);
  const floor =
    options.minFloor +
    (options.maxFloor - options.minFloor) * Math.max(0, Math.min(1, (flatShare - 0.25) / (RENDER_FLAT_SHARE - 0.25)));
  const gain =
    rmsFor(floor, options.maxGain) > options.targetRms
      ? bisect(0, options.maxGain, (value) => rmsFor(floor, value) > options.targetRms)
      : options.maxGain;
  const out = new Float32Array(texture.length);
  for (let i = 0; i < out.length; i += 1)
    out[i] = Math.min(options.maxAmplitude, floor + gain * (texture[i] as number));
  return { amplitude: out, flatShare };
}

/** Cell values of the tile (+1 / -1) for a coded payload. */
export function tileCells(layout: TileLayout, coded: Uint8Array): Int8Array {
  const cells = new Int8Array(CELLS);
  for (let cell = 0; cell < CELLS; cell += 1) {
    const index = layout.codedIndex[cell] as number;
    cells[cell] =
      index < 0 ? (layout.sync[cell] as number) : (layout.spread[cell] as number) * (1 - 2 * (coded[index] as number));
  }
  return cells;
}

/** The mark to add to luma at each pixel: strength times the tile value, tile origin at (0, 0). */
export function markPlane(width: number, height: number, strength: Float32Array, cells: Int8Array): Float32Array {
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y += 1) {
    const rowCell = Math.floor((y % TILE_PX) / CELL_PX) * GRID;
    for (let x = 0; x < width; x += 1) {
      const cell = rowCell + Math.floor((x % TILE_PX) / CELL_PX);
      out[y * width + x] = (strength[y * width + x] as number) * (cells[cell] as number);
    }
  }
  return out;
}

/* ------------------------------------------------------------------ detection */

/**
 * The image content removed as well as a local filter can: luma minus its 5x5 mean, divided by
 * the local residual energy (so textured areas, where both the mark and the noise are strong,
 * weigh like flat ones) and clipped (so edges cannot dominate).
 */
export function whitenedResidual(luma: Plane): Plane {
  const mean = boxMean(luma, 2);
  const residual = new Float32Array(luma.data.length);
  for (let i = 0; i < residual.length; i += 1) residual[i] = (luma.data[i] as number) - (mean[i] as number);
  const energy = new Float32Array(residual.length);
  for (let i = 0; i < energy.length; i += 1) energy[i] = (residual[i] as number) ** 2;
  const localEnergy = boxMean({ ...luma, data: energy }, 4);
  for (let i = 0; i < residual.length; i += 1) {
    const value = (residual[i] as number) / Math.sqrt((localEnergy[i] as number) + 1);
    residual[i] = Math.max(-3, Math.min(3, value));
  }
  return { data: residual, width: luma.width, height: luma.height };
}

const ffts = new Map<number, FFT>();
function fftOfSize(size: number): FFT {
  let fft = ffts.get(size);
  if (!fft) {
    fft = new FFT(size);
    ffts.set(size, fft);
  }
  return fft;
}

function nextPowerOfTwo(n: number): number {
  let size = 1;
  while (size < n) size *= 2;
  return size;
}

/**
 * Mean autocorrelation of the lines (rows for `x`, columns for `y`) of `plane`, for lags
 * 0..length-1, each lag normalised by its overlap and the whole by lag 0 (so 1 at lag 0).
 * Computed with zero-padded FFTs (no wrap-around).
 */
export function lineAutocorrelation(plane: Plane, axis: 'x' | 'y'): Float64Array {
  const length = axis === 'x' ? plane.width : plane.height;
  const lines = axis === 'x' ? plane.height : plane.width;
  const size = Math.max(4, nextPowerOfTwo(2 * length));
  const fft = fftOfSize(size);
  const input = new Float64Array(size);
  const spectrum = new Float64Array(size * 2);
  const power = new Float64Array(size * 2);
  for (let line = 0; line < lines; line += 1) {
    input.fill(0);
    let mean = 0;
    for (let i = 0; i < length; i += 1) {
      const value = axis === 'x' ? plane.data[line * plane.width + i] : plane.data[i * plane.width + line];
      input[i] = value as number;
      mean += value as number;
    }
    mean /= length;
    for (let i = 0; i < length; i += 1) input[i] = (input[i] as number) - mean;
    fft.realTransform(spectrum, input);
    fft.completeSpectrum(spectrum);
    for (let k = 0; k < size; k += 1) {
      power[2 * k] = (power[2 * k] as number) + (spectrum[2 * k] as number) ** 2 + (spectrum[2 * k + 1] as number) ** 2;
    }
  }
  const result = new Float64Array(size * 2);
  fft.inverseTransform(result, power);
  const out = new Float64Array(length);
  for (let lag = 0; lag < length; lag += 1) out[lag] = (result[2 * lag] as number) / (length - lag);
  const zero = out[0] as number;
  if (zero > 0) for (let lag = 0; lag < length; lag += 1) out[lag] = (out[lag] as number) / zero;
  return out;
}

/** Autocorrelation minus its local median (peaks stand out of the image's own slow decay). */
export function detrend(autocorrelation: Float64Array): Float64Array {
  const out = new Float64Array(autocorrelation.length);
  const window: number[] = [];
  for (let lag = 0; lag < autocorrelation.length; lag += 1) {
    window.length = 0;
    for (let j = lag - 8; j <= lag + 8; j += 1) {
      if (Math.abs(j - lag) <= 1 || j < 1 || j >= autocorrelation.length) continue;
      window.push(autocorrelation[j] as number);
    }
    window.sort((a, b) => a - b);
    const median = window.length > 0 ? (window[window.length >> 1] as number) : 0;
    out[lag] = (autocorrelation[lag] as number) - median;
  }
  return out;
}

function peakNear(profile: Float64Array, target: number): number {
  const lag = Math.round(target);
  if (lag < 1 || lag + 1 >= profile.length) return Number.NaN;
  return Math.max(profile[lag] as number, profile[Math.floor(target)] as number, profile[Math.ceil(target)] as number);
}

/** Harmonic score of a period: its first few multiples should all be peaks. */
function harmonicScore(profile: Float64Array, period: number, limit: number): number {
  let sum = 0;
  let count = 0;
  for (let m = 1; m <= 4 && m * period <= limit; m += 1) {
    const value = peakNear(profile, m * period);
    if (Number.isNaN(value)) break;
    sum += value;
    count += 1;
  }
  return count === 0 ? Number.NEGATIVE_INFINITY : sum / Math.sqrt(count);
}

/** Sub-pixel position of the highest point of `profile` within `[from, to]` (parabola through the top). */
function subPixelPeak(profile: Float64Array, from: number, to: number): { position: number; value: number } | null {
  const start = Math.max(1, Math.floor(from));
  const end = Math.min(profile.length - 2, Math.ceil(to));
  if (end < start) return null;
  let best = start;
  for (let lag = start; lag <= end; lag += 1) if ((profile[lag] as number) > (profile[best] as number)) best = lag;
  const left = profile[best - 1] as number;
  const centre = profile[best] as number;
  const right = profile[best + 1] as number;
  const denominator = left - 2 * centre + right;
  const shift = denominator < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (left - right)) / denominator)) : 0;
  return { position: best + shift, value: centre };
}

/** Period estimate on one axis near `period`, refined on its multiples (longer lags are more precise). */
export function refinePeriod(profile: Float64Array, period: number, limit: number): number {
  let weighted = 0;
  let weights = 0;
  for (let m = 1; m <= 6 && m * period <= limit; m += 1) {
    const target = m * period;
    const slack = 1.5 + 0.01 * target;
    const peak = subPixelPeak(profile, target - slack, target + slack);
    if (!peak || peak.value <= 0) continue;
    const estimate = peak.position / m;
    if (Math.abs(estimate / period - 1) > 0.012) continue;
    weighted += m * estimate;
    weights += m;
  }
  return weights > 0 ? weighted / weights : period;
}

export interface PeriodCandidate {
  readonly periodX: number;
  readonly periodY: number;
  readonly score: number;
}

/**
 * Candidate tile periods (pixels, per axis), best first: local maxima of the summed harmonic
 * scores of both axes, each refined on each axis separately.
 */
export function periodCandidates(residual: Plane, count: number): PeriodCandidate[] {
  const profileX = detrend(lineAutocorrelation(residual, 'x'));
  const profileY = detrend(lineAutocorrelation(residual, 'y'));
  const limitX = Math.floor(residual.width * 0.6);
  const limitY = Math.floor(residual.height * 0.6);
  const minPeriod = Math.max(8, TILE_PX * MIN_SCALE);
  const maxPeriod = Math.min(TILE_PX * MAX_SCALE, limitX / 1.5, limitY / 1.5);
  const grid: { period: number; score: number }[] = [];
  for (let period = minPeriod; period <= maxPeriod; period += 0.25) {
    grid.push({ period, score: harmonicScore(profileX, period, limitX) + harmonicScore(profileY, period, limitY) });
  }
  const maxima = grid.filter((point, i) => {
    const left = grid[i - 1]?.score ?? Number.NEGATIVE_INFINITY;
    const right = grid[i + 1]?.score ?? Number.NEGATIVE_INFINITY;
    return point.score >= left && point.score > right;
  });
  maxima.sort((a, b) => b.score - a.score);
  const chosen: { period: number; score: number }[] = [];
  for (const point of maxima) {
    if (chosen.length >= count) break;
    if (chosen.some((other) => Math.abs(other.period / point.period - 1) < 0.02)) continue;
    chosen.push(point);
  }
  return chosen.map((point) => ({
    periodX: refinePeriod(profileX, point.period, limitX),
    periodY: refinePeriod(profileY, point.period, limitY),
    score: point.score,
  }));
}

/** Folded tile: the mean residual per bin, `bins` x `bins` bins per tile period. */
export interface FoldedTile {
  readonly bins: number;
  readonly values: Float64Array;
}

/** Folds every pixel onto one tile of period (`periodX`, `periodY`) pixels. */
export function fold(residual: Plane, periodX: number, periodY: number, binsPerCell: number): FoldedTile {
  const bins = GRID * binsPerCell;
  const columnBin = new Int32Array(residual.width);
  for (let x = 0; x < residual.width; x += 1) {
    const phase = (x + 0.5) / periodX;
    columnBin[x] = Math.min(bins - 1, Math.floor((phase - Math.floor(phase)) * bins));
  }
  const sums = new Float64Array(bins * bins);
  const counts = new Float64Array(bins * bins);
  for (let y = 0; y < residual.height; y += 1) {
    const phase = (y + 0.5) / periodY;
    const rowBase = Math.min(bins - 1, Math.floor((phase - Math.floor(phase)) * bins)) * bins;
    const offset = y * residual.width;
    for (let x = 0; x < residual.width; x += 1) {
      const bin = rowBase + (columnBin[x] as number);
      sums[bin] = (sums[bin] as number) + (residual.data[offset + x] as number);
      counts[bin] = (counts[bin] as number) + 1;
    }
  }
  for (let i = 0; i < sums.length; i += 1)
    if ((counts[i] as number) > 0) sums[i] = (sums[i] as number) / (counts[i] as number);
  return { bins, values: sums };
}

/** In-place 2-D FFT of an n x n complex array (interleaved re, im), n a power of two. */
function fft2d(data: Float64Array, n: number, inverse: boolean): Float64Array {
  const fft = fftOfSize(n);
  const line = new Float64Array(n * 2);
  const out = new Float64Array(n * 2);
  const pass = (rows: boolean): void => {
    for (let a = 0; a < n; a += 1) {
      for (let b = 0; b < n; b += 1) {
        const index = rows ? a * n + b : b * n + a;
        line[2 * b] = data[2 * index] as number;
        line[2 * b + 1] = data[2 * index + 1] as number;
      }
      if (inverse) fft.inverseTransform(out, line);
      else fft.transform(out, line);
      for (let b = 0; b < n; b += 1) {
        const index = rows ? a * n + b : b * n + a;
        data[2 * index] = out[2 * b] as number;
        data[2 * index + 1] = out[2 * b + 1] as number;
      }
    }
  };
  pass(true);
  pass(false);
  return data;
}

/** Spectrum of the sync pattern drawn at `binsPerCell` bins per cell (cached per layout). */
const syncSpectra = new WeakMap<TileLayout, Map<number, Float64Array>>();
function syncSpectrum(layout: TileLayout, binsPerCell: number): Float64Array {
  let perLayout = syncSpectra.get(layout);
  if (!perLayout) {
    perLayout = new Map();
    syncSpectra.set(layout, perLayout);
  }
  let spectrum = perLayout.get(binsPerCell);
  if (!spectrum) {
    const bins = GRID * binsPerCell;
    spectrum = new Float64Array(bins * bins * 2);
    for (let row = 0; row < bins; row += 1) {
      for (let column = 0; column < bins; column += 1) {
        const cell = Math.floor(row / binsPerCell) * GRID + Math.floor(column / binsPerCell);
        spectrum[2 * (row * bins + column)] = layout.sync[cell] as number;
      }
    }
    fft2d(spectrum, bins, false);
    perLayout.set(binsPerCell, spectrum);
  }
  return spectrum;
}

const syncCounts = new WeakMap<TileLayout, number>();
function countSync(layout: TileLayout): number {
  let count = syncCounts.get(layout);
  if (count === undefined) {
    count = layout.sync.reduce((sum, value) => sum + (value !== 0 ? 1 : 0), 0);
    syncCounts.set(layout, count);
  }
  return count;
}

/** Where the tile starts in the folded tile, and how sure we are. */
export interface SyncMatch {
  /** Normalised correlation with the sync pattern at the tile origin (about N(0,1) when unmarked). */
  readonly score: number;
  /** Cell values (zero mean, unit root-mean-square) in tile order, tile origin aligned. */
  readonly cells: Float64Array;
}

/** Peaks of the bin-level correlation examined exactly (cell sums at their sub-cell phase). */
const PEAKS_EXAMINED = 6;

/** Indices of the `count` largest real parts of an interleaved complex array (linear scan). */
function topIndices(values: Float64Array, length: number, count: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < length; i += 1) {
    const value = values[2 * i] as number;
    if (top.length === count && value <= (values[2 * (top[count - 1] as number)] as number)) continue;
    let position = top.length;
    while (position > 0 && (values[2 * (top[position - 1] as number)] as number) < value) position -= 1;
    top.splice(position, 0, i);
    if (top.length > count) top.length = count;
  }
  return top;
}

/**
 * Finds the tile origin in a folded tile. One circular correlation (FFT) of the folded bins with
 * the sync pattern drawn at bin resolution gives every offset at once; the highest few are then
 * scored exactly: the bins summed into cells at that sub-cell phase, normalised to zero mean and
 * unit root-mean-square, and correlated with the sync signs at that cell shift, divided by the
 * square root of the number of sync cells. For a fixed image and random keyed signs that score
 * has mean 0 and variance 1, so it reads as a z-score.
 */
export function matchSync(folded: FoldedTile, layout: TileLayout): SyncMatch {
  const { bins } = folded;
  const k = bins / GRID;
  const spectrum = syncSpectrum(layout, k);
  let mean = 0;
  for (let i = 0; i < folded.values.length; i += 1) mean += folded.values[i] as number;
  mean /= folded.values.length;
  const work = new Float64Array(bins * bins * 2);
  for (let i = 0; i < folded.values.length; i += 1) work[2 * i] = (folded.values[i] as number) - mean;
  fft2d(work, bins, false);
  for (let i = 0; i < bins * bins; i += 1) {
    const fr = work[2 * i] as number;
    const fi = work[2 * i + 1] as number;
    const sr = spectrum[2 * i] as number;
    const si = -(spectrum[2 * i + 1] as number);
    work[2 * i] = fr * sr - fi * si;
    work[2 * i + 1] = fr * si + fi * sr;
  }
  fft2d(work, bins, true);
  const offsets = topIndices(work, bins * bins, PEAKS_EXAMINED);
  let best: SyncMatch = { score: Number.NEGATIVE_INFINITY, cells: new Float64Array(CELLS) };
  const grid = new Float64Array(CELLS);
  const syncCount = Math.sqrt(countSync(layout));
  for (const offset of offsets) {
    const offsetY = Math.floor(offset / bins);
    const offsetX = offset % bins;
    // cells[c] = sum of the k x k bins of cell c when the tile starts at (offsetY, offsetX)
    grid.fill(0);
    for (let row = 0; row < bins; row += 1) {
      const cellRow = Math.floor(((((row - offsetY) % bins) + bins) % bins) / k) * GRID;
      for (let column = 0; column < bins; column += 1) {
        const cell = cellRow + Math.floor(((((column - offsetX) % bins) + bins) % bins) / k);
        grid[cell] = (grid[cell] as number) + (folded.values[row * bins + column] as number);
      }
    }
    let cellMean = 0;
    for (let cell = 0; cell < CELLS; cell += 1) cellMean += grid[cell] as number;
    cellMean /= CELLS;
    let energy = 0;
    for (let cell = 0; cell < CELLS; cell += 1) energy += ((grid[cell] as number) - cellMean) ** 2;
    const rms = Math.sqrt(energy / CELLS);
    if (rms === 0) continue;
    const cells = grid.map((value) => (value - cellMean) / rms);
    let correlation = 0;
    for (let cell = 0; cell < CELLS; cell += 1) correlation += (cells[cell] as number) * (layout.sync[cell] as number);
    const score = correlation / syncCount;
    if (score > best.score) best = { score, cells };
  }
  return best;
}

/** Soft values of the coded bits (positive: 0) from aligned cell values. */
export function codedSoftValues(cells: Float64Array, layout: TileLayout): Float64Array {
  const soft = new Float64Array(layout.codedBits);
  for (let cell = 0; cell < CELLS; cell += 1) {
    const index = layout.codedIndex[cell] as number;
    if (index < 0) continue;
    soft[index] = (soft[index] as number) + (cells[cell] as number) * (layout.spread[cell] as number);
  }
  return soft;
}
