import type { Post } from '../domain/post';
import type { TriageContext } from './context';

/**
 * Only our brand: a post becomes a card only when it addresses the brand (one of its handles), names it (one
 * of its terms, as a whole word), or replies in a thread. Another airline's handle is not ours, even when it
 * starts with our name (@unitedairlines is not @united), and a word inside another word does not count.
 */
export interface BrandScope {
  /** Addressed to one of our handles, or a reply. */
  addressed: boolean;
  /** Addressed, or names the brand. */
  about: boolean;
}

const OTHER_HANDLE = /(?:^|[^A-Za-z0-9_])@[A-Za-z0-9_]+/;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const bare = (handles: readonly string[]) => handles.map((h) => h.replace(/^@/, '')).filter(Boolean);

/** One of our handles as a whole handle (not the prefix of a longer one), case-insensitive as X handles are. */
function handlePattern(handles: readonly string[], flags: string): RegExp | null {
  return handles.length ? new RegExp(`@(?:${handles.map(escape).join('|')})(?![A-Za-z0-9_])`, `i${flags}`) : null;
}

/** One of our names as a whole word or phrase (inner spaces match any run of spaces), longest first. */
function termPattern(terms: readonly string[], flags: string): RegExp | null {
  const sorted = terms.map((t) => t.trim()).filter(Boolean).sort((a, b) => b.length - a.length);
  return sorted.length
    ? new RegExp(`(?<![\\p{L}\\p{N}_@])(?:${sorted.map((t) => escape(t).replace(/\s+/g, '\\s+')).join('|')})(?![\\p{L}\\p{N}_])`, `iu${flags}`)
    : null;
}

/**
 * The post's words as the model reads them: our handles and names become one token, other handles another, so
 * what it learns from posts to one brand carries to every brand ("@united" and "@OranjeAir" both read "@brand").
 */
export function createBrandMasker(brand: TriageContext['brand']): (normalised: string) => string {
  const ours = handlePattern(bare(brand.handles), 'g');
  const named = termPattern(brand.terms, 'g');
  return (text: string) => {
    // A handle needs an "@": most posts without one skip both scans.
    let out = text;
    if (out.includes('@')) {
      if (ours) out = out.replace(ours, ' atbrand ');
      out = out.replace(/@[a-z0-9_]+/g, ' athandle ');
    }
    return named ? out.replace(named, ' brandname ') : out;
  };
}

export function createBrandScope(brand: TriageContext['brand']): (post: Post) => BrandScope {
  const handles = bare(brand.handles);
  const handle = handlePattern(handles, '');
  const term = termPattern([...brand.terms, ...handles], '');
  return (post: Post): BrandScope => {
    const addressed = Boolean(post.inReplyTo) || Boolean(handle?.test(post.text));
    // A post that tags others but not us is talking to them: naming us in passing ("@OtherAir you're
    // better than United", "born in the United Kingdom") does not make it ours.
    const toOthers = !addressed && OTHER_HANDLE.test(post.text);
    return { addressed, about: addressed || (!toOthers && Boolean(term?.test(post.text.includes('#') ? post.text.replace(/#/g, ' ') : post.text))) };
  };
}
