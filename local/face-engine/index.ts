/**
 * Offline face engine: face detection, head pose, liveness/anti-spoof scores and face embeddings with
 * `@vladmandic/human` on the tfjs WASM backend. Everything it needs (models, WASM binaries) ships in
 * `node_modules`; nothing is downloaded. Used by the local Rekognition server and by `kyc check`;
 * never in Lambda, where Rekognition is real. Good for a local stand-in, not for production decisions.
 *
 * The models run in a worker thread (`engine-worker.ts`): about 150 ms an image for boxes and
 * scores, 400 ms with the embedding, of WASM that would otherwise hold the caller's event loop.
 * In the local runtime, where every server and function shares one process, the API, the other
 * functions and the workflow go on meanwhile, and the models get a core of their own. Images are
 * decoded and reduced here (sharp, in libvips' threads) and sent as pixels.
 */
import { Worker } from 'node:worker_threads';
// sharp is loaded by this thread before any worker exists: libvips must stay loaded for the process's life.
import sharp from 'sharp';
import type { DetectOptions, EngineFace as PortEngineFace } from '../aws/rekognition/face-engine-port.ts';
import { FaceEngineImageError, FaceEngineLoadError } from './errors.ts';
import { analysisParts, FaceMemory, type AnalysisParts } from './face-memory.ts';
import type { WorkerReply, WorkerRequest } from './engine-worker.ts';
import { requireHuman } from './packages.ts';
import { calibrateSimilarity } from './similarity.ts';

export { FaceEngineImageError, FaceEngineLoadError } from './errors.ts';
export { calibrateSimilarity, SIMILARITY_KNOTS } from './similarity.ts';
export { MAX_FACES } from './packages.ts';

/**
 * One face found by this engine: the local Rekognition's `EngineFace` (the port it implements),
 * with the parts this engine always estimates narrowed (full head pose, occlusion as scores).
 */
export interface EngineFace extends PortEngineFace {
  pose?: { roll: number; yaw: number; pitch: number } /* degrees */;
  occlusion?: { sunglasses?: number; mask?: number } /* 0..1 when detectable */;
}

/** Per-call options of {@link FaceEngine.detect}: the port's (the defaults suit face matching). */
export type { DetectOptions } from '../aws/rekognition/face-engine-port.ts';

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

/**
 * How long a worker asked something may answer nothing before it counts as stuck: it is stopped,
 * what it was asked fails with {@link FaceEngineLoadError} (the caller may retry), and the next
 * request starts a new worker. A detection takes well under a second and the first load a few
 * seconds, so only a worker that hangs gets there, and the function that asked is still well
 * within its own timeout to try again.
 */
export const WORKER_STALL_MS = 30_000;

/** Options of {@link startFaceEngine}: where the worker's entry is and when it counts as stuck. */
export interface FaceEngineOptions {
  /** The worker's entry module (default: `engine-worker.mjs` next to this file). */
  readonly workerUrl?: URL;
  /** (default {@link WORKER_STALL_MS}) */
  readonly stallMs?: number;
}

let enginePromise: Promise<WorkerFaceEngine> | undefined;

/**
 * Tensors and bytes the loaded engine holds in the tfjs backend (models included), or undefined
 * before the engine is loaded. Constant between detections when nothing leaks.
 *
 * @example
 * const before = (await faceEngineMemory())?.tensors;
 */
export async function faceEngineMemory(): Promise<{ tensors: number; bytes: number } | undefined> {
  if (!enginePromise) return undefined;
  return (await enginePromise).memory();
}

/**
 * Stops the engine's worker thread, if one runs (what a crash of the worker does): the requests it
 * was working on fail with {@link FaceEngineLoadError}, and the next request starts a new worker,
 * which loads the models again. The engine object and what it remembers stay.
 *
 * @example
 * await stopFaceEngineWorker();
 * await engine.detect(selfieBytes); // in a new worker
 */
export async function stopFaceEngineWorker(): Promise<void> {
  const engine = await enginePromise?.catch(() => undefined);
  await engine?.stopWorker();
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
  enginePromise ??= WorkerFaceEngine.start({}).catch((error: unknown) => {
    enginePromise = undefined;
    throw error;
  });
  return enginePromise;
}

/**
 * A separate engine with its own worker (tests: a worker entry that misbehaves, a short stall
 * limit); everything else shares the one {@link loadFaceEngine} loads. Stop it with `stop()`.
 *
 * @example
 * const engine = await startFaceEngine({ stallMs: 1_000 });
 * await engine.stop();
 */
export async function startFaceEngine(
  options: FaceEngineOptions,
): Promise<FaceEngine & { memory(): Promise<{ tensors: number; bytes: number }>; stop(): Promise<void> }> {
  const engine = await WorkerFaceEngine.start(options);
  return Object.assign(engine, { stop: () => engine.stopWorker() });
}

/** human's descriptor similarity (0..1): a pure function of its bundle, no models, no backend. */
type Similarity = (a: number[], b: number[]) => number;

let humanSimilarity: Similarity | undefined;

/**
 * human's similarity, loaded on the first comparison: requiring human's bundle (tfjs with it)
 * takes this thread about 0.3 s and 40 MB, which a caller that only detects (`kyc check`, the
 * quality gate's DetectFaces) never needs; the models themselves load in the worker.
 */
function similarityFunction(): Similarity {
  humanSimilarity ??= requireHuman<{ match: { similarity: Similarity } }>().match.similarity;
  return humanSimilarity;
}

/** Whether this thread has loaded human's bundle (for the similarity) yet. */
export function similarityLoaded(): boolean {
  return humanSimilarity !== undefined;
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

/** Images whose faces are remembered (one verification's document, selfie and liveness frames, several times over). */
export const RECENT_IMAGES = 64;

/**
 * A copy the caller may change without changing what is remembered, with only the parts asked
 * for (a remembered analysis may hold more).
 */
const copyFace = (face: EngineFace, parts: AnalysisParts): EngineFace => {
  const { live, real, ...rest } = face;
  return {
    ...rest,
    box: { ...face.box },
    embedding: parts.embeddings ? [...face.embedding] : [],
    ...(face.pose ? { pose: { ...face.pose } } : {}),
    ...(face.occlusion ? { occlusion: { ...face.occlusion } } : {}),
    ...(parts.liveness && live !== undefined ? { live } : {}),
    ...(parts.liveness && real !== undefined ? { real } : {}),
  };
};

type Pending = { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void };

class WorkerFaceEngine implements FaceEngine {
  /** Faces of recently seen images: each image is analysed once (see `FaceMemory`). */
  private readonly recent = new FaceMemory<EngineFace>(RECENT_IMAGES);
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private analysed = 0;
  /** The running worker; a worker that stops fails what it was asked, and the next request starts another. */
  private worker: Worker | undefined;
  /** When the worker last answered, or was first asked after being idle. */
  private lastProgress = 0;
  /** Checks, while the worker is asked something, that it still answers. */
  private watchdog: NodeJS.Timeout | undefined;

  private constructor(
    private readonly workerUrl: URL,
    private readonly stallMs: number,
  ) {}

  /** Starts the worker and loads the models in it. */
  static async start(options: FaceEngineOptions): Promise<WorkerFaceEngine> {
    const engine = new WorkerFaceEngine(
      options.workerUrl ?? new URL('./engine-worker.mjs', import.meta.url),
      options.stallMs ?? WORKER_STALL_MS,
    );
    try {
      await engine.memory();
    } catch (error) {
      await engine.worker?.terminate();
      throw error;
    }
    return engine;
  }

  private running(): Worker {
    if (this.worker) return this.worker;
    // None of this process's Node options: the entry registers what the worker needs itself.
    const worker = new Worker(this.workerUrl, { execArgv: [] });
    worker.on('message', (reply: WorkerReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      this.lastProgress = performance.now();
      if (this.pending.size === 0) this.idle(worker);
      waiting.resolve(reply);
    });
    const stopped = (error: FaceEngineLoadError): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.idle(worker);
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    this.stalled = () => {
      const seconds = (this.stallMs / 1000).toFixed(1);
      stopped(new FaceEngineLoadError(`the face engine's worker answered nothing for ${seconds} s`, 'worker'));
      void worker.terminate();
    };
    worker.on('error', (error) =>
      stopped(new FaceEngineLoadError(`the face engine's worker failed: ${error.message}`, 'worker', { cause: error })),
    );
    worker.on('exit', (code) =>
      stopped(new FaceEngineLoadError(`the face engine's worker stopped (exit code ${code})`, 'worker')),
    );
    // Kept alive only while it works (`request`): an idle engine never holds the process open.
    // After the listeners, which would take the reference back.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  /** Stops the running worker as stuck (set for each worker by `running`). */
  private stalled: () => void = () => undefined;

  /** Nothing asked any more: the worker no longer holds the process open, and nobody watches it. */
  private idle(worker: Worker): void {
    worker.unref();
    clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  /** Asked something after being idle: the worker holds the process open, and is watched. */
  private busy(worker: Worker): void {
    worker.ref();
    this.lastProgress = performance.now();
    this.watchdog ??= setInterval(
      () => {
        if (this.pending.size > 0 && performance.now() - this.lastProgress > this.stallMs) this.stalled();
      },
      Math.max(10, this.stallMs / 4),
    ).unref();
  }

  /** Stops the worker (tests: a worker that dies); the next request starts another. */
  async stopWorker(): Promise<void> {
    await this.worker?.terminate();
  }

  analysedImages(): number {
    return this.analysed;
  }

  detect(image: Uint8Array, options: DetectOptions = {}): Promise<EngineFace[]> {
    const wanted = analysisParts(options);
    return this.recent
      .recall(image, wanted, (parts) => this.detectNow(image, parts))
      .then((faces) => faces.map((face) => copyFace(face, wanted)));
  }

  similarity(a: number[], b: number[]): number {
    if (a.length === 0 || a.length !== b.length) return 0;
    return calibrateSimilarity(similarityFunction()(a, b));
  }

  /** The tfjs memory in the worker (tensors and bytes, models included). */
  async memory(): Promise<{ tensors: number; bytes: number }> {
    const reply = await this.request({ id: this.nextId++, kind: 'memory' });
    if ('memory' in reply) return reply.memory;
    throw new FaceEngineLoadError('the face engine did not report its memory', 'worker');
  }

  private async detectNow(image: Uint8Array, { embeddings, liveness }: AnalysisParts): Promise<EngineFace[]> {
    this.analysed += 1;
    const { data, width, height } = await decodeRgb(image);
    // A copy the worker owns (sharp's buffer may share its memory with others).
    const pixels = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
    const reply = await this.request(
      { id: this.nextId++, kind: 'detect', pixels, width, height, embeddings, liveness },
      [pixels],
    );
    if ('faces' in reply) return reply.faces;
    throw new Error('the face engine answered a detection without faces');
  }

  private request(request: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    const worker = this.running();
    return new Promise<WorkerReply>((resolve, reject) => {
      if (this.pending.size === 0) this.busy(worker);
      this.pending.set(request.id, { resolve, reject });
      worker.postMessage(request, transfer);
    }).then((reply) => {
      if (!('error' in reply)) return reply;
      if (reply.load) throw new FaceEngineLoadError(reply.error, reply.load.modelPath);
      throw new Error(reply.error);
    });
  }
}
