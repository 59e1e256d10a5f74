import type { Analysis, StoryPost } from './analysis';
import type { LabelKind, LabelSource, TeamLabel } from './label';
import type { Moment, StoredMoment } from './moment';
import type { ActionRecord, Actor, DismissReason, Opportunity, Status, TransitionResult } from './opportunity';
import type { DeliveryRef, NewMessage, OutboxItem, QueuedMessage } from './outbox';
import type { Post } from './post';
import type { ReplyClaim, ReplyRecord } from './reply';
import type { LlmUsageRecord, LlmUsageTotals } from './usage';
import type { XReadDay } from './x-reads';
import type { Kind, Triage } from './verdict';

/**
 * What Kairos keeps, as the core needs it. Every adapter (SQLite, PostgreSQL) implements these ports and passes
 * the same contract suite (test/store-contract.ts); nothing outside the adapters writes SQL. Each part is its own
 * port so a module asks only for what it uses. Ranges are [from, to) ISO instants; an omitted end is open.
 */

export interface Range {
  from?: string;
  to?: string;
}

export type PostRef = Pick<Post, 'platform' | 'id'>;
export type CardKind = 'opportunity' | 'risk';

/** A card with everything a person's click needs, read at once: its history and where each sink put it. */
export interface CardView {
  opportunity: Opportunity;
  history: ActionRecord[];
  deliveries: OutboxItem[];
}

/**
 * One post to store with recordPosts: a post and its verdict, with its card, or joining an existing card's story;
 * `source` is where it came in (x-stream, bluesky, replay…), for the counts by source.
 */
export type PostWrite =
  | { post: Post; triage: Triage; source?: string; card?: { analysis: Analysis; sinks: string[] } }
  | { post: Post; triage: Triage; source?: string; joins: { opportunityId: number; entry: StoryPost } };

export interface PostStore {
  hasPost(post: PostRef): Promise<boolean>;
  /** A stored post by its platform and id. */
  getPost(post: PostRef): Promise<Post | null>;
  /** The kind a post seen before was given, or null for a new post. */
  seenKind(post: PostRef): Promise<Kind | null>;
  /**
   * Records a post and its verdict, and for an opportunity or a risk its card and an outbox entry per sink, all
   * at once. Returns null when the post was already seen (it is then not processed again).
   */
  recordPost(post: Post, triage: Triage, card?: { analysis: Analysis; sinks: string[] }, source?: string): Promise<{ opportunityId: number | null } | null>;
  /**
   * The card whose story a post builds on: the card of a post it replies to, quotes or links (by id on the same
   * platform, or by address), or of a post that joined one. Null when none has a card.
   */
  findStoryCard(platform: string, refs: { ids: readonly string[]; urls: readonly string[] }): Promise<number | null>;
  /**
   * Records a post as part of a card's story, at once: the post and its verdict (marked as the card's), the story
   * line on the card, and the card's score raised to the post's when higher. Null when the post was already seen.
   */
  joinStory(post: Post, triage: Triage, opportunityId: number, entry: StoryPost, source?: string): Promise<{ opportunityId: number } | null>;
  /** The kind each post was given when seen before, null for a new one: seenKind for many posts in one query. */
  seenKinds(posts: readonly PostRef[]): Promise<(Kind | null)[]>;
  /**
   * Many posts at once, in one transaction (a replay, a backfill): each as recordPost, or joinStory for a post that
   * joins a card, would store it, in order. Null for a post already seen (or given twice in the batch: the first
   * counts). All or nothing: when it fails, none of them is stored.
   */
  recordPosts(batch: readonly PostWrite[]): Promise<({ opportunityId: number | null } | null)[]>;
  /** Kinds counted by post creation time. */
  countByKind(range?: Range): Promise<Record<Kind, number>>;
  /** Posts Kairos read (received) in the range. */
  postsRead(range?: Range): Promise<number>;
  /** Posts received in the range by the source they came in through (posts stored before sources were kept: by platform). */
  postsBySource(range?: Range): Promise<Record<string, number>>;
  /** Each verdict's post time and kind, for posts written in the range (the digest's hourly chart). */
  verdictTimes(range: Required<Range>): Promise<{ at: string; kind: Kind }[]>;
  /** The oldest and newest post times, or null for an empty store. */
  postSpan(): Promise<{ first: string; last: string } | null>;
  /** A post the store has seen, by its URL (or, for X links, its status id). */
  findPostByUrl(url: string): Promise<Post | null>;
}

export type CardCounts = Record<CardKind, Record<Status, number>>;

export interface Decisions {
  approved: number;
  claimed: number;
  edited: number;
  regenerated: number;
  dismissed: number;
  dismissedBy: Partial<Record<DismissReason | 'unknown', number>>;
}

export interface CardFilter {
  status?: Status[];
  kind?: CardKind;
  from?: string;
  to?: string;
  limit?: number;
  offset?: number;
}

export interface CardStore {
  getOpportunity(id: number): Promise<Opportunity | null>;
  getOpportunityByPost(post: PostRef): Promise<Opportunity | null>;
  /** The card read model: the card, its history and its deliveries in one call. */
  card(id: number): Promise<CardView | null>;
  /** Newest first, each with its history and deliveries. */
  listCards(filter?: CardFilter): Promise<CardView[]>;
  /**
   * The digest's cards, the best `limit` of each: open opportunities whose post was written before the range's end
   * (highest score first), and risks posted in the range or still open from before (open ones first, then by score).
   */
  digestCards(range: Required<Range>, limit: number): Promise<{ opportunities: CardView[]; risks: CardView[] }>;
  /** Replaces a card's content (an edit, a regenerated draft) and records who did it. */
  updateAnalysis(id: number, analysis: Analysis, actor: Actor, action: string, detail?: string): Promise<TransitionResult>;
  /**
   * Moves a card along its lifecycle, atomically: two people clicking at once (on one worker or two) get one
   * change and one "already done". 'flagged' is the delivery step and is not audited as a person's action.
   */
  transition(id: number, to: Status, actor: Actor, reason?: DismissReason | string, detail?: string): Promise<TransitionResult>;
  audit(opportunityId: number, actor: Actor, action: string, reason: string | null, detail: string | null): Promise<void>;
  actionsFor(opportunityId: number): Promise<ActionRecord[]>;
  /** Approvals and dismissals in the range, oldest first, with the card's summary and deliveries. */
  decisionsBetween(range: Required<Range>): Promise<(ActionRecord & { summary: string; deliveries: OutboxItem[] })[]>;
  /** Gestures proposed on cards created in the current calendar month (UTC), for the catalogue's caps. */
  gestureUsageThisMonth(): Promise<(gestureId: string) => number>;
  /** Cards made in the range, by kind and current status. */
  cardsByKindAndStatus(range?: Range): Promise<CardCounts>;
  /** What people did in the range, from the audit trail. */
  decisions(range?: Range): Promise<Decisions>;
}

export interface OutboxStats {
  queue: 'cards' | 'messages';
  sink: string;
  pending: number;
  /** created_at of the oldest pending item, or null. */
  oldest: string | null;
}

export interface OutboxStore {
  enqueue(opportunityId: number, sink: string): Promise<void>;
  /**
   * Claims the oldest pending item of a sink that is due and not held by another worker, for `leaseMs`: cards
   * leave in the order they were made, and a worker that dies gives its items back when the lease runs out.
   */
  claimNext(sink: string, worker: string, leaseMs: number): Promise<OutboxItem | null>;
  /**
   * As claimNext, the oldest `limit` such items in queue order, for a sink that takes several at once (one that
   * prints): one write instead of one an item.
   */
  claimBatch(sink: string, worker: string, leaseMs: number, limit: number): Promise<OutboxItem[]>;
  /** Gives back this worker's claims of items it did not deliver (it stopped, or an item ahead of them failed). */
  releaseClaims(items: readonly OutboxItem[], worker: string): Promise<void>;
  /** The oldest pending item of a sink, claimed or not, due or not (what blocks the queue). */
  nextPending(sink: string): Promise<OutboxItem | null>;
  pendingCount(sink?: string): Promise<number>;
  /** Per queue (cards, messages) and sink: how many items wait, and since when the oldest (for /metrics). */
  outboxStats(): Promise<OutboxStats[]>;
  outboxFor(opportunityId: number, sink: string): Promise<OutboxItem | null>;
  findOutboxByMessage(messageId: string): Promise<OutboxItem | null>;
  /** Written before a card's first post (and kept): from then on a copy of it may exist. */
  markAttempt(item: OutboxItem): Promise<void>;
  /** markAttempt for several items, in one write. */
  markAttempts(items: readonly OutboxItem[]): Promise<void>;
  /** Delivered: remember where, so a restart never posts it again, and mark the card flagged. */
  markSent(item: OutboxItem, ref: DeliveryRef): Promise<void>;
  /** markSent for several items, in one transaction. */
  markSentMany(sent: readonly { item: OutboxItem; ref: DeliveryRef }[]): Promise<void>;
  /** A failed attempt: try again at `retryAt`, or give up (status failed) when the failure is permanent. */
  markAttemptFailed(item: OutboxItem, error: string, retryAt: Date | null): Promise<void>;
  setThread(outboxId: number, threadId: string): Promise<void>;
}

/** The outbox of every message that is not a card. */
export interface MessageStore {
  /** Queues a message; a key already queued (a resumed replay, a retried tick) is kept as it is. True when new. */
  queueMessage(m: NewMessage): Promise<boolean>;
  messageByKey(key: string): Promise<QueuedMessage | null>;
  /** As claimNext for cards: the oldest pending message of a sink not held by another worker, held for leaseMs. */
  claimNextMessage(sink: string, worker: string, leaseMs: number): Promise<QueuedMessage | null>;
  pendingMessages(sink?: string): Promise<number>;
  /** Written before the first post: from then on a copy may exist. Returns the first attempt's time. */
  markMessageAttempt(id: number): Promise<string>;
  markMessageSent(id: number, messageId: string): Promise<void>;
  markMessageFailed(id: number, error: string, retryAt: Date | null): Promise<void>;
}

export interface CursorStore {
  getCursor(source: string): Promise<string | null>;
  setCursor(source: string, value: string): Promise<void>;
}

export interface WatchTerm {
  term: string;
  kind: 'term' | 'event';
  addedBy: string;
  addedAt: string;
}

export interface WatchStore {
  /** False when the term (in any case) was already watched. */
  addWatch(term: string, kind: 'term' | 'event', actor: Actor): Promise<boolean>;
  removeWatch(term: string): Promise<boolean>;
  listWatch(): Promise<WatchTerm[]>;
}

export interface MomentStore {
  /**
   * Records a moment; the same term at the same stream time (a replay, a resumed one) is recorded once. Returns its
   * row, with whether this call made it.
   */
  recordMoment(m: Moment, at?: Date): Promise<{ moment: StoredMoment; isNew: boolean }>;
  /** Moments detected in the range (stream time), oldest first. */
  listMoments(range?: Range): Promise<StoredMoment[]>;
  getMoment(id: number): Promise<StoredMoment | null>;
  /** Moments recorded since `since` (wall-clock) that never reached the channel, oldest first. */
  unpostedMoments(since: Date): Promise<StoredMoment[]>;
  markMomentPosted(id: number, ref: DeliveryRef): Promise<void>;
}

export interface DigestRecord {
  day: string;
  sentAt: string;
  late: boolean;
  messageId: string | null;
}

export interface DigestStore {
  digestSent(day: string): Promise<boolean>;
  recordDigest(d: DigestRecord): Promise<void>;
  /** The digest's message, once the courier delivered it. */
  setDigestMessage(day: string, messageId: string): Promise<void>;
  listDigests(): Promise<DigestRecord[]>;
}

export interface XReadStore {
  /** Adds to a day's reads. */
  addXReads(day: string, posts: number, users: number): Promise<void>;
  /** The days with reads in [fromDay, toDay], oldest first (YYYY-MM-DD, UTC). */
  xReads(days: { fromDay: string; toDay: string }): Promise<XReadDay[]>;
}

export interface UsageStore {
  recordLlmUsage(r: LlmUsageRecord): Promise<void>;
  llmUsageTotals(range?: Range): Promise<LlmUsageTotals>;
  /** Times of the calls made since `since`, to restore the call budget after a restart. */
  llmCallTimesSince(since: Date): Promise<Date[]>;
}

export interface ReplyStore {
  getReply(opportunityId: number): Promise<ReplyRecord | null>;
  /**
   * Claims the right to send a card's reply: true for exactly one caller, however many clicks, retries or workers
   * race. The claim is written before the platform is called.
   */
  claimReply(claim: ReplyClaim): Promise<boolean>;
  /**
   * Marks the reply sent, and audits it as the actor's action in the same transaction, as `action` (the platform's:
   * 'x-reply-sent', 'facebook-reply-sent'…). `tweetId` is the reply's id on whichever platform it went to.
   */
  markReplySent(opportunityId: number, sent: { tweetId: string; url: string; at: string }, actor?: Actor, action?: string): Promise<void>;
  /** Gives a claim back when the platform answered that nothing was posted, so the team can try again. */
  releaseReply(opportunityId: number): Promise<void>;
}

/** A post pushed in, waiting for the pipeline. */
export interface InboxItem {
  seq: number;
  post: Post;
  /** The ingress it came through ('ingest', 'meta-facebook'…), for the counts. */
  source: string;
  receivedAt: string;
  /** Earlier attempts that failed. */
  attempts: number;
}

/**
 * Posts pushed in (POST /ingest, Meta's webhooks) are kept here before the sender gets its answer and processed
 * afterwards, so the answer never waits for the model and a crash in between loses nothing.
 */
export interface InboxStore {
  /**
   * Keeps the posts, all in one transaction, oldest last: for each, true when it is new, false when it was stored
   * before or is already waiting (a delivery again).
   */
  receive(posts: readonly { post: Post; source: string }[]): Promise<boolean[]>;
  /** As claimNext: the oldest due post not held by another worker, held for leaseMs. */
  claimInbox(worker: string, leaseMs: number): Promise<InboxItem | null>;
  /** Holds a claim of this worker's for leaseMs more (a slow model). */
  renewInbox(seq: number, worker: string, leaseMs: number): Promise<void>;
  /** Processed: it leaves the inbox. */
  inboxDone(seq: number): Promise<void>;
  /** Processing failed: given back, to be tried again at retryAt. */
  inboxRetry(seq: number, error: string, retryAt: Date): Promise<void>;
  /** Gives back every claim (at start, when no other worker shares the store: a crashed run's claims). */
  releaseInboxClaims(): Promise<number>;
  inboxPending(): Promise<number>;
}

export interface LeaseStore {
  /**
   * Takes or renews a named lease (a live source connection, a scheduler) for `ttlMs`: true when `holder` has it
   * now. Another holder gets it only once the lease has run out, so a worker that dies is replaced.
   */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
}

export interface LabelStore {
  /** Records what a person says a stored post is; returns the label's id. */
  addLabel(post: PostRef, kind: LabelKind, source: LabelSource, actor: Actor): Promise<number>;
  /** Takes a label back (it no longer teaches anything); false when there is no such label or it was undone. */
  undoLabel(id: number, actor: Actor): Promise<boolean>;
  /** Each labelled post's latest label that was not undone, with the post, oldest first. */
  activeLabels(): Promise<{ label: TeamLabel; post: Post }[]>;
  /** Labels given (and not undone) in the range, and when the last one was given. */
  labelSummary(range?: Range): Promise<{ given: number; last: string | null }>;
  /** Stored posts without a label, newest first: where the /label queue looks for the ones the model is least sure of. */
  unlabelledPosts(limit: number): Promise<Post[]>;
  /**
   * Posts written in the range that triage did not make a card of (service or noise, joined no story) and nobody
   * labelled, newest first: where the digest looks for the ones that came close.
   */
  uncardedPosts(range: Required<Range>, limit: number): Promise<Post[]>;
}

/** A post read from where it was made, or why it could not be (said so the team can act on it). */
export type FetchedPost = { ok: true; post: Post } | { ok: false; problem: string };

/** Reads one post by its link from its platform (/missed for a post Kairos never stored). */
export interface PostFetcher {
  fetchPost(url: string): Promise<FetchedPost>;
}

/** Everything Kairos stores, for one brand: a store several brands share is opened once per brand. */
export interface Store
  extends PostStore,
    CardStore,
    OutboxStore,
    MessageStore,
    CursorStore,
    WatchStore,
    MomentStore,
    DigestStore,
    UsageStore,
    ReplyStore,
    LeaseStore,
    LabelStore,
    InboxStore,
    XReadStore {
  /** Which adapter this is, for logs: 'sqlite' or 'postgres'. */
  readonly kind: string;
  /** The brand whose rows this store reads and writes (domain/brand.ts); other brands' rows are not there for it. */
  readonly brand: string;
  /** When this store was created: Kairos's first run on it. */
  createdAt(): Promise<Date>;
  close(): Promise<void>;
}
