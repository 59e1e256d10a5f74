import { createHash } from 'node:crypto';
import type { APIActionRowComponent, APIButtonComponent, APIEmbed, APIEmbedField } from 'discord.js';
import { ButtonStyle, ComponentType } from './components';
import type { StoryPost } from '../domain/analysis';
import type { Opportunity, Status } from '../domain/opportunity';
import { isClosed } from '../domain/opportunity';
import type { ActionRecord } from '../domain/opportunity';
import { platformName } from '../domain/platform';
import { clip, codeBlock, neutralise, oneLine, safeLink } from './text';
import { grouped } from '../domain/numbers';

/** Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits). */
export const LIMITS = {
  title: 256,
  description: 4096,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  author: 256,
  embedTotal: 6000,
  fields: 25,
  content: 2000,
} as const;

/** The card's field names, in order; tests and people rely on them. */
export const FIELD_NAMES = ['Why', 'Gesture', 'Reply draft', 'Public post', 'Verify first', 'Risks', 'Status'] as const;

export const COLOURS: Record<Opportunity['kind'], number> = {
  opportunity: 0x2ecc71, // green: a moment to make
  risk: 0xe74c3c, // red: something to defuse
};
const CLOSED_COLOUR = 0x95a5a6;

export const CARD_ACTIONS = ['approve', 'edit', 'regenerate', 'dismiss', 'claim'] as const;
export type CardAction = (typeof CARD_ACTIONS)[number];

/** A message body as the REST API takes it (channel messages, webhooks, interaction responses). */
export interface DiscordMessage {
  content?: string;
  embeds: APIEmbed[];
  components: APIActionRowComponent<APIButtonComponent>[];
  allowed_mentions: { parse: [] };
}

export interface CardOptions {
  /**
   * A reply sender is configured (for these post platforms only, when a list): approved cards on them offer "Send
   * reply on X" (or the post's own platform); others show the approved reply ready to copy.
   */
  canSendReply?: boolean | readonly string[];
}

/** How a post platform is named on a button. */
export const platformLabel = platformName;

/** Whether an approved card on `platform` can send its reply from the card. */
export function sendsReply(options: CardOptions, platform: string): boolean {
  const c = options.canSendReply;
  return Array.isArray(c) ? c.includes(platform) : Boolean(c);
}

/** The last try to send the card's reply, when the network refused it (and nothing was sent since). */
function lastReplyAttempt(history: readonly ActionRecord[]): ActionRecord | undefined {
  const last = [...history].reverse().find((h) => isReplySent(h.action) || /^[a-z]+-reply-refused$/.test(h.action));
  return last && !isReplySent(last.action) ? last : undefined;
}

/** The audit action of a reply sent from a card ('x-reply-sent', 'facebook-reply-sent'…). */
export function isReplySent(action: string): boolean {
  return /^[a-z]+-reply-sent$/.test(action);
}

export function cardCustomId(action: CardAction, opportunityId: number): string {
  return `card:${action}:${opportunityId}`;
}

export function xReplyCustomId(opportunityId: number): string {
  return `x-reply:${opportunityId}`;
}

/** Parses `card:<action>:<id>`; anything else (or a forged id) gives null. */
export function parseCardCustomId(customId: string): { action: CardAction; opportunityId: number } | null {
  const m = /^card:([a-z]+):(\d{1,15})$/.exec(customId);
  if (!m || !(CARD_ACTIONS as readonly string[]).includes(m[1] as string)) return null;
  return { action: m[1] as CardAction, opportunityId: Number(m[2]) };
}

/**
 * A short fingerprint of one card in one database: the footer carries it, so that after a crash the sink can
 * recognise a card it already posted, and a fresh database reusing card numbers is never mistaken for an old one.
 */
export function cardFingerprint(opp: Pick<Opportunity, 'id' | 'postId' | 'createdAt'>): string {
  return createHash('sha256').update(`${opp.id}\n${opp.postId}\n${opp.createdAt}`).digest('hex').slice(0, 10);
}

export function cardMarker(opp: Pick<Opportunity, 'id' | 'postId' | 'createdAt'>): string {
  return `Kairos card #${opp.id} · ref ${cardFingerprint(opp)}`;
}

const STATUS_LABEL: Record<Status, string> = {
  new: 'Open',
  flagged: 'Open: waiting for the team',
  claimed: 'Claimed',
  approved: 'Approved',
  dismissed: 'Dismissed',
};

const ACTION_VERB: Record<string, string> = {
  claimed: 'claimed it',
  approved: 'approved it',
  dismissed: 'dismissed it',
  edited: 'edited the drafts',
  regenerated: 'regenerated the drafts',
  'post-edited': 'edited the post',
  'post-deleted': 'deleted the post',
};

export function describeAction(a: ActionRecord): string {
  const sentOn = /^([a-z]+)-reply-sent$/.exec(a.action)?.[1];
  const refusedOn = /^([a-z]+)-reply-refused$/.exec(a.action)?.[1];
  const verb = ACTION_VERB[a.action] ?? (sentOn ? `sent the reply on ${platformName(sentOn)}` : refusedOn ? `could not send the reply on ${platformName(refusedOn)}` : a.action);
  const reason = a.reason ? ` (${neutralise(oneLine(a.reason))})` : '';
  return `${neutralise(a.actorName)} ${verb}${reason}, ${discordTime(a.at)}`;
}

/** Discord renders <t:unix:f> in each reader's own time zone. */
export function discordTime(iso: string, style: 'f' | 'R' = 'f'): string {
  const t = Math.floor(Date.parse(iso) / 1000);
  return Number.isFinite(t) ? `<t:${t}:${style}>` : iso;
}

/** Who, what, when: the status and the last thing a person did to the card. */
export function statusLine(opp: Opportunity, history: readonly ActionRecord[]): string {
  const last = history[history.length - 1];
  let line = STATUS_LABEL[opp.status];
  if (opp.status === 'claimed' && opp.claimedBy) line += ` by ${neutralise(opp.claimedBy)}`;
  if (last) line += `\nLast: ${describeAction(last)}`;
  // The reply the team sent from this card, linked where the fan sees it.
  const sent = history.find((h) => isReplySent(h.action));
  const link = safeLink(sent?.detail ?? undefined);
  if (sent && link) line += `\nReply sent on ${platformName(sent.action.replace(/-reply-sent$/, ''))}: ${link}`;
  return line;
}

function followers(n: number): string {
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1).replace(/\.0$/, '')}M`;
  if (n >= 10_000) return `${Math.round(n / 1000)}k`;
  return grouped(n);
}

function bullets(items: readonly string[]): string {
  return items.map((i) => `• ${neutralise(oneLine(i))}`).join('\n');
}

/** Shown above every public post draft: it is the fan's story, told only once they agreed. */
export const PUBLIC_POST_NOTE = '_Draft: post only after the fan agrees._';

/** The route to other teams first (who must act), then the story's echo, why, and what the post itself says. */
export function whyWithFacts(a: Opportunity['analysis']): string {
  const route = a.routes?.length ? `Route to: ${a.routes.join(', ')}.\n` : '';
  const story = a.story?.length ? `${storySummary(a.story)}\n` : '';
  const facts = a.facts?.length ? `\nFrom the post: ${a.facts.join(' · ')}.` : '';
  return `${route}${story}${a.why}${facts}`;
}

const HOW: Record<StoryPost['how'], string> = { reply: 'replied', quote: 'quoted it', link: 'linked it' };

/** "The story travels: 2 more posts, 96,000 more followers (@columnist_bas quoted it, …)". */
export function storySummary(story: readonly StoryPost[]): string {
  const reach = story.reduce((n, s) => n + s.followers, 0);
  const who = story.slice(0, 3).map((s) => `@${s.handle} ${HOW[s.how]}`).join(', ');
  return `The story travels: ${story.length} more post${story.length === 1 ? '' : 's'}, ${grouped(reach)} more followers (${who}${story.length > 3 ? ', …' : ''}).`;
}

/** The line for a post that joined the card's story: Discord markdown escaped, or plain text for the terminal. */
export function storyLine(s: StoryPost, format: 'discord' | 'plain' = 'discord'): string {
  const link = safeLink(s.url);
  const text = `↳ @${s.handle} (${grouped(s.followers)} followers, ${grouped(s.reposts)} reposts) ${HOW[s.how]}: “${oneLine(s.text).slice(0, 300)}”`;
  return (format === 'discord' ? neutralise(text) : text) + (link ? ` ${link}` : '');
}

function field(name: string, value: string): APIEmbedField {
  return { name, value: clip(value.trim() || '—', LIMITS.fieldValue), inline: false };
}

export function embedLength(e: APIEmbed): number {
  return (
    (e.title?.length ?? 0) +
    (e.description?.length ?? 0) +
    (e.footer?.text.length ?? 0) +
    (e.author?.name.length ?? 0) +
    (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0)
  );
}

/** Shrinks the longest parts until the embed fits Discord's 6,000-character total. */
function fitTotal(e: APIEmbed): APIEmbed {
  let over = embedLength(e) - LIMITS.embedTotal;
  if (over <= 0) return e;
  const out: APIEmbed = { ...e, fields: e.fields?.map((f) => ({ ...f })) };
  // The post quote goes first: it stays whole in the store and in the thread.
  if (out.description) {
    const keep = Math.max(200, out.description.length - over);
    const before = out.description.length;
    out.description = clip(out.description, keep);
    over -= before - out.description.length;
  }
  while (over > 0 && out.fields?.length) {
    const longest = out.fields.reduce((a, b) => (b.value.length > a.value.length ? b : a));
    if (longest.value.length <= 40) break;
    const before = longest.value.length;
    longest.value = clip(longest.value, Math.max(40, before - over));
    over -= before - longest.value.length;
  }
  if (over > 0 && out.description) out.description = clip(out.description, Math.max(1, out.description.length - over));
  return out;
}

/**
 * The card for one opportunity or risk: pure, so tests and the thread use it without a client. Whatever the
 * input, the result satisfies Discord's limits and pings nobody.
 */
export function buildCard(opp: Opportunity, history: readonly ActionRecord[] = [], options: CardOptions = {}): DiscordMessage {
  const a = opp.analysis;
  const p = opp.post;
  const closed = isClosed(opp.status);
  const kindLabel = opp.kind === 'risk' ? 'Risk' : 'Opportunity';

  const author = [
    `@${p.author.handle}`,
    p.author.name && p.author.name !== p.author.handle ? `(${p.author.name})` : '',
    p.author.verified ? '✓' : '',
    `· ${followers(p.author.followers)} followers · ${p.platform}`,
  ]
    .filter(Boolean)
    .join(' ');

  const quote = neutralise(p.text)
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
  const notes = a.notes.length ? `\n\n${a.notes.map((n) => `_${neutralise(oneLine(n))}_`).join('\n')}` : '';
  const link = safeLink(p.url);

  const gesture = a.gesture
    ? `**${neutralise(a.gesture.name)}** · about €${a.gesture.costEur}${a.gesture.needsApproval ? ' · needs a lead’s approval' : ''}\n${neutralise(a.gesture.fairness)}`
    : 'None: a personal reply is enough here.';

  const embed: APIEmbed = {
    title: clip(`${kindLabel} · ${neutralise(oneLine(a.summary))}`, LIMITS.title),
    url: link,
    color: closed ? CLOSED_COLOUR : COLOURS[opp.kind],
    author: { name: clip(neutralise(author), LIMITS.author) },
    description: clip(quote, 1500) + (link ? `\n[Open the post](${link})` : '') + clip(notes, 500),
    fields: [
      field('Why', neutralise(whyWithFacts(a))),
      field('Gesture', gesture),
      field('Reply draft', neutralise(a.reply)),
      field('Public post', a.publicPost ? `${PUBLIC_POST_NOTE}\n${neutralise(a.publicPost)}` : 'None'),
      field('Verify first', a.verifyFirst.length ? bullets(a.verifyFirst) : 'Nothing to check.'),
      field('Risks', a.risks.length ? bullets(a.risks) : 'None seen.'),
      field('Status', statusLine(opp, history)),
    ].slice(0, LIMITS.fields),
    footer: { text: clip(`${cardMarker(opp)} · score ${opp.score.toFixed(2)} · ${opp.signals.join(', ') || 'no signals'}`, LIMITS.footer) },
    timestamp: safeTimestamp(p.createdAt),
  };
  if (embed.description && embed.description.length > LIMITS.description) {
    embed.description = clip(embed.description, LIMITS.description);
  }

  const message: DiscordMessage = {
    embeds: [fitTotal(embed)],
    components: buttons(opp, { ...options, replySent: history.some((h) => isReplySent(h.action)) }),
    allowed_mentions: { parse: [] },
  };
  const refused = lastReplyAttempt(history);
  if (opp.status === 'approved' && (!sendsReply(options, p.platform) || refused)) {
    // No sender for this platform (a post pushed in through /ingest, or none wired), or the network refused it (an
    // Instagram mention that cannot be answered, a missing permission): the reply is ready to copy.
    const intro = refused ? `Not sent on ${platformName(p.platform)} (${neutralise(oneLine(refused.detail ?? 'refused')).slice(0, 300)}). The approved reply, ready to copy:` : 'Approved reply, ready to copy:';
    message.content = clip(`${intro}\n${codeBlock(a.reply)}`, LIMITS.content);
    if (!message.content.endsWith('```')) message.content = `${intro}\n${codeBlock(a.reply.slice(0, 1900 - intro.length))}`;
  }
  return message;
}

function safeTimestamp(iso: string): string | undefined {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}

function button(custom_id: string, label: string, style: (typeof ButtonStyle)[keyof typeof ButtonStyle]): APIButtonComponent {
  return { type: ComponentType.Button, custom_id, label, style };
}

/** Open cards get the five actions; an approved card may offer to send its reply; other closed cards none. */
export function buttons(
  opp: Opportunity,
  options: CardOptions & { replySent?: boolean } = {},
): APIActionRowComponent<APIButtonComponent>[] {
  if (opp.status === 'approved') {
    return sendsReply(options, opp.post.platform) && !options.replySent
      ? [{ type: ComponentType.ActionRow, components: [button(xReplyCustomId(opp.id), `Send reply on ${platformLabel(opp.post.platform)}`, ButtonStyle.Primary)] }]
      : [];
  }
  if (isClosed(opp.status)) return [];
  return [
    {
      type: ComponentType.ActionRow,
      components: [
        button(cardCustomId('approve', opp.id), 'Approve', ButtonStyle.Success),
        button(cardCustomId('edit', opp.id), 'Edit', ButtonStyle.Secondary),
        button(cardCustomId('regenerate', opp.id), 'Regenerate', ButtonStyle.Secondary),
        button(cardCustomId('dismiss', opp.id), 'Dismiss', ButtonStyle.Danger),
        button(cardCustomId('claim', opp.id), opp.status === 'claimed' ? 'Take over' : 'Claim', ButtonStyle.Primary),
      ],
    },
  ];
}

/** The thread's opening messages: everything the card had to cut, whole. */
export function threadIntro(opp: Opportunity, history: readonly ActionRecord[]): string {
  const a = opp.analysis;
  const p = opp.post;
  const parts = [
    `**The post** by ${neutralise(`@${p.author.handle}`)} (${p.author.followers} followers)${safeLink(p.url) ? ` ${safeLink(p.url)}` : ''}`,
    neutralise(p.text),
    `**Why**\n${neutralise(whyWithFacts(a))}`,
    `**Gesture**\n${a.gesture ? `${neutralise(a.gesture.name)} (about €${a.gesture.costEur})\n${neutralise(a.gesture.fairness)}` : 'None'}`,
    `**Reply draft**\n${neutralise(a.reply)}`,
    `**Public post**\n${a.publicPost ? `${PUBLIC_POST_NOTE}\n${neutralise(a.publicPost)}` : 'None'}`,
    `**Verify first**\n${a.verifyFirst.length ? bullets(a.verifyFirst) : 'Nothing'}`,
    `**Risks**\n${a.risks.length ? bullets(a.risks) : 'None seen'}`,
    ...(a.story?.length ? [`**The story since**\n${a.story.map((s) => storyLine(s)).join('\n')}`] : []),
    `**History**\n${history.length ? history.map((h) => `• ${describeAction(h)}${h.detail ? `: ${neutralise(oneLine(h.detail))}` : ''}`).join('\n') : 'No actions yet'}`,
  ];
  return parts.join('\n\n');
}

export function threadName(opp: Opportunity): string {
  return clip(`#${opp.id} ${oneLine(opp.analysis.summary)}`, 100);
}
