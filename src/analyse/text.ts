/**
 * Cuts text to at most `max` characters for a platform: at the last sentence end that fits, else at a word,
 * with an ellipsis. Never cuts inside a word when it can avoid it.
 */
export function fitToLength(text: string, max: number): string {
  const t = text.trim();
  if ([...t].length <= max) return t;
  const chars = [...t];
  const head = chars.slice(0, max - 1).join('');
  const sentence = Math.max(head.lastIndexOf('. '), head.lastIndexOf('! '), head.lastIndexOf('? '));
  if (sentence >= max * 0.5) return head.slice(0, sentence + 1);
  const space = head.lastIndexOf(' ');
  return `${(space >= max * 0.5 ? head.slice(0, space) : head).trimEnd()}…`;
}

/**
 * Makes untrusted text safe to place in a message: mass mentions, user and role mentions can never ping, and
 * the text cannot close a code block. (allowed_mentions: parse [] is the first line of defence; this is the second.)
 */
export function neutraliseMentions(text: string): string {
  return text
    .replace(/@(everyone|here)/gi, '@\u200b$1')
    .replace(/<@([!&]?)(\d+)>/g, '<@\u200b$1$2>')
    .replace(/<#(\d+)>/g, '<#\u200b$1>');
}

/** A first name fit for a greeting, from what the fan shows: letters only, else their handle. */
export function greetingName(name: string | undefined, handle: string): string {
  const first = (name ?? '').trim().split(/\s+/)[0] ?? '';
  const clean = first.replace(/[^\p{L}\p{M}'-]/gu, '').slice(0, 24);
  return clean.length >= 2 ? clean : `@${handle.replace(/[^A-Za-z0-9_]/g, '').slice(0, 30)}`;
}
