/**
 * Per-function environment variables for handlers that share one process. In Lambda every
 * function has its own environment; locally all functions run in the runtime's process, so
 * variables that differ between functions (e.g. the workflow's `KYC_WORKFLOW_TASK`, the
 * Powertools service name) are overlaid on `process.env` for the duration of one invocation,
 * following its async continuations (AsyncLocalStorage). Reads outside an invocation, and
 * every write, go to the real environment.
 *
 *   process.env.X ──> invocation overlay has X? ──yes──> overlay[X]
 *                                       └──no──> real environment
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const overlay = new AsyncLocalStorage<Readonly<Record<string, string>>>();
let installed: { readonly original: NodeJS.ProcessEnv } | undefined;

function overlaid(key: string | symbol): string | undefined {
  const variables = overlay.getStore();
  return variables && typeof key === 'string' && Object.prototype.hasOwnProperty.call(variables, key)
    ? variables[key]
    : undefined;
}

/**
 * Replaces `process.env` with a view that honours invocation overlays; returns the undo.
 *
 * @example
 * ```ts
 * const uninstall = installEnvironmentOverlay();
 * await runWithEnvironment({ KYC_WORKFLOW_TASK: 'decide' }, () => handler(event, context));
 * uninstall();
 * ```
 */
export function installEnvironmentOverlay(): () => void {
  if (installed) return () => undefined;
  const original = process.env;
  process.env = new Proxy(original, {
    get: (target, key) => overlaid(key) ?? Reflect.get(target, key),
    has: (target, key) => overlaid(key) !== undefined || Reflect.has(target, key),
    getOwnPropertyDescriptor: (target, key) => {
      const value = overlaid(key);
      return value !== undefined
        ? { value, writable: true, enumerable: true, configurable: true }
        : Reflect.getOwnPropertyDescriptor(target, key);
    },
    ownKeys: (target) => [...new Set([...Reflect.ownKeys(target), ...Object.keys(overlay.getStore() ?? {})])],
    // Writes go to the real environment as plain assignments (process.env refuses the partial
    // property definition a proxied assignment to an existing variable would make).
    set: (target, key, value) => Reflect.set(target, key, value),
  });
  installed = { original };
  return () => {
    if (!installed) return;
    process.env = installed.original;
    installed = undefined;
  };
}

/** Runs `body` with `variables` visible through `process.env` (see the module comment). */
export function runWithEnvironment<T>(variables: Readonly<Record<string, string>>, body: () => T): T {
  return overlay.run(variables, body);
}
