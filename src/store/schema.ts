import type { Generated } from 'kysely';

/**
 * The tables as the query layer sees them, the same on SQLite and PostgreSQL (the DDL of each is in its own
 * migrations). Times are ISO-8601 UTC strings, so they compare as text on both; JSON columns hold validated
 * domain objects as text. Every table but schema_migrations has a brand (domain/brand.ts): the store filters on it in
 * every query, and the keys that were unique in the whole database are unique per brand.
 */
export interface Schema {
  schema_migrations: { version: number; name: string; applied_at: string };
  labels: {
    brand: string;
    id: Generated<number>;
    post_id: string;
    kind: string;
    source: string;
    actor_id: string;
    actor_name: string;
    at: string;
    undone_at: string | null;
    undone_by: string | null;
  };
  posts: {
    brand: string;
    id: string; // platform:id
    platform: string;
    author_handle: string;
    created_at: string;
    received_at: string;
    json: string;
    url: string | null;
    /** Where it came in (x-stream, bluesky, ingest, meta-facebook…); null for posts stored before. */
    source: string | null;
  };
  verdicts: {
    brand: string;
    post_id: string;
    kind: string;
    score: number;
    signals: string;
    lang: string;
    at: string;
    review: string | null;
    /** The card whose story this post joined (it replies to, quotes or links that card's post). */
    story_of: number | null;
  };
  opportunities: {
    brand: string;
    id: Generated<number>;
    post_id: string;
    kind: 'opportunity' | 'risk';
    score: number;
    signals: string;
    status: string;
    analysis: string;
    gesture_id: string | null;
    claimed_by: string | null;
    created_at: string;
    updated_at: string;
  };
  outbox: {
    brand: string;
    id: Generated<number>;
    opportunity_id: number;
    sink: string;
    status: 'pending' | 'sent' | 'failed';
    attempts: Generated<number>;
    next_attempt_at: string;
    last_error: string | null;
    message_id: string | null;
    channel_id: string | null;
    thread_id: string | null;
    created_at: string;
    sent_at: string | null;
    /** When the first post began (null before): a copy can only exist from then on. */
    first_attempt_at: string | null;
    /** The worker delivering it, until claimed_until (a worker that dies lets its claims run out). */
    claimed_by: string | null;
    claimed_until: string | null;
  };
  messages: {
    brand: string;
    id: Generated<number>;
    key: string;
    sink: string;
    channel_id: string | null;
    body: string;
    file_name: string | null;
    file_data: Buffer | Uint8Array | null;
    status: 'pending' | 'sent' | 'failed';
    attempts: Generated<number>;
    next_attempt_at: string;
    last_error: string | null;
    first_attempt_at: string | null;
    message_id: string | null;
    created_at: string;
    sent_at: string | null;
    claimed_by: string | null;
    claimed_until: string | null;
  };
  actions: {
    brand: string;
    id: Generated<number>;
    opportunity_id: number;
    actor_id: string;
    actor_name: string;
    action: string;
    reason: string | null;
    detail: string | null;
    at: string;
  };
  watch_terms: { brand: string; term: string; kind: 'term' | 'event'; added_by: string; added_at: string };
  cursors: { brand: string; source: string; value: string; updated_at: string };
  digests: { brand: string; day: string; sent_at: string; late: number; message_id: string | null };
  llm_usage: {
    brand: string;
    id: Generated<number>;
    at: string;
    model: string;
    purpose: string;
    prompt_tokens: number;
    completion_tokens: number;
    cost_usd: number;
    outcome: string;
  };
  x_replies: {
    brand: string;
    opportunity_id: number;
    status: 'sending' | 'sent';
    in_reply_to: string;
    tweet_id: string | null;
    url: string | null;
    text: string;
    actor_id: string;
    at: string;
  };
  moments: {
    brand: string;
    id: Generated<number>;
    term: string;
    source: string;
    event: string | null;
    detected_at: string;
    now_per_hour: number;
    baseline_per_hour: number;
    ratio: number;
    authors: number;
    samples: string;
    message_id: string | null;
    channel_id: string | null;
    created_at: string;
  };
  leases: { brand: string; name: string; holder: string; until: string };
  x_reads: { brand: string; day: string; posts: number; users: number };
  /** Posts pushed in, kept until the pipeline has processed them. */
  inbox: {
    seq: Generated<number>;
    brand: string;
    post_id: string;
    source: string;
    json: string;
    received_at: string;
    attempts: Generated<number>;
    next_attempt_at: string;
    last_error: string | null;
    claimed_by: string | null;
    claimed_until: string | null;
  };
}
