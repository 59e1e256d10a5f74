import { describe, expect, it } from 'vitest';
import { classOf } from '../src/detect/letters';

const byRegex = (cp: number) => (/^\p{L}$/u.test(String.fromCodePoint(cp)) ? 3 : /^\p{N}$/u.test(String.fromCodePoint(cp)) ? 2 : 1);

describe('letters', () => {
  it('classOf says what \\p{L} and \\p{N} say of a code point, asked the first time or again, in the BMP, plane 1 and beyond', () => {
    const points: number[] = [];
    for (let cp = 0; cp < 0x20000; cp += 7) points.push(cp);
    // Plane 1's letters, digits and emoji (𝐅, 𝟗, 😡), and planes beyond it (CJK extension B, a private use point).
    points.push(0x1d405, 0x1d7d7, 0x1f621, 0x20000, 0x2a6d6, 0x10fffd);
    for (const round of [1, 2]) {
      const wrong = points.filter((cp) => classOf(cp) !== byRegex(cp));
      expect(wrong, `round ${round}`).toEqual([]);
    }
    expect([classOf(0x1d405), classOf(0x1d7d7), classOf(0x1f621), classOf(0x20000)]).toEqual([3, 2, 1, 3]);
  });
});
