/**
 * Where the face engine's packages are, for both of its threads: `index.ts` (the main thread,
 * which needs human's similarity function) and `engine-worker.ts` (which loads the models).
 * Nothing here loads a package.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { FaceEngineLoadError } from './errors.ts';

/** Most faces reported for one image. */
export const MAX_FACES = 10;

/** Finds `node_modules/<pkg>` from this file's location, the way Node resolves packages. */
export function packageDir(pkg: string): string {
  const require = createRequire(import.meta.url);
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const candidate = path.join(dir, pkg);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
  }
  throw new FaceEngineLoadError(`package ${pkg} is not installed`, pkg);
}

/**
 * Loads human's node-wasm build, by file path: the package's exports map does not expose it.
 *
 * @example
 * const { match } = requireHuman<{ match: { similarity(a: number[], b: number[]): number } }>();
 */
export function requireHuman<T>(): T {
  const require = createRequire(import.meta.url);
  return require(path.join(packageDir('@vladmandic/human'), 'dist', 'human.node-wasm.js')) as T;
}
