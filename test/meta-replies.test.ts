import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCard } from '../src/discord/card';
import { replyOptions } from '../src/discord/actions';
import type { ReplySender as DiscordReplySender } from '../src/discord/context';
import type { Post } from '../src/domain/post';
import { GraphClient } from '../src/sources/meta/graph';
import { MetaReplySender } from '../src/sources/meta/replies';
import { ReplyRouter } from '../src/sources/replies';
import { openSqlite } from '../src/store/sqlite';
import type { SqlStore } from '../src/store/sql-store';
import { FakeGraph } from './fakes/meta';
import { analysis, captureLogger } from './support/x';

const ilse = { id: '111', name: 'Ilse' };

describe('sending an approved reply on Facebook and Instagram', () => {
  let graph: FakeGraph;
  let store: SqlStore;
  let cap: ReturnType<typeof captureLogger>;
  let clock: Date;

  const sender = () =>
    new MetaReplySender({
      graph: new GraphClient({ baseUrl: graph.graphUrl, token: graph.token, timeoutMs: 2_000 }),
      pageId: graph.pageId,
      igUserId: graph.igUserId,
      store,
      log: cap.log,
      now: () => clock,
    });

  beforeEach(async () => {
    graph = await new FakeGraph().start();
    store = openSqlite(':memory:');
    cap = captureLogger();
    clock = new Date('2026-12-01T12:00:00Z');
  });

  afterEach(async () => {
    await graph.close();
    await store.close();
  });

  async function card(platform: string, id: string, status: 'approved' | 'flagged' = 'approved', extra: Partial<Post> = {}): Promise<number> {
    const post: Post = {
      ...extra,
      id,
      platform,
      url: platform === 'facebook' ? 'https://www.facebook.com/1000001_2000?comment_id=3001' : 'https://www.instagram.com/p/DAbc123/',
      author: { handle: 'Sanne', followers: 0 },
      text: 'What a moment',
      createdAt: '2026-12-01T10:00:00Z',
    };
    const { opportunityId } = (await store.recordPost(post, { kind: 'opportunity', score: 0.9, signals: ['milestone'], lang: 'en' }, { analysis, sinks: [] }))!;
    await store.transition(opportunityId!, status, ilse);
    return opportunityId!;
  }

  it('posts the reply under the Facebook comment once however often it is clicked, with the Page token, and links it', async () => {
    const id = await card('facebook', '2000_3001');
    const s: DiscordReplySender = sender();
    const results = await Promise.all([s.send(id, ilse), s.send(id, ilse), s.send(id, ilse)]);
    expect(graph.callsTo('POST', /^2000_3001\/comments$/)).toHaveLength(1);
    expect(graph.callsTo('POST', /comments$/)[0]).toMatchObject({ form: { message: analysis.reply }, authorization: `Bearer ${graph.token}` });
    const reply = graph.replies.get('2000_3001')![0]!;
    expect(results[0]).toEqual({ url: `https://www.facebook.com/1000001_2000?comment_id=3001&reply_comment_id=${reply.id.split('_')[1]}`, alreadySent: false });
    expect(results.slice(1).every((r) => r.alreadySent)).toBe(true);
    // A later click, from another process: the store has it.
    expect((await sender().send(id, ilse)).alreadySent).toBe(true);
    expect(graph.callsTo('POST', /comments$/)).toHaveLength(1);
    expect((await store.actionsFor(id)).filter((a) => a.action === 'facebook-reply-sent').map((a) => [a.actorName, a.detail])).toEqual([['Ilse', results[0]!.url]]);
    expect(cap.text()).not.toContain(graph.token);
  });

  it('after a crash mid-send, a restart finds the reply under the comment and never posts it twice', async () => {
    const id = await card('facebook', '2000_3002');
    graph.fail(/POST 2000_3002\/comments/, 'drop-after');
    await expect(sender().send(id, ilse)).rejects.toMatchObject({ name: 'ReplyFailed', uncertain: true });
    expect(graph.replies.get('2000_3002')).toHaveLength(1);
    expect((await store.getReply(id))?.status).toBe('sending');
    // A click right away: the send may still be under way.
    await expect(sender().send(id, ilse)).rejects.toThrow(/being sent right now/);
    clock = new Date(clock.getTime() + 2 * 60_000);
    const r = await sender().send(id, ilse);
    expect(r.alreadySent).toBe(false);
    expect(graph.callsTo('POST', /comments$/)).toHaveLength(1);
    expect(graph.callsTo('GET', /^2000_3002\/comments$/)).toHaveLength(1);
    expect((await store.getReply(id))?.status).toBe('sent');
    expect((await store.actionsFor(id)).filter((a) => a.action === 'facebook-reply-sent')).toHaveLength(1);
  });

  it('after a crash before the Graph API was reached, the restart sends it, once', async () => {
    const id = await card('facebook', '2000_3003');
    // The claim is written, then the process dies before the request.
    await store.claimReply({ opportunityId: id, inReplyTo: '2000_3003', text: analysis.reply, actorId: ilse.id, at: clock.toISOString() });
    clock = new Date(clock.getTime() + 2 * 60_000);
    await sender().send(id, ilse);
    expect(graph.replies.get('2000_3003')).toHaveLength(1);
  });

  it('replies to an Instagram comment through /replies', async () => {
    const id = await card('instagram', '18000001');
    const r = await sender().send(id, ilse);
    expect(graph.callsTo('POST', /^18000001\/replies$/)).toHaveLength(1);
    expect(r.url).toBe('https://www.instagram.com/p/DAbc123/');
    expect((await store.actionsFor(id)).map((a) => a.action)).toContain('instagram-reply-sent');
  });

  it('a refusal gives the claim back with a hint, and posts nothing; an unapproved card is refused before any call', async () => {
    const id = await card('facebook', '2000_3004');
    graph.fail(/POST 2000_3004\/comments/, 403);
    await expect(sender().send(id, ilse)).rejects.toMatchObject({ name: 'ReplyFailed', uncertain: false, message: expect.stringMatching(/META_PAGE_TOKEN/) });
    expect(await store.getReply(id)).toBeNull();
    expect((await sender().send(id, ilse)).alreadySent).toBe(false);
    expect(graph.replies.get('2000_3004')).toHaveLength(1);

    const open = await card('facebook', '2000_3005', 'flagged');
    const before = graph.calls.length;
    await expect(sender().send(open, ilse)).rejects.toMatchObject({ name: 'ReplyRefused' });
    expect(graph.calls.length).toBe(before);
  });

  it('cards offer "Send reply on Facebook/Instagram/X" by platform; a post pushed through /ingest gets its reply ready to copy', async () => {
    const x = { platforms: ['x'] as const, send: async () => ({ url: 'https://x.com/a/status/1' }) };
    const router = new ReplyRouter([x, sender()], store);
    const options = replyOptions(router);
    const label = async (platform: string, id: string) => {
      const opp = (await store.getOpportunity(await card(platform, id)))!;
      const m = buildCard(opp, [], options);
      return { button: (m.components[0]?.components[0] as { label?: string } | undefined)?.label, content: m.content };
    };
    expect(await label('facebook', 'f1')).toEqual({ button: 'Send reply on Facebook', content: undefined });
    expect(await label('instagram', 'i1')).toEqual({ button: 'Send reply on Instagram', content: undefined });
    expect((await label('x', 'x1')).button).toBe('Send reply on X');
    const pushed = await label('forms', 'p1');
    expect(pushed.button).toBeUndefined();
    expect(pushed.content).toContain(analysis.reply);
    const forms = await card('forms', 'p2');
    await expect(router.send(forms, ilse)).rejects.toThrow(/no replies on forms/);
  });

  describe('an Instagram @mention (a comment or caption on someone else\'s media)', () => {
    const mentionCard = (commentId: string | null, mediaId: string) =>
      commentId ? card('instagram', commentId, 'approved', { via: 'mention', inReplyTo: mediaId }) : card('instagram', mediaId, 'approved', { via: 'mention' });

    it('answers a comment mention through the account\'s mentions edge, once however often it is clicked', async () => {
      const id = await mentionCard('18000009', '17999999');
      const s = sender();
      const results = await Promise.all([s.send(id, ilse), s.send(id, ilse), s.send(id, ilse)]);
      expect(graph.callsTo('POST', /mentions$/)).toHaveLength(1);
      expect(graph.callsTo('POST', /mentions$/)[0]).toMatchObject({ path: `${graph.igUserId}/mentions`, form: { media_id: '17999999', comment_id: '18000009', message: analysis.reply } });
      // Never the comment's own replies edge: Meta refuses that for media the brand does not own.
      expect(graph.callsTo('POST', /replies$/)).toHaveLength(0);
      expect(results[0]).toEqual({ url: 'https://www.instagram.com/p/DAbc123/', alreadySent: false });
      expect((await store.actionsFor(id)).filter((a) => a.action === 'instagram-reply-sent')).toHaveLength(1);
    });

    it('answers a caption mention as a comment on the media', async () => {
      const id = await mentionCard(null, '17999998');
      await sender().send(id, ilse);
      const form = graph.callsTo('POST', /mentions$/)[0]!.form;
      expect(form).toEqual({ media_id: '17999998', message: analysis.reply });
    });

    it('after a crash mid-send, finds the reply through the mention and never posts it twice', async () => {
      graph.objects.set('18000010', { text: '@oranjeair what a flight', username: 'joost' });
      const id = await mentionCard('18000010', '17999999');
      graph.fail(/POST \d+\/mentions/, 'drop-after');
      await expect(sender().send(id, ilse)).rejects.toMatchObject({ name: 'ReplyFailed', uncertain: true });
      clock = new Date(clock.getTime() + 2 * 60_000);
      const r = await sender().send(id, ilse);
      expect(r.alreadySent).toBe(false);
      expect(graph.callsTo('POST', /mentions$/)).toHaveLength(1);
      expect(graph.callsTo('GET', new RegExp(`^${graph.igUserId}$`)).map((c) => c.query.fields)).toEqual(['mentioned_comment.comment_id(18000010){replies{id,text,from}}']);
      expect((await store.getReply(id))?.status).toBe('sent');
    });

    it('a mention that cannot be answered: nothing posted, and the card shows the reply ready to copy (and can try again)', async () => {
      const id = await mentionCard('18000011', '17999999');
      graph.fail(/POST \d+\/mentions/, 400);
      await expect(sender().send(id, ilse)).rejects.toMatchObject({ name: 'ReplyFailed', uncertain: false });
      expect(await store.getReply(id)).toBeNull();
      const history = await store.actionsFor(id);
      expect(history.map((a) => a.action)).toContain('instagram-reply-refused');
      const m = buildCard((await store.getOpportunity(id))!, history, replyOptions(new ReplyRouter([sender()], store)));
      expect(m.content).toMatch(/^Not sent on Instagram \(the Graph API refused POST 1780001…: An unexpected error has occurred\.\)\. The approved reply, ready to copy:/);
      expect(m.content).toContain(analysis.reply);
      expect((m.components[0]?.components[0] as { label?: string }).label).toBe('Send reply on Instagram');
      // Sent later after all: the copy-ready text goes, the link stays.
      await sender().send(id, ilse);
      const after = buildCard((await store.getOpportunity(id))!, await store.actionsFor(id), replyOptions(new ReplyRouter([sender()], store)));
      expect(after.content).toBeUndefined();
      expect(after.components).toEqual([]);
    });
  });
});
