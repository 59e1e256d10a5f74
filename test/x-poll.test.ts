import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startX, type XHandle } from '../src/sources/x/start';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore as Store } from '../src/store/sql-store';
import { FakeX, type FakeUser } from './fakes/x';
import { captureLogger, pipeline, TEST_BACKOFF, until, xConfig } from './support/x';

describe('X mentions polling against a fake X', () => {
  let fake: FakeX;
  let fan: FakeUser;
  const handles: XHandle[] = [];
  const stores: Store[] = [];

  beforeEach(async () => {
    fake = await new FakeX().start();
    fan = fake.addUser({ username: 'piet', followers: 87 });
  });

  afterEach(async () => {
    for (const h of handles.splice(0)) await h.stop();
    await fake.close();
    for (const s of stores.splice(0)) await s.close();
  });

  function start(store: Store, emit: (p: any) => Promise<unknown>, env: Record<string, string> = {}, log = captureLogger().log, pollIntervalMs = 50) {
    const config = xConfig(fake, { X_MODE: 'poll', ...env });
    const h = startX({ config, store, log, emit, timing: { backoff: TEST_BACKOFF, pollIntervalMs } });
    handles.push(h);
    return h;
  }

  it('looks the brand up, then polls mentions since the cursor across pages, oldest first, each once', async () => {
    const cap = captureLogger();
    const p = pipeline(cap.log);
    stores.push(p.store);
    const first = fake.publish(fan, 'first @OranjeAir');
    start(p.store, p.emit, {}, cap.log);
    await until(() => p.counts.processed === 1);
    expect(fake.calls('users')[0]!.path).toBe('/2/users/by/username/OranjeAir');

    // 250 new mentions (3 pages of 100), plus a post that does not mention the brand.
    const ids = Array.from({ length: 250 }, (_, i) => fake.publish(fan, `mention ${i} @oranjeair`).id);
    fake.publish(fan, 'not about the brand');
    await until(() => p.counts.processed === 251, 5000, 'all pages');
    expect(p.counts.ids).toEqual([first.id, ...ids]);
    expect(p.counts.duplicate).toBe(0);
    const paged = fake.calls('mentions').filter((c) => c.query.get('pagination_token'));
    expect(paged.length).toBeGreaterThanOrEqual(2);
    expect(paged.every((c) => c.query.get('since_id') === first.id)).toBe(true);
    expect(await p.store.getCursor('x:mentions')).toBe(ids.at(-1));
  });

  it('uses X_BRAND_USER_ID without a lookup and resumes from the stored cursor after a restart', async () => {
    const { log } = captureLogger();
    const p = pipeline(log);
    stores.push(p.store);
    const env = { X_BRAND_USER_ID: fake.meId };
    const a = start(p.store, p.emit, env, log);
    fake.publish(fan, 'one @OranjeAir');
    await until(() => p.counts.processed === 1);
    await a.stop();
    const later = [fake.publish(fan, 'two @OranjeAir').id, fake.publish(fan, 'three @OranjeAir').id];
    start(p.store, p.emit, env, log);
    await until(() => p.counts.processed === 3);
    expect(p.counts.ids.slice(1)).toEqual(later);
    expect(p.counts.duplicate).toBe(0);
    expect(fake.calls('users')).toHaveLength(0);
  });

  it('waits for x-rate-limit-reset after a 429, and backs off on a 503', async () => {
    const cap = captureLogger();
    const store = openSqlite(':memory:');
    stores.push(store);
    fake.failNext('mentions', { status: 503 });
    fake.failNext('mentions', { status: 429, resetInSeconds: 1 });
    start(store, async () => {}, { X_BRAND_USER_ID: fake.meId }, cap.log);
    await until(() => fake.calls('mentions').length >= 3, 5000, 'retry after reset');
    const [a, b, c] = fake.calls('mentions');
    expect(b!.at - a!.at).toBeLessThan(500); // 503: short backoff
    expect(c!.at - b!.at).toBeGreaterThanOrEqual(900); // 429: until the reset, 1–2 s ahead
    expect(cap.text()).toContain('rate limited');
  });

  it('stretches the interval when the window is nearly used up', async () => {
    const store = openSqlite(':memory:');
    stores.push(store);
    fake.setLimit('mentions', 3, 1500);
    start(store, async () => {}, { X_BRAND_USER_ID: fake.meId });
    await new Promise((r) => setTimeout(r, 1200));
    // With a 50 ms interval, unthrottled polling would have made ~20 calls and hit 429s.
    const calls = fake.calls('mentions').length;
    expect(calls).toBeLessThanOrEqual(3);
    expect(calls).toBeGreaterThanOrEqual(1);
  });

  it('stops on a revoked token with a clear message; the token never reaches the log', async () => {
    const cap = captureLogger();
    const store = openSqlite(':memory:');
    stores.push(store);
    fake.revoke('test-bearer-token-0001');
    const h = start(store, async () => {}, { X_BRAND_USER_ID: fake.meId }, cap.log);
    await h.done;
    expect(h.source?.status.state).toBe('failed');
    expect(cap.text()).toContain('X source stopped while polling mentions: X answered 401');
    expect(cap.text()).not.toContain('test-bearer-token-0001');
    expect(fake.calls('mentions')).toHaveLength(1);
  });
});
