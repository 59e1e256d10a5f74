import { describe, expect, it } from 'vitest';
import { buildCard, embedLength, FIELD_NAMES, LIMITS, parseCardCustomId } from '../src/discord/card';
import { clip, neutralise } from '../src/discord/text';
import type { Opportunity } from '../src/domain/opportunity';
import type { ActionRecord } from '../src/domain/opportunity';
import { makeAnalysis, makePost } from './support/discord';

function opp(over: Partial<Opportunity> = {}): Opportunity {
  return {
    id: 12,
    postId: 'x:1',
    kind: 'opportunity',
    score: 0.91,
    signals: ['dilemma', 'cultural-event'],
    status: 'flagged',
    analysis: makeAnalysis(),
    post: makePost(),
    claimedBy: null,
    createdAt: '2024-03-01T10:00:05.000Z',
    updatedAt: '2024-03-01T10:00:05.000Z',
    ...over,
  };
}

const action = (over: Partial<ActionRecord>): ActionRecord => ({
  id: 1,
  opportunityId: 12,
  actorId: '1',
  actorName: 'anna',
  action: 'claimed',
  reason: null,
  detail: null,
  at: '2024-03-01T11:00:00.000Z',
  ...over,
});

describe('buildCard', () => {
  it('has the kind and summary in the title, the post link, the author and reach, and the seven fields in order', () => {
    const o = opp();
    const m = buildCard(o);
    const e = m.embeds[0]!;
    expect(e.title).toBe(`Opportunity · ${neutralise(o.analysis.summary)}`);
    expect(e.url).toBe(o.post.url);
    expect(e.author?.name).toContain(`@${o.post.author.handle}`);
    expect(e.author?.name).toContain('12k followers');
    expect(e.fields?.map((f) => f.name)).toEqual([...FIELD_NAMES]);
    expect(e.footer?.text).toMatch(/^Kairos card #12 · ref [0-9a-f]{10}/);
    expect(m.allowed_mentions).toEqual({ parse: [] });
  });

  it('colours by kind and greys closed cards', () => {
    const a = buildCard(opp()).embeds[0]!.color;
    const r = buildCard(opp({ kind: 'risk' })).embeds[0]!.color;
    const closed = buildCard(opp({ status: 'dismissed' })).embeds[0]!.color;
    expect(new Set([a, r, closed]).size).toBe(3);
    expect(buildCard(opp({ kind: 'risk' })).embeds[0]!.title).toMatch(/^Risk · /);
  });

  it('offers the five actions with the card id on open cards, none on closed ones', () => {
    const ids = buildCard(opp()).components[0]!.components.map((c) => ('custom_id' in c ? c.custom_id : ''));
    expect(ids).toEqual(['card:approve:12', 'card:edit:12', 'card:regenerate:12', 'card:dismiss:12', 'card:claim:12']);
    expect(ids.map(parseCardCustomId)).toEqual(
      ['approve', 'edit', 'regenerate', 'dismiss', 'claim'].map((a) => ({ action: a, opportunityId: 12 })),
    );
    expect(buildCard(opp({ status: 'dismissed' })).components).toEqual([]);
  });

  it('on an approved card shows the reply to copy, or the X button when a sender is wired (once)', () => {
    const approved = opp({ status: 'approved' });
    const plain = buildCard(approved, [action({ action: 'approved' })]);
    expect(plain.components).toEqual([]);
    expect(plain.content).toContain(approved.analysis.reply);
    expect(plain.content).toMatch(/```\n[\s\S]*\n```$/);
    const withX = buildCard(approved, [], { canSendReply: true });
    expect(withX.components[0]!.components[0]).toMatchObject({ custom_id: 'x-reply:12', label: 'Send reply on X' });
    const sent = buildCard(approved, [action({ action: 'x-reply-sent', detail: 'https://x.com/a/status/1' })], { canSendReply: true });
    expect(sent.components).toEqual([]);
  });

  it('says who did what and when in the Status field', () => {
    const m = buildCard(opp({ status: 'claimed', claimedBy: 'anna' }), [action({})]);
    const status = m.embeds[0]!.fields!.find((f) => f.name === 'Status')!.value;
    expect(status).toContain('Claimed by anna');
    expect(status).toContain('anna claimed it');
    expect(status).toContain(`<t:${Date.parse('2024-03-01T11:00:00.000Z') / 1000}:f>`);
  });

  it('keeps Discord limits for huge input, cutting with an ellipsis', () => {
    const huge = 'ü🚀'.repeat(6000);
    const o = opp({
      analysis: makeAnalysis({
        summary: huge,
        why: huge,
        reply: huge,
        publicPost: huge,
        verifyFirst: Array(50).fill(huge),
        risks: Array(50).fill(huge),
        notes: Array(10).fill(huge),
        gesture: { id: 'g', name: huge, costEur: 1, fairness: huge, needsApproval: true },
      }),
      post: makePost({ text: '*_`'.repeat(3000), author: { handle: 'h'.repeat(64), name: huge.slice(0, 128), followers: 5 } }),
    });
    const e = buildCard(o, Array(30).fill(action({ actorName: huge }))).embeds[0]!;
    expect(e.title!.length).toBeLessThanOrEqual(LIMITS.title);
    expect(e.title!.endsWith('…')).toBe(true);
    expect(e.description!.length).toBeLessThanOrEqual(LIMITS.description);
    expect(e.author!.name.length).toBeLessThanOrEqual(LIMITS.author);
    expect(e.fields!.length).toBeLessThanOrEqual(LIMITS.fields);
    for (const f of e.fields!) {
      expect(f.value.length).toBeLessThanOrEqual(LIMITS.fieldValue);
      expect(f.value.length).toBeGreaterThan(0);
    }
    expect(embedLength(e)).toBeLessThanOrEqual(LIMITS.embedTotal);
    expect(e.fields!.find((f) => f.name === 'Why')!.value.endsWith('…')).toBe(true);
    // No lone surrogate anywhere: the JSON Discord receives is valid UTF-8.
    expect(JSON.stringify(e)).not.toMatch(/\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i);
  });

  it('neutralises mentions and markdown in fan text', () => {
    const text = 'Hey @everyone and @here, <@&123456789012345678> <@98765432101234567> look: **bold** `code` ```block``` ||spoiler|| [click](https://evil.example)';
    const m = buildCard(opp({ post: makePost({ text }), analysis: makeAnalysis({ reply: '@everyone thanks' }) }));
    const all = JSON.stringify(m.embeds);
    expect(all).not.toMatch(/@everyone|@here/);
    expect(all).not.toMatch(/<@&?\d/);
    expect(m.embeds[0]!.description).toContain('\\*\\*bold\\*\\*');
    expect(m.embeds[0]!.description).toContain('\\`code\\`');
    expect(m.embeds[0]!.description).not.toContain('```');
    expect(m.allowed_mentions).toEqual({ parse: [] });
  });
});

describe('clip', () => {
  it('never leaves a dangling escape or half a surrogate pair', () => {
    expect(clip('abc\\*def', 5)).toBe('abc…');
    expect(clip('ab🚀cd', 4)).toBe('ab…');
    expect(clip('short', 10)).toBe('short');
  });
});
