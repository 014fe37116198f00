/**
 * The running runtime of a data folder, as operator commands (`kyc watermark trace`) use it:
 * read from `<data-dir>/runtime.json` (`runtime-manifest.ts`), and only while that runtime is
 * alive, so commands call its servers instead of opening DynamoDB Local's files a second time.
 *
 * @example
 * ```ts
 * const state = readRuntimeState('.local-data'); // undefined when no runtime is running there
 * ```
 */
import type { LocalEndpoints } from './runtime-environment.ts';
import { isRuntimeAlive, readRuntimeManifest } from './runtime-manifest.ts';

export interface RuntimeState {
  readonly pid: number;
  readonly apiUrl: string | undefined;
  readonly region: string;
  readonly endpoints: LocalEndpoints;
  /** Resource variables (`ENV` names: tables, buckets, key ARNs). */
  readonly resources: Readonly<Record<string, string>>;
}

/** The state of a runtime running on `dataDir`, or `undefined` when none is (a stale file is ignored). */
export function readRuntimeState(dataDir: string): RuntimeState | undefined {
  let manifest;
  try {
    manifest = readRuntimeManifest(dataDir);
  } catch {
    return undefined;
  }
  if (!manifest || !isRuntimeAlive(manifest)) return undefined;
  return {
    pid: manifest.pid,
    apiUrl: manifest.apiUrl,
    region: manifest.region,
    endpoints: manifest.endpoints,
    resources: manifest.environment,
  };
}
