/**
 * The SQLite schema (postgres-migrations.ts is PostgreSQL's), as an append-only list: never edit a migration that has shipped, add a new one.
 * Times are ISO-8601 UTC strings; JSON columns hold validated domain objects.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'posts, verdicts, opportunities, outbox, audit',
    sql: `
      CREATE TABLE posts (
        id TEXT PRIMARY KEY,              -- platform:id
        platform TEXT NOT NULL,
        author_handle TEXT NOT NULL,
        created_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        json TEXT NOT NULL
      );
      CREATE INDEX posts_created ON posts (created_at);

      CREATE TABLE verdicts (
        post_id TEXT PRIMARY KEY REFERENCES posts (id),
        kind TEXT NOT NULL CHECK (kind IN ('opportunity', 'risk', 'service', 'noise')),
        score REAL NOT NULL,
        signals TEXT NOT NULL,
        lang TEXT NOT NULL,
        at TEXT NOT NULL
      );
      CREATE INDEX verdicts_kind ON verdicts (kind, at);

      CREATE TABLE opportunities (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        post_id TEXT NOT NULL UNIQUE REFERENCES posts (id),
        kind TEXT NOT NULL CHECK (kind IN ('opportunity', 'risk')),
        score REAL NOT NULL,
        signals TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('new', 'flagged', 'claimed', 'approved', 'dismissed')),
        analysis TEXT NOT NULL,
        gesture_id TEXT,
        claimed_by TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX opportunities_status ON opportunities (status, created_at);

      -- Cards are written here in the same transaction as the opportunity, then delivered from here:
      -- a crash, an outage or a 429 never loses or doubles a card.
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        opportunity_id INTEGER NOT NULL REFERENCES opportunities (id),
        sink TEXT NOT NULL,               -- 'console', 'discord', ...
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        message_id TEXT,
        channel_id TEXT,
        thread_id TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        UNIQUE (opportunity_id, sink)
      );
      CREATE INDEX outbox_pending ON outbox (status, id);

      -- Who did what to which card, and why: the audit trail and the tuning data.
      CREATE TABLE actions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        opportunity_id INTEGER NOT NULL REFERENCES opportunities (id),
        actor_id TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        action TEXT NOT NULL,
        reason TEXT,
        detail TEXT,
        at TEXT NOT NULL
      );
      CREATE INDEX actions_opportunity ON actions (opportunity_id, id);
      CREATE INDEX actions_at ON actions (at);
    `,
  },
  {
    version: 2,
    name: 'watch terms, source cursors, digests, model usage',
    sql: `
      CREATE TABLE watch_terms (
        term TEXT PRIMARY KEY COLLATE NOCASE,
        kind TEXT NOT NULL CHECK (kind IN ('term', 'event')),
        added_by TEXT NOT NULL,
        added_at TEXT NOT NULL
      );
      CREATE TABLE cursors (
        source TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE digests (
        day TEXT PRIMARY KEY,             -- YYYY-MM-DD in the digest's time zone
        sent_at TEXT NOT NULL,
        late INTEGER NOT NULL DEFAULT 0,
        message_id TEXT
      );
      CREATE TABLE llm_usage (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        model TEXT NOT NULL,
        purpose TEXT NOT NULL,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL NOT NULL DEFAULT 0,
        outcome TEXT NOT NULL
      );
      CREATE INDEX llm_usage_at ON llm_usage (at);
    `,
  },
  {
    version: 3,
    name: 'replies sent on X',
    sql: `
      -- One row per card whose reply was sent to the fan on X. The row is claimed ('sending') before X is called,
      -- so a double click or a retry never sends twice; a row left 'sending' by a crash is checked on X first.
      CREATE TABLE x_replies (
        opportunity_id INTEGER PRIMARY KEY REFERENCES opportunities (id),
        status TEXT NOT NULL CHECK (status IN ('sending', 'sent')),
        in_reply_to TEXT NOT NULL,
        tweet_id TEXT,
        url TEXT,
        text TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        at TEXT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'rising moments',
    sql: `
      -- One row per rising moment announced by the trends detector (detected_at is stream time), for the digest
      -- and its own card; message_id is set once the moment's card was posted.
      CREATE TABLE moments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        term TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('surge', 'watch', 'event')),
        event TEXT,
        detected_at TEXT NOT NULL,
        now_per_hour REAL NOT NULL,
        baseline_per_hour REAL NOT NULL,
        ratio REAL NOT NULL,
        authors INTEGER NOT NULL,
        samples TEXT NOT NULL,
        message_id TEXT,
        channel_id TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (term, detected_at)
      );
      CREATE INDEX moments_detected ON moments (detected_at);
    `,
  },
  {
    version: 5,
    name: 'why a model made no card',
    sql: `
      -- JSON {"card": false, "why": "..."} when a model screened the post and answered that no card is needed.
      ALTER TABLE verdicts ADD COLUMN review TEXT;
    `,
  },
  {
    version: 6,
    name: 'every message through the outbox',
    sql: `
      -- Every message Kairos sends besides a card (a rising moment's card, the digest, a notice, a line in a card's
      -- thread) is queued here first under a key that says what it is ('moment:12', 'digest:2026-02-03'), once,
      -- and delivered from here with a nonce and a marker, so a crash never loses or doubles one.
      CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        sink TEXT NOT NULL,
        channel_id TEXT,                  -- where, when not the sink's own channel (a card's thread)
        body TEXT NOT NULL,               -- the message, as JSON
        file_name TEXT,                   -- one attachment (the digest's chart)
        file_data BLOB,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        first_attempt_at TEXT,            -- set before the first post: a copy can only exist after it
        message_id TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT
      );
      CREATE INDEX messages_pending ON messages (sink, status, id);
      -- Cards too: when their first post began, so recovery reads the channel from there, however busy it is.
      ALTER TABLE outbox ADD COLUMN first_attempt_at TEXT;
    `,
  },
  {
    version: 7,
    name: 'post urls, outbox claims, leases',
    sql: `
      -- /draft finds a post by its link without reading every post's JSON.
      ALTER TABLE posts ADD COLUMN url TEXT;
      UPDATE posts SET url = json_extract(json, '$.url');
      CREATE INDEX posts_url ON posts (url);
      -- A worker holds an outbox row while it delivers it; a worker that dies lets the claim run out.
      ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
      ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
      ALTER TABLE messages ADD COLUMN claimed_by TEXT;
      ALTER TABLE messages ADD COLUMN claimed_until TEXT;
      -- Named leases: which worker holds a live source connection, which one sends a day's digest.
      CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        until TEXT NOT NULL
      );
    `,
  },
  {
    version: 8,
    name: 'team labels',
    sql: `
      -- What the team says a post is (a card's decision, /missed, /label): what the brand's own triage learns from.
      CREATE TABLE labels (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        post_id TEXT NOT NULL REFERENCES posts (id),
        kind TEXT NOT NULL CHECK (kind IN ('opportunity', 'risk', 'service', 'noise', 'not-a-card')),
        source TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        at TEXT NOT NULL,
        undone_at TEXT,
        undone_by TEXT
      );
      CREATE INDEX labels_post ON labels (post_id, id);
    `,
  },
  {
    version: 9,
    name: 'one story, one card',
    sql: `
      -- A post that replies to, quotes or links a post with a card joins that card's story instead of opening one.
      ALTER TABLE verdicts ADD COLUMN story_of INTEGER;
      CREATE INDEX verdicts_story_of ON verdicts (story_of);
    `,
  },
  {
    version: 10,
    name: 'brands sharing one store',
    sql: `
      -- Every row carries its brand, so several brands can share one file (an agency); the rows made before are the
      -- default brand's ('default', domain/brand.ts). Keys that were unique in the file become unique per brand: the
      -- tables whose key changes are rebuilt (SQLite cannot alter a key), the others gain a column.
      CREATE TABLE posts_new (
        brand TEXT NOT NULL,
        id TEXT NOT NULL,                 -- platform:id
        platform TEXT NOT NULL,
        author_handle TEXT NOT NULL,
        created_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        json TEXT NOT NULL,
        url TEXT,
        PRIMARY KEY (brand, id)
      );
      INSERT INTO posts_new (brand, id, platform, author_handle, created_at, received_at, json, url)
        SELECT 'default', id, platform, author_handle, created_at, received_at, json, url FROM posts;
      DROP TABLE posts;
      ALTER TABLE posts_new RENAME TO posts;
      CREATE INDEX posts_created ON posts (brand, created_at);
      CREATE INDEX posts_url ON posts (url);

      CREATE TABLE verdicts_new (
        brand TEXT NOT NULL,
        post_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('opportunity', 'risk', 'service', 'noise')),
        score REAL NOT NULL,
        signals TEXT NOT NULL,
        lang TEXT NOT NULL,
        at TEXT NOT NULL,
        review TEXT,
        story_of INTEGER,
        PRIMARY KEY (brand, post_id),
        FOREIGN KEY (brand, post_id) REFERENCES posts (brand, id)
      );
      INSERT INTO verdicts_new (brand, post_id, kind, score, signals, lang, at, review, story_of)
        SELECT 'default', post_id, kind, score, signals, lang, at, review, story_of FROM verdicts;
      DROP TABLE verdicts;
      ALTER TABLE verdicts_new RENAME TO verdicts;
      CREATE INDEX verdicts_kind ON verdicts (kind, at);
      CREATE INDEX verdicts_story_of ON verdicts (story_of);

      CREATE TABLE opportunities_new (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        brand TEXT NOT NULL,
        post_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('opportunity', 'risk')),
        score REAL NOT NULL,
        signals TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('new', 'flagged', 'claimed', 'approved', 'dismissed')),
        analysis TEXT NOT NULL,
        gesture_id TEXT,
        claimed_by TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (brand, post_id),
        FOREIGN KEY (brand, post_id) REFERENCES posts (brand, id)
      );
      INSERT INTO opportunities_new (id, brand, post_id, kind, score, signals, status, analysis, gesture_id, claimed_by, created_at, updated_at)
        SELECT id, 'default', post_id, kind, score, signals, status, analysis, gesture_id, claimed_by, created_at, updated_at FROM opportunities;
      DROP TABLE opportunities;
      ALTER TABLE opportunities_new RENAME TO opportunities;
      CREATE INDEX opportunities_status ON opportunities (brand, status, created_at);

      CREATE TABLE labels_new (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        brand TEXT NOT NULL,
        post_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('opportunity', 'risk', 'service', 'noise', 'not-a-card')),
        source TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        at TEXT NOT NULL,
        undone_at TEXT,
        undone_by TEXT,
        FOREIGN KEY (brand, post_id) REFERENCES posts (brand, id)
      );
      INSERT INTO labels_new (id, brand, post_id, kind, source, actor_id, actor_name, at, undone_at, undone_by)
        SELECT id, 'default', post_id, kind, source, actor_id, actor_name, at, undone_at, undone_by FROM labels;
      DROP TABLE labels;
      ALTER TABLE labels_new RENAME TO labels;
      CREATE INDEX labels_post ON labels (brand, post_id, id);

      CREATE TABLE watch_terms_new (
        brand TEXT NOT NULL,
        term TEXT NOT NULL COLLATE NOCASE,
        kind TEXT NOT NULL CHECK (kind IN ('term', 'event')),
        added_by TEXT NOT NULL,
        added_at TEXT NOT NULL,
        PRIMARY KEY (brand, term)
      );
      INSERT INTO watch_terms_new (brand, term, kind, added_by, added_at) SELECT 'default', term, kind, added_by, added_at FROM watch_terms;
      DROP TABLE watch_terms;
      ALTER TABLE watch_terms_new RENAME TO watch_terms;

      CREATE TABLE cursors_new (brand TEXT NOT NULL, source TEXT NOT NULL, value TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (brand, source));
      INSERT INTO cursors_new (brand, source, value, updated_at) SELECT 'default', source, value, updated_at FROM cursors;
      DROP TABLE cursors;
      ALTER TABLE cursors_new RENAME TO cursors;

      CREATE TABLE digests_new (
        brand TEXT NOT NULL,
        day TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        late INTEGER NOT NULL DEFAULT 0,
        message_id TEXT,
        PRIMARY KEY (brand, day)
      );
      INSERT INTO digests_new (brand, day, sent_at, late, message_id) SELECT 'default', day, sent_at, late, message_id FROM digests;
      DROP TABLE digests;
      ALTER TABLE digests_new RENAME TO digests;

      CREATE TABLE leases_new (brand TEXT NOT NULL, name TEXT NOT NULL, holder TEXT NOT NULL, until TEXT NOT NULL, PRIMARY KEY (brand, name));
      INSERT INTO leases_new (brand, name, holder, until) SELECT 'default', name, holder, until FROM leases;
      DROP TABLE leases;
      ALTER TABLE leases_new RENAME TO leases;

      CREATE TABLE moments_new (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        brand TEXT NOT NULL,
        term TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('surge', 'watch', 'event')),
        event TEXT,
        detected_at TEXT NOT NULL,
        now_per_hour REAL NOT NULL,
        baseline_per_hour REAL NOT NULL,
        ratio REAL NOT NULL,
        authors INTEGER NOT NULL,
        samples TEXT NOT NULL,
        message_id TEXT,
        channel_id TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (brand, term, detected_at)
      );
      INSERT INTO moments_new (id, brand, term, source, event, detected_at, now_per_hour, baseline_per_hour, ratio, authors, samples, message_id, channel_id, created_at)
        SELECT id, 'default', term, source, event, detected_at, now_per_hour, baseline_per_hour, ratio, authors, samples, message_id, channel_id, created_at FROM moments;
      DROP TABLE moments;
      ALTER TABLE moments_new RENAME TO moments;
      CREATE INDEX moments_detected ON moments (brand, detected_at);

      CREATE TABLE messages_new (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        brand TEXT NOT NULL,
        key TEXT NOT NULL,
        sink TEXT NOT NULL,
        channel_id TEXT,
        body TEXT NOT NULL,
        file_name TEXT,
        file_data BLOB,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        first_attempt_at TEXT,
        message_id TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        claimed_by TEXT,
        claimed_until TEXT,
        UNIQUE (brand, key)
      );
      INSERT INTO messages_new (id, brand, key, sink, channel_id, body, file_name, file_data, status, attempts, next_attempt_at, last_error,
          first_attempt_at, message_id, created_at, sent_at, claimed_by, claimed_until)
        SELECT id, 'default', key, sink, channel_id, body, file_name, file_data, status, attempts, next_attempt_at, last_error,
          first_attempt_at, message_id, created_at, sent_at, claimed_by, claimed_until FROM messages;
      DROP TABLE messages;
      ALTER TABLE messages_new RENAME TO messages;
      CREATE INDEX messages_pending ON messages (brand, sink, status, id);

      -- Keyed by the card, whose id is unique in the file: the brand is a column to filter on.
      ALTER TABLE outbox ADD COLUMN brand TEXT NOT NULL DEFAULT 'default';
      ALTER TABLE actions ADD COLUMN brand TEXT NOT NULL DEFAULT 'default';
      ALTER TABLE x_replies ADD COLUMN brand TEXT NOT NULL DEFAULT 'default';
      ALTER TABLE llm_usage ADD COLUMN brand TEXT NOT NULL DEFAULT 'default';
      CREATE INDEX outbox_brand_pending ON outbox (brand, sink, status, id);
      CREATE INDEX llm_usage_brand_at ON llm_usage (brand, at);
    `,
  },
  {
    version: 11,
    name: 'inbox of pushed posts',
    sql: `
      -- A post pushed in (POST /ingest, Meta's webhooks) is kept here before the sender gets its answer, and analysed
      -- afterwards: the answer never waits for the model, and a crash in between loses nothing (picked up at start).
      CREATE TABLE inbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        brand TEXT NOT NULL,
        post_id TEXT NOT NULL,            -- platform:id
        source TEXT NOT NULL,
        json TEXT NOT NULL,
        received_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        claimed_by TEXT,
        claimed_until TEXT,
        UNIQUE (brand, post_id)
      );
    `,
  },
  {
    version: 12,
    name: 'X reads by day, the source of each post',
    sql: `
      -- X bills every post and user it returns (once per UTC day): what the X source read, for /stats, the digest
      -- and X_MAX_READS_PER_DAY.
      CREATE TABLE x_reads (
        brand TEXT NOT NULL,
        day TEXT NOT NULL,                -- YYYY-MM-DD, UTC
        posts INTEGER NOT NULL DEFAULT 0,
        users INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (brand, day)
      );
      -- Where a post came in (x-stream, bluesky, ingest, meta-facebook…), for /stats and the digest; null before.
      ALTER TABLE posts ADD COLUMN source TEXT;
    `,
  },
];
