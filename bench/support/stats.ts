/**
 * Small helpers every benchmark shares: nearest-rank percentiles, rounding for the printed
 * figures, and timing one call in wall-clock and process CPU time.
 */

/**
 * The nearest-rank `p` quantile (0-1) of `values`; `NaN` for none.
 *
 * @example
 * ```ts
 * percentile([5, 1, 3, 2, 4], 0.5); // 3
 * ```
 */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
}

/** `value` rounded to `digits` decimals. */
export const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** Wall-clock and CPU milliseconds of one call (CPU: the whole process, native threads included). */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await fn();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { value, wallMs, cpuMs: (used.user + used.system) / 1000 };
}
