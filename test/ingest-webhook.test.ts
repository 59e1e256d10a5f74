import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import type { Inbox } from '../src/ingress/inbox';
import { mountIngress } from '../src/ingress/mount';
import { signIngest } from '../src/ingress/signature';
import { startHttp, type HttpService } from '../src/service/http';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore } from '../src/store/sql-store';
import { count } from './support/stores';
import { captureLogger, pushedInbox } from './support/x';

const SECRET = 'ingest-secret-for-tests-0001';

function post(id: string, text = 'A moment we will never forget, thank you @OranjeAir') {
  return { id, platform: 'forms', author: { handle: 'sanne', name: 'Sanne' }, text, createdAt: '2026-12-01T10:00:00Z' };
}

describe('POST /ingest, signed', () => {
  let http: HttpService;
  let store: SqlStore;
  let inbox: Inbox;
  let cap: ReturnType<typeof captureLogger>;
  let now: Date;

  beforeEach(async () => {
    cap = captureLogger();
    store = openSqlite(':memory:');
    const p = pushedInbox(cap.log, store);
    inbox = p.inbox;
    now = new Date();
    http = await startHttp({ host: '127.0.0.1', port: 0, log: cap.log });
    const config = loadConfig({ KAIROS_WEBHOOK_SECRET: SECRET, KAIROS_HTTP_PORT: '0' });
    mountIngress(http, { config, store, inbox, log: cap.log, now: () => now });
  });

  afterEach(async () => {
    await http.close();
    await inbox.stop();
    await store.close();
  });

  async function send(body: string, headers: Record<string, string> = signIngest(SECRET, body, now)) {
    const res = await fetch(`${http.url}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const answer = { status: res.status, body: (await res.json()) as Record<string, unknown> };
    // The answer comes once the post is kept; its card is made after it (test/inbox.test.ts): wait for that here.
    await inbox.idle();
    return answer;
  }

  it('stores a valid array and answers 202 with the ids, each post once, a card each', async () => {
    const body = JSON.stringify([post('a1'), post('a2', 'Where is my refund?'), post('a3')]);
    const r = await send(body);
    expect(r).toEqual({ status: 202, body: { stored: ['a1', 'a2', 'a3'], duplicates: [] } });
    expect(await count(store, 'posts')).toBe(3);
    expect(await count(store, 'opportunities')).toBe(2);
    expect((await store.getOpportunityByPost({ platform: 'forms', id: 'a1' }))?.post.author.name).toBe('Sanne');
  });

  it('takes a single post too', async () => {
    const r = await send(JSON.stringify(post('single')));
    expect(r).toEqual({ status: 202, body: { stored: ['single'], duplicates: [] } });
  });

  it('refuses a batch with an invalid post, naming each, and stores nothing', async () => {
    const bad = { ...post('b2'), createdAt: 'yesterday' };
    const body = JSON.stringify([post('b1'), bad, { id: 'b3', platform: 'forms' }]);
    const r = await send(body);
    expect(r.status).toBe(400);
    const errors = r.body.errors as { index: number; id?: string; error: string }[];
    expect(errors.map((e) => [e.index, e.id])).toEqual([
      [1, 'b2'],
      [2, 'b3'],
    ]);
    expect(errors[0]!.error).toMatch(/createdAt/);
    expect(errors[1]!.error).toMatch(/author|text/);
    expect(await count(store, 'posts')).toBe(0);
  });

  it('refuses a body that is not JSON with 400', async () => {
    const r = await send('{"id": ');
    expect(r.status).toBe(400);
    expect(String(r.body.error)).toMatch(/not JSON/);
  });

  it('refuses a stale timestamp (401) even when the signature is right', async () => {
    const body = JSON.stringify(post('stale'));
    const r = await send(body, signIngest(SECRET, body, new Date(now.getTime() - 6 * 60_000)));
    expect(r.status).toBe(401);
    expect(String(r.body.error)).toMatch(/from now/);
    expect(await count(store, 'posts')).toBe(0);
    // Four minutes off is within the window.
    expect((await send(body, signIngest(SECRET, body, new Date(now.getTime() + 4 * 60_000)))).status).toBe(202);
  });

  it('a replayed request stores nothing twice; replayed after five minutes it is refused', async () => {
    const body = JSON.stringify([post('r1'), post('r2')]);
    const headers = signIngest(SECRET, body, now);
    expect((await send(body, headers)).body).toEqual({ stored: ['r1', 'r2'], duplicates: [] });
    expect(await send(body, headers)).toEqual({ status: 202, body: { stored: [], duplicates: ['r1', 'r2'] } });
    expect(await count(store, 'opportunities')).toBe(2);
    now = new Date(now.getTime() + 5 * 60_000 + 2_000);
    expect((await send(body, headers)).status).toBe(401);
    expect(await count(store, 'posts')).toBe(2);
  });

  it('refuses a wrong, missing or truncated signature with 401, a wrong body under a right signature too', async () => {
    const body = JSON.stringify(post('sig'));
    const good = signIngest(SECRET, body, now);
    const cases: Record<string, string>[] = [
      { 'x-kairos-timestamp': good['x-kairos-timestamp'] },
      { ...good, 'x-kairos-signature': good['x-kairos-signature'].slice(0, 40) },
      signIngest('another-secret-entirely-000', body, now),
      { ...good, 'x-kairos-timestamp': String(Number(good['x-kairos-timestamp']) + 1) },
    ];
    for (const headers of cases) expect((await send(body, headers)).status).toBe(401);
    expect((await send(JSON.stringify(post('sig', 'changed')), good)).status).toBe(401);
    expect(await count(store, 'posts')).toBe(0);
    expect(cap.text()).not.toContain(SECRET);
  });

  it('refuses a body over the limit with 413, declared or streamed', async () => {
    const big = JSON.stringify([post('big', 'x'.repeat(9_000))]).padEnd(1024 * 1024 + 10, ' ');
    expect((await send(big)).status).toBe(413);
    // Streamed in chunks with no length declared: cut off as it passes the limit.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${http.url}/ingest`, { method: 'POST', headers: { 'transfer-encoding': 'chunked', ...signIngest(SECRET, big, now) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      let sent = 0;
      const pump = () => {
        while (sent < big.length) {
          const part = big.slice(sent, sent + 64 * 1024);
          sent += part.length;
          if (!req.write(part)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
    expect(await count(store, 'posts')).toBe(0);
  });
});
