import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasDuplicateKey } from '../../../lambdas/handlers/http/middleware/json-body.ts';

describe('hasDuplicateKey', () => {
  it.each([
    ['{"a":1,"a":2}', true],
    ['{"a":1,"\\u0061":2}', true],
    ['{"x":{"a":1,"b":[{"a":1}],"a":3}}', true],
    ['[{"a":1},{"a":2}]', false],
    ['{"a":"a,\\"a\\":","b":{"a":["a","a"]}}', false],
    ['{"a\\\\":1,"a":2}', false],
    ['{"__proto__":1,"constructor":2,"__proto__ ":3}', false],
    ['{}', false],
    ['"a"', false],
    ['[]', false],
  ])('%s -> %s', (text, duplicate) => {
    // Act / Assess
    expect(hasDuplicateKey(text)).toBe(duplicate);
  });

  it('finds none in any JSON.stringify output, and one once a member is written again', () => {
    // Prepare: any JSON value, and any object within which a member is repeated.
    fc.assert(
      fc.property(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }), (value, object) => {
        // Act
        const text = JSON.stringify(value);
        const [name, member] = Object.entries(object)[0]!;
        const repeated = `${JSON.stringify({ wrapper: [value, object] }).slice(0, -3)},${JSON.stringify(name)}:${JSON.stringify(member)}}]}`;

        // Assess
        expect(hasDuplicateKey(text)).toBe(false);
        expect(() => JSON.parse(repeated) as unknown).not.toThrow();
        expect(hasDuplicateKey(repeated)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
