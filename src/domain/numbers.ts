/**
 * A count with its thousands grouped the en-US way ("12,345"), as cards, drafts and logs write it. Written out
 * rather than `toLocaleString('en-US')`: the first call of that loads ICU's locale data, about 30 ms, which a live
 * stream's first card would wait for. A number that is not a whole one keeps toLocaleString.
 */
export function grouped(n: number): string {
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n));
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return n < 0 ? `-${out}` : out;
}
