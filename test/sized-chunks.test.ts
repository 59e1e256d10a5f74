import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sizedChunks } from '../src/store/sql-store';

describe('sizedChunks', () => {
  it('cuts items in order into pieces of max and the powers of two below it, largest first', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 1200 }), fc.constantFrom(1, 8, 256), (items, max) => {
        const pieces = sizedChunks(items, max);
        expect(pieces.flat()).toEqual(items);
        const sizes = pieces.map((p) => p.length);
        for (const n of sizes) expect(n === max || (n < max && (n & (n - 1)) === 0)).toBe(true);
        expect([...sizes].sort((a, b) => b - a)).toEqual(sizes);
        // Below max, each power of two at most once: few statements a batch.
        const small = sizes.filter((n) => n < max);
        expect(new Set(small).size).toBe(small.length);
      }),
    );
    expect(sizedChunks([...Array(300).keys()], 256).map((p) => p.length)).toEqual([256, 32, 8, 4]);
  });
});
