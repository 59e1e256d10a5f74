import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Post } from '../src/domain/post';
import { BlueskyReplySender, tid } from '../src/sources/bluesky/replies';
import { ReplyFailed, ReplyRefused } from '../src/sources/x/replies';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore as Store } from '../src/store/sql-store';
import { FakeJetstream, type FakeAccount } from './fakes/jetstream';
import { analysis, captureLogger } from './support/x';

const ilse = { id: '111', name: 'Ilse' };

describe('sending an approved reply on Bluesky', () => {
  let fake: FakeJetstream;
  let store: Store;
  let brand: FakeAccount;
  let fanPost: string;
  let clock: Date;
  const sender = (password = fake.appPassword) =>
    new BlueskyReplySender({ pdsUrl: fake.apiUrl, apiUrl: fake.apiUrl, handle: brand.handle, appPassword: password, store, log: captureLogger().log, now: () => clock });

  beforeEach(async () => {
    fake = await new FakeJetstream().start();
    store = openSqlite(':memory:');
    clock = new Date('2026-12-01T12:00:00Z');
    brand = fake.addAccount({ did: 'did:plc:oranjeairbrand00000000000', handle: 'oranjeair.bsky.social' });
    const fan = fake.addAccount({ did: 'did:plc:sannefan000000000000000', handle: 'sanne.bsky.social' });
    const root = fake.post(fan, { text: 'the start of the thread' });
    fanPost = fake.post(fan, { text: 'Honeymoon or Elfstedentocht? Oranje Air', replyTo: root });
  });

  afterEach(async () => {
    await fake.close();
    await store.close();
  });

  async function card(platform = 'bluesky', status: 'approved' | 'flagged' = 'approved'): Promise<number> {
    const post: Post = { id: fanPost, platform, author: { handle: 'sanne.bsky.social', followers: 10 }, text: 'Honeymoon?', createdAt: clock.toISOString() };
    const { opportunityId } = (await store.recordPost(post, { kind: 'opportunity', score: 0.9, signals: ['dilemma'], lang: 'en' }, { analysis, sinks: [] }))!;
    await store.transition(opportunityId!, status, ilse);
    return opportunityId!;
  }

  it("posts the approved text once, in the fan's thread, and shows the link", async () => {
    const id = await card();
    const s = sender();
    const [a, b] = await Promise.all([s.send(id, ilse), s.send(id, ilse)]);
    expect(fake.records.size).toBe(1);
    const [rkey, record] = [...fake.records.entries()][0]!;
    expect(record).toMatchObject({ text: analysis.reply, reply: { parent: { uri: fanPost } } });
    // The thread's root, not the fan's post, is the root of the reply.
    expect((record as any).reply.root.uri).not.toBe(fanPost);
    expect(a.url).toBe(`https://bsky.app/profile/oranjeair.bsky.social/post/${rkey}`);
    expect(b.alreadySent).toBe(true);
    expect(await s.send(id, ilse)).toEqual({ url: a.url, alreadySent: true });
    expect((await store.getReply(id))?.status).toBe('sent');
  });

  it('after a crash between writing and recording, finds the reply instead of posting it again', async () => {
    const id = await card();
    fake.loseNextAnswer = true;
    await expect(sender().send(id, ilse)).rejects.toMatchObject({ name: 'ReplyFailed', uncertain: true });
    expect(fake.records.size).toBe(1);
    expect((await store.getReply(id))?.status).toBe('sending');
    // A new process, a minute later: the claim is stale, the record key is the same, and the PDS has it.
    clock = new Date(clock.getTime() + 120_000);
    const again = await sender().send(id, ilse);
    expect(again.alreadySent).toBe(false);
    expect(fake.records.size).toBe(1);
    expect((await store.getReply(id))?.status).toBe('sent');
  });

  it('refuses what must not be sent, and a wrong app password sends nothing and frees the claim', async () => {
    await expect(sender().send(await card('x'), ilse)).rejects.toBeInstanceOf(ReplyRefused);
    const id = await card('bluesky', 'flagged');
    await expect(sender().send(id, ilse)).rejects.toThrow(/not approved/);
    await store.transition(id, 'approved', ilse);
    const err = await sender('wrong-password-0000').send(id, ilse).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplyFailed);
    expect((err as Error).message).toContain('BLUESKY_APP_PASSWORD');
    expect((err as Error).message).not.toContain('wrong-password-0000');
    expect(fake.records.size).toBe(0);
    expect(await store.getReply(id)).toBeNull();
  });

  it('makes record keys in the TID format, the same from the same claim', () => {
    expect(tid(1_764_590_400_000_000, 7)).toMatch(/^[234567a-z]{13}$/);
    expect(tid(1_764_590_400_000_000, 7)).toBe(tid(1_764_590_400_000_000, 7));
    expect(tid(1_764_590_400_000_000, 7)).not.toBe(tid(1_764_590_400_000_000, 8));
  });
});
