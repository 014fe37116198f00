import { createRequire } from 'node:module';
import { build } from 'esbuild';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import MapLruCache from '../../../lambdas/adapters/aws/map-lru-cache.ts';
import { bundlingExternals, lambdaBuildOptions } from '../../../lib/bundling/lambda-bundle.ts';

/** mnemonist's LRU cache, as `@aws-sdk/endpoint-cache` imports it (a dependency of the SDK, not of the project). */
type Lru = Pick<MapLruCache<string, number>, 'get' | 'set' | 'peek' | 'has' | 'clear' | 'size'>;
const MnemonistLru = createRequire(createRequire(import.meta.url).resolve('@aws-sdk/client-dynamodb'))(
  'mnemonist/lru-cache',
) as new (capacity: number) => Lru;

const operation = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key: fc.constantFrom('a', 'b', 'c', 'd', 'e'), value: fc.integer() }),
  fc.record({
    op: fc.constantFrom('get' as const, 'peek' as const, 'has' as const),
    key: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
  }),
  fc.record({ op: fc.constant('clear' as const) }),
);

function apply(cache: Lru, step: { op: string; key?: string; value?: number }): unknown {
  switch (step.op) {
    case 'set':
      cache.set(step.key as string, step.value as number);
      return cache.size;
    case 'get':
      return cache.get(step.key as string);
    case 'peek':
      return cache.peek(step.key as string);
    case 'has':
      return cache.has(step.key as string);
    default:
      cache.clear();
      return cache.size;
  }
}

describe('MapLruCache (in place of mnemonist/lru-cache in a Lambda bundle)', () => {
  it('answers every sequence of operations as mnemonist does, at every capacity', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(operation, { maxLength: 60 }), (capacity, steps) => {
        // Arrange
        const ours = new MapLruCache<string, number>(capacity);
        const theirs = new MnemonistLru(capacity);

        // Act / Assess: the same answer and the same size after every step
        for (const step of steps) {
          expect(apply(ours, step)).toEqual(apply(theirs, step));
          expect(ours.size).toBe(theirs.size);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('evicts the least recently used key, where a get counts as a use and a peek does not', () => {
    // Arrange
    const cache = new MapLruCache<string, number>(2);
    cache.set('a', 1).set('b', 2);

    // Act
    cache.get('a');
    cache.peek('b');
    cache.set('c', 3);

    // Assess
    expect([cache.has('a'), cache.has('b'), cache.has('c')]).toEqual([true, false, true]);
  });

  it('refuses a capacity that is not a positive integer, as mnemonist does', () => {
    expect(() => new MapLruCache(0)).toThrow(/capacity/);
    expect(() => new MnemonistLru(0)).toThrow(/capacity/);
  });

  it('takes the place of mnemonist in a bundle with the DynamoDB client', async () => {
    // Act
    const result = await build({
      ...lambdaBuildOptions(process.cwd(), { nodeModules: [], externalModules: bundlingExternals(false) }),
      stdin: {
        contents:
          "import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';\n" +
          "export const handler = () => new DynamoDBClient({}).send(new GetItemCommand({ TableName: 't', Key: {} }));",
        resolveDir: process.cwd(),
        loader: 'ts',
      },
      sourcemap: false,
      write: false,
      outfile: 'out.mjs',
    });

    // Assess
    const inputs = Object.keys(result.metafile?.inputs ?? {});
    expect(inputs.filter((input) => /node_modules\/(mnemonist|obliterator)\//.test(input))).toEqual([]);
    expect(inputs.some((input) => input.endsWith('lambdas/adapters/aws/map-lru-cache.ts'))).toBe(true);
  }, 60_000);
});
