import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildKairos, type Kairos } from '../src/app';
import { loadConfig } from '../src/config';
import type { Post } from '../src/domain/post';
import { Inbox } from '../src/ingress/inbox';
import { mountIngress } from '../src/ingress/mount';
import { hmacHeader, signIngest } from '../src/ingress/signature';
import { startHttp, type HttpService } from '../src/service/http';
import { openStore } from '../src/store/open';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore } from '../src/store/sql-store';
import { pageFeed } from './fakes/meta';
import { FakeOpenAI } from './fakes/openai';
import { count } from './support/stores';
import { captureLogger, pushedInbox } from './support/x';

const SECRET = 'inbox-secret-for-tests-0001';
const APP_SECRET = 'meta-app-secret-for-inbox';
const PAGE_ID = '1000001';

const ANSWER = {
  kind: 'opportunity',
  summary: 'A honeymoon couple must choose between their flight and the Elfstedentocht.',
  why: 'A once-in-a-generation national moment.',
  signals: ['dilemma', 'cultural-event'],
  gesture: null,
  reply: 'What a dilemma! Send us a DM with your booking and we will look at moving your flight. Congratulations!',
  publicPost: null,
  verifyFirst: ['The booking exists'],
  risks: [],
};

const DILEMMA = 'We fly to Bali on our honeymoon on 15 Jan, but the Elfstedentocht is on! Do we cancel? @OranjeAir';

function formPost(id: string, text = DILEMMA): Post {
  return { id, platform: 'form', author: { handle: 'sanne', name: 'Sanne', followers: 120 }, text, createdAt: new Date().toISOString() };
}

describe('pushed posts are answered once stored, analysed by a slow model afterwards', () => {
  const model = new FakeOpenAI();
  let dir: string;
  let k: Kairos;
  let http: HttpService;
  let inbox: Inbox;

  beforeAll(async () => {
    await model.start();
    dir = mkdtempSync(join(tmpdir(), 'kairos-inbox-'));
  });
  afterAll(async () => {
    await model.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await http.close();
    await inbox.stop();
    await k.close();
    model.reset();
  });

  async function start(db: string) {
    const config = loadConfig({
      KAIROS_DB: join(dir, db),
      OPENAI_API_KEY: 'sk-test-inbox-key',
      OPENAI_BASE_URL: model.baseURL,
      KAIROS_HTTP_PORT: '0',
      KAIROS_WEBHOOK_SECRET: SECRET,
      META_APP_SECRET: APP_SECRET,
      META_VERIFY_TOKEN: 'verify-token-inbox',
      META_PAGE_ID: PAGE_ID,
      META_PAGE_TOKEN: 'page-token-for-inbox-tests',
      META_GRAPH_URL: 'http://127.0.0.1:9/v23.0',
      BRAND_NAME: 'Oranje Air',
      BRAND_HANDLES: 'OranjeAir',
      LOG_LEVEL: 'silent',
    });
    const log = captureLogger().log;
    k = await buildKairos(config, await openStore(config), { log, sinks: [], queueFor: ['discord'] });
    http = await startHttp({ host: '127.0.0.1', port: 0, log });
    inbox = new Inbox({ store: k.store, worker: k.worker, log, process: (post) => k.pipeline.ingest(post) });
    mountIngress(http, { config, store: k.store, log, inbox });
    await inbox.start({ exclusive: true });
  }

  it('POST /ingest answers 202 before the model has answered; the card follows, written by the model', async () => {
    await start('ingest.db');
    model.otherwise({ type: 'json', value: ANSWER });
    model.delayMs = 1_500;
    const body = JSON.stringify(formPost('slow-1'));
    const res = await fetch(`${http.url}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', ...signIngest(SECRET, body) }, body });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ stored: ['slow-1'], duplicates: [] });
    // Answered while the model is still thinking: the post is kept, its card not made yet.
    expect(model.answered).toBe(0);
    expect(await k.store.inboxPending()).toBe(1);
    expect(await k.store.getOpportunityByPost({ platform: 'form', id: 'slow-1' })).toBeNull();

    await inbox.idle();
    expect(model.answered).toBeGreaterThan(0);
    const card = await k.store.card((await k.store.getOpportunityByPost({ platform: 'form', id: 'slow-1' }))!.id);
    expect(card?.opportunity.analysis.analyst).toBe('llm');
    expect(card?.opportunity.analysis.summary).toBe(ANSWER.summary);
    expect(card?.deliveries.map((d) => d.sink)).toEqual(['discord']);
    expect(await k.store.inboxPending()).toBe(0);
  });

  it("Meta's webhook answers 200 before the model has answered; a delivery again while it waits is a duplicate, one card", async () => {
    await start('meta.db');
    model.otherwise({ type: 'json', value: ANSWER });
    model.delayMs = 1_500;
    const payload = pageFeed(PAGE_ID, [
      { from: { id: '551', name: 'Fan' }, item: 'comment', verb: 'add', post_id: `${PAGE_ID}_2000`, comment_id: '2000_1', parent_id: `${PAGE_ID}_2000`, created_time: 1764583200, message: DILEMMA },
    ]);
    const notify = async () => {
      const body = JSON.stringify(payload);
      const res = await fetch(`${http.url}/webhooks/meta`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': hmacHeader(APP_SECRET, body) }, body });
      return { status: res.status, body: (await res.json()) as Record<string, number> };
    };
    expect(await notify()).toMatchObject({ status: 200, body: { stored: 1, duplicates: 0 } });
    expect(model.answered).toBe(0);
    expect(await notify()).toMatchObject({ status: 200, body: { stored: 0, duplicates: 1 } });
    await inbox.idle();
    expect(await notify()).toMatchObject({ status: 200, body: { stored: 0, duplicates: 1 } });
    expect((await k.store.getOpportunityByPost({ platform: 'facebook', id: '2000_1' }))?.analysis.analyst).toBe('llm');
    // The model wrote the card once: the second delivery never reached it.
    expect(model.calls).toBe(1);
  });
});

describe('the inbox', () => {
  let store: SqlStore;
  afterEach(async () => store?.close());

  it("processes at start what a crashed run left claimed, at once when no other worker shares the store", async () => {
    const cap = captureLogger();
    store = openSqlite(':memory:');
    await store.receive([{ post: formPost('left-1', 'A moment to remember'), source: 'ingest' }]);
    // The run that died had claimed it for a minute.
    expect((await store.claimInbox('dead-worker', 60_000))?.post.id).toBe('left-1');
    const { inbox } = pushedInbox(cap.log, store);
    await inbox.start({ exclusive: true });
    await inbox.idle();
    expect(await count(store, 'opportunities')).toBe(1);
    expect(await store.inboxPending()).toBe(0);
    await inbox.stop();
  });

  it('keeps a post whose processing failed and tries it again, then processes it once', async () => {
    const cap = captureLogger();
    store = openSqlite(':memory:');
    const { pipeline } = pushedInbox(cap.log, store);
    let failures = 2;
    const seen: string[] = [];
    const inbox = new Inbox({
      store,
      worker: 'w1',
      log: cap.log,
      retryMs: 10,
      process: async (post) => {
        seen.push(post.id);
        if (post.id === 'f-1' && failures-- > 0) throw new Error('the store is busy');
        return pipeline.ingest(post);
      },
    });
    expect(await inbox.accept([formPost('f-1', 'A moment'), formPost('f-1', 'A moment'), formPost('f-2', 'noise')], 'ingest')).toEqual([true, false, true]);
    await inbox.idle();
    expect(await count(store, 'posts')).toBe(2);
    expect(await count(store, 'opportunities')).toBe(1);
    expect(seen.filter((id) => id === 'f-1')).toHaveLength(3);
    // The post after the failing one was not held up behind it.
    expect(seen.indexOf('f-2')).toBeLessThan(seen.lastIndexOf('f-1'));
    expect(cap.text()).toContain('a pushed post could not be processed; it stays in the inbox');
    // Once stored, the same post pushed again is not kept again.
    expect(await inbox.accept([formPost('f-1', 'A moment')], 'ingest')).toEqual([false]);
    await inbox.stop();
  });

  it('a post recorded before its inbox row was cleared (a crash in between) is not processed again', async () => {
    const cap = captureLogger();
    store = openSqlite(':memory:');
    const { inbox, pipeline } = pushedInbox(cap.log, store);
    await store.receive([{ post: formPost('twice', 'A moment'), source: 'ingest' }]);
    await pipeline.ingest(formPost('twice', 'A moment'));
    await inbox.start();
    await inbox.idle();
    expect(await count(store, 'opportunities')).toBe(1);
    expect(await store.inboxPending()).toBe(0);
    await inbox.stop();
  });
});
