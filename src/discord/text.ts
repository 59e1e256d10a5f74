/**
 * Untrusted text (fan posts, display names, model output) made safe to show in a Discord message: it cannot
 * format, ping or break out of the card. allowed_mentions { parse: [] } already stops pings; neutralising the
 * mention syntax as well keeps a copied-and-pasted card harmless and the rendering honest.
 * Linear time on purpose: discord.js's escapeMarkdown is quadratic (a 10,000-character post took seconds).
 */
export function neutralise(text: string): string {
  return (
    text
      // A lone surrogate would make the JSON Discord receives invalid.
      .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
      // Bold, italics, underline, strike, code, spoilers, masked links: a backslash makes each literal.
      .replace(/[\\*_~`|[\]]/g, '\\$&')
      // Quotes, headings, subtext, lists only count at the start of a line.
      .replace(/^([ \t]*)(>|#|-|\d+\.)/gm, '$1\\$2')
      // @everyone / @here render as pings even when they do not ping; a zero-width space breaks them.
      .replace(/@(everyone|here)/gi, '@\u200b$1')
      // <@id>, <@!id>, <@&role>, <#channel>, </command:id> render as live mentions.
      .replace(/<(@[!&]?|#|\/)/g, '<\u200b$1')
  );
}

/** One line: newlines and runs of spaces collapsed (titles, thread names). */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export const ELLIPSIS = '…';

/**
 * Cuts text to at most `max` UTF-16 units (Discord's limits are at most that strict), ending with an ellipsis.
 * Never splits a surrogate pair and never leaves a dangling escape backslash.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  let cut = text.slice(0, Math.max(0, max - ELLIPSIS.length));
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  // An odd number of trailing backslashes would escape the ellipsis (or the next character Discord sees).
  const trailing = /\\+$/.exec(cut)?.[0].length ?? 0;
  if (trailing % 2 === 1) cut = cut.slice(0, -1);
  return cut + ELLIPSIS;
}

/** Literal text inside a ``` block: only a run of three backticks could close it early. */
export function codeBlock(text: string): string {
  return '```\n' + text.replace(/```/g, '`\u200b``') + '\n```';
}

/** Splits long text into chunks of at most `max` characters, preferring line breaks (thread messages). */
export function chunks(text: string, max = 1900): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let at = rest.lastIndexOf('\n', max);
    if (at < max / 2) at = max;
    const code = rest.charCodeAt(at - 1);
    if (code >= 0xd800 && code <= 0xdbff) at -= 1;
    out.push(rest.slice(0, at));
    rest = rest.slice(at).replace(/^\n/, '');
  }
  if (rest.length) out.push(rest);
  return out;
}

/**
 * A fan's post address as any message may show it (the card, the moment card, /opportunities): http(s) only, normalised by the URL parser, and with every character
 * that could close a masked link early ("https://x.com/a)[login](http://evil)") or make Discord refuse the embed
 * percent-encoded. Anything else gives no link rather than a card Discord rejects.
 */
export function safeLink(url: string | undefined): string | undefined {
  if (!url) return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.hostname.startsWith('[') || u.username || u.password) return undefined;
  const href = u.href.replace(/[()[\]<>"'`\s\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return href.length <= 2048 ? href : undefined;
}
