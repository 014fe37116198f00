/**
 * What a Lambda bundle imports in place of `mnemonist/lru-cache` (about 7 KB with `obliterator`;
 * `lib/bundling/lambda-bundle.ts` substitutes it). The DynamoDB client builds an endpoint cache
 * (`@aws-sdk/endpoint-cache`) as it is constructed, for endpoint discovery, which the functions
 * leave off; the cache uses only `get`, `set`, `peek`, `has` and `clear` of mnemonist's LRU cache.
 * Here they are over a `Map`, whose insertion order is the recency order: the least recently used
 * key is the first. `test/unit/bundles/map-lru-cache.test.ts` runs the same operations against
 * both and compares every answer. The local runtime and the tests run the source with mnemonist.
 */
export default class MapLruCache<K, V> {
  private readonly entries = new Map<K, V>();

  public constructor(public readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0)
      throw new Error('LRUCache: capacity should be a positive number.');
  }

  public get size(): number {
    return this.entries.size;
  }

  /** The value of `key`, which becomes the most recently used. */
  public get(key: K): V | undefined {
    if (!this.entries.has(key)) return undefined;
    const value = this.entries.get(key) as V;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** Stores `value` as the most recently used, evicting the least recently used beyond capacity. */
  public set(key: K, value: V): this {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as K);
    return this;
  }

  /** The value of `key`, its recency unchanged. */
  public peek(key: K): V | undefined {
    return this.entries.get(key);
  }

  public has(key: K): boolean {
    return this.entries.has(key);
  }

  public clear(): void {
    this.entries.clear();
  }
}
