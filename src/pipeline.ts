import type { Analyst } from './analyse/analyst';
import type { Post } from './domain/post';
import { isCardKind, policyKeepsCard, type Kind, type Triage } from './domain/verdict';
import type { Logger } from './log';
import type { Analysis, StoryPost } from './domain/analysis';
import type { PostStore, PostWrite } from './domain/ports';
import { engagement } from './domain/post';
import { storyRefs, type StoryRefs } from './domain/story';

export type Triager = (post: Post) => Triage;

export type IngestResult =
  | { status: 'duplicate' }
  | { status: 'processed'; triage: Triage; opportunityId: number | null; joined?: boolean };

/** A post of a batch that could not be processed (the others were). */
export type BatchResult = IngestResult | { status: 'failed'; error: unknown };

/** What ingestMany does before a story lookup (stores the posts it may find first) and before a model call. */
interface DecideHooks {
  beforeStoryLookup?: (platform: string, refs: StoryRefs) => Promise<void>;
  beforeModel?: () => Promise<void>;
}

export interface PipelineDeps {
  store: Pick<PostStore, 'seenKind' | 'seenKinds' | 'recordPosts' | 'findStoryCard'>;
  triage: Triager;
  analyst: Analyst;
  /** Names of the sinks each card is queued for (outbox rows). */
  sinks: readonly string[];
  log: Logger;
  /** Called after a card was stored and queued, so couriers can deliver it now. */
  onCard?: (opportunityId: number) => void;
  /**
   * Called as soon as a card's content is written, before it is stored: the gesture caps count it at once, so the
   * next post's card (in the same batch) sees it.
   */
  onAnalysed?: (analysis: Analysis) => void;
  /** Called for every new post with its verdict (trends, stats). */
  onVerdict?: (post: Post, triage: Triage) => void;
  /** Called when a post joined the story of an existing card instead of opening its own. */
  onJoin?: (opportunityId: number, entry: StoryPost) => void;
  /** Called for a post seen before, with the kind it was given (a resumed replay: trends see the stream again). */
  onDuplicate?: (post: Post, kind: Kind) => void;
  /** `clear`: a mild moment is kept uncarded (the verdict says why) and never goes to a model. Default `all`. */
  cards?: 'all' | 'clear';
}

/** Why a mild moment has no card when the team takes cards for clear moments only. */
export const HELD_BACK = 'a milder moment: cards are set to clear moments only (KAIROS_CARDS=clear)';

/**
 * normalise → triage → analyse → store → outbox. A post seen before is not processed again. With a model that
 * screens, candidates and the uncertain band go to it: it writes the card, or answers that none is needed (the
 * verdict keeps why; policy keeps severe risks whatever it says).
 */
export class Pipeline {
  constructor(private readonly deps: PipelineDeps) {}

  /** `source`: where the post came in (x-stream, bluesky, ingest…), kept with it for the counts by source. */
  async ingest(post: Post, source?: string): Promise<IngestResult> {
    const seen = await this.deps.store.seenKind(post);
    if (seen) {
      this.deps.onDuplicate?.(post, seen);
      return { status: 'duplicate' };
    }
    const write = await this.decide(post, source);
    const [stored] = await this.deps.store.recordPosts([write]);
    if (stored) this.deps.onVerdict?.(post, write.triage);
    return this.settle(write, stored ?? null);
  }

  /**
   * Many posts (a replay, a backfill) with the same outcome as one at a time, stored in few transactions. Each
   * post is triaged in order and seen by trends (onVerdict, onDuplicate) before the next is triaged, as one at a
   * time; a post whose story may lead to a post not stored yet has those stored first; and what is decided is
   * stored before a model is called, so a card never waits on a model call for a later post. `triaged`: a post's
   * verdict when already triaged (TriageAhead checks it is the one triage would give now), else it is triaged here.
   */
  async ingestMany(posts: readonly Post[], source?: string, triaged?: (index: number, post: Post) => Triage | undefined): Promise<BatchResult[]> {
    const { store } = this.deps;
    const results: BatchResult[] = [];
    const seen = await store.seenKinds(posts);
    const decided = new Map<string, Kind>();
    let pending: { index: number; write: PostWrite }[] = [];
    const pendingRefs = new Set<string>();
    const flush = async () => {
      if (!pending.length) return;
      const batch = pending;
      pending = [];
      pendingRefs.clear();
      let stored: ({ opportunityId: number | null } | null)[];
      try {
        stored = await store.recordPosts(batch.map((p) => p.write));
      } catch {
        // One post may be what fails (all or nothing): store them one by one, so only that one is lost.
        for (const p of batch) {
          try {
            const [one] = await store.recordPosts([p.write]);
            results[p.index] = this.settle(p.write, one ?? null);
          } catch (error) {
            results[p.index] = { status: 'failed', error };
          }
        }
        return;
      }
      batch.forEach((p, j) => (results[p.index] = this.settle(p.write, stored[j] ?? null)));
    };
    const hooks: DecideHooks = {
      beforeStoryLookup: async (platform, refs) => {
        if (refs.ids.some((id) => pendingRefs.has(`${platform}:${id}`)) || refs.urls.some((u) => pendingRefs.has(u))) await flush();
      },
      beforeModel: flush,
    };
    for (let i = 0; i < posts.length; i++) {
      const post = posts[i]!;
      const key = `${post.platform}:${post.id}`;
      const kind = seen[i] ?? decided.get(key);
      if (kind) {
        this.deps.onDuplicate?.(post, kind);
        results[i] = { status: 'duplicate' };
        continue;
      }
      let write: PostWrite;
      try {
        // Most posts are decided at once (no story to look up, no card to write): no await for them.
        const decision = this.decide(post, source, hooks, triaged?.(i, post));
        write = decision instanceof Promise ? await decision : decision;
      } catch (error) {
        results[i] = { status: 'failed', error };
        continue;
      }
      decided.set(key, write.triage.kind);
      this.deps.onVerdict?.(post, write.triage);
      pending.push({ index: i, write });
      pendingRefs.add(key);
      if (post.url) pendingRefs.add(post.url);
    }
    await flush();
    return results;
  }

  /**
   * Triage, the story a post joins, and the card: what to store for a new post. At once when there is no story to
   * look up and no card to write (most posts), else a promise.
   */
  private decide(post: Post, source?: string, hooks: DecideHooks = {}, triaged?: Triage): PostWrite | Promise<PostWrite> {
    let verdict = triaged ?? this.deps.triage(post);
    if (this.deps.cards === 'clear' && verdict.kind === 'opportunity' && verdict.strength === 'mild') verdict = { ...verdict, review: { card: false, why: HELD_BACK } };
    // One story, one card: a post that replies to, quotes or links a post with a card joins that card (its thread
    // and score) instead of opening a new one. Noise (spam, chatter) does not join.
    const refs = storyRefs(post);
    const joinable = verdict.kind !== 'noise' && (refs.ids.length > 0 || refs.urls.length > 0);
    const kind = verdict.review ? undefined : isCardKind(verdict.kind) ? verdict.kind : this.deps.analyst.screen ? verdict.uncertain : undefined;
    if (!joinable && !kind) return { post, triage: verdict, source, card: undefined };
    return this.decideFurther(post, source, hooks, verdict, joinable ? refs : null, kind);
  }

  /** decide() for a post that may join a story (`refs`) or may get a card (`kind`). */
  private async decideFurther(post: Post, source: string | undefined, hooks: DecideHooks, triaged: Triage, refs: StoryRefs | null, kind: 'opportunity' | 'risk' | undefined): Promise<PostWrite> {
    const { store, analyst, sinks, log } = this.deps;
    let verdict = triaged;
    if (refs) {
      await hooks.beforeStoryLookup?.(post.platform, refs);
      const storyOf = await store.findStoryCard(post.platform, refs);
      if (storyOf !== null) return { post, triage: verdict, source, joins: { opportunityId: storyOf, entry: storyEntry(post, refs) } };
    }
    let card: { analysis: Awaited<ReturnType<Analyst['analyse']>>; sinks: string[] } | undefined;
    if (kind) {
      // The offline analyst answers at once; a model may take seconds.
      if (analyst.name !== 'offline') await hooks.beforeModel?.();
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
        if (card) this.deps.onAnalysed?.(card.analysis);
      } catch (err) {
        // The analysts fall back on their own; reaching here is a bug, and the post is still recorded.
        log.error({ err, post: post.id }, 'analysis failed; post stored without a card');
      }
    }
    return { post, triage: verdict, source, card };
  }

  /** What became of a post once stored (null: another worker stored it first), and who is told. */
  private settle(write: PostWrite, stored: { opportunityId: number | null } | null): IngestResult {
    if (!stored) return { status: 'duplicate' };
    if ('joins' in write) {
      this.deps.onJoin?.(write.joins.opportunityId, write.joins.entry);
      return { status: 'processed', triage: write.triage, opportunityId: write.joins.opportunityId, joined: true };
    }
    if (stored.opportunityId !== null) this.deps.onCard?.(stored.opportunityId);
    return { status: 'processed', triage: write.triage, opportunityId: stored.opportunityId };
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
