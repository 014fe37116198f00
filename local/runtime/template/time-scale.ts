/**
 * `kyc local --time-scale N` shortens the workflow's waits and task timeouts (the engine
 * multiplies them by N). The functions compute the same durations themselves from their
 * configuration: the end of a cooldown that attempt creation enforces (`cooldownUntil` in the
 * rate-limit record) and the due date of a review task. Both must follow the same clock, or a
 * verification the workflow reopened would still answer 429 `COOLDOWN_ACTIVE` for the real 24 h.
 * So each function's `KYC_CONFIG` carries those durations multiplied by the same factor.
 */
import type { LocalFunction } from './local-functions.ts';

const CONFIG_VARIABLE = 'KYC_CONFIG';

/** A configuration section as it travels in `KYC_CONFIG` (JSON). */
type Section = Record<string, unknown>;

const isSection = (value: unknown): value is Section =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The durations in a resolved configuration that mirror a workflow wait or timeout, scaled.
 * Values stay positive (validation refuses zero). Anything else is returned unchanged.
 *
 * @example
 * ```ts
 * scaleConfigDurations({ rateLimits: { cooldownSeconds: 86400 } }, 0.001); // cooldownSeconds 86.4
 * ```
 */
export function scaleConfigDurations(config: Section, timeScale: number): Section {
  if (timeScale === 1) return config;
  const scaled = (value: unknown): unknown =>
    typeof value === 'number' && Number.isFinite(value) ? Math.max(value * timeScale, 0.001) : value;
  const section = (name: string, keys: readonly string[]): Section | undefined => {
    const value = config[name];
    if (!isSection(value)) return undefined;
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, keys.includes(key) ? scaled(v) : v]));
  };
  const rateLimits = section('rateLimits', ['cooldownSeconds']);
  const review = section('review', ['slaDays']);
  return { ...config, ...(rateLimits ? { rateLimits } : {}), ...(review ? { review } : {}) };
}

/**
 * The function as the runtime runs it under a time scale: its `KYC_CONFIG` with the cooldown
 * and review SLA multiplied by `timeScale` (see the module comment). Unchanged at 1, and for a
 * function without `KYC_CONFIG`.
 *
 * @example
 * ```ts
 * const functions = localFunctions(resources).runnable.map((fn) => withTimeScale(fn, 0.001));
 * ```
 */
export function withTimeScale(fn: LocalFunction, timeScale: number): LocalFunction {
  const raw = fn.environment[CONFIG_VARIABLE];
  if (timeScale === 1 || raw === undefined || raw === '') return fn;
  const config: unknown = JSON.parse(raw);
  if (!isSection(config)) return fn;
  return {
    ...fn,
    environment: { ...fn.environment, [CONFIG_VARIABLE]: JSON.stringify(scaleConfigDurations(config, timeScale)) },
  };
}
