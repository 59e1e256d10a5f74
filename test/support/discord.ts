import type { Analyst } from '../../src/analyse/analyst';
import type { Analysis, DraftRequest } from '../../src/domain/analysis';
import type { Post } from '../../src/domain/post';
import type { Store } from '../../src/domain/ports';

let n = 0;

/** A replayed-style post (the JSON-lines contract), unique per call. */
export function makePost(over: Partial<Post> = {}): Post {
  n += 1;
  const id = String(1760000000000000000n + BigInt(n) + BigInt(Date.now() % 1_000_000) * 1000n);
  return {
    id,
    platform: 'x',
    url: `https://x.com/fan${n}/status/${id}`,
    author: { id: String(100 + n), handle: `fan${n}`, name: `Fan ${n}`, followers: 12_400, verified: false },
    text: 'We fly to Bali on our honeymoon on 15 Jan, but the Elfstedentocht is on! Do we cancel? @OranjeAir',
    lang: 'en',
    createdAt: '2024-03-01T10:00:00Z',
    metrics: { likes: 35, reposts: 12, replies: 9, quotes: 2 },
    inReplyTo: null,
    ...over,
  };
}

export function makeAnalysis(over: Partial<Analysis> = {}): Analysis {
  return {
    summary: 'Honeymoon couple torn between their flight and the Elfstedentocht',
    why: 'A once-in-a-generation national moment collides with a dated trip; few people share this dilemma.',
    gesture: { id: 'flexible-rebooking', name: 'Free flexible rebooking', costEur: 75, fairness: 'Only couples flying that day.', needsApproval: false },
    reply: 'Congratulations! Skate first, fly later: send us a DM and we will move your flight at no cost.',
    publicPost: 'Some moments only come once in a generation.',
    verifyFirst: ['The booking exists and is on 15 Jan'],
    risks: ['Others may ask for the same'],
    analyst: 'offline',
    notes: [],
    ...over,
  };
}

/** Stores a post with its card, queued for the given sinks; returns the opportunity id. */
export async function seedCard(
  store: Store,
  opts: { post?: Partial<Post>; analysis?: Partial<Analysis>; kind?: 'opportunity' | 'risk'; sinks?: string[] } = {},
): Promise<number> {
  const post = makePost(opts.post);
  const r = await store.recordPost(
    post,
    { kind: opts.kind ?? 'opportunity', score: 0.91, signals: ['dilemma', 'cultural-event'], lang: post.lang ?? 'en' },
    { analysis: makeAnalysis(opts.analysis), sinks: opts.sinks ?? ['discord'] },
  );
  if (!r?.opportunityId) throw new Error('seedCard: no card stored');
  return r.opportunityId;
}

/** A tiny Analyst double: deterministic drafts that say what they were asked. */
export function analystDouble(opts: { delayMs?: number; failOn?: string } = {}): Analyst & { requests: DraftRequest[] } {
  const requests: DraftRequest[] = [];
  return {
    name: 'offline',
    requests,
    async analyse() {
      return makeAnalysis();
    },
    async draft(req) {
      requests.push(req);
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      if (opts.failOn && req.text.includes(opts.failOn)) throw new Error('analyst exploded');
      return {
        reply: `New ${req.kind} draft (${req.lang}${req.tone ? `, ${req.tone}` : ''})${req.previous ? ' replacing the previous one' : ''}`,
        publicPost: req.kind === 'announcement' ? 'A public announcement draft' : null,
        analyst: 'offline',
        notes: [],
      };
    },
  };
}
