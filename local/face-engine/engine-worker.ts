/**
 * The face engine's worker thread: loads `@vladmandic/human` on the tfjs WASM backend and runs
 * the models on decoded pixels the main thread sends, one request at a time (one WASM backend,
 * and human keeps per-call state). Started by `index.ts` through `engine-worker.mjs`; nothing
 * here is imported by the main thread. Messages: {@link WorkerRequest} in, {@link WorkerReply}
 * out.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort } from 'node:worker_threads';
import type { Config, FaceResult, Human, Tensor } from '@vladmandic/human';
import { installFileFetch } from './file-fetch.ts';
import { MAX_FACES, packageDir, requireHuman } from './packages.ts';
import type { EngineFace } from './index.ts';

/** What the main thread asks. `pixels`: RGB, 3 bytes a pixel, row after row. */
export type WorkerRequest =
  | {
      readonly id: number;
      readonly kind: 'detect';
      readonly pixels: ArrayBuffer;
      readonly width: number;
      readonly height: number;
      readonly embeddings: boolean;
      /** Run the liveness and anti-spoofing models too. */
      readonly liveness: boolean;
    }
  | { readonly id: number; readonly kind: 'memory' };

/** What the worker answers: the faces, the tfjs memory, or why it could not. */
export type WorkerReply =
  | { readonly id: number; readonly faces: EngineFace[] }
  | { readonly id: number; readonly memory: { tensors: number; bytes: number } }
  | { readonly id: number; readonly error: string; readonly load?: { readonly modelPath: string } };

const DEGREES_PER_RADIAN = 180 / Math.PI;

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

const clamp01 = (value: number): number => Math.min(1, Math.max(0, value));

/**
 * The face's own box, as Rekognition's `BoundingBox` frames it (brow to chin, cheek to cheek): the
 * extent of the face mesh's points. human's detector box (`boxRaw`) is the square it crops for the
 * mesh, about 1.7 times as wide (hair and background included), so sizes measured against it
 * (a selfie's face fraction, blur relative to the face, a document portrait's size) came out about
 * half what they are. The detector box when there is no mesh.
 */
export function faceBox(face: Pick<FaceResult, 'boxRaw' | 'meshRaw'>): [number, number, number, number] {
  const points = face.meshRaw ?? [];
  if (points.length < 3) return face.boxRaw as [number, number, number, number];
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [px = 0, py = 0] of points) {
    minX = Math.min(minX, px);
    minY = Math.min(minY, py);
    maxX = Math.max(maxX, px);
    maxY = Math.max(maxY, py);
  }
  return [minX, minY, maxX - minX, maxY - minY];
}

function toEngineFace(face: FaceResult): EngineFace {
  const [x = 0, y = 0, w = 0, h = 0] = faceBox(face);
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

async function loadHuman(): Promise<Human> {
  installFileFetch();
  const { Human: HumanClass } = requireHuman<{ Human: new (config: Partial<Config>) => Human }>();
  const human = new HumanClass(humanConfig());
  await human.load();
  return human;
}

/** Side of the square an embedding is computed on, as a multiple of the face box's longer side. */
export const EMBEDDING_CROP_SCALE = 2.5;
/** Largest side of that square in pixels (a larger one is scaled down: the models take 256 px and less). */
export const EMBEDDING_CROP_MAX_SIDE = 512;

/**
 * The square around a face an embedding is computed on: centred on the face box, {@link
 * EMBEDDING_CROP_SCALE} times its longer side in pixels, as `[y1, x1, y2, x2]` fractions of the
 * image (past its edges where the face is near one: that part is black), and its side in pixels.
 *
 * Why: human crops the face it describes from a box that is square in the image's *fractions*,
 * so in a 16:9 camera frame the face reaches the description model squeezed to 56 % of its width
 * (and a passport page's portrait to 70 %). The same person then scored 43-77 between a selfie
 * and their own camera frame, and two different people up to 86; on square crops, 97-100 and at
 * most 44 (the ten sample people's selfies, passports and frames, `face-engine.test.ts`).
 */
export function squareAround(
  box: EngineFace['box'],
  width: number,
  height: number,
): { region: [number, number, number, number]; side: number } {
  const centreX = (box.left + box.width / 2) * width;
  const centreY = (box.top + box.height / 2) * height;
  const side = EMBEDDING_CROP_SCALE * Math.max(box.width * width, box.height * height, 1);
  return {
    region: [
      (centreY - side / 2) / height,
      (centreX - side / 2) / width,
      (centreY + side / 2) / height,
      (centreX + side / 2) / width,
    ],
    side,
  };
}

/** Every part set on each call: human keeps a call's settings for the calls after it. */
function parts(options: { description: boolean; liveness: boolean }): Partial<Config> {
  return {
    face: {
      description: { enabled: options.description },
      antispoof: { enabled: options.liveness },
      liveness: { enabled: options.liveness },
    },
  } as Partial<Config>;
}

const bySize = (p: EngineFace, q: EngineFace): number => q.box.width * q.box.height - p.box.width * p.box.height;

/**
 * The embedding of the face in `box`, computed on the square around it ({@link squareAround}):
 * the face found nearest the square's centre; empty when none is found there.
 */
async function squareEmbedding(human: Human, image: Tensor, width: number, height: number, box: EngineFace['box']) {
  const { region, side } = squareAround(box, width, height);
  const size = Math.max(64, Math.min(EMBEDDING_CROP_MAX_SIDE, Math.round(side)));
  const crop = human.tf.image.cropAndResize(image as never, [region], [0], [size, size], 'bilinear', 0) as Tensor;
  try {
    const result = await human.detect(crop, parts({ description: true, liveness: false }));
    if (result.error) throw new Error(`face description failed: ${result.error}`);
    const offCentre = (face: EngineFace): number =>
      Math.hypot(face.box.left + face.box.width / 2 - 0.5, face.box.top + face.box.height / 2 - 0.5);
    const centred = result.face.map(toEngineFace).sort((p, q) => offCentre(p) - offCentre(q))[0];
    return centred?.embedding ?? [];
  } finally {
    human.tf.dispose(crop);
  }
}

async function detect(human: Human, request: Extract<WorkerRequest, { kind: 'detect' }>): Promise<EngineFace[]> {
  const { width, height } = request;
  const tensor: Tensor = human.tf.tensor(new Uint8Array(request.pixels), [1, height, width, 3], 'float32');
  try {
    // Boxes, pose and the liveness scores from the image itself; embeddings from a square around
    // each face (see squareAround).
    const result = await human.detect(tensor, parts({ description: false, liveness: request.liveness }));
    if (result.error) throw new Error(`face detection failed: ${result.error}`);
    const faces = result.face.map(toEngineFace).sort(bySize);
    if (request.embeddings) {
      for (const face of faces) face.embedding = await squareEmbedding(human, tensor, width, height, face.box);
    }
    return faces;
  } finally {
    human.tf.dispose(tensor);
  }
}

const port = parentPort;
if (port) {
  let loading: Promise<Human> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const answer = async (request: WorkerRequest): Promise<WorkerReply> => {
    let human: Human;
    try {
      loading ??= loadHuman();
      human = await loading;
    } catch (error) {
      loading = undefined;
      let modelPath = '@vladmandic/human/models';
      try {
        modelPath = humanConfig().modelBasePath ?? modelPath;
      } catch {
        // The package itself is missing: the error says so.
      }
      return { id: request.id, error: `could not load the face models: ${String(error)}`, load: { modelPath } };
    }
    try {
      if (request.kind === 'memory') {
        const { numTensors, numBytes } = human.tf.memory();
        return { id: request.id, memory: { tensors: numTensors, bytes: numBytes } };
      }
      return { id: request.id, faces: await detect(human, request) };
    } catch (error) {
      return { id: request.id, error: error instanceof Error ? error.message : String(error) };
    }
  };
  port.on('message', (request: WorkerRequest) => {
    const run = queue.then(() => answer(request));
    queue = run;
    void run.then((reply) => port.postMessage(reply));
  });
}
