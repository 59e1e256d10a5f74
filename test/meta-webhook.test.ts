import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config';
import type { Inbox } from '../src/ingress/inbox';
import { mountIngress } from '../src/ingress/mount';
import { hmacHeader } from '../src/ingress/signature';
import { startHttp, type HttpService } from '../src/service/http';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore } from '../src/store/sql-store';
import { FakeGraph, instagram, pageFeed } from './fakes/meta';
import { count } from './support/stores';
import { captureLogger, pushedInbox } from './support/x';

const APP_SECRET = 'meta-app-secret-for-tests';
const VERIFY = 'verify-token-for-tests';

function comment(n: number, over: Record<string, unknown> = {}) {
  return {
    from: { id: `55${n}`, name: `Fan ${n}` },
    item: 'comment',
    verb: 'add',
    post_id: '1000001_2000',
    comment_id: `2000_${3000 + n}`,
    parent_id: '1000001_2000',
    created_time: 1764583200,
    message: `What a moment, thank you all (${n})`,
    ...over,
  };
}

describe("Meta's webhooks", () => {
  let graph: FakeGraph;
  let http: HttpService;
  let store: SqlStore;
  let inbox: Inbox;
  let cap: ReturnType<typeof captureLogger>;

  beforeEach(async () => {
    graph = await new FakeGraph().start();
    cap = captureLogger();
    store = openSqlite(':memory:');
    const p = pushedInbox(cap.log, store);
    inbox = p.inbox;
    http = await startHttp({ host: '127.0.0.1', port: 0, log: cap.log });
    const config = loadConfig({
      KAIROS_HTTP_PORT: '0',
      META_APP_SECRET: APP_SECRET,
      META_VERIFY_TOKEN: VERIFY,
      META_PAGE_ID: graph.pageId,
      META_PAGE_TOKEN: graph.token,
      META_IG_USER_ID: graph.igUserId,
      META_GRAPH_URL: graph.graphUrl,
    });
    mountIngress(http, { config, store, inbox, log: cap.log });
  });

  afterEach(async () => {
    await http.close();
    await inbox.stop();
    await graph.close();
    await store.close();
  });

  async function notify(payload: unknown, signature?: string | null) {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const sig = signature === undefined ? hmacHeader(APP_SECRET, body) : signature;
    if (sig !== null) headers['x-hub-signature-256'] = sig;
    const res = await fetch(`${http.url}/webhooks/meta`, { method: 'POST', headers, body });
    const answer = { status: res.status, body: (await res.json()) as Record<string, number> };
    // The answer comes once the post is kept; its card is made after it (test/inbox.test.ts): wait for that here.
    await inbox.idle();
    return answer;
  }

  it('answers the subscription handshake only with the right verify token', async () => {
    const q = (token: string, mode = 'subscribe') => `${http.url}/webhooks/meta?hub.mode=${mode}&hub.verify_token=${encodeURIComponent(token)}&hub.challenge=1158201444`;
    const ok = await fetch(q(VERIFY));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    expect((await fetch(q('wrong-token-for-tests'))).status).toBe(403);
    expect((await fetch(q(VERIFY, 'unsubscribe'))).status).toBe(403);
    expect((await fetch(`${http.url}/webhooks/meta?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=<script>`)).status).toBe(403);
  });

  it('makes one card of a signed Page comment: platform, permalink, the commenter named, no Graph call needed', async () => {
    const r = await notify(pageFeed(graph.pageId, [comment(1)]));
    expect(r).toEqual({ status: 200, body: { stored: 1, duplicates: 0, recorded: 0, skipped: 0, failed: 0 } });
    const card = await store.getOpportunityByPost({ platform: 'facebook', id: '2000_3001' });
    expect(card?.post).toMatchObject({
      platform: 'facebook',
      url: 'https://www.facebook.com/1000001_2000?comment_id=3001',
      author: { id: '551', name: 'Fan 1' },
      text: 'What a moment, thank you all (1)',
      inReplyTo: '1000001_2000',
      createdAt: '2025-12-01T10:00:00.000Z',
    });
    expect(await count(store, 'opportunities')).toBe(1);
    expect(graph.calls).toHaveLength(0);
  });

  it('gives one card for the same notification delivered three times, at once and again later', async () => {
    const payload = pageFeed(graph.pageId, [comment(2)]);
    const first = await Promise.all([notify(payload), notify(payload), notify(payload)]);
    expect(first.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(first.reduce((n, r) => n + r.body.stored!, 0)).toBe(1);
    expect((await notify(payload)).body.duplicates).toBe(1);
    expect(await count(store, 'posts')).toBe(1);
    expect(await count(store, 'opportunities')).toBe(1);
  });

  it('refuses a bad, missing or truncated signature with 403 and stores nothing', async () => {
    const payload = pageFeed(graph.pageId, [comment(3)]);
    const good = hmacHeader(APP_SECRET, JSON.stringify(payload));
    expect((await notify(payload, hmacHeader('not-the-app-secret', JSON.stringify(payload)))).status).toBe(403);
    expect((await notify(payload, null)).status).toBe(403);
    expect((await notify(payload, good.slice(0, 30))).status).toBe(403);
    expect((await notify(payload, good.replace('sha256=', 'sha1='))).status).toBe(403);
    expect(await count(store, 'posts')).toBe(0);
    expect(cap.text()).not.toContain(APP_SECRET);
  });

  it('refuses a body over the limit with 413', async () => {
    const payload = pageFeed(graph.pageId, [comment(4, { message: 'x'.repeat(1024 * 1024) })]);
    expect((await notify(payload)).status).toBe(413);
    expect(await count(store, 'posts')).toBe(0);
  });

  it('loses none of a burst of 1,000 signed notifications', async () => {
    const payloads = Array.from({ length: 1000 }, (_, n) => pageFeed(graph.pageId, [comment(100 + n, { message: n % 2 ? `a moment ${n}` : `just noise ${n}` })]));
    const results = [];
    // 50 senders at once, as Meta's delivery does under load.
    for (let i = 0; i < payloads.length; i += 50) results.push(...(await Promise.all(payloads.slice(i, i + 50).map((p) => notify(p)))));
    expect(results.every((r) => r.status === 200 && r.body.stored === 1)).toBe(true);
    expect(await count(store, 'posts')).toBe(1000);
    expect(await count(store, 'opportunities')).toBe(500);
  }, 60_000);

  it("skips the Page's own replies and reactions", async () => {
    const r = await notify(pageFeed(graph.pageId, [comment(5, { from: { id: graph.pageId, name: 'Oranje Air' } }), { item: 'reaction', verb: 'add', post_id: '1000001_2000', reaction_type: 'like' }]));
    expect(r.body).toMatchObject({ stored: 0, skipped: 2 });
    expect(await count(store, 'posts')).toBe(0);
  });

  it('reads the text from the Graph API when a notification carries only ids, with the Page token', async () => {
    graph.objects.set('2000_3006', { message: 'Our moment: engaged on your flight!', from: { id: '556', name: 'Ilse' }, created_time: '2026-12-01T09:00:00+0000', permalink_url: 'https://www.facebook.com/oranjeair/posts/2000?comment_id=3006' });
    const r = await notify(pageFeed(graph.pageId, [comment(6, { message: undefined, from: undefined })]));
    expect(r.body.stored).toBe(1);
    const card = await store.getOpportunityByPost({ platform: 'facebook', id: '2000_3006' });
    expect(card?.post).toMatchObject({ text: 'Our moment: engaged on your flight!', author: { name: 'Ilse' }, url: 'https://www.facebook.com/oranjeair/posts/2000?comment_id=3006' });
    expect(graph.calls[0]?.authorization).toBe(`Bearer ${graph.token}`);
    expect(graph.calls[0]?.query.access_token).toBeUndefined();
  });

  it('answers 500 when the Graph API fails, so Meta delivers again; the retry stores it once', async () => {
    graph.objects.set('2000_3007', { message: 'A moment to remember', from: { id: '557', name: 'Joost' } });
    graph.fail(/GET 2000_3007/, 500);
    const payload = pageFeed(graph.pageId, [comment(7, { message: undefined }), comment(8)]);
    const first = await notify(payload);
    expect(first.status).toBe(500);
    expect(first.body).toMatchObject({ stored: 1, failed: 1 });
    const again = await notify(payload);
    expect(again).toMatchObject({ status: 200, body: { stored: 1, duplicates: 1 } });
    expect(await count(store, 'posts')).toBe(2);
  });

  it('records an edit and a deletion on the card, once each, never as a new card', async () => {
    await notify(pageFeed(graph.pageId, [comment(9)]));
    const edited = pageFeed(graph.pageId, [comment(9, { verb: 'edited', message: 'What a moment (edited: we got home safe)' })]);
    expect((await notify(edited)).body.recorded).toBe(1);
    expect((await notify(edited)).body.duplicates).toBe(1);
    expect((await notify(pageFeed(graph.pageId, [comment(9, { verb: 'remove', message: undefined })]))).body.recorded).toBe(1);
    const card = (await store.getOpportunityByPost({ platform: 'facebook', id: '2000_3009' }))!;
    const history = await store.actionsFor(card.id);
    expect(history.map((a) => [a.action, a.detail])).toEqual([
      ['post-edited', 'What a moment (edited: we got home safe)'],
      ['post-deleted', null],
    ]);
    expect(await count(store, 'opportunities')).toBe(1);
  });

  it('makes a card of an Instagram comment (media permalink looked up once) and of a mention (ids only)', async () => {
    graph.objects.set('17900001', { permalink: 'https://www.instagram.com/p/DAbc123/' });
    const c = (id: string, text: string) => instagram(graph.igUserId, 'comments', { from: { id: '1789', username: 'sanne_vl' }, media: { id: '17900001', media_product_type: 'FEED' }, id, text });
    expect((await notify(c('18000001', 'This moment made our day'))).body.stored).toBe(1);
    expect((await notify(c('18000002', 'Another moment, thanks'))).body.stored).toBe(1);
    expect(graph.callsTo('GET', /^17900001$/)).toHaveLength(1);
    expect((await store.getOpportunityByPost({ platform: 'instagram', id: '18000001' }))?.post).toMatchObject({
      platform: 'instagram',
      url: 'https://www.instagram.com/p/DAbc123/',
      author: { handle: 'sanne_vl' },
      inReplyTo: '17900001',
    });

    graph.objects.set('18000009', { text: '@oranjeair the moment the crew sang for my mum', username: 'joost', timestamp: '2026-12-01T08:00:00+0000', media: { permalink: 'https://www.instagram.com/p/DXyz/' } });
    expect((await notify(instagram(graph.igUserId, 'mentions', { media_id: '17999999', comment_id: '18000009' }))).body.stored).toBe(1);
    const mention = await store.getOpportunityByPost({ platform: 'instagram', id: '18000009' });
    // Marked as a mention, with its media: only the account's mentions edge can answer it.
    expect(mention?.post).toMatchObject({ author: { handle: 'joost' }, url: 'https://www.instagram.com/p/DXyz/', createdAt: '2026-12-01T08:00:00.000Z', via: 'mention', inReplyTo: '17999999' });
    expect((await store.getOpportunityByPost({ platform: 'instagram', id: '18000001' }))?.post.via).toBeUndefined();
    expect(graph.callsTo('GET', new RegExp(`^${graph.igUserId}$`))[0]?.query.fields).toMatch(/^mentioned_comment\.comment_id\(18000009\)/);
  });

  it('refuses Meta settings that do not hold together, naming them', () => {
    const wrong = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return '';
      } catch (err) {
        return (err as ConfigError).message;
      }
    };
    expect(wrong({ META_APP_SECRET: APP_SECRET, KAIROS_HTTP_PORT: '8080' })).toMatch(/META_VERIFY_TOKEN: required[\s\S]*META_PAGE_ID: required[\s\S]*META_PAGE_TOKEN: required/);
    expect(wrong({ KAIROS_WEBHOOK_SECRET: 'long-enough-secret-0001' })).toMatch(/KAIROS_HTTP_PORT: required when KAIROS_WEBHOOK_SECRET/);
    expect(wrong({ KAIROS_WEBHOOK_SECRET: 'short', KAIROS_HTTP_PORT: '8080' })).toMatch(/KAIROS_WEBHOOK_SECRET: expected a shared secret of at least 16/);
    expect(wrong({ META_PAGE_ID: '123' })).toMatch(/META_PAGE_ID: set, but META_APP_SECRET is not/);
    expect(wrong({ META_APP_SECRET: 'x'.repeat(8), META_VERIFY_TOKEN: 'y'.repeat(8), META_PAGE_ID: 'abc', META_PAGE_TOKEN: 'z'.repeat(20), KAIROS_HTTP_PORT: '1' })).toMatch(/META_PAGE_ID: expected the Page's numeric id/);
    expect(wrong({ META_APP_SECRET: 'secret-value-123', KAIROS_HTTP_PORT: '8080' })).not.toContain('secret-value-123');
  });
});
