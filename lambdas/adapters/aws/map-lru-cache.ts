/**
 * What a Lambda bundle imports in place of `mnemonist/lru-cache` (about 7 KB with `obliterator`;
 * `lib/bundling/lambda-bundle.ts` substitutes it). The DynamoDB client builds an endpoint cache
 * (`@aws-sdk/endpoint-cache`) as it is constructed, for endpoint discovery, which the functions
 * leave off; the cache uses only `get`, `set`, `peek`, `has` and `clear` of mnemonist's LRU cache.
 * Here they are our own {@link RecentlyUsed} (a `Map` in recency order) behind mnemonist's names.
 * `test/unit/bundles/map-lru-cache.test.ts` runs the same operations against both and compares
 * every answer. The local runtime and the tests run the source with mnemonist.
 */
import { RecentlyUsed } from '../../domain/recently-used.ts';

export default class MapLruCache<K, V> {
  private readonly recent: RecentlyUsed<K, V>;

  public constructor(public readonly capacity: number) {
    this.recent = new RecentlyUsed<K, V>(capacity);
  }

  public get size(): number {
    return this.recent.size;
  }

  /** The value of `key`, which becomes the most recently used. */
  public get(key: K): V | undefined {
    return this.recent.get(key);
  }

  /** Stores `value` as the most recently used, evicting the least recently used beyond capacity. */
  public set(key: K, value: V): this {
    this.recent.set(key, value);
    return this;
  }

  /** The value of `key`, its recency unchanged. */
  public peek(key: K): V | undefined {
    return this.recent.peek(key);
  }

  public has(key: K): boolean {
    return this.recent.has(key);
  }

  public clear(): void {
    this.recent.clear();
  }
}
