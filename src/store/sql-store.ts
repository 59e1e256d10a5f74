import { CompiledQuery, sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import { z } from 'zod';
import { AnalysisSchema, type Analysis, type StoryPost } from '../domain/analysis';
import { BrandIdSchema, DEFAULT_BRAND } from '../domain/brand';
import type { LabelKind, LabelSource, TeamLabel } from '../domain/label';
import type { Moment, StoredMoment } from '../domain/moment';
import {
  canTransition,
  isClosed,
  type ActionRecord,
  type Actor,
  type Clock,
  type DismissReason,
  type Opportunity,
  type Status,
  type TransitionResult,
} from '../domain/opportunity';
import type { DeliveryRef, NewMessage, OutboxItem, QueuedMessage } from '../domain/outbox';
import type {
  OutboxStats,
  CardCounts,
  CardFilter,
  CardView,
  Decisions,
  DigestRecord,
  InboxItem,
  PostRef,
  PostWrite,
  Range,
  Store,
  WatchTerm,
} from '../domain/ports';
import { PostSchema, type Post } from '../domain/post';
import type { ReplyClaim, ReplyRecord } from '../domain/reply';
import type { LlmPurpose, LlmUsageRecord, LlmUsageTotals } from '../domain/usage';
import type { XReadDay } from '../domain/x-reads';
import type { Kind, Signal, Triage } from '../domain/verdict';
import type { Schema } from './schema';

/** A post's key in the store: ids are only unique within a platform. */
export function postKey(post: PostRef): string {
  return `${post.platform}:${post.id}`;
}

type Q = Kysely<Schema>;
type OppRow = Selectable<Schema['opportunities']> & { post_json: string };

const OPEN: Status[] = ['new', 'flagged', 'claimed'];

const SampleSchema = z.object({
  id: z.string().optional(),
  text: z.string(),
  author: z.string().optional(),
  url: z.string().optional(),
  createdAt: z.string(),
  kind: z.enum(['opportunity', 'risk', 'service', 'noise']).optional(),
});

/**
 * The store's one query layer (Kysely), serving SQLite and PostgreSQL alike; the adapters (sqlite.ts,
 * postgres.ts) only open the connection and bring the schema up to date. Every write that must not be half done
 * (a post, its verdict, its card and the card's outbox entries) happens in one transaction. Counts go through
 * Number(): PostgreSQL returns them as strings.
 */
export class SqlStore implements Store {
  constructor(
    /** The query layer: for this adapter and its own tests; the application sees the Store port only. */
    readonly db: Q,
    readonly kind: 'sqlite' | 'postgres',
    /** The one brand whose rows this store reads and writes: every query filters on it, every row written carries it. */
    readonly brand: string = DEFAULT_BRAND,
    private readonly now: Clock = () => new Date(),
    private readonly onClose: () => Promise<void> = () => db.destroy(),
  ) {
    BrandIdSchema.parse(brand);
  }

  /** The same database seen as another brand's store (tools and tests over several brands); closing it leaves the database open. */
  forBrand(brand: string): SqlStore {
    return new SqlStore(this.db, this.kind, brand, this.now, async () => undefined);
  }

  /** Closes after the queries already asked for (a usage record written in the background) have run. */
  async close(): Promise<void> {
    await sql`SELECT 1`.execute(this.db).catch(() => undefined);
    await this.onClose();
  }

  async createdAt(): Promise<Date> {
    const r = await this.db.selectFrom('schema_migrations').select('applied_at').orderBy('version').limit(1).executeTakeFirst();
    return r ? new Date(r.applied_at) : new Date();
  }

  private iso(): string {
    return this.now().toISOString();
  }

  // ── posts and verdicts ────────────────────────────────────────────────────────────────────────────────────

  async getPost(post: PostRef): Promise<Post | null> {
    const r = await this.db.selectFrom('posts').where('brand', '=', this.brand).select('json').where('id', '=', postKey(post)).executeTakeFirst();
    return r ? PostSchema.parse(JSON.parse(r.json)) : null;
  }

  async hasPost(post: PostRef): Promise<boolean> {
    return (await this.db.selectFrom('posts').where('brand', '=', this.brand).select('id').where('id', '=', postKey(post)).executeTakeFirst()) !== undefined;
  }

  async seenKind(post: PostRef): Promise<Kind | null> {
    const r = await this.db.selectFrom('verdicts').where('brand', '=', this.brand).select('kind').where('post_id', '=', postKey(post)).executeTakeFirst();
    return (r?.kind as Kind | undefined) ?? null;
  }

  async seenKinds(posts: readonly PostRef[]): Promise<(Kind | null)[]> {
    const keys = [...new Set(posts.map(postKey))];
    const kinds = new Map<string, Kind>();
    for (const chunk of sizedChunks(keys, 256)) {
      const rows = await this.db.selectFrom('verdicts').where('brand', '=', this.brand).select(['post_id', 'kind']).where('post_id', 'in', chunk).execute();
      for (const r of rows) kinds.set(r.post_id, r.kind as Kind);
    }
    return posts.map((p) => kinds.get(postKey(p)) ?? null);
  }

  async recordPost(post: Post, triage: Triage, card?: { analysis: Analysis; sinks: string[] }, source?: string): Promise<{ opportunityId: number | null } | null> {
    return (await this.recordPosts([{ post, triage, card, source }]))[0] ?? null;
  }

  async joinStory(post: Post, triage: Triage, opportunityId: number, entry: StoryPost, source?: string): Promise<{ opportunityId: number } | null> {
    return ((await this.recordPosts([{ post, triage, source, joins: { opportunityId, entry } }]))[0] ?? null) as { opportunityId: number } | null;
  }

  recordPosts(batch: readonly PostWrite[]): Promise<({ opportunityId: number | null } | null)[]> {
    if (!batch.length) return Promise.resolve([]);
    return this.db.transaction().execute(async (trx) => {
      const at = this.iso();
      const out: ({ opportunityId: number | null } | null)[] = batch.map(() => null);
      // The cards that posts join, as they are now: a card that is not there (or another brand's) takes no post.
      const joined = [...new Set(batch.flatMap((w) => ('joins' in w ? [w.joins.opportunityId] : [])))];
      const cards = new Map<number, { analysis: string; score: number }>();
      if (joined.length) {
        const rows = await trx.selectFrom('opportunities').where('brand', '=', this.brand).select(['id', 'analysis', 'score']).where('id', 'in', joined).execute();
        for (const r of rows) cards.set(r.id, r);
      }
      // Each post once: of a key given twice, the first counts.
      const first = new Map<string, number>();
      batch.forEach((w, i) => {
        const key = postKey(w.post);
        if (!first.has(key) && (!('joins' in w) || cards.has(w.joins.opportunityId))) first.set(key, i);
      });
      // Posts, then their verdicts, many rows a statement: only the posts not stored before go on.
      const stored = new Set<string>();
      for (const chunk of sizedChunks([...first], 256)) {
        const rows = chunk.map(([key, i]) => this.postRow(key, batch[i]!, at));
        const inserted = await this.insertMany(trx, 'posts', rows, () =>
          trx.insertInto('posts').values(rows).onConflict((oc) => oc.doNothing()).returning('id').compile(),
        );
        for (const r of inserted as { id: string }[]) stored.add(r.id);
      }
      const fresh = [...first].filter(([key]) => stored.has(key));
      for (const chunk of sizedChunks(fresh, 256)) {
        const rows = chunk.map(([key, i]) => this.verdictRow(key, batch[i]!, at));
        await this.insertMany(trx, 'verdicts', rows, () => trx.insertInto('verdicts').values(rows).compile());
      }
      for (const [key, i] of fresh) {
        const w = batch[i]!;
        if ('joins' in w) {
          // The story line on the card, and its score raised to the post's: joins to one card add up in order.
          const { opportunityId, entry } = w.joins;
          const row = cards.get(opportunityId)!;
          const analysis = AnalysisSchema.parse(JSON.parse(row.analysis));
          const next = { analysis: JSON.stringify({ ...analysis, story: [...(analysis.story ?? []), entry] }), score: Math.max(row.score, storyScore(row.score, w.triage.score)) };
          cards.set(opportunityId, next);
          await trx.updateTable('opportunities').where('brand', '=', this.brand).set({ ...next, updated_at: at }).where('id', '=', opportunityId).execute();
          out[i] = { opportunityId };
        } else if (w.card && (w.triage.kind === 'opportunity' || w.triage.kind === 'risk')) {
          const opp = await trx
            .insertInto('opportunities')
            .values({
              brand: this.brand,
              post_id: key,
              kind: w.triage.kind,
              score: w.triage.score,
              signals: JSON.stringify(w.triage.signals),
              status: 'new',
              analysis: JSON.stringify(w.card.analysis),
              gesture_id: w.card.analysis.gesture?.id ?? null,
              created_at: at,
              updated_at: at,
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          for (const sink of w.card.sinks) await this.enqueueIn(trx, opp.id, sink, at);
          out[i] = { opportunityId: opp.id };
        } else {
          out[i] = { opportunityId: null };
        }
      }
      return out;
    });
  }

  /** The SQL of the batch inserts by table and number of rows: building it costs more than the insert itself. */
  private readonly batchSql = new Map<string, string>();

  /**
   * Runs a many-row insert of rows that all have the same columns in the same order (none undefined): built by
   * Kysely (`build`) the first time for its table and number of rows, and from then on its SQL text with the rows'
   * values in that order, as Kysely lays them out.
   */
  private async insertMany(trx: Q, table: string, rows: readonly object[], build: () => CompiledQuery): Promise<unknown[]> {
    const columns = Object.keys(rows[0]!);
    const shape = columns.join(',');
    const key = `${table}:${rows.length}:${shape}`;
    const text = this.batchSql.get(key);
    const uniform = rows.every((r) => sameColumns(r as Record<string, unknown>, columns));
    if (text === undefined || !uniform) {
      const compiled = build();
      if (uniform) this.batchSql.set(key, compiled.sql);
      return (await trx.executeQuery(compiled)).rows;
    }
    const parameters: unknown[] = [];
    for (const r of rows) for (const c of columns) parameters.push((r as Record<string, unknown>)[c]);
    return (await trx.executeQuery(CompiledQuery.raw(text, parameters))).rows;
  }

  private postRow(key: string, { post, source }: PostWrite, at: string): Insertable<Schema['posts']> {
    return {
      brand: this.brand,
      id: key,
      platform: post.platform,
      author_handle: post.author.handle,
      created_at: post.createdAt,
      received_at: at,
      json: JSON.stringify(post),
      url: post.url ?? null,
      source: source ?? null,
    };
  }

  private verdictRow(key: string, w: PostWrite, at: string): Insertable<Schema['verdicts']> {
    return {
      brand: this.brand,
      post_id: key,
      kind: w.triage.kind,
      score: w.triage.score,
      signals: JSON.stringify(w.triage.signals),
      lang: w.triage.lang,
      at,
      review: w.triage.review ? JSON.stringify(w.triage.review) : null,
      story_of: 'joins' in w ? w.joins.opportunityId : null,
    };
  }

  async findStoryCard(platform: string, refs: { ids: readonly string[]; urls: readonly string[] }): Promise<number | null> {
    const keys = refs.ids.map((id) => postKey({ platform, id }));
    if (!keys.length && !refs.urls.length) return null;
    // The posts referred to, by id or address: a card of their own, or the card whose story they joined.
    const posts = await this.db
      .selectFrom('posts as p').where('p.brand', '=', this.brand)
      .leftJoin('opportunities as o', (j) => j.onRef('o.post_id', '=', 'p.id').onRef('o.brand', '=', 'p.brand'))
      .leftJoin('verdicts as v', (j) => j.onRef('v.post_id', '=', 'p.id').onRef('v.brand', '=', 'p.brand'))
      .select(['o.id as own', 'v.story_of as joined', 'p.created_at'])
      .where((eb) =>
        eb.or([
          ...(keys.length ? [eb('p.id', 'in', keys)] : []),
          ...(refs.urls.length ? [eb('p.url', 'in', [...refs.urls])] : []),
        ]),
      )
      .orderBy('p.created_at', 'asc')
      .execute();
    for (const r of posts) {
      const id = r.own ?? r.joined;
      if (id !== null && id !== undefined) return Number(id);
    }
    return null;
  }

  async countByKind(range: Range = {}): Promise<Record<Kind, number>> {
    const rows = await this.db
      .selectFrom('verdicts as v').where('v.brand', '=', this.brand)
      .innerJoin('posts as p', (j) => j.onRef('p.id', '=', 'v.post_id').onRef('p.brand', '=', 'v.brand'))
      .select(['v.kind', (eb) => eb.fn.countAll().as('n')])
      .$if(range.from !== undefined, (q) => q.where('p.created_at', '>=', range.from!))
      .$if(range.to !== undefined, (q) => q.where('p.created_at', '<', range.to!))
      .groupBy('v.kind')
      .execute();
    const out: Record<Kind, number> = { opportunity: 0, risk: 0, service: 0, noise: 0 };
    for (const r of rows) out[r.kind as Kind] = Number(r.n);
    return out;
  }

  async postsBySource(range: Range = {}): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('posts').where('brand', '=', this.brand)
      .select((eb) => [eb.fn.coalesce('source', 'platform').as('source'), eb.fn.countAll().as('n')])
      .$if(range.from !== undefined, (q) => q.where('received_at', '>=', range.from!))
      .$if(range.to !== undefined, (q) => q.where('received_at', '<', range.to!))
      .groupBy((eb) => eb.fn.coalesce('source', 'platform'))
      .execute();
    return Object.fromEntries(rows.map((r) => [String(r.source), Number(r.n)]));
  }

  async postsRead(range: Range = {}): Promise<number> {
    const r = await this.db
      .selectFrom('posts').where('brand', '=', this.brand)
      .select((eb) => eb.fn.countAll().as('n'))
      .$if(range.from !== undefined, (q) => q.where('received_at', '>=', range.from!))
      .$if(range.to !== undefined, (q) => q.where('received_at', '<', range.to!))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async verdictTimes(range: Required<Range>): Promise<{ at: string; kind: Kind }[]> {
    const rows = await this.db
      .selectFrom('posts as p').where('p.brand', '=', this.brand)
      .innerJoin('verdicts as v', (j) => j.onRef('v.post_id', '=', 'p.id').onRef('v.brand', '=', 'p.brand'))
      .select(['p.created_at as at', 'v.kind as kind'])
      .where('p.created_at', '>=', range.from)
      .where('p.created_at', '<', range.to)
      .execute();
    return rows as { at: string; kind: Kind }[];
  }

  async postSpan(): Promise<{ first: string; last: string } | null> {
    const r = await this.db
      .selectFrom('posts').where('brand', '=', this.brand)
      .select((eb) => [eb.fn.min('created_at').as('a'), eb.fn.max('created_at').as('b')])
      .executeTakeFirst();
    return r?.a && r.b ? { first: String(r.a), last: String(r.b) } : null;
  }

  async findPostByUrl(url: string): Promise<Post | null> {
    const byUrl = await this.db.selectFrom('posts').where('brand', '=', this.brand).select('json').where('url', '=', url).limit(1).executeTakeFirst();
    const xId = /^https?:\/\/(?:www\.|mobile\.)?(?:x|twitter)\.com\/[^/]+\/status\/(\d+)/i.exec(url)?.[1];
    const row = byUrl ?? (xId ? await this.db.selectFrom('posts').where('brand', '=', this.brand).select('json').where('id', '=', `x:${xId}`).executeTakeFirst() : undefined);
    if (!row) return null;
    return PostSchema.parse(JSON.parse(row.json));
  }

  // ── cards ─────────────────────────────────────────────────────────────────────────────────────────────────

  private opps(q: Q = this.db) {
    return q.selectFrom('opportunities as o').where('o.brand', '=', this.brand).innerJoin('posts as p', (j) => j.onRef('p.id', '=', 'o.post_id').onRef('p.brand', '=', 'o.brand')).selectAll('o').select('p.json as post_json');
  }

  async getOpportunity(id: number, q: Q = this.db): Promise<Opportunity | null> {
    const r = await this.opps(q).where('o.id', '=', id).executeTakeFirst();
    return r ? toOpportunity(r) : null;
  }

  async getOpportunityByPost(post: PostRef): Promise<Opportunity | null> {
    const r = await this.opps().where('o.post_id', '=', postKey(post)).executeTakeFirst();
    return r ? toOpportunity(r) : null;
  }

  async card(id: number): Promise<CardView | null> {
    const [view] = await this.views(await this.opps().where('o.id', '=', id).execute());
    return view ?? null;
  }

  async listCards(filter: CardFilter = {}): Promise<CardView[]> {
    const rows = await this.opps()
      .$if(Boolean(filter.status?.length), (q) => q.where('o.status', 'in', filter.status!))
      .$if(filter.kind !== undefined, (q) => q.where('o.kind', '=', filter.kind!))
      .$if(filter.from !== undefined, (q) => q.where('o.created_at', '>=', filter.from!))
      .$if(filter.to !== undefined, (q) => q.where('o.created_at', '<', filter.to!))
      .orderBy('o.created_at', 'desc')
      .orderBy('o.id', 'desc')
      .limit(filter.limit ?? 50)
      .offset(filter.offset ?? 0)
      .execute();
    return this.views(rows);
  }

  async digestCards(range: Required<Range>, limit: number): Promise<{ opportunities: CardView[]; risks: CardView[] }> {
    // Cards are placed in time by their post (stream time), so a replay of old posts gets the right day. The best
    // `limit` of each in the database's own order: the open cards of a long unattended run can be tens of thousands.
    const open = await this.opps()
      .where('o.kind', '=', 'opportunity')
      .where('o.status', 'in', OPEN)
      .where('p.created_at', '<', range.to)
      .orderBy('o.score', 'desc')
      .orderBy('o.created_at', 'asc')
      .orderBy('o.id', 'asc')
      .limit(limit)
      .execute();
    const risks = await this.opps()
      .where('o.kind', '=', 'risk')
      .where((eb) =>
        eb.or([
          eb.and([eb('p.created_at', '>=', range.from), eb('p.created_at', '<', range.to)]),
          eb.and([eb('o.status', 'in', OPEN), eb('p.created_at', '<', range.from)]),
        ]),
      )
      // Open ones first, then by score.
      .orderBy((eb) => eb.case().when('o.status', 'in', OPEN).then(0).else(1).end(), 'asc')
      .orderBy('o.score', 'desc')
      .orderBy('o.id', 'asc')
      .limit(limit)
      .execute();
    return { opportunities: await this.views(open), risks: await this.views(risks) };
  }

  /** Cards with their histories and deliveries: three queries however many cards. */
  private async views(rows: OppRow[], q: Q = this.db): Promise<CardView[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const actions = await q.selectFrom('actions').where('brand', '=', this.brand).selectAll().where('opportunity_id', 'in', ids).orderBy('id').execute();
    const outbox = await q.selectFrom('outbox').where('brand', '=', this.brand).selectAll().where('opportunity_id', 'in', ids).orderBy('id').execute();
    return rows.map((r) => ({
      opportunity: toOpportunity(r),
      history: actions.filter((a) => a.opportunity_id === r.id).map(toAction),
      deliveries: outbox.filter((o) => o.opportunity_id === r.id).map(toOutbox),
    }));
  }

  updateAnalysis(id: number, analysis: Analysis, actor: Actor, action: string, detail?: string): Promise<TransitionResult> {
    return this.db.transaction().execute(async (trx): Promise<TransitionResult> => {
      const current = await this.getOpportunity(id, trx);
      if (!current) return { ok: false, opportunity: undefined as never, reason: 'not-found' };
      if (isClosed(current.status)) return { ok: false, opportunity: current, reason: 'closed' };
      const changed = await trx
        .updateTable('opportunities').where('brand', '=', this.brand)
        .set({ analysis: JSON.stringify(analysis), gesture_id: analysis.gesture?.id ?? null, updated_at: this.iso() })
        .where('id', '=', id)
        .where('status', 'not in', ['approved', 'dismissed'])
        .executeTakeFirst();
      // Closed by someone else (another worker) between the read and the write.
      if (Number(changed.numUpdatedRows) === 0) {
        return { ok: false, opportunity: (await this.getOpportunity(id, trx)) ?? current, reason: 'closed' };
      }
      await this.auditIn(trx, id, actor, action, null, detail ?? null);
      return { ok: true, opportunity: (await this.getOpportunity(id, trx))! };
    });
  }

  transition(id: number, to: Status, actor: Actor, reason?: DismissReason | string, detail?: string): Promise<TransitionResult> {
    return this.db.transaction().execute(async (trx): Promise<TransitionResult> => {
      const refuse = (o: Opportunity): TransitionResult => ({ ok: false, opportunity: o, reason: isClosed(o.status) ? 'closed' : 'not-allowed' });
      const current = await this.getOpportunity(id, trx);
      if (!current) return { ok: false, opportunity: undefined as never, reason: 'not-found' };
      if (!canTransition(current.status, to)) return refuse(current);
      const claimedBy = to === 'claimed' ? actor.name : current.claimedBy;
      // Conditional on the status read: of two clicks racing (on one worker or two), one changes the card.
      const changed = await trx
        .updateTable('opportunities').where('brand', '=', this.brand)
        .set({ status: to, claimed_by: claimedBy, updated_at: this.iso() })
        .where('id', '=', id)
        .where('status', '=', current.status)
        .executeTakeFirst();
      if (Number(changed.numUpdatedRows) === 0) return refuse((await this.getOpportunity(id, trx)) ?? current);
      if (to !== 'flagged') await this.auditIn(trx, id, actor, to, reason ?? null, detail ?? null);
      return { ok: true, opportunity: (await this.getOpportunity(id, trx))! };
    });
  }

  async audit(opportunityId: number, actor: Actor, action: string, reason: string | null, detail: string | null): Promise<void> {
    if (!(await this.owns(opportunityId))) throw new Error(`card ${opportunityId} is not one of brand ${this.brand}'s`);
    return this.auditIn(this.db, opportunityId, actor, action, reason, detail);
  }

  /** Whether a card is this brand's: card ids are unique in the database, so a write naming one must check it. */
  private async owns(opportunityId: number): Promise<boolean> {
    const r = await this.db.selectFrom('opportunities').select('id').where('brand', '=', this.brand).where('id', '=', opportunityId).executeTakeFirst();
    return r !== undefined;
  }

  private async auditIn(q: Q, opportunityId: number, actor: Actor, action: string, reason: string | null, detail: string | null): Promise<void> {
    await q
      .insertInto('actions')
      .values({ brand: this.brand, opportunity_id: opportunityId, actor_id: actor.id, actor_name: actor.name, action, reason, detail, at: this.iso() })
      .execute();
  }

  async actionsFor(opportunityId: number): Promise<ActionRecord[]> {
    const rows = await this.db.selectFrom('actions').where('brand', '=', this.brand).selectAll().where('opportunity_id', '=', opportunityId).orderBy('id').execute();
    return rows.map(toAction);
  }

  async decisionsBetween(range: Required<Range>): Promise<(ActionRecord & { summary: string; deliveries: OutboxItem[] })[]> {
    const rows = await this.db
      .selectFrom('actions as a').where('a.brand', '=', this.brand)
      .innerJoin('opportunities as o', (j) => j.onRef('o.id', '=', 'a.opportunity_id').onRef('o.brand', '=', 'a.brand'))
      .selectAll('a')
      .select('o.analysis')
      .where('a.action', 'in', ['approved', 'dismissed'])
      .where('a.at', '>=', range.from)
      .where('a.at', '<', range.to)
      .orderBy('a.at')
      .orderBy('a.id')
      .execute();
    const ids = [...new Set(rows.map((r) => r.opportunity_id))];
    const outbox = ids.length ? await this.db.selectFrom('outbox').where('brand', '=', this.brand).selectAll().where('opportunity_id', 'in', ids).orderBy('id').execute() : [];
    return rows.map((r) => ({
      ...toAction(r),
      summary: summaryOf(r.analysis),
      deliveries: outbox.filter((o) => o.opportunity_id === r.opportunity_id).map(toOutbox),
    }));
  }

  async gestureUsageThisMonth(): Promise<(gestureId: string) => number> {
    const now = this.now();
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
    const rows = await this.db
      .selectFrom('opportunities').where('brand', '=', this.brand)
      .select(['gesture_id', (eb) => eb.fn.countAll().as('n')])
      .where('gesture_id', 'is not', null)
      .where('created_at', '>=', start)
      .where('status', '!=', 'dismissed')
      .groupBy('gesture_id')
      .execute();
    const counts = new Map(rows.map((r) => [r.gesture_id, Number(r.n)]));
    return (id) => counts.get(id) ?? 0;
  }

  async cardsByKindAndStatus(range: Range = {}): Promise<CardCounts> {
    const zero = (): Record<Status, number> => ({ new: 0, flagged: 0, claimed: 0, approved: 0, dismissed: 0 });
    const out: CardCounts = { opportunity: zero(), risk: zero() };
    const rows = await this.db
      .selectFrom('opportunities').where('brand', '=', this.brand)
      .select(['kind', 'status', (eb) => eb.fn.countAll().as('n')])
      .$if(range.from !== undefined, (q) => q.where('created_at', '>=', range.from!))
      .$if(range.to !== undefined, (q) => q.where('created_at', '<', range.to!))
      .groupBy(['kind', 'status'])
      .execute();
    for (const r of rows) out[r.kind][r.status as Status] = Number(r.n);
    return out;
  }

  async decisions(range: Range = {}): Promise<Decisions> {
    const rows = await this.db
      .selectFrom('actions').where('brand', '=', this.brand)
      .select(['action', 'reason', (eb) => eb.fn.countAll().as('n')])
      .$if(range.from !== undefined, (q) => q.where('at', '>=', range.from!))
      .$if(range.to !== undefined, (q) => q.where('at', '<', range.to!))
      .groupBy(['action', 'reason'])
      .execute();
    const out: Decisions = { approved: 0, claimed: 0, edited: 0, regenerated: 0, dismissed: 0, dismissedBy: {} };
    for (const row of rows) {
      const n = Number(row.n);
      if (row.action === 'dismissed') {
        out.dismissed += n;
        const key = (row.reason ?? 'unknown') as DismissReason | 'unknown';
        out.dismissedBy[key] = (out.dismissedBy[key] ?? 0) + n;
      } else if (row.action === 'approved' || row.action === 'claimed' || row.action === 'edited' || row.action === 'regenerated') {
        out[row.action] += n;
      }
    }
    return out;
  }

  // ── outbox ────────────────────────────────────────────────────────────────────────────────────────────────

  async enqueue(opportunityId: number, sink: string): Promise<void> {
    if (await this.owns(opportunityId)) await this.enqueueIn(this.db, opportunityId, sink, this.iso());
  }

  private async enqueueIn(q: Q, opportunityId: number, sink: string, at: string): Promise<void> {
    await q
      .insertInto('outbox')
      .values({ brand: this.brand, opportunity_id: opportunityId, sink, status: 'pending', next_attempt_at: at, created_at: at })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async claimNext(sink: string, worker: string, leaseMs: number): Promise<OutboxItem | null> {
    return (await this.claimBatch(sink, worker, leaseMs, 1))[0] ?? null;
  }

  async claimBatch(sink: string, worker: string, leaseMs: number, limit: number): Promise<OutboxItem[]> {
    const now = this.now();
    const at = now.toISOString();
    // The head of the queue not held by another worker. On PostgreSQL, SKIP LOCKED lets two workers claim two
    // different rows at once instead of waiting on each other; the claim itself is the row's lease.
    const head = this.db
      .selectFrom('outbox').where('brand', '=', this.brand)
      .select('id')
      .where('sink', '=', sink)
      .where('status', '=', 'pending')
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', at), eb('claimed_by', '=', worker)]))
      .orderBy('id')
      .limit(Math.max(1, Math.floor(limit)));
    // The head chosen once, in a CTE: PostgreSQL may run an IN (… LIMIT n) subquery again as it updates.
    const rows = await this.db
      .with('head', () => (this.kind === 'postgres' ? head.forUpdate().skipLocked() : head) as typeof head)
      .updateTable('outbox').where('brand', '=', this.brand)
      .set({ claimed_by: worker, claimed_until: new Date(now.getTime() + leaseMs).toISOString() })
      .where('id', 'in', (eb) => eb.selectFrom('head').select('head.id'))
      .returningAll()
      .execute();
    // RETURNING keeps no order: the queue's is the ids'.
    return rows.map(toOutbox).sort((a, b) => a.id - b.id);
  }

  async releaseClaims(items: readonly OutboxItem[], worker: string): Promise<void> {
    await this.inTransaction(items.length, async (q) => {
      for (const item of items) {
        await q
          .updateTable('outbox').where('brand', '=', this.brand)
          .set({ claimed_by: null, claimed_until: null })
          .where('id', '=', item.id)
          .where('claimed_by', '=', worker)
          .where('status', '=', 'pending')
          .execute();
      }
    });
  }

  /** Runs `write` once: on the store itself for a single statement, in one transaction for several. */
  private async inTransaction(statements: number, write: (q: Q) => Promise<void>): Promise<void> {
    if (statements <= 0) return;
    if (statements === 1) await write(this.db);
    else await this.db.transaction().execute(write);
  }

  async nextPending(sink: string): Promise<OutboxItem | null> {
    const r = await this.db
      .selectFrom('outbox').where('brand', '=', this.brand)
      .selectAll()
      .where('sink', '=', sink)
      .where('status', '=', 'pending')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    return r ? toOutbox(r) : null;
  }

  async outboxStats(): Promise<OutboxStats[]> {
    const out: OutboxStats[] = [];
    for (const [queue, table] of [['cards', 'outbox'], ['messages', 'messages']] as const) {
      const rows = await this.db
        .selectFrom(table)
        .where('brand', '=', this.brand)
        .select((eb) => ['sink', eb.fn.countAll().as('n'), eb.fn.min('created_at').as('oldest')])
        .where('status', '=', 'pending')
        .groupBy('sink')
        .execute();
      for (const r of rows) out.push({ queue, sink: String(r.sink), pending: Number(r.n), oldest: r.oldest ? String(r.oldest) : null });
    }
    return out;
  }

  async pendingCount(sink?: string): Promise<number> {
    const r = await this.db
      .selectFrom('outbox').where('brand', '=', this.brand)
      .select((eb) => eb.fn.countAll().as('n'))
      .where('status', '=', 'pending')
      .$if(sink !== undefined, (q) => q.where('sink', '=', sink!))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async outboxFor(opportunityId: number, sink: string): Promise<OutboxItem | null> {
    const r = await this.db.selectFrom('outbox').where('brand', '=', this.brand).selectAll().where('opportunity_id', '=', opportunityId).where('sink', '=', sink).executeTakeFirst();
    return r ? toOutbox(r) : null;
  }

  async findOutboxByMessage(messageId: string): Promise<OutboxItem | null> {
    const r = await this.db.selectFrom('outbox').where('brand', '=', this.brand).selectAll().where('message_id', '=', messageId).executeTakeFirst();
    return r ? toOutbox(r) : null;
  }

  markAttempt(item: OutboxItem): Promise<void> {
    return this.markAttempts([item]);
  }

  async markAttempts(items: readonly OutboxItem[]): Promise<void> {
    const todo = items.filter((i) => !i.firstAttemptAt);
    if (!todo.length) return;
    // One statement an item, the same text whatever the count (a list of ids would prepare one per length).
    await this.inTransaction(todo.length, async (q) => {
      const at = this.iso();
      for (const item of todo) {
        await q
          .updateTable('outbox').where('brand', '=', this.brand)
          .set((eb) => ({ first_attempt_at: eb.fn.coalesce('first_attempt_at', eb.val(at)) }))
          .where('id', '=', item.id)
          .execute();
      }
    });
  }

  markSent(item: OutboxItem, ref: DeliveryRef): Promise<void> {
    return this.markSentMany([{ item, ref }]);
  }

  async markSentMany(sent: readonly { item: OutboxItem; ref: DeliveryRef }[]): Promise<void> {
    if (!sent.length) return;
    const at = this.iso();
    // On PostgreSQL each card is its own transaction: one holding several cards' opportunity rows deadlocks with a
    // batch of posts joining those cards' stories in another order. SQLite has one writer: one transaction serves.
    if (this.kind === 'postgres') {
      for (const { item, ref } of sent) await this.db.transaction().execute((trx) => this.markSentIn(trx, item, ref, at));
      return;
    }
    await this.db.transaction().execute(async (trx) => {
      for (const { item, ref } of sent) await this.markSentIn(trx, item, ref, at);
    });
  }

  private async markSentIn(trx: Q, item: OutboxItem, ref: DeliveryRef, at: string): Promise<void> {
    await trx
      .updateTable('outbox').where('brand', '=', this.brand)
      .set((eb) => ({
        status: 'sent',
        message_id: ref.messageId,
        channel_id: ref.channelId ?? null,
        sent_at: at,
        attempts: eb('attempts', '+', 1),
        claimed_by: null,
        claimed_until: null,
      }))
      .where('id', '=', item.id)
      .execute();
    await trx.updateTable('opportunities').where('brand', '=', this.brand).set({ status: 'flagged', updated_at: at }).where('id', '=', item.opportunityId).where('status', '=', 'new').execute();
  }

  async markAttemptFailed(item: OutboxItem, error: string, retryAt: Date | null): Promise<void> {
    await this.db
      .updateTable('outbox').where('brand', '=', this.brand)
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        last_error: error.slice(0, 500),
        next_attempt_at: (retryAt ?? this.now()).toISOString(),
        status: retryAt ? 'pending' : 'failed',
        claimed_by: null,
        claimed_until: null,
      }))
      .where('id', '=', item.id)
      .execute();
  }

  async setThread(outboxId: number, threadId: string): Promise<void> {
    await this.db.updateTable('outbox').where('brand', '=', this.brand).set({ thread_id: threadId }).where('id', '=', outboxId).execute();
  }

  // ── messages (everything sent that is not a card) ─────────────────────────────────────────────────────────

  async queueMessage(m: NewMessage): Promise<boolean> {
    const at = this.iso();
    const r = await this.db
      .insertInto('messages')
      .values({
        brand: this.brand,
        key: m.key,
        sink: m.sink,
        channel_id: m.channelId ?? null,
        body: JSON.stringify(m.body),
        file_name: m.file?.name ?? null,
        file_data: m.file?.data ?? null,
        status: 'pending',
        next_attempt_at: at,
        created_at: at,
      })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async messageByKey(key: string): Promise<QueuedMessage | null> {
    const r = await this.db.selectFrom('messages').where('brand', '=', this.brand).selectAll().where('key', '=', key).executeTakeFirst();
    return r ? toMessage(r) : null;
  }

  async claimNextMessage(sink: string, worker: string, leaseMs: number): Promise<QueuedMessage | null> {
    const now = this.now();
    const at = now.toISOString();
    const head = this.db
      .selectFrom('messages').where('brand', '=', this.brand)
      .select('id')
      .where('sink', '=', sink)
      .where('status', '=', 'pending')
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', at), eb('claimed_by', '=', worker)]))
      .orderBy('id')
      .limit(1);
    const r = await this.db
      .updateTable('messages').where('brand', '=', this.brand)
      .set({ claimed_by: worker, claimed_until: new Date(now.getTime() + leaseMs).toISOString() })
      .where('id', '=', (this.kind === 'postgres' ? head.forUpdate().skipLocked() : head) as typeof head)
      .returningAll()
      .executeTakeFirst();
    return r ? toMessage(r) : null;
  }

  async pendingMessages(sink?: string): Promise<number> {
    const r = await this.db
      .selectFrom('messages').where('brand', '=', this.brand)
      .select((eb) => eb.fn.countAll().as('n'))
      .where('status', '=', 'pending')
      .$if(sink !== undefined, (q) => q.where('sink', '=', sink!))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async markMessageAttempt(id: number): Promise<string> {
    const r = await this.db
      .updateTable('messages').where('brand', '=', this.brand)
      .set((eb) => ({ first_attempt_at: eb.fn.coalesce('first_attempt_at', eb.val(this.iso())) }))
      .where('id', '=', id)
      .returning('first_attempt_at')
      .executeTakeFirstOrThrow();
    return r.first_attempt_at!;
  }

  async markMessageSent(id: number, messageId: string): Promise<void> {
    await this.db
      .updateTable('messages').where('brand', '=', this.brand)
      .set((eb) => ({ status: 'sent', message_id: messageId, sent_at: this.iso(), attempts: eb('attempts', '+', 1), claimed_by: null, claimed_until: null }))
      .where('id', '=', id)
      .execute();
  }

  async markMessageFailed(id: number, error: string, retryAt: Date | null): Promise<void> {
    await this.db
      .updateTable('messages').where('brand', '=', this.brand)
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        last_error: error.slice(0, 500),
        next_attempt_at: (retryAt ?? this.now()).toISOString(),
        status: retryAt ? 'pending' : 'failed',
        claimed_by: null,
        claimed_until: null,
      }))
      .where('id', '=', id)
      .execute();
  }

  // ── team labels ───────────────────────────────────────────────────────────────────────────────────────────

  async addLabel(post: PostRef, kind: LabelKind, source: LabelSource, actor: Actor): Promise<number> {
    const r = await this.db
      .insertInto('labels')
      .values({ brand: this.brand, post_id: postKey(post), kind, source, actor_id: actor.id, actor_name: actor.name, at: this.iso(), undone_at: null, undone_by: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(r.id);
  }

  async undoLabel(id: number, actor: Actor): Promise<boolean> {
    const r = await this.db
      .updateTable('labels').where('brand', '=', this.brand)
      .set({ undone_at: this.iso(), undone_by: actor.name })
      .where('id', '=', id)
      .where('undone_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async activeLabels(): Promise<{ label: TeamLabel; post: Post }[]> {
    // A post's latest label counts (a later /label answer corrects an earlier click); an undone one counts for none.
    const rows = await this.db
      .selectFrom('labels as l').where('l.brand', '=', this.brand)
      .innerJoin('posts as p', (j) => j.onRef('p.id', '=', 'l.post_id').onRef('p.brand', '=', 'l.brand'))
      .select(['l.id', 'l.post_id', 'l.kind', 'l.source', 'l.actor_id', 'l.actor_name', 'l.at', 'p.json'])
      .where('l.undone_at', 'is', null)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('labels as n').where('n.brand', '=', this.brand).select('n.id').whereRef('n.post_id', '=', 'l.post_id').whereRef('n.id', '>', 'l.id').where('n.undone_at', 'is', null))),
      )
      .orderBy('l.id')
      .execute();
    return rows.map((r) => ({
      label: { id: Number(r.id), postId: r.post_id, kind: r.kind as LabelKind, source: r.source as LabelSource, by: { id: r.actor_id, name: r.actor_name }, at: r.at },
      post: PostSchema.parse(JSON.parse(r.json)),
    }));
  }

  async labelSummary(range: Range = {}): Promise<{ given: number; last: string | null }> {
    let q = this.db.selectFrom('labels').where('brand', '=', this.brand).select([(eb) => eb.fn.countAll().as('n'), (eb) => eb.fn.max('at').as('last')]).where('undone_at', 'is', null);
    if (range.from) q = q.where('at', '>=', range.from);
    if (range.to) q = q.where('at', '<', range.to);
    const r = await q.executeTakeFirst();
    return { given: Number(r?.n ?? 0), last: (r?.last as string | null | undefined) ?? null };
  }

  async unlabelledPosts(limit: number): Promise<Post[]> {
    const rows = await this.db
      .selectFrom('posts as p').where('p.brand', '=', this.brand)
      .select('p.json')
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('labels as l').where('l.brand', '=', this.brand).select('l.id').whereRef('l.post_id', '=', 'p.id').where('l.undone_at', 'is', null))))
      .orderBy('p.created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => PostSchema.parse(JSON.parse(r.json)));
  }

  async uncardedPosts(range: Required<Range>, limit: number): Promise<Post[]> {
    const rows = await this.db
      .selectFrom('posts as p').where('p.brand', '=', this.brand)
      .innerJoin('verdicts as v', (j) => j.onRef('v.post_id', '=', 'p.id').onRef('v.brand', '=', 'p.brand'))
      .select('p.json')
      // Service and noise, and moments kept uncarded (a team that takes cards for clear moments only).
      .where(({ or, eb }) => or([eb('v.kind', 'in', ['service', 'noise']), eb('v.review', 'is not', null)]))
      .where('v.story_of', 'is', null)
      .where('p.created_at', '>=', range.from)
      .where('p.created_at', '<', range.to)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('labels as l').where('l.brand', '=', this.brand).select('l.id').whereRef('l.post_id', '=', 'p.id').where('l.undone_at', 'is', null))))
      .orderBy('p.created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => PostSchema.parse(JSON.parse(r.json)));
  }

  // ── cursors, watch terms ──────────────────────────────────────────────────────────────────────────────────

  async getCursor(source: string): Promise<string | null> {
    const r = await this.db.selectFrom('cursors').where('brand', '=', this.brand).select('value').where('source', '=', source).executeTakeFirst();
    return r?.value ?? null;
  }

  async setCursor(source: string, value: string): Promise<void> {
    await this.db
      .insertInto('cursors')
      .values({ brand: this.brand, source, value, updated_at: this.iso() })
      .onConflict((oc) => oc.columns(['brand', 'source']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), updated_at: eb.ref('excluded.updated_at') })))
      .execute();
  }

  async addWatch(term: string, kind: 'term' | 'event', actor: Actor): Promise<boolean> {
    // Terms are unique whatever their case (a NOCASE column on SQLite, a unique index on lower(term) on PostgreSQL).
    const r = await this.db
      .insertInto('watch_terms')
      .values({ brand: this.brand, term, kind, added_by: actor.name, added_at: this.iso() })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async removeWatch(term: string): Promise<boolean> {
    const r = await this.db.deleteFrom('watch_terms').where('brand', '=', this.brand).where(sql`lower(term)`, '=', term.toLowerCase()).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async listWatch(): Promise<WatchTerm[]> {
    const rows = await this.db.selectFrom('watch_terms').where('brand', '=', this.brand).selectAll().orderBy(sql`lower(term)`).execute();
    return rows.map((r) => ({ term: r.term, kind: r.kind, addedBy: r.added_by, addedAt: r.added_at }));
  }

  // ── moments ───────────────────────────────────────────────────────────────────────────────────────────────

  async recordMoment(m: Moment, at: Date = this.now()): Promise<{ moment: StoredMoment; isNew: boolean }> {
    const inserted = await this.db
      .insertInto('moments')
      .values({
        brand: this.brand,
        term: m.term,
        source: m.source,
        event: m.event ?? null,
        detected_at: m.at,
        now_per_hour: m.nowPerHour,
        baseline_per_hour: m.baselinePerHour,
        ratio: m.ratio,
        authors: m.authors,
        samples: JSON.stringify(m.samples),
        created_at: at.toISOString(),
      })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    const row = await this.db.selectFrom('moments').where('brand', '=', this.brand).selectAll().where('term', '=', m.term).where('detected_at', '=', m.at).executeTakeFirstOrThrow();
    return { moment: { ...toMoment(row), windowMinutes: m.windowMinutes }, isNew: Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0 };
  }

  async listMoments(range: Range = {}): Promise<StoredMoment[]> {
    const rows = await this.db
      .selectFrom('moments').where('brand', '=', this.brand)
      .selectAll()
      .$if(range.from !== undefined, (q) => q.where('detected_at', '>=', range.from!))
      .$if(range.to !== undefined, (q) => q.where('detected_at', '<', range.to!))
      .orderBy('detected_at')
      .orderBy('id')
      .execute();
    return rows.map(toMoment);
  }

  async getMoment(id: number): Promise<StoredMoment | null> {
    const r = await this.db.selectFrom('moments').where('brand', '=', this.brand).selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toMoment(r) : null;
  }

  async unpostedMoments(since: Date): Promise<StoredMoment[]> {
    const rows = await this.db
      .selectFrom('moments').where('brand', '=', this.brand)
      .selectAll()
      .where('message_id', 'is', null)
      .where('created_at', '>=', since.toISOString())
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toMoment);
  }

  async markMomentPosted(id: number, ref: DeliveryRef): Promise<void> {
    await this.db.updateTable('moments').where('brand', '=', this.brand).set({ message_id: ref.messageId, channel_id: ref.channelId ?? null }).where('id', '=', id).execute();
  }

  // ── digests ───────────────────────────────────────────────────────────────────────────────────────────────

  async digestSent(day: string): Promise<boolean> {
    return (await this.db.selectFrom('digests').where('brand', '=', this.brand).select('day').where('day', '=', day).executeTakeFirst()) !== undefined;
  }

  async recordDigest(d: DigestRecord): Promise<void> {
    await this.db
      .insertInto('digests')
      .values({ brand: this.brand, day: d.day, sent_at: d.sentAt, late: d.late ? 1 : 0, message_id: d.messageId })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async setDigestMessage(day: string, messageId: string): Promise<void> {
    await this.db.updateTable('digests').where('brand', '=', this.brand).set({ message_id: messageId }).where('day', '=', day).execute();
  }

  async listDigests(): Promise<DigestRecord[]> {
    const rows = await this.db.selectFrom('digests').where('brand', '=', this.brand).selectAll().orderBy('day').execute();
    return rows.map((r) => ({ day: r.day, sentAt: r.sent_at, late: Number(r.late) === 1, messageId: r.message_id }));
  }

  // ── model usage ───────────────────────────────────────────────────────────────────────────────────────────

  async recordLlmUsage(r: LlmUsageRecord): Promise<void> {
    await this.db
      .insertInto('llm_usage')
      .values({
        brand: this.brand,
        at: r.at.toISOString(),
        model: r.model,
        purpose: r.purpose,
        prompt_tokens: r.promptTokens,
        completion_tokens: r.completionTokens,
        cost_usd: r.costUsd,
        outcome: r.outcome,
      })
      .execute();
  }

  async llmUsageTotals(range: Range = {}): Promise<LlmUsageTotals> {
    const base = this.db
      .selectFrom('llm_usage').where('brand', '=', this.brand)
      .$if(range.from !== undefined, (q) => q.where('at', '>=', range.from!))
      .$if(range.to !== undefined, (q) => q.where('at', '<', range.to!));
    const models = await base
      .select((eb) => [
        'model',
        eb.fn.countAll().as('calls'),
        eb.fn.sum('prompt_tokens').as('pt'),
        eb.fn.sum('completion_tokens').as('ct'),
        eb.fn.sum('cost_usd').as('cost'),
      ])
      .groupBy('model')
      .orderBy('cost', 'desc')
      .orderBy('calls', 'desc')
      .execute();
    const purposes = await base.select((eb) => ['purpose', eb.fn.countAll().as('n')]).groupBy('purpose').execute();
    const ok = await base.select((eb) => eb.fn.countAll().as('n')).where('outcome', '=', 'ok').executeTakeFirstOrThrow();
    const byModel = models.map((m) => ({
      model: m.model,
      calls: Number(m.calls),
      promptTokens: Number(m.pt ?? 0),
      completionTokens: Number(m.ct ?? 0),
      costUsd: round6(Number(m.cost ?? 0)),
    }));
    const calls = byModel.reduce((n, m) => n + m.calls, 0);
    return {
      calls,
      okCalls: Number(ok.n),
      failedCalls: calls - Number(ok.n),
      promptTokens: byModel.reduce((n, m) => n + m.promptTokens, 0),
      completionTokens: byModel.reduce((n, m) => n + m.completionTokens, 0),
      costUsd: round6(byModel.reduce((n, m) => n + m.costUsd, 0)),
      byModel,
      byPurpose: Object.fromEntries(purposes.map((p) => [p.purpose as LlmPurpose, Number(p.n)])),
    };
  }

  async llmCallTimesSince(since: Date): Promise<Date[]> {
    const rows = await this.db.selectFrom('llm_usage').where('brand', '=', this.brand).select('at').where('at', '>=', since.toISOString()).orderBy('at').execute();
    return rows.map((r) => new Date(r.at));
  }

  // ── replies sent on the fan's platform ───────────────────────────────────────────────────────────────────

  async getReply(opportunityId: number): Promise<ReplyRecord | null> {
    const r = await this.db.selectFrom('x_replies').where('brand', '=', this.brand).selectAll().where('opportunity_id', '=', opportunityId).executeTakeFirst();
    return r
      ? { opportunityId: r.opportunity_id, status: r.status, inReplyTo: r.in_reply_to, tweetId: r.tweet_id, url: r.url, text: r.text, actorId: r.actor_id, at: r.at }
      : null;
  }

  async claimReply(c: ReplyClaim): Promise<boolean> {
    if (!(await this.owns(c.opportunityId))) return false;
    const r = await this.db
      .insertInto('x_replies')
      .values({ brand: this.brand, opportunity_id: c.opportunityId, status: 'sending', in_reply_to: c.inReplyTo, text: c.text, actor_id: c.actorId, at: c.at })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  markReplySent(opportunityId: number, sent: { tweetId: string; url: string; at: string }, actor?: Actor, action = 'x-reply-sent'): Promise<void> {
    return this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('x_replies').where('brand', '=', this.brand)
        .set({ status: 'sent', tweet_id: sent.tweetId, url: sent.url, at: sent.at })
        .where('opportunity_id', '=', opportunityId)
        .execute();
      if (actor) await this.auditIn(trx, opportunityId, actor, action, null, sent.url);
    });
  }

  async releaseReply(opportunityId: number): Promise<void> {
    await this.db.deleteFrom('x_replies').where('brand', '=', this.brand).where('opportunity_id', '=', opportunityId).where('status', '=', 'sending').execute();
  }

  // ── leases ────────────────────────────────────────────────────────────────────────────────────────────────

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const until = new Date(now.getTime() + ttlMs).toISOString();
    // One statement, so two workers asking at once get one answer each: the row is taken over only when it is
    // ours already or has run out.
    const r = await this.db
      .insertInto('leases')
      .values({ brand: this.brand, name, holder, until })
      .onConflict((oc) =>
        oc
          .columns(['brand', 'name'])
          .doUpdateSet({ holder, until })
          .where((eb) => eb.or([eb('leases.holder', '=', holder), eb('leases.until', '<', now.toISOString())])),
      )
      .returning('holder')
      .executeTakeFirst();
    return r?.holder === holder;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.db.deleteFrom('leases').where('brand', '=', this.brand).where('name', '=', name).where('holder', '=', holder).execute();
  }

  // ── X reads ───────────────────────────────────────────────────────────────────────────────────────────────

  async addXReads(day: string, posts: number, users: number): Promise<void> {
    await this.db
      .insertInto('x_reads')
      .values({ brand: this.brand, day, posts, users })
      .onConflict((oc) => oc.columns(['brand', 'day']).doUpdateSet((eb) => ({ posts: eb('x_reads.posts', '+', posts), users: eb('x_reads.users', '+', users) })))
      .execute();
  }

  async xReads(days: { fromDay: string; toDay: string }): Promise<XReadDay[]> {
    const rows = await this.db.selectFrom('x_reads').where('brand', '=', this.brand).selectAll().where('day', '>=', days.fromDay).where('day', '<=', days.toDay).orderBy('day').execute();
    return rows.map((r) => ({ day: r.day, posts: Number(r.posts), users: Number(r.users) }));
  }

  // ── inbox of pushed posts ─────────────────────────────────────────────────────────────────────────────────

  receive(posts: readonly { post: Post; source: string }[]): Promise<boolean[]> {
    return this.db.transaction().execute(async (trx) => {
      const at = this.iso();
      const fresh: boolean[] = [];
      for (const { post, source } of posts) {
        const key = postKey(post);
        if (await trx.selectFrom('posts').where('brand', '=', this.brand).select('id').where('id', '=', key).executeTakeFirst()) {
          fresh.push(false);
          continue;
        }
        const r = await trx
          .insertInto('inbox')
          .values({ brand: this.brand, post_id: key, source, json: JSON.stringify(post), received_at: at, next_attempt_at: at })
          .onConflict((oc) => oc.doNothing())
          .returning('seq')
          .executeTakeFirst();
        fresh.push(r !== undefined);
      }
      return fresh;
    });
  }

  async claimInbox(worker: string, leaseMs: number): Promise<InboxItem | null> {
    const now = this.now();
    const at = now.toISOString();
    const head = this.db
      .selectFrom('inbox')
      .where('brand', '=', this.brand)
      .select('seq')
      .where('next_attempt_at', '<=', at)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', at), eb('claimed_by', '=', worker)]))
      .orderBy('seq')
      .limit(1);
    const r = await this.db
      .updateTable('inbox')
      .set({ claimed_by: worker, claimed_until: new Date(now.getTime() + leaseMs).toISOString() })
      .where('seq', '=', (this.kind === 'postgres' ? head.forUpdate().skipLocked() : head) as typeof head)
      .returningAll()
      .executeTakeFirst();
    return r ? { seq: Number(r.seq), post: PostSchema.parse(JSON.parse(r.json)), source: r.source, receivedAt: r.received_at, attempts: Number(r.attempts) } : null;
  }

  async renewInbox(seq: number, worker: string, leaseMs: number): Promise<void> {
    const until = new Date(this.now().getTime() + leaseMs).toISOString();
    await this.db.updateTable('inbox').where('brand', '=', this.brand).set({ claimed_until: until }).where('seq', '=', seq).where('claimed_by', '=', worker).execute();
  }

  async inboxDone(seq: number): Promise<void> {
    await this.db.deleteFrom('inbox').where('brand', '=', this.brand).where('seq', '=', seq).execute();
  }

  async inboxRetry(seq: number, error: string, retryAt: Date): Promise<void> {
    await this.db
      .updateTable('inbox')
      .where('brand', '=', this.brand)
      .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: error.slice(0, 500), next_attempt_at: retryAt.toISOString(), claimed_by: null, claimed_until: null }))
      .where('seq', '=', seq)
      .execute();
  }

  async releaseInboxClaims(): Promise<number> {
    const r = await this.db.updateTable('inbox').where('brand', '=', this.brand).set({ claimed_by: null, claimed_until: null }).where('claimed_by', 'is not', null).executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async inboxPending(): Promise<number> {
    const r = await this.db.selectFrom('inbox').where('brand', '=', this.brand).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }
}

/** A card's score once another post joined its story: the higher of the two, and a little more for the echo. */
function storyScore(card: number, joined: number): number {
  return Math.min(1, Math.round((Math.max(card, joined) + 0.05 * Math.min(card, joined)) * 1000) / 1000);
}

function toOpportunity(r: OppRow): Opportunity {
  return {
    id: r.id,
    postId: r.post_id,
    kind: r.kind,
    score: r.score,
    signals: JSON.parse(r.signals) as Signal[],
    status: r.status as Status,
    analysis: AnalysisSchema.parse(JSON.parse(r.analysis)),
    post: PostSchema.parse(JSON.parse(r.post_json)),
    claimedBy: r.claimed_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toOutbox(r: Selectable<Schema['outbox']>): OutboxItem {
  return {
    id: r.id,
    opportunityId: r.opportunity_id,
    sink: r.sink,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error ?? null,
    messageId: r.message_id ?? null,
    channelId: r.channel_id ?? null,
    threadId: r.thread_id ?? null,
    firstAttemptAt: r.first_attempt_at ?? null,
    createdAt: r.created_at,
  };
}

function toMessage(r: Selectable<Schema['messages']>): QueuedMessage {
  return {
    id: r.id,
    key: r.key,
    sink: r.sink,
    channelId: r.channel_id ?? null,
    body: JSON.parse(r.body) as Record<string, unknown>,
    file: r.file_name && r.file_data ? { name: r.file_name, data: Buffer.from(r.file_data) } : null,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error ?? null,
    firstAttemptAt: r.first_attempt_at ?? null,
    messageId: r.message_id ?? null,
    createdAt: r.created_at,
  };
}

function toAction(r: Selectable<Schema['actions']>): ActionRecord {
  return {
    id: r.id,
    opportunityId: r.opportunity_id,
    actorId: r.actor_id,
    actorName: r.actor_name,
    action: r.action,
    reason: r.reason ?? null,
    detail: r.detail ?? null,
    at: r.at,
  };
}

function toMoment(r: Selectable<Schema['moments']>): StoredMoment {
  const samples = z.array(SampleSchema).safeParse(JSON.parse(r.samples));
  return {
    id: r.id,
    term: r.term,
    source: r.source as Moment['source'],
    event: r.event ?? undefined,
    at: r.detected_at,
    nowPerHour: r.now_per_hour,
    baselinePerHour: r.baseline_per_hour,
    ratio: r.ratio,
    authors: r.authors,
    windowMinutes: 0,
    samples: samples.success ? samples.data : [],
    messageId: r.message_id ?? null,
    channelId: r.channel_id ?? null,
  };
}

function summaryOf(analysisJson: string): string {
  try {
    const a = JSON.parse(analysisJson) as { summary?: unknown };
    return typeof a.summary === 'string' ? a.summary : '';
  } catch {
    return '';
  }
}

/** A list in pieces of at most n (a statement's rows, an IN list). */
/** Whether a row has exactly these columns, in this order, none undefined (checked without building arrays). */
function sameColumns(row: Record<string, unknown>, columns: readonly string[]): boolean {
  let i = 0;
  for (const k in row) if (k !== columns[i++] || row[k] === undefined) return false;
  return i === columns.length;
}

/**
 * `items` in pieces of `max` (a power of two), the rest in pieces of the powers of two below it (100 = 64 + 32 + 4):
 * a statement over one piece has one of a few sizes, so the driver prepares and keeps few statements. One per
 * size of a batch made a replay hold hundreds (about 190 kB each for a 250-row insert on SQLite).
 */
export function sizedChunks<T>(items: readonly T[], max: number): T[][] {
  const out: T[][] = [];
  let i = 0;
  for (let size = max; size >= 1 && i < items.length; size >>= 1) {
    for (; items.length - i >= size; i += size) out.push(items.slice(i, i + size));
  }
  return out;
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
