import { z } from 'zod';

/**
 * Which Jetstream events are about the brand. The whole network's posts pass through here (tens to hundreds a
 * second), so the test runs in two steps: one regular expression over the raw JSON line (the brand's DID, one of
 * its terms, or an identity event) drops nearly everything without parsing it; only what passes is parsed and
 * checked properly (a mention facet of the brand's DID, a reply to or a quote of one of its posts, a term in the
 * text). Pure: no I/O.
 */

const Ref = z.object({ uri: z.string() });

export const PostRecord = z.object({
  text: z.string().default(''),
  createdAt: z.string().optional(),
  langs: z.array(z.string()).optional(),
  facets: z
    .array(z.object({ features: z.array(z.object({ $type: z.string().optional(), did: z.string().optional() }).loose()).default([]) }).loose())
    .optional(),
  reply: z.object({ parent: Ref, root: Ref }).loose().optional(),
  embed: z
    .object({ record: z.object({ uri: z.string().optional(), record: Ref.optional() }).loose().optional() })
    .loose()
    .optional(),
});

const CommitEvent = z.object({
  did: z.string().startsWith('did:'),
  time_us: z.number().int().positive(),
  kind: z.literal('commit'),
  commit: z.object({
    operation: z.enum(['create', 'update', 'delete']),
    collection: z.string(),
    rkey: z.string().min(1).max(512),
    cid: z.string().optional(),
    record: z.unknown().optional(),
  }),
});

const IdentityEvent = z.object({
  did: z.string(),
  time_us: z.number().int().positive(),
  kind: z.literal('identity'),
  identity: z.object({ did: z.string(), handle: z.string().optional() }).loose(),
});

export type PostRecord = z.infer<typeof PostRecord>;

/** A new post about the brand, ready to be normalised. */
export interface BrandPost {
  did: string;
  rkey: string;
  timeUs: number;
  record: PostRecord;
  /** Why it is about the brand. */
  reason: 'mention' | 'reply' | 'quote' | 'term';
}

export type Classified =
  | { type: 'post'; post: BrandPost }
  | { type: 'identity'; did: string; handle?: string; timeUs: number }
  | { type: 'drop'; why: 'quick' | 'not-json' | 'other-event' | 'not-a-new-post' | 'own-post' | 'not-about-brand' };

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** JSON's escapes of a character a term may hold (Go's encoder, which Jetstream uses, escapes <, > and &). */
const JSON_FORMS: Record<string, string[]> = {
  '"': ['\\"'],
  '\\': ['\\\\'],
  '<': ['<', '\\u003c'],
  '>': ['>', '\\u003e'],
  '&': ['&', '\\u0026'],
};

/** A term as it appears inside a JSON string: spaces may be any run of white space (escaped or not). */
function rawPattern(term: string): string {
  return term
    .trim()
    .split(/\s+/)
    .map((word) => [...word].map((c) => (JSON_FORMS[c] ? `(?:${JSON_FORMS[c].map(escapeRe).join('|')})` : escapeRe(c))).join(''))
    .join('(?:\\s|\\\\[nrt])+');
}

/** A term in plain text, not inside a longer word ("Oranje Air" in "oranje air!", not in "Oranje Airways"). */
function textPattern(term: string): string {
  return `(?<![\\p{L}\\p{N}])${term.trim().split(/\s+/).map(escapeRe).join('\\s+')}(?![\\p{L}\\p{N}])`;
}

export interface BrandFilter {
  /** The brand account's DID. */
  did: string;
  classify(raw: string): Classified;
}

export function brandFilter(did: string, terms: readonly string[]): BrandFilter {
  const words = terms.map((t) => t.trim()).filter((t) => t.length >= 2);
  const quick = new RegExp([escapeRe(did), '"kind":"identity"', ...words.map(rawPattern)].join('|'), 'iu');
  const inText = words.length ? new RegExp(words.map(textPattern).join('|'), 'iu') : null;
  const ownUri = `at://${did}/`;
  const mine = (uri: string | undefined) => uri !== undefined && uri.startsWith(ownUri);

  return {
    did,
    classify(raw) {
      if (!quick.test(raw)) return { type: 'drop', why: 'quick' };
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        return { type: 'drop', why: 'not-json' };
      }
      const identity = IdentityEvent.safeParse(json);
      if (identity.success) return { type: 'identity', did: identity.data.identity.did, handle: identity.data.identity.handle, timeUs: identity.data.time_us };
      const event = CommitEvent.safeParse(json);
      if (!event.success) return { type: 'drop', why: 'other-event' };
      const { commit } = event.data;
      if (commit.operation !== 'create' || commit.collection !== 'app.bsky.feed.post') return { type: 'drop', why: 'not-a-new-post' };
      if (event.data.did === did) return { type: 'drop', why: 'own-post' };
      const record = PostRecord.safeParse(commit.record);
      if (!record.success) return { type: 'drop', why: 'other-event' };
      const r = record.data;
      const reason: BrandPost['reason'] | null = r.facets?.some((f) => f.features.some((x) => x.$type === 'app.bsky.richtext.facet#mention' && x.did === did))
        ? 'mention'
        : mine(r.reply?.parent.uri) || mine(r.reply?.root.uri)
          ? 'reply'
          : mine(r.embed?.record?.uri) || mine(r.embed?.record?.record?.uri)
            ? 'quote'
            : inText?.test(r.text)
              ? 'term'
              : null;
      if (!reason) return { type: 'drop', why: 'not-about-brand' };
      return { type: 'post', post: { did: event.data.did, rkey: commit.rkey, timeUs: event.data.time_us, record: r, reason } };
    },
  };
}

/** The event time of a raw Jetstream line without parsing it (for the cursor of dropped events), or null. */
export function rawTimeUs(raw: string): number | null {
  const at = raw.indexOf('"time_us":');
  if (at < 0) return null;
  const m = /^\d{1,17}/.exec(raw.slice(at + 10, at + 28));
  return m ? Number(m[0]) : null;
}
