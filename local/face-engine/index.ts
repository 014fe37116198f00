/**
 * Offline face engine for the local mode: face detection, embeddings and similarity with
 * `@vladmandic/human` on the TensorFlow.js WASM backend. It stands in for Amazon Rekognition in
 * the local Rekognition server and in `kyc check`; it is never used in Lambda, where Rekognition
 * is real. Nothing is downloaded: models ship in the human package, the WASM binaries in
 * `@tensorflow/tfjs-backend-wasm`.
 *
 * Measured on the face-api sample photos: ~300 ms to load, ~150 ms per single-face image; the raw
 * cosine-like similarity of human's embeddings is 0.8-1.0 for the same person and at most 0.56
 * (median 0.32) for different people. `similarity` maps that to a 0-100 scale on which
 * CompareFaces-like thresholds behave (see {@link toCompareFacesScale}).
 *
 * @example
 * ```ts
 * const engine = await loadFaceEngine();
 * const [a] = await engine.detect(selfieBytes);
 * const [b] = await engine.detect(portraitBytes);
 * if (a && b && engine.similarity(a.embedding, b.embedding) >= 95) console.log('same person');
 * ```
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp, { type OutputInfo } from 'sharp';

/** One face found by the engine. */
export interface EngineFace {
  /** Face box as fractions (0..1) of the image width and height. */
  box: { left: number; top: number; width: number; height: number };
  /** Detection confidence, 0..1. */
  confidence: number;
  /** Face descriptor (1024 floats from human's faceres model); compare with `similarity`. */
  embedding: number[];
  /** Head pose in degrees, when the face mesh could be fitted. */
  pose?: { roll: number; yaw: number; pitch: number };
  /** Occlusion scores 0..1 when detectable (eye-region darkness relative to the cheeks for sunglasses). */
  occlusion?: { sunglasses?: number; mask?: number };
  /** human's liveness model score, 0..1. */
  live?: number;
  /** human's anti-spoofing model score (real face rather than a photo of a photo), 0..1. */
  real?: number;
}

/** Face detection and comparison, the subset of Rekognition the local mode needs. */
export interface FaceEngine {
  /** Detects every face in a JPEG or PNG; throws a {@link FaceEngineImageError} when the bytes are no image. */
  detect(image: Uint8Array): Promise<EngineFace[]>;
  /** Similarity of two embeddings on Rekognition's CompareFaces scale, 0..100. */
  similarity(a: number[], b: number[]): number;
}

/** The image given to the face engine could not be decoded. */
export class FaceEngineImageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FaceEngineImageError';
  }
}

/** The face engine could not start (models or WASM binaries missing or unreadable). */
export class FaceEngineLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FaceEngineLoadError';
  }
}

/** Longest side images are scaled down to before detection; faces stay well above the detector's input size. */
const MAX_DETECT_SIDE = 1600;

/**
 * Maps human's raw embedding similarity (0..1) to Rekognition's 0..100 CompareFaces scale.
 *
 * Piecewise linear through measured anchors so that the usual thresholds keep their meaning:
 * ```
 *   raw:    0 ........ 0.56 (max different people) .. 0.70 ....... 0.80 (min same person) .. 1
 *   scaled: 0 ........ 40 ............................ 80 ........... 95 ....................... 100
 * ```
 * Different people (raw <= 0.56) therefore stay below 40, far under the reject threshold 80;
 * the band 0.70-0.80 between the populations maps to 80-95 (manual review with the default
 * thresholds) and a clear same-person match (>= 0.80) scores 95 or more.
 */
export function toCompareFacesScale(raw: number): number {
  if (!Number.isFinite(raw) || raw <= 0) return 0;
  const anchors: ReadonlyArray<readonly [number, number]> = [
    [0, 0],
    [0.56, 40],
    [0.7, 80],
    [0.8, 95],
    [1, 100],
  ];
  for (let i = 1; i < anchors.length; i++) {
    const [x1, y1] = anchors[i] as readonly [number, number];
    const [x0, y0] = anchors[i - 1] as readonly [number, number];
    if (raw <= x1) return Math.round((y0 + ((raw - x0) / (x1 - x0)) * (y1 - y0)) * 100) / 100;
  }
  return 100;
}

/** Minimal surface of the human library we use (its bundled typings are not importable by path). */
interface HumanResultFace {
  box: [number, number, number, number];
  boxRaw: [number, number, number, number];
  score: number;
  boxScore?: number;
  faceScore?: number;
  embedding?: number[];
  rotation?: { angle?: { roll: number; yaw: number; pitch: number } } | null;
  mesh?: Array<[number, number, number?]>;
  annotations?: Record<string, Array<[number, number, number?]>>;
  real?: number;
  live?: number;
}
interface HumanTensor {
  dispose(): void;
}
interface HumanInstance {
  tf: {
    tensor(values: Uint8Array | Int32Array, shape: number[], dtype: string): HumanTensor;
    dispose(t: HumanTensor): void;
  };
  load(): Promise<void>;
  warmup?(): Promise<unknown>;
  detect(input: HumanTensor): Promise<{ face: HumanResultFace[]; error?: string | null }>;
  match: { similarity(a: number[], b: number[], options?: Record<string, number>): number };
}

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  // Resolve the package.json (always present) rather than the entry point: human's exports map is broken.
  const candidates = require.resolve.paths(name) ?? [];
  for (const base of candidates) {
    const dir = path.join(base, name);
    try {
      require.resolve(path.join(dir, 'package.json'));
      return dir;
    } catch {
      // try the next candidate
    }
  }
  throw new FaceEngineLoadError(`package ${name} is not installed`);
}

let fetchPatched = false;

/** Node's fetch cannot read file:// URLs; tfjs loads models through fetch, so serve those from disk. */
function patchFetchForFileUrls(): void {
  if (fetchPatched) return;
  fetchPatched = true;
  const original = globalThis.fetch.bind(globalThis);
  globalThis.fetch = async function fetchWithFileUrls(input: Parameters<typeof fetch>[0], init?: RequestInit) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith('file://')) return original(input, init);
    try {
      const body = await readFile(fileURLToPath(url));
      const type = url.endsWith('.json') ? 'application/json' : 'application/octet-stream';
      return new Response(body, { status: 200, headers: { 'content-type': type } });
    } catch {
      return new Response('not found', { status: 404 });
    }
  } as typeof fetch;
}

async function createEngine(): Promise<FaceEngine> {
  const humanDir = packageDir('@vladmandic/human');
  const wasmDir = path.join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist');
  patchFetchForFileUrls();
  let human: HumanInstance;
  try {
    const module = require(path.join(humanDir, 'dist', 'human.node-wasm.js')) as {
      Human?: new (config: object) => HumanInstance;
      default?: new (config: object) => HumanInstance;
    };
    const Human = module.Human ?? module.default;
    if (!Human) throw new Error('human.node-wasm.js exports no Human class');
    human = new Human({
      backend: 'wasm',
      // The emscripten loader in Node reads the binary with fs, so a plain directory path works.
      wasmPath: wasmDir + path.sep,
      wasmPlatformFetch: false,
      modelBasePath: pathToFileURL(path.join(humanDir, 'models') + path.sep).href,
      debug: false,
      async: true,
      warmup: 'none',
      cacheSensitivity: 0,
      filter: { enabled: false },
      face: {
        enabled: true,
        detector: { rotation: true, maxDetected: 10, minConfidence: 0.5, return: false },
        mesh: { enabled: true },
        iris: { enabled: false },
        attention: { enabled: false },
        description: { enabled: true },
        emotion: { enabled: false },
        antispoof: { enabled: true },
        liveness: { enabled: true },
      },
      body: { enabled: false },
      hand: { enabled: false },
      object: { enabled: false },
      gesture: { enabled: false },
      segmentation: { enabled: false },
    });
    await human.load();
  } catch (error) {
    if (error instanceof FaceEngineLoadError) throw error;
    throw new FaceEngineLoadError(`face engine failed to load: ${(error as Error).message}`, { cause: error });
  }

  let queue: Promise<unknown> = Promise.resolve();
  /** The WASM backend is single-threaded and stateful: run detections one at a time. */
  function serialised<T>(task: () => Promise<T>): Promise<T> {
    const next = queue.then(task, task);
    queue = next.catch(() => undefined);
    return next;
  }

  async function detectOnce(image: Uint8Array): Promise<EngineFace[]> {
    let decoded: { data: Buffer; info: OutputInfo };
    try {
      decoded = await sharp(image, { limitInputPixels: 100_000_000, failOn: 'error' })
        .rotate()
        .resize(MAX_DETECT_SIDE, MAX_DETECT_SIDE, { fit: 'inside', withoutEnlargement: true })
        .removeAlpha()
        .toColourspace('srgb')
        .raw()
        .toBuffer({ resolveWithObject: true });
    } catch (error) {
      throw new FaceEngineImageError(`image could not be decoded: ${(error as Error).message}`, { cause: error });
    }
    const { width, height, channels } = decoded.info;
    if (channels !== 3) throw new FaceEngineImageError(`expected 3 colour channels, got ${channels}`);
    const tensor = human.tf.tensor(new Int32Array(decoded.data), [1, height, width, 3], 'int32');
    try {
      const result = await human.detect(tensor);
      if (result.error) throw new FaceEngineImageError(`face detection failed: ${result.error}`);
      return result.face
        .filter((face) => Array.isArray(face.embedding) && face.embedding.length > 0)
        .map((face) => toEngineFace(face, decoded.data, width, height));
    } finally {
      human.tf.dispose(tensor);
    }
  }

  return {
    detect: (image) => serialised(() => detectOnce(image)),
    similarity: (a, b) => {
      if (a.length === 0 || a.length !== b.length) return 0;
      return toCompareFacesScale(human.match.similarity(a, b));
    },
  };
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

function toEngineFace(face: HumanResultFace, rgb: Buffer, width: number, height: number): EngineFace {
  const [x, y, w, h] = face.boxRaw;
  const left = clamp01(x);
  const top = clamp01(y);
  const out: EngineFace = {
    box: { left, top, width: clamp01(x + w) - left, height: clamp01(y + h) - top },
    confidence: clamp01(face.boxScore ?? face.score),
    embedding: Array.from(face.embedding ?? []),
  };
  const angle = face.rotation?.angle;
  if (angle) {
    const deg = (rad: number): number => Math.round(((rad * 180) / Math.PI) * 10) / 10;
    out.pose = { roll: deg(angle.roll), yaw: deg(angle.yaw), pitch: deg(angle.pitch) };
  }
  const sunglasses = sunglassesScore(face.annotations, rgb, width, height);
  if (sunglasses !== undefined) out.occlusion = { sunglasses };
  if (typeof face.live === 'number') out.live = clamp01(face.live);
  if (typeof face.real === 'number') out.real = clamp01(face.real);
  return out;
}

/**
 * Sunglasses heuristic: human has no sunglasses model, so compare the luminance inside both eye
 * outlines of the face mesh with the cheeks. Dark lenses make the eyes far darker than the skin
 * around them (ratio well under 0.45); open eyes with dark irises stay around 0.6-0.9. The score is
 * 0 at a ratio of 0.6 and rises to 1 at 0.2. Returns undefined when the mesh has no eye landmarks.
 */
function sunglassesScore(
  annotations: HumanResultFace['annotations'],
  rgb: Buffer,
  width: number,
  height: number,
): number | undefined {
  if (!annotations) return undefined;
  const eyes = [...(annotations['leftEyeLower0'] ?? []), ...(annotations['leftEyeUpper0'] ?? [])];
  const eyes2 = [...(annotations['rightEyeLower0'] ?? []), ...(annotations['rightEyeUpper0'] ?? [])];
  const leftCheek = annotations['leftCheek']?.[0];
  const rightCheek = annotations['rightCheek']?.[0];
  if (eyes.length < 4 || eyes2.length < 4 || !leftCheek || !rightCheek) return undefined;
  const meanBox = (points: Array<[number, number, number?]>): number => {
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    return meanLuma(rgb, width, height, Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys));
  };
  const eyeLuma = (meanBox(eyes) + meanBox(eyes2)) / 2;
  const cheekRadius = Math.max(3, Math.abs(rightCheek[0] - leftCheek[0]) * 0.06);
  const cheekLuma =
    (meanLuma(
      rgb,
      width,
      height,
      leftCheek[0] - cheekRadius,
      leftCheek[1] - cheekRadius,
      leftCheek[0] + cheekRadius,
      leftCheek[1] + cheekRadius,
    ) +
      meanLuma(
        rgb,
        width,
        height,
        rightCheek[0] - cheekRadius,
        rightCheek[1] - cheekRadius,
        rightCheek[0] + cheekRadius,
        rightCheek[1] + cheekRadius,
      )) /
    2;
  if (!(cheekLuma > 0)) return undefined;
  const ratio = eyeLuma / cheekLuma;
  return Math.round(clamp01((0.6 - ratio) / 0.4) * 1000) / 1000;
}

function meanLuma(rgb: Buffer, width: number, height: number, x0: number, y0: number, x1: number, y1: number): number {
  const left = Math.max(0, Math.floor(x0));
  const top = Math.max(0, Math.floor(y0));
  const right = Math.min(width - 1, Math.ceil(x1));
  const bottom = Math.min(height - 1, Math.ceil(y1));
  let sum = 0;
  let count = 0;
  for (let y = top; y <= bottom; y++) {
    for (let x = left; x <= right; x++) {
      const i = (y * width + x) * 3;
      sum += 0.299 * (rgb[i] ?? 0) + 0.587 * (rgb[i + 1] ?? 0) + 0.114 * (rgb[i + 2] ?? 0);
      count++;
    }
  }
  return count > 0 ? sum / count : 0;
}

let engine: Promise<FaceEngine> | undefined;

/**
 * Returns the process-wide face engine, loading it on first use (~300 ms). A failed load is not
 * cached, so a later call retries.
 */
export function loadFaceEngine(): Promise<FaceEngine> {
  if (!engine) {
    engine = createEngine().catch((error: unknown) => {
      engine = undefined;
      throw error;
    });
  }
  return engine;
}
