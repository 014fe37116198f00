import { describe, expect, it } from 'vitest';
import { RecentlyUsed } from '../../../lambdas/domain/recently-used.ts';

describe('RecentlyUsed', () => {
  it('drops the least recently used entry beyond its capacity; a read makes an entry recent, a peek does not', () => {
    // Prepare
    const recent = new RecentlyUsed<string, number>(2);
    recent.set('a', 1);
    recent.set('b', 2);

    // Act
    expect(recent.get('a')).toBe(1);
    recent.set('c', 3);
    expect(recent.peek('a')).toBe(1);
    recent.set('d', 4);

    // Assess: 'b' went for 'c' (the read made 'a' recent), then 'a' for 'd' (the peek did not)
    expect(recent.size).toBe(2);
    expect([recent.peek('a'), recent.peek('b'), recent.peek('c'), recent.peek('d')]).toEqual([
      undefined,
      undefined,
      3,
      4,
    ]);
  });

  it('replaces a value in place of growing, keeps falsy values and deletes on request', () => {
    // Prepare
    const recent = new RecentlyUsed<string, number | undefined>(2);

    // Act
    recent.set('a', 1);
    recent.set('a', 0);
    recent.set('b', undefined);

    // Assess
    expect(recent.size).toBe(2);
    expect(recent.get('a')).toBe(0);
    expect(recent.delete('a')).toBe(true);
    expect(recent.delete('a')).toBe(false);
    expect(recent.size).toBe(1);
  });

  it('refuses a capacity that is not a positive whole number', () => {
    expect(() => new RecentlyUsed(0)).toThrow(RangeError);
    expect(() => new RecentlyUsed(1.5)).toThrow(RangeError);
  });
});
