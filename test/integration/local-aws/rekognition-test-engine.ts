/**
 * A deterministic face engine for the local Rekognition tests: faces are registered per
 * image (by content hash), similarity is the cosine of the embeddings scaled to 0..100.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { EngineFace, FaceEngine } from '../../../local/aws/rekognition-server.ts';

const hashOf = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export class TestFaceEngine implements FaceEngine {
  private readonly faces = new Map<string, EngineFace[]>();
  private readonly gates = new Map<string, Promise<void>>();

  /** Makes detect() on this image wait until the returned function is called. */
  hold(image: Uint8Array): () => void {
    let release!: () => void;
    this.gates.set(hashOf(image), new Promise<void>((done) => (release = done)));
    return () => {
      this.gates.delete(hashOf(image));
      release();
    };
  }

  register(image: Uint8Array, faces: EngineFace[]): void {
    this.faces.set(hashOf(image), faces);
  }

  async detect(image: Uint8Array): Promise<EngineFace[]> {
    // Like a real engine, fail on bytes that do not decode.
    await sharp(image).metadata();
    await this.gates.get(hashOf(image));
    return this.faces.get(hashOf(image)) ?? [];
  }

  similarity(a: number[], b: number[]): number {
    const dot = a.reduce((sum, value, index) => sum + value * (b[index] ?? 0), 0);
    const norm = (v: number[]): number => Math.sqrt(v.reduce((sum, value) => sum + value * value, 0));
    return Math.max(0, (dot / (norm(a) * norm(b))) * 100);
  }
}

/** A distinct small JPEG (or PNG) per colour, with some texture so sharpness is measurable. */
export async function sampleImage(red: number, format: 'jpeg' | 'png' = 'jpeg'): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240">
    <rect width="100%" height="100%" fill="rgb(${red},120,90)"/>
    <circle cx="160" cy="110" r="60" fill="rgb(230,190,160)"/>
    <rect x="130" y="90" width="15" height="8" fill="black"/><rect x="175" y="90" width="15" height="8" fill="black"/>
  </svg>`;
  const image = sharp(Buffer.from(svg));
  return format === 'jpeg' ? image.jpeg().toBuffer() : image.png().toBuffer();
}

export const face = (embedding: number[], overrides: Partial<EngineFace> = {}): EngineFace => ({
  box: { left: 0.3, top: 0.2, width: 0.4, height: 0.5 },
  confidence: 0.99,
  embedding,
  pose: { roll: 1, yaw: -2, pitch: 3 },
  occlusion: { sunglasses: false, mask: 0.1 },
  live: 0.95,
  real: 0.9,
  ...overrides,
});
