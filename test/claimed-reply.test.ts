import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Post } from '../src/domain/post';
import { ClaimedReplySender, ReplyNotSent, type ReplyPlatform, type ReplyTarget, type SentReply } from '../src/sources/claimed-reply';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore } from '../src/store/sql-store';
import { analysis, captureLogger } from './support/x';

const ilse = { id: '111', name: 'Ilse' };

/** A network in memory: what it holds, what it was asked, and what it should do next. */
class MemoryNetwork implements ReplyPlatform {
  readonly platforms = ['mastodon'];
  readonly posted: ReplyTarget[] = [];
  readonly finds: ReplyTarget[] = [];
  next: 'ok' | 'lost' | 'refused' | 'crash' = 'ok';
  findFails = false;

  async post(t: ReplyTarget): Promise<SentReply> {
    const mode = this.next;
    this.next = 'ok';
    if (mode === 'refused') throw new ReplyNotSent('the network answered 422', false, ' (edit it)');
    if (mode === 'crash') throw new TypeError('cannot read properties of undefined');
    this.posted.push(t);
    if (mode === 'lost') throw new ReplyNotSent('no answer', true);
    return { id: `r${this.posted.length}`, url: `https://net.example/r${this.posted.length}` };
  }

  async find(t: ReplyTarget): Promise<SentReply | null> {
    this.finds.push(t);
    if (this.findFails) throw new Error('network down');
    const i = this.posted.findIndex((p) => p.opportunityId === t.opportunityId && p.claimedAt === t.claimedAt);
    return i < 0 ? null : { id: `r${i + 1}`, url: `https://net.example/r${i + 1}` };
  }
}

describe('one claim for every network', () => {
  let store: SqlStore;
  let net: MemoryNetwork;
  let clock: Date;
  const sender = () => new ClaimedReplySender(net, { store, log: captureLogger().log, now: () => clock });

  beforeEach(() => {
    store = openSqlite(':memory:');
    net = new MemoryNetwork();
    clock = new Date('2026-12-01T12:00:00Z');
  });
  afterEach(() => store.close());

  async function card(platform = 'mastodon'): Promise<number> {
    const post: Post = { id: '1090', platform, author: { handle: 'sanne@mastodon.social', followers: 3 }, text: 'Honeymoon?', createdAt: clock.toISOString() };
    const { opportunityId } = (await store.recordPost(post, { kind: 'opportunity', score: 0.9, signals: ['dilemma'], lang: 'en' }, { analysis, sinks: [] }))!;
    await store.transition(opportunityId!, 'approved', ilse);
    return opportunityId!;
  }

  it('sends once, audits it under the post platform, and a retry after a lost answer finds it with the same claim time', async () => {
    const id = await card();
    net.next = 'lost';
    await expect(sender().send(id, ilse)).rejects.toMatchObject({ name: 'ReplyFailed', uncertain: true, message: /Kairos checks Mastodon/ });
    const claimedAt = (await store.getReply(id))!.at;
    clock = new Date(clock.getTime() + 120_000);
    const r = await sender().send(id, ilse);
    expect(r).toEqual({ url: 'https://net.example/r1', alreadySent: false });
    expect(net.posted).toHaveLength(1);
    expect(net.finds.map((f) => f.claimedAt)).toEqual([claimedAt]);
    expect((await store.actionsFor(id)).filter((a) => a.action === 'mastodon-reply-sent').map((a) => a.detail)).toEqual([r.url]);
  });

  it('a refusal gives the claim back with its hint; an unexpected error keeps it, as the network may have posted', async () => {
    const id = await card();
    net.next = 'refused';
    await expect(sender().send(id, ilse)).rejects.toMatchObject({ uncertain: false, message: 'the network answered 422 (edit it)' });
    expect(await store.getReply(id)).toBeNull();
    net.next = 'crash';
    await expect(sender().send(id, ilse)).rejects.toMatchObject({ uncertain: true });
    expect((await store.getReply(id))?.status).toBe('sending');
  });

  it('when the network cannot be checked after a crash, nothing is sent and the claim stays', async () => {
    const id = await card();
    await store.claimReply({ opportunityId: id, inReplyTo: '1090', text: analysis.reply, actorId: ilse.id, at: clock.toISOString() });
    clock = new Date(clock.getTime() + 120_000);
    net.findFails = true;
    await expect(sender().send(id, ilse)).rejects.toMatchObject({ uncertain: true, message: /could not check Mastodon/ });
    expect(net.posted).toHaveLength(0);
    net.findFails = false;
    await sender().send(id, ilse);
    expect(net.posted).toHaveLength(1);
  });

  it('refuses a card on a platform it does not serve before any call', async () => {
    const id = await card('x');
    await expect(sender().send(id, ilse)).rejects.toMatchObject({ name: 'ReplyRefused', message: /X post; this sender replies on Mastodon/ });
    expect(net.posted.length + net.finds.length).toBe(0);
  });
});
