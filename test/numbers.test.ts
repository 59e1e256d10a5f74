import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grouped } from '../src/domain/numbers';

describe('grouped', () => {
  it('writes a count as en-US toLocaleString does, for every whole number and fractions too', () => {
    fc.assert(fc.property(fc.oneof(fc.integer({ min: -1e7, max: 1e7 }), fc.maxSafeInteger(), fc.double({ noNaN: true })), (n) => {
      expect(grouped(n)).toBe(n.toLocaleString('en-US'));
    }), { numRuns: 2000 });
    expect(grouped(1234567)).toBe('1,234,567');
    expect(grouped(999)).toBe('999');
  });
});
