import type { Analyst } from './analyse/analyst';
import type { Post } from './domain/post';
import { isCardKind, policyKeepsCard, type Kind, type Triage } from './domain/verdict';
import type { Logger } from './log';
import type { StoryPost } from './domain/analysis';
import type { PostStore } from './domain/ports';
import { engagement } from './domain/post';
import { storyRefs, type StoryRefs } from './domain/story';

export type Triager = (post: Post) => Triage;

export type IngestResult =
  | { status: 'duplicate' }
  | { status: 'processed'; triage: Triage; opportunityId: number | null; joined?: boolean };

export interface PipelineDeps {
  store: Pick<PostStore, 'seenKind' | 'recordPost' | 'findStoryCard' | 'joinStory'>;
  triage: Triager;
  analyst: Analyst;
  /** Names of the sinks each card is queued for (outbox rows). */
  sinks: readonly string[];
  log: Logger;
  /** Called after a card was stored and queued, so couriers can deliver it now. */
  onCard?: (opportunityId: number) => void;
  /** Called for every new post with its verdict (trends, stats). */
  onVerdict?: (post: Post, triage: Triage) => void;
  /** Called when a post joined the story of an existing card instead of opening its own. */
  onJoin?: (opportunityId: number, entry: StoryPost) => void;
  /** Called for a post seen before, with the kind it was given (a resumed replay: trends see the stream again). */
  onDuplicate?: (post: Post, kind: Kind) => void;
}

/**
 * normalise → triage → analyse → store → outbox. A post seen before is not processed again. With a model that
 * screens, candidates and the uncertain band go to it: it writes the card, or answers that none is needed (the
 * verdict keeps why; policy keeps severe risks whatever it says).
 */
export class Pipeline {
  constructor(private readonly deps: PipelineDeps) {}

  /** `source`: where the post came in (x-stream, bluesky, ingest…), kept with it for the counts by source. */
  async ingest(post: Post, source?: string): Promise<IngestResult> {
    const { store, triage, analyst, sinks, log } = this.deps;
    const seen = await store.seenKind(post);
    if (seen) {
      this.deps.onDuplicate?.(post, seen);
      return { status: 'duplicate' };
    }
    let verdict = triage(post);
    // One story, one card: a post that replies to, quotes or links a post with a card joins that card (its thread
    // and score) instead of opening a new one. Noise (spam, chatter) does not join.
    const refs = storyRefs(post);
    if (verdict.kind !== 'noise' && (refs.ids.length || refs.urls.length)) {
      const storyOf = await store.findStoryCard(post.platform, refs);
      if (storyOf !== null) {
        const entry = storyEntry(post, refs);
        const joined = await store.joinStory(post, verdict, storyOf, entry, source);
        if (!joined) return { status: 'duplicate' };
        this.deps.onVerdict?.(post, verdict);
        this.deps.onJoin?.(storyOf, entry);
        return { status: 'processed', triage: verdict, opportunityId: storyOf, joined: true };
      }
    }
    let card: { analysis: Awaited<ReturnType<Analyst['analyse']>>; sinks: string[] } | undefined;
    const kind = isCardKind(verdict.kind) ? verdict.kind : analyst.screen ? verdict.uncertain : undefined;
    if (kind) {
      try {
        const input = { post, triage: { ...verdict, kind } };
        if (analyst.screen) {
          const screened = await analyst.screen(input, { mayDismiss: !policyKeepsCard(verdict) });
          if (screened.card) {
            card = { analysis: screened.card, sinks: [...sinks] };
            verdict = { ...verdict, kind };
          } else {
            // Nothing reaches the team. A dismissed candidate counts as service: someone wrote to us about something.
            verdict = { ...verdict, kind: isCardKind(verdict.kind) ? 'service' : verdict.kind, review: { card: false, why: screened.why } };
          }
        } else {
          card = { analysis: await analyst.analyse(input), sinks: [...sinks] };
        }
      } catch (err) {
        // The analysts fall back on their own; reaching here is a bug, and the post is still recorded.
        log.error({ err, post: post.id }, 'analysis failed; post stored without a card');
      }
    }
    const recorded = await store.recordPost(post, verdict, card, source);
    if (!recorded) return { status: 'duplicate' };
    this.deps.onVerdict?.(post, verdict);
    if (recorded.opportunityId !== null) this.deps.onCard?.(recorded.opportunityId);
    return { status: 'processed', triage: verdict, opportunityId: recorded.opportunityId };
  }
}

/** How a joining post shows on the card it joins. */
function storyEntry(post: Post, refs: StoryRefs): StoryPost {
  const m = engagement(post);
  const how = post.quoteOf && refs.ids.includes(post.quoteOf) ? 'quote' : post.inReplyTo ? 'reply' : 'link';
  return {
    postId: post.id,
    platform: post.platform,
    handle: post.author.handle,
    followers: post.author.followers,
    reposts: m.reposts + m.quotes,
    ...(post.url ? { url: post.url } : {}),
    how,
    text: post.text.slice(0, 280),
    at: post.createdAt,
  };
}
