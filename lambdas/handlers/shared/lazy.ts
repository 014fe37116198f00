/**
 * Builds a value on first use and keeps it for the life of the execution environment, so
 * handler modules can be imported (by tests, the local runtime) without their environment,
 * while a Lambda still creates its clients once per cold start.
 *
 * @example
 * ```ts
 * const deps = lazy(() => ({ repository: new VerificationRepository({ tableName: requireEnv('verificationsTable') }) }));
 * deps().repository;
 * ```
 */
export function lazy<T>(factory: () => T): () => T {
  let value: { current: T } | undefined;
  return () => {
    value ??= { current: factory() };
    return value.current;
  };
}

/** Dependencies given directly, or a factory for them. */
export type DepsSource<T> = T | (() => T);

export function resolveDeps<T>(source: DepsSource<T>): () => T {
  return typeof source === 'function' ? lazy(source as () => T) : () => source;
}
