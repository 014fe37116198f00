/**
 * `<data-dir>/runtime.json`: what a running local runtime serves (its process id, endpoints,
 * and the environment its functions get: table and bucket names, key ARNs), written at every
 * start, so operator commands (`kyc audit verify`, ...) can find the same data whether the
 * runtime is running or not.
 *
 * @example
 * ```ts
 * const manifest = readRuntimeManifest('.local-data');
 * manifest?.environment.AUDIT_TABLE;
 * ```
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalEndpoints } from './runtime-environment.ts';

export interface RuntimeManifest {
  readonly pid: number;
  readonly startedAt: string;
  /** Set when the runtime stopped cleanly (its servers are gone, even if its process lives on). */
  readonly stoppedAt?: string;
  readonly region: string;
  /** The API's base URL. */
  readonly apiUrl?: string;
  readonly endpoints: LocalEndpoints;
  readonly environment: Readonly<Record<string, string>>;
  /** Buckets with Object Lock and their default retention in days (commands on a stopped runtime enforce it too). */
  readonly objectLockedBuckets?: Readonly<Record<string, { readonly days: number }>>;
}

export const RUNTIME_MANIFEST = 'runtime.json';

export function writeRuntimeManifest(
  dataDir: string,
  input: {
    endpoints: LocalEndpoints;
    environment: Readonly<Record<string, string>>;
    region: string;
    apiUrl?: string;
    objectLockedBuckets?: Readonly<Record<string, { readonly days: number }>>;
  },
): void {
  const manifest: RuntimeManifest = { pid: process.pid, startedAt: new Date().toISOString(), ...input };
  const file = join(dataDir, RUNTIME_MANIFEST);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(temporary, file);
}

/** Records a clean stop, so commands start their own servers instead of calling stopped ones. */
export function markRuntimeStopped(dataDir: string): void {
  const manifest = readRuntimeManifest(dataDir);
  if (!manifest || manifest.pid !== process.pid) return;
  const file = join(dataDir, RUNTIME_MANIFEST);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ ...manifest, stoppedAt: new Date().toISOString() }, null, 2)}\n`);
  renameSync(temporary, file);
}

/** The manifest of the last runtime started on `dataDir`, or undefined when none ever ran there. */
export function readRuntimeManifest(dataDir: string): RuntimeManifest | undefined {
  const file = join(dataDir, RUNTIME_MANIFEST);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as RuntimeManifest;
}

/** True when the process that wrote the manifest is still alive (its servers are then up). */
export function isRuntimeAlive(manifest: RuntimeManifest): boolean {
  if (manifest.stoppedAt) return false;
  try {
    process.kill(manifest.pid, 0);
    return true;
  } catch {
    return false;
  }
}
