/**
 * Loads Lambda handler modules in-process by their repository-relative entry file and export
 * name (the same pair the CDK `NodejsFunction` constructs bundle), and invokes them with a
 * timeout like Lambda's.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { createLambdaContext } from './lambda-context.ts';

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** The module or export named by a route or task does not exist or is not a function. */
export class HandlerNotFoundError extends Error {
  constructor(
    public readonly entry: string,
    public readonly exportName: string,
    options?: { cause?: unknown },
  ) {
    super(`Handler ${exportName} not found in ${entry}`, options);
    this.name = 'HandlerNotFoundError';
  }
}

/** The handler ran past its timeout, as Lambda would report `Task timed out`. */
export class HandlerTimeoutError extends Error {
  constructor(
    public readonly functionName: string,
    public readonly timeoutMs: number,
  ) {
    super(`${functionName} timed out after ${timeoutMs} ms`);
    this.name = 'HandlerTimeoutError';
  }
}

const cache = new Map<string, Promise<LambdaHandler>>();

/**
 * Imports `exportName` from `entry` (relative to `root`), once per process.
 *
 * @example
 * ```ts
 * const handler = await loadHandler(repoRoot, 'lambdas/handlers/http/get-verification.ts', 'handler');
 * ```
 */
export function loadHandler(root: string, entry: string, exportName: string): Promise<LambdaHandler> {
  const file = isAbsolute(entry) ? entry : resolve(root, entry);
  const key = `${file}#${exportName}`;
  let loaded = cache.get(key);
  if (!loaded) {
    loaded = import(pathToFileURL(file).href).then(
      (module: Record<string, unknown>) => {
        const candidate = module[exportName];
        if (typeof candidate !== 'function') throw new HandlerNotFoundError(entry, exportName);
        return candidate as LambdaHandler;
      },
      (error: unknown) => {
        throw new HandlerNotFoundError(entry, exportName, { cause: error });
      },
    );
    // A failed import is not cached, so a fixed file loads on the next call.
    loaded.catch(() => cache.delete(key));
    cache.set(key, loaded);
  }
  return loaded;
}

export interface InvokeOptions {
  readonly functionName: string;
  readonly timeoutMs: number;
  readonly region: string;
}

/** One finished invocation, as Lambda would bill it (the duration of the handler's promise). */
export interface InvocationRecord {
  readonly functionName: string;
  readonly durationMs: number;
  readonly failed: boolean;
}

const invocationObservers = new Set<(record: InvocationRecord) => void>();

/**
 * Calls `observer` after every invocation in this process (the benchmark meters Lambda time per
 * verification with it); returns the function that stops observing.
 *
 * @example
 * ```ts
 * const stop = observeInvocations((record) => durations.push(record.durationMs));
 * stop();
 * ```
 */
export function observeInvocations(observer: (record: InvocationRecord) => void): () => void {
  invocationObservers.add(observer);
  return () => invocationObservers.delete(observer);
}

/** Invokes a handler with a fresh context, failing with `HandlerTimeoutError` after the timeout. */
export async function invokeHandler(handler: LambdaHandler, event: unknown, options: InvokeOptions): Promise<unknown> {
  if (invocationObservers.size === 0) return invokeOnce(handler, event, options);
  const started = performance.now();
  let failed = false;
  try {
    return await invokeOnce(handler, event, options);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    const record = { functionName: options.functionName, durationMs: performance.now() - started, failed };
    for (const observer of invocationObservers) observer(record);
  }
}

async function invokeOnce(handler: LambdaHandler, event: unknown, options: InvokeOptions): Promise<unknown> {
  const context = createLambdaContext(options);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HandlerTimeoutError(options.functionName, options.timeoutMs)),
      options.timeoutMs,
    );
  });
  try {
    return await Promise.race([Promise.resolve().then(() => handler(event, context)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
