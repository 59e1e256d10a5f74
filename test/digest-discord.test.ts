import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DiscordMessageSink, messageFingerprint } from '../src/discord/message-sink';
import { buildMomentMessage, momentMessage, noticeMessage, outboxDigestSender, recordDelivery } from '../src/discord/messages';
import { readDigestData } from '../src/digest/data';
import { createLogger } from '../src/log';
import { MessageCourier } from '../src/outbox/messages';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore as Store } from '../src/store/sql-store';
import { FakeDiscord } from './fakes/discord';

/**
 * Every message that is not a card (rising moments, the digest, notices, thread lines) goes through the message
 * outbox: once per key, with a nonce and a marker, and found again rather than posted twice after a crash.
 */
const log = createLogger('silent');
let fake: FakeDiscord;
let store: Store;
const couriers: MessageCourier[] = [];

beforeAll(async () => {
  fake = await FakeDiscord.start();
});
afterAll(() => fake.close());
afterEach(async () => {
  for (const c of couriers.splice(0)) await c.stop();
  await store?.close();
});

/** A message courier as startDiscord builds one: a fresh sink, as after a (re)start of the process. */
function courier(): MessageCourier {
  const sink = new DiscordMessageSink({ token: fake.token, channelId: fake.channelId, apiUrl: fake.apiUrl, botUserId: fake.botUserId, log, backoff: () => 30 });
  const c = new MessageCourier(store, sink, log, recordDelivery(store));
  couriers.push(c);
  return c;
}

const MOMENT = {
  term: 'elfstedentocht', source: 'surge' as const, at: '2026-02-01T10:00:00.000Z', nowPerHour: 40, baselinePerHour: 2,
  ratio: 13, authors: 9, windowMinutes: 10,
  samples: [
    { text: '@everyone it giet oan', author: 'fan1', createdAt: '2026-02-01T09:59:00Z', kind: 'noise' as const, url: 'https://x.com/a)[login](http://evil.example)' },
    { text: 'Honeymoon or the tocht?', author: 'bride', createdAt: '2026-02-01T09:58:00Z', kind: 'opportunity' as const, url: 'javascript:alert(1)' },
  ],
};

const withRef = async (key: string) => {
  const m = (await store.messageByKey(key))!;
  const ref = `ref ${messageFingerprint(m)}`;
  return fake.channelMessages().filter((x) => x.content.includes(ref) || x.embeds.some((e) => String(e.footer?.text).includes(ref)));
};

describe('the message outbox', () => {
  it('posts the digest with its chart attached, once per day however often it is queued, and records its message', async () => {
    store = openSqlite(':memory:');
    const c = courier();
    const sender = outboxDigestSender((m) => void c.send(m));
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const payload = {
      data: await readDigestData(store, { day: '2026-03-02', from: new Date('2026-03-01T08:00:00Z'), to: new Date('2026-03-02T08:00:00Z'), timeZone: 'UTC' }),
      late: false,
    };
    await store.recordDigest({ day: '2026-03-02', sentAt: '2026-03-02T08:00:00Z', late: false, messageId: null });
    expect(await sender.sendDigest(payload, png, '2026-03-02')).toEqual({ messageId: null });
    await sender.sendDigest(payload, png, '2026-03-02'); // a retried tick
    await new Promise((r) => setTimeout(r, 20)); // the queue writes run in the background
    await c.idle();

    const posts = fake.messagePosts().filter((r) => r.files?.some((f) => f.name === 'digest-2026-03-02.png'));
    expect(posts).toHaveLength(1);
    const [req] = posts;
    expect(req!.body.allowed_mentions).toEqual({ parse: [] });
    expect(req!.body.attachments).toEqual([{ id: 0, filename: 'digest-2026-03-02.png' }]);
    expect(req!.body.chartName).toBeUndefined();
    expect(req!.body.enforce_nonce).toBe(true);
    expect(req!.body.nonce).toMatch(/^m[0-9a-f]{12}$/);
    expect(req!.files![0]!.data.equals(png)).toBe(true);
    const [row] = await store.listDigests();
    expect(row!.messageId).toBe((await withRef('digest:2026-03-02'))[0]!.id);
  });

  it('posts the digest with a "Should have been a card" button for each post that came close', async () => {
    store = openSqlite(':memory:');
    const c = courier();
    await store.recordPost({ id: '77', platform: 'x', author: { handle: 'nearly', followers: 5 }, text: '@OranjeAir our first flight together', createdAt: '2026-03-03T10:00:00Z' }, { kind: 'service', score: 0.2, signals: [], lang: 'en' });
    const teaching = { closeness: () => ({ kind: 'opportunity' as const, p: 0.4 }), model: { source: 'the shipped model' } };
    const data = await readDigestData(store, { day: '2026-03-03', from: new Date('2026-03-03T08:00:00Z'), to: new Date('2026-03-04T08:00:00Z'), timeZone: 'UTC', teaching });
    await outboxDigestSender((m) => void c.send(m)).sendDigest({ data, late: false }, Buffer.from([0x89, 0x50, 0x4e, 0x47]), '2026-03-03');
    await new Promise((r) => setTimeout(r, 20));
    await c.idle();
    const [req] = fake.messagePosts().filter((r) => r.files?.some((f) => f.name === 'digest-2026-03-03.png'));
    expect(req!.body.components).toEqual([{ type: 1, components: [{ type: 2, style: 2, custom_id: 'missed:close:opportunity:x:77', label: '1. Should have been a card', disabled: false }] }]);
  });

  it('posts a moment card that shows the stories apart, cannot ping and links no unchecked address', async () => {
    const msg = buildMomentMessage(MOMENT);
    expect(msg.allowed_mentions).toEqual({ parse: [] });
    expect(msg.embeds[0]!.fields!.map((f) => f.name)).toEqual(['Brand stories riding it', 'What people say']);
    const text = JSON.stringify(msg);
    expect(text).not.toContain('@everyone');
    // The fan's address stays one link to x.com: its brackets are encoded, so no masked "login" link appears.
    expect(text).not.toContain('[login](http://evil.example)');
    expect(msg.embeds[0]!.fields![1]!.value).toContain('([post](https://x.com/a%29%5Blogin%5D%28http://evil.example%29))');
    expect(text).not.toContain('javascript:');
  });

  it('a moment is posted once and marked posted, though it is queued again (a resumed replay)', async () => {
    store = openSqlite(':memory:');
    const { moment } = await store.recordMoment(MOMENT);
    const c = courier();
    expect(await c.send(momentMessage(moment))).toBe(true);
    expect(await c.send(momentMessage(moment))).toBe(false);
    await c.idle();
    expect(await withRef(`moment:${moment.id}`)).toHaveLength(1);
    expect((await store.getMoment(moment.id))!.messageId).toBe((await withRef(`moment:${moment.id}`))[0]!.id);
  });

  it('never posts twice when the answer to a post is lost', async () => {
    store = openSqlite(':memory:');
    const c = courier();
    fake.dropNextPostAnswer = true;
    const notice = noticeMessage('model-budget', 'Kairos reached its cap on model calls.');
    await c.send(notice);
    await c.idle();
    const row = (await store.messageByKey(notice.key))!;
    expect(row.status).toBe('sent');
    expect(await withRef(row.key)).toHaveLength(1);
    expect((await withRef(row.key))[0]!.id).toBe(row.messageId);
  });

  it('after a crash between the post and writing it down, a restart finds the message behind 250 others and posts nothing', async () => {
    store = openSqlite(':memory:');
    const { moment } = await store.recordMoment({ ...MOMENT, term: 'storm' });
    await store.queueMessage(momentMessage(moment));
    // The crashed process: it wrote the attempt down, posted, and died before the answer was recorded.
    const queued = (await store.messageByKey(`moment:${moment.id}`))!;
    await store.markMessageAttempt(queued.id);
    const attempted = (await store.messageByKey(queued.key))!;
    const before = new DiscordMessageSink({ token: fake.token, channelId: fake.channelId, apiUrl: fake.apiUrl });
    await before.deliver(attempted);
    fake.chatter(250); // a busy channel between the crash and the restart
    const postsBefore = fake.messagePosts().length;

    const c = courier();
    await c.kick();
    await c.idle();
    expect(fake.messagePosts().length).toBe(postsBefore);
    expect(await withRef(`moment:${moment.id}`)).toHaveLength(1);
    expect((await store.getMoment(moment.id))!.messageId).toBe((await withRef(`moment:${moment.id}`))[0]!.id);
    // It read the channel forward from the attempt, not the last 100 messages.
    const reads = fake.requests.filter((r) => r.method === 'GET' && r.path === `/v10/channels/${fake.channelId}/messages`);
    expect(reads.at(-1)!.query.get('after')).toMatch(/^\d+$/);
  });
});
