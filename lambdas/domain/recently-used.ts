/**
 * A map that keeps only its `capacity` most recently used entries (least recently used first
 * out). A pure data structure, shared by adapters and the local twin's memories, e.g. the audit
 * writer's last appended event per subject or the local Rekognition's analysed images.
 *
 * @example
 * ```ts
 * const recent = new RecentlyUsed<string, number>(2);
 * recent.set('a', 1);
 * recent.set('b', 2);
 * recent.get('a'); // 1, and 'a' is now the most recent
 * recent.set('c', 3); // 'b' goes
 * ```
 */
export class RecentlyUsed<K, V> {
  private readonly entries = new Map<K, V>();

  public constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive whole number');
  }

  /** The value, which becomes the most recently used; undefined when absent. */
  public get(key: K): V | undefined {
    if (!this.entries.has(key)) return undefined;
    const value = this.entries.get(key) as V;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** The value without changing its place. */
  public peek(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** Stores `value` as the most recently used; drops the least recently used beyond capacity. */
  public set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(oldest);
    }
  }

  public has(key: K): boolean {
    return this.entries.has(key);
  }

  public delete(key: K): boolean {
    return this.entries.delete(key);
  }

  public clear(): void {
    this.entries.clear();
  }

  public get size(): number {
    return this.entries.size;
  }
}
