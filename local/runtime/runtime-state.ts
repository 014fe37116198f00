/**
 * `<data-dir>/runtime.json`: written by a running `kyc local` (endpoints of its local servers,
 * resource names and key ARNs, its process id) and removed when it stops, so operator commands
 * (`kyc watermark trace`) read the same records through the running servers instead of
 * opening DynamoDB Local's files a second time. Names and endpoints only: no secrets.
 *
 * @example
 * ```ts
 * const state = readRuntimeState('.local-data'); // undefined when no runtime is running there
 * ```
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalEndpoints } from './runtime-environment.ts';

export const RUNTIME_STATE_FILE = 'runtime.json';

export interface RuntimeState {
  readonly pid: number;
  readonly apiUrl: string;
  readonly region: string;
  readonly endpoints: LocalEndpoints;
  /** Resource variables (`ENV` names: tables, buckets, key ARNs). */
  readonly resources: Readonly<Record<string, string>>;
}

export function writeRuntimeState(dataDir: string, state: RuntimeState): () => void {
  const file = join(dataDir, RUNTIME_STATE_FILE);
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  return () => {
    try {
      const current = JSON.parse(readFileSync(file, 'utf8')) as Partial<RuntimeState>;
      if (current.pid === state.pid && current.apiUrl === state.apiUrl) rmSync(file, { force: true });
    } catch {
      // Already gone, or replaced by another runtime: nothing to clean.
    }
  };
}

/** The state of a runtime running on `dataDir`, or `undefined` when none is (a stale file is ignored). */
export function readRuntimeState(dataDir: string): RuntimeState | undefined {
  const file = join(dataDir, RUNTIME_STATE_FILE);
  if (!existsSync(file)) return undefined;
  let state: RuntimeState;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as RuntimeState;
  } catch {
    return undefined;
  }
  if (typeof state.pid !== 'number' || !isAlive(state.pid)) return undefined;
  return state;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
