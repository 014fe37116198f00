/**
 * Offline face engine: face detection, head pose, liveness/anti-spoof scores and face embeddings with
 * `@vladmandic/human` on the tfjs WASM backend. Everything it needs (models, WASM binaries) ships in
 * `node_modules`; nothing is downloaded. Used by the local Rekognition server and by `kyc check`;
 * never in Lambda, where Rekognition is real. Good for a local stand-in, not for production decisions.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Config, FaceResult, Human, Tensor } from '@vladmandic/human';
import sharp from 'sharp';
import { FaceEngineImageError, FaceEngineLoadError } from './errors.ts';
import { installFileFetch } from './file-fetch.ts';
import { calibrateSimilarity } from './similarity.ts';

export { FaceEngineImageError, FaceEngineLoadError } from './errors.ts';
export { calibrateSimilarity, SIMILARITY_KNOTS } from './similarity.ts';

/** One face found by the engine. */
export interface EngineFace {
  box: { left: number; top: number; width: number; height: number } /* fractions of the image 0..1 */;
  confidence: number /* 0..1 */;
  embedding: number[];
  pose?: { roll: number; yaw: number; pitch: number } /* degrees */;
  occlusion?: { sunglasses?: number; mask?: number } /* 0..1 when detectable */;
  live?: number;
  real?: number /* 0..1 */;
}

/** Per-call options of {@link FaceEngine.detect}; the defaults suit face matching. */
export interface DetectOptions {
  /**
   * Compute the face embedding (the slowest model, ~3/4 of the time per face). When false,
   * `embedding` is an empty array; use it when only boxes, pose and liveness matter (quality gate).
   * (default: true)
   */
  readonly embeddings?: boolean;
}

/** The offline face engine. Obtain it with {@link loadFaceEngine}. */
export interface FaceEngine {
  detect(image: Uint8Array, options?: DetectOptions): Promise<EngineFace[]>;
  similarity(a: number[], b: number[]): number /* 0..100 */;
  /** Images analysed by the models so far (a remembered image is not analysed again). */
  analysedImages(): number;
}

/** Long side, in pixels, images are reduced to before detection (faces stay far above the minimum size). */
export const MAX_DETECT_SIDE = 1280;
/** Largest decoded image accepted, in pixels (guards against decompression bombs). */
export const MAX_INPUT_PIXELS = 50_000_000;
/** Most faces reported for one image. */
export const MAX_FACES = 10;

const DEGREES_PER_RADIAN = 180 / Math.PI;

let enginePromise: Promise<FaceEngine> | undefined;
let loadedHuman: Human | undefined;

/**
 * Tensors and bytes the loaded engine holds in the tfjs backend (models included), or undefined
 * before the engine is loaded. Constant between detections when nothing leaks.
 *
 * @example
 * const before = faceEngineMemory()?.tensors;
 */
export function faceEngineMemory(): { tensors: number; bytes: number } | undefined {
  if (!loadedHuman) return undefined;
  const { numTensors, numBytes } = loadedHuman.tf.memory();
  return { tensors: numTensors, bytes: numBytes };
}

/**
 * Loads the engine once per process (lazy; concurrent callers share the same load; a failed load is
 * retried by the next call). Takes about a second the first time; the first detection is slower while
 * the WASM kernels warm up.
 *
 * @example
 * const engine = await loadFaceEngine();
 * const [selfie] = await engine.detect(selfieBytes);
 * const [portrait] = await engine.detect(documentBytes);
 * if (selfie && portrait) console.log(engine.similarity(selfie.embedding, portrait.embedding)); // 0..100
 */
export function loadFaceEngine(): Promise<FaceEngine> {
  enginePromise ??= createEngine().catch((error: unknown) => {
    enginePromise = undefined;
    throw error;
  });
  return enginePromise;
}

/** Finds `node_modules/<pkg>` from this file's location, the way Node resolves packages. */
function packageDir(pkg: string): string {
  const require = createRequire(import.meta.url);
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const candidate = path.join(dir, pkg);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
  }
  throw new FaceEngineLoadError(`package ${pkg} is not installed`, pkg);
}

function humanConfig(): Partial<Config> {
  const noCache = { skipFrames: 0, skipTime: 0 };
  return {
    backend: 'wasm',
    wasmPath: pathToFileURL(path.join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist') + path.sep).href,
    modelBasePath: pathToFileURL(path.join(packageDir('@vladmandic/human'), 'models') + path.sep).href,
    debug: false,
    async: true,
    warmup: 'none',
    // Every image is independent: no result caching between "frames" as for video.
    cacheSensitivity: 0,
    filter: { enabled: false },
    face: {
      enabled: true,
      detector: { ...noCache, rotation: false, maxDetected: MAX_FACES, minConfidence: 0.5, iouThreshold: 0.1 },
      mesh: { enabled: true },
      iris: { enabled: false },
      description: { enabled: true, ...noCache },
      emotion: { enabled: false },
      antispoof: { enabled: true, ...noCache },
      liveness: { enabled: true, ...noCache },
    },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
  } as Partial<Config>;
}

async function createEngine(): Promise<FaceEngine> {
  installFileFetch();
  const humanDir = packageDir('@vladmandic/human');
  const config = humanConfig();
  let human: Human;
  try {
    // By file path: the package's exports map does not expose the node-wasm build.
    const require = createRequire(import.meta.url);
    const { Human: HumanClass } = require(path.join(humanDir, 'dist', 'human.node-wasm.js')) as {
      Human: new (config: Partial<Config>) => Human;
    };
    human = new HumanClass(config);
    await human.load();
  } catch (error) {
    throw new FaceEngineLoadError('could not load the face models', config.modelBasePath ?? humanDir, {
      cause: error,
    });
  }
  loadedHuman = human;
  return new HumanFaceEngine(human);
}

/** Decoded RGB pixels, already reduced to at most {@link MAX_DETECT_SIDE} on the long side. */
interface RgbImage {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

async function decodeRgb(image: Uint8Array): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(image, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' })
      .rotate() // honour EXIF orientation, as a person looking at the photo would
      .resize({ width: MAX_DETECT_SIDE, height: MAX_DETECT_SIDE, fit: 'inside', withoutEnlargement: true })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 colour channels, got ${info.channels}`);
    return { data, width: info.width, height: info.height };
  } catch (error) {
    throw new FaceEngineImageError('image could not be decoded', image.byteLength, { cause: error });
  }
}

const clamp01 = (value: number): number => Math.min(1, Math.max(0, value));

function toEngineFace(face: FaceResult): EngineFace {
  const [x = 0, y = 0, w = 0, h = 0] = face.boxRaw;
  const left = clamp01(x);
  const top = clamp01(y);
  const result: EngineFace = {
    box: { left, top, width: clamp01(x + w) - left, height: clamp01(y + h) - top },
    confidence: clamp01(face.score),
    embedding: face.embedding ? Array.from(face.embedding) : [],
  };
  const angle = face.rotation?.angle;
  if (angle) {
    result.pose = {
      roll: angle.roll * DEGREES_PER_RADIAN,
      yaw: angle.yaw * DEGREES_PER_RADIAN,
      pitch: angle.pitch * DEGREES_PER_RADIAN,
    };
  }
  // human has no sunglasses/mask model: `occlusion` stays undefined rather than guessed.
  if (typeof face.live === 'number') result.live = clamp01(face.live);
  if (typeof face.real === 'number') result.real = clamp01(face.real);
  return result;
}

/** Images whose faces are remembered (one verification's document, selfie and liveness frames, several times over). */
export const RECENT_IMAGES = 64;

/** A copy the caller may change without changing what is remembered. */
const copyFace = (face: EngineFace, withEmbedding: boolean): EngineFace => ({
  ...face,
  box: { ...face.box },
  embedding: withEmbedding ? [...face.embedding] : [],
  ...(face.pose ? { pose: { ...face.pose } } : {}),
  ...(face.occlusion ? { occlusion: { ...face.occlusion } } : {}),
});

class HumanFaceEngine implements FaceEngine {
  /** Detections run one at a time: one WASM backend, and human keeps per-call state. */
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * Faces of recently seen images by content (SHA-256), with or without embeddings. One upload
   * is looked at by several operations (the quality gate's DetectFaces, CompareFaces, the
   * duplicate search, the liveness comparison); the engine is deterministic, so each image is
   * analysed once. Least recently used first out.
   */
  private readonly recent = new Map<string, Promise<EngineFace[]>>();
  private analysed = 0;

  constructor(private readonly human: Human) {}

  analysedImages(): number {
    return this.analysed;
  }

  detect(image: Uint8Array, options: DetectOptions = {}): Promise<EngineFace[]> {
    const digest = createHash('sha256').update(image).digest('hex');
    const withEmbeddings = options.embeddings ?? true;
    // Faces with embeddings also answer a request without them.
    const keys = withEmbeddings ? [`${digest}:e`] : [`${digest}:e`, `${digest}:b`];
    for (const key of keys) {
      const known = this.recent.get(key);
      if (known) {
        this.recent.delete(key);
        this.recent.set(key, known);
        return known.then((faces) => faces.map((face) => copyFace(face, withEmbeddings)));
      }
    }
    const key = keys[keys.length - 1] as string;
    const run = this.queue.then(() => this.detectNow(image, options));
    this.queue = run.catch(() => undefined);
    this.recent.set(key, run);
    run.catch(() => this.recent.delete(key));
    while (this.recent.size > RECENT_IMAGES) this.recent.delete(this.recent.keys().next().value as string);
    return run.then((faces) => faces.map((face) => copyFace(face, withEmbeddings)));
  }

  similarity(a: number[], b: number[]): number {
    if (a.length === 0 || a.length !== b.length) return 0;
    return calibrateSimilarity(this.human.match.similarity(a, b));
  }

  private async detectNow(image: Uint8Array, options: DetectOptions): Promise<EngineFace[]> {
    this.analysed += 1;
    const { data, width, height } = await decodeRgb(image);
    const tensor: Tensor = this.human.tf.tensor(data, [1, height, width, 3], 'float32');
    try {
      const result = await this.human.detect(tensor, {
        face: { description: { enabled: options.embeddings ?? true } },
      } as Partial<Config>);
      if (result.error) throw new Error(`face detection failed: ${result.error}`);
      return result.face.map(toEngineFace).sort((p, q) => q.box.width * q.box.height - p.box.width * p.box.height);
    } finally {
      this.human.tf.dispose(tensor);
    }
  }
}
