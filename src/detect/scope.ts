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

/**
 * The post's words as the model reads them: our handles and names become one token, other handles another, so
 * what it learns from posts to one brand carries to every brand ("@united" and "@OranjeAir" both read "@brand").
 */
export function createBrandMasker(brand: TriageContext['brand']): (normalised: string) => string {
  const handles = brand.handles.map((h) => h.replace(/^@/, '').toLowerCase()).filter(Boolean);
  const terms = brand.terms.map((t) => t.trim().toLowerCase()).filter(Boolean).sort((a, b) => b.length - a.length);
  const ours = handles.length ? new RegExp(`@(?:${handles.map(escape).join('|')})(?![a-z0-9_])`, 'g') : null;
  const named = terms.length ? new RegExp(`(?<![\\p{L}\\p{N}_@])(?:${terms.map((t) => escape(t).replace(/\s+/g, '\\s+')).join('|')})(?![\\p{L}\\p{N}_])`, 'gu') : null;
  return (text: string) => {
    let out = ours ? text.replace(ours, ' atbrand ') : text;
    out = out.replace(/@[a-z0-9_]+/g, ' athandle ');
    return named ? out.replace(named, ' brandname ') : out;
  };
}

export function createBrandScope(brand: TriageContext['brand']): (post: Post) => BrandScope {
  const handles = brand.handles.map((h) => h.replace(/^@/, '')).filter(Boolean);
  const terms = [...brand.terms, ...handles].map((t) => t.trim()).filter(Boolean);
  // @handle as a whole handle (not a prefix of a longer one), case-insensitive as X handles are.
  const handle = handles.length ? new RegExp(`@(?:${handles.map(escape).join('|')})(?![A-Za-z0-9_])`, 'i') : null;
  // A term as a whole word or phrase; inner spaces match any run of spaces.
  const term = terms.length
    ? new RegExp(`(?<![\\p{L}\\p{N}_@])(?:${terms.map((t) => escape(t).replace(/\s+/g, '\\s+')).join('|')})(?![\\p{L}\\p{N}_])`, 'iu')
    : null;
  return (post: Post): BrandScope => {
    const addressed = Boolean(post.inReplyTo) || Boolean(handle?.test(post.text));
    // A post that tags others but not us is talking to them: naming us in passing ("@OtherAir you're
    // better than United", "born in the United Kingdom") does not make it ours.
    const toOthers = !addressed && OTHER_HANDLE.test(post.text);
    return { addressed, about: addressed || (!toOthers && Boolean(term?.test(post.text.replace(/#/g, ' ')))) };
  };
}
