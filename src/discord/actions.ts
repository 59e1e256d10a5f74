import {
  DiscordAPIError,
  ActionRowBuilder,
  MessageFlags,
  ModalBuilder,
  Routes,
  StringSelectMenuBuilder,
  TextInputBuilder,
  TextInputStyle,
  type ButtonInteraction,
  type ModalSubmitInteraction,
  type StringSelectMenuInteraction,
} from 'discord.js';
import { z } from 'zod';
import { X_MAX_CHARS } from '../domain/analysis';
import { labelFromDecision } from '../domain/label';
import { DISMISS_REASONS, isClosed, type ActionRecord, type DismissReason, type Opportunity, type TransitionResult } from '../domain/opportunity';
import type { CardView } from '../domain/ports';
import type { StoryPost } from '../domain/analysis';
import { buildCard, describeAction, isReplySent, platformLabel, sendsReply, storyLine, threadIntro, threadName, type CardAction, type CardOptions, type DiscordMessage } from './card';
import { actorOf, type BotContext } from './context';
import { messageKeys } from './messages';
import { DISCORD_SINK } from './sink';
import { chunks, clip } from './text';

export const DISMISS_SELECT = 'card-dismiss';
export const EDIT_MODAL = 'card-edit';

export const DISMISS_LABELS: Record<DismissReason, string> = {
  'not-special': 'Not special',
  'already-handled': 'Already handled',
  'too-risky': 'Too risky',
  'wrong-call': 'Wrong call (triage was wrong)',
};

const EPHEMERAL = MessageFlags.Ephemeral;

/** A card payload as discord.js message options. */
export function asOptions(m: DiscordMessage) {
  return { content: m.content ?? '', embeds: m.embeds, components: m.components, allowedMentions: { parse: [] as [] } };
}

export function cardFor(ctx: BotContext, view: Pick<CardView, 'opportunity' | 'history'>): DiscordMessage {
  return buildCard(view.opportunity, view.history, replyOptions(ctx.replySender));
}

/** What the cards may offer with this sender: the platforms it names, or every one. */
export function replyOptions(sender: BotContext['replySender']): CardOptions {
  return { canSendReply: sender?.platforms ?? Boolean(sender) };
}

/** The card as it is now, read once: after a change, for the message and the thread. */
async function current(ctx: BotContext, id: number): Promise<CardView | null> {
  return ctx.store.card(id);
}

/** What to tell someone whose action changed nothing. */
export async function explainRefusal(ctx: BotContext, r: Extract<TransitionResult, { ok: false }>, what: string, history?: readonly ActionRecord[]): Promise<string> {
  if (r.reason === 'not-found') return 'This card is no longer in the store.';
  const closing = [...(history ?? (await ctx.store.actionsFor(r.opportunity.id)))].reverse().find((a) => a.action === r.opportunity.status);
  if (r.reason === 'closed') {
    return `Nothing changed: this card was already ${r.opportunity.status}${closing ? ` by ${describeAction(closing)}` : ''}.`;
  }
  return `Nothing changed: a card that is ${r.opportunity.status} cannot be ${what}.`;
}

const threadQueues = new Map<number, Promise<void>>();

/**
 * After a person's action: the first one opens a thread under the card with the whole post, the whole drafts and
 * the history; later ones add a line. Runs after the interaction was answered; failures are logged only.
 * Serialised per card so two quick actions never open two threads.
 */
export function recordInThread(ctx: BotContext, opportunityId: number, fallbackMessage?: { id: string; channelId: string }): Promise<void> {
  return inThreadQueue(ctx, opportunityId, 'could not update the card thread', () => openOrAppend(ctx, opportunityId, fallbackMessage));
}

/** Runs one update of a card's thread after the ones before it; a failure is logged, never thrown. */
function inThreadQueue(ctx: BotContext, opportunityId: number, failure: string, update: () => Promise<void>): Promise<void> {
  const previous = threadQueues.get(opportunityId) ?? Promise.resolve();
  const next = previous.then(update).catch((err) => ctx.log.warn({ err, opportunity: opportunityId }, failure));
  threadQueues.set(opportunityId, next);
  void next.finally(() => {
    if (threadQueues.get(opportunityId) === next) threadQueues.delete(opportunityId);
  });
  return next;
}

/**
 * A post joined the card's story: a line in the card's thread (opened, with the whole card, if there is none yet)
 * and the card redrawn with the story's reach and score. A card not out yet goes out with its story. Serialised
 * with the other thread updates of the card.
 */
export function recordStory(ctx: BotContext, opportunityId: number, entry?: StoryPost): Promise<void> {
  return inThreadQueue(ctx, opportunityId, 'could not add the story to the card thread', () => storyInThread(ctx, opportunityId, entry));
}

/** With no entry: the card just went out with a story that grew before it did, and its thread opens with it. */
async function storyInThread(ctx: BotContext, opportunityId: number, entry?: StoryPost): Promise<void> {
  const view = await current(ctx, opportunityId);
  const outbox = view && discordDelivery(view);
  if (!view || !outbox?.messageId || !view.opportunity.analysis.story?.length) return;
  const channelId = outbox.channelId ?? ctx.config.discord.channelId;
  if (outbox.threadId) {
    if (entry) post(ctx, opportunityId, `story:${entry.platform}:${entry.postId}`, outbox.threadId, storyLine(entry));
    else return;
  } else {
    // The thread opens with the whole card, whose story already holds this post.
    const threadId = await openThread(ctx, channelId, outbox.messageId, threadName(view.opportunity));
    await ctx.store.setThread(outbox.id, threadId);
    post(ctx, opportunityId, 'intro', threadId, threadIntro(view.opportunity, view.history));
  }
  // The card itself shows the story's reach and score (it may have gone out while the story grew).
  await ctx.client.rest.patch(Routes.channelMessage(channelId, outbox.messageId), { body: cardFor(ctx, view) });
}

/** Queues a thread message, in parts of Discord's size, each once under its own key. */
function post(ctx: BotContext, opportunityId: number, what: string, channelId: string, content: string): void {
  chunks(content).forEach((part, n) =>
    ctx.send({
      key: messageKeys.threadLine(opportunityId, `${what}:${n}`),
      sink: DISCORD_SINK,
      channelId,
      body: { content: part, allowed_mentions: { parse: [] } },
    }),
  );
}

async function openOrAppend(ctx: BotContext, opportunityId: number, fallback?: { id: string; channelId: string }): Promise<void> {
  const view = await current(ctx, opportunityId);
  if (!view) return;
  const { opportunity: opp, history } = view;
  const outbox = discordDelivery(view);
  if (outbox?.threadId) {
    const last = history[history.length - 1];
    if (last) post(ctx, opportunityId, `action:${last.id}`, outbox.threadId, `• ${describeAction(last)}${last.detail ? `: ${clip(last.detail, 1500)}` : ''}`);
    return;
  }
  const messageId = outbox?.messageId ?? fallback?.id;
  const channelId = outbox?.channelId ?? fallback?.channelId ?? ctx.config.discord.channelId;
  if (!messageId) return;
  const threadId = await openThread(ctx, channelId, messageId, threadName(opp));
  if (outbox) await ctx.store.setThread(outbox.id, threadId);
  post(ctx, opportunityId, 'intro', threadId, threadIntro(opp, history));
}

/** Discord's code for "a thread has already been created for this message". */
const THREAD_EXISTS = 160004;

/**
 * Opens the thread under a card. A thread opened from a message has that message's id, so one a crash left
 * unrecorded is simply taken over.
 */
async function openThread(ctx: BotContext, channelId: string, messageId: string, name: string): Promise<string> {
  try {
    const thread = (await ctx.client.rest.post(Routes.threads(channelId, messageId), {
      body: { name, auto_archive_duration: 10080 },
    })) as { id: string };
    return thread.id;
  } catch (err) {
    if (err instanceof DiscordAPIError && err.code === THREAD_EXISTS) return messageId;
    throw err;
  }
}

function discordDelivery(view: CardView) {
  return view.deliveries.find((d) => d.sink === DISCORD_SINK) ?? null;
}

/** Rewrites the card message itself (used when the interaction came from elsewhere, e.g. the dismiss menu). */
async function refreshCardMessage(ctx: BotContext, id: number): Promise<void> {
  const view = await current(ctx, id);
  const outbox = view && discordDelivery(view);
  if (!view || !outbox?.messageId) return;
  await ctx.client.rest.patch(Routes.channelMessage(outbox.channelId ?? ctx.config.discord.channelId, outbox.messageId), {
    body: cardFor(ctx, view),
  });
}

function cardMessageRef(i: ButtonInteraction | ModalSubmitInteraction): { id: string; channelId: string } | undefined {
  const m = i.message;
  return m && !m.flags.has(MessageFlags.Ephemeral) ? { id: m.id, channelId: m.channelId } : undefined;
}

async function refuseIfClosed(ctx: BotContext, i: ButtonInteraction, view: CardView | null, what: string): Promise<boolean> {
  if (!view) {
    await i.reply({ content: 'This card is no longer in the store.', flags: EPHEMERAL });
    return true;
  }
  if (isClosed(view.opportunity.status)) {
    const content = await explainRefusal(ctx, { ok: false, opportunity: view.opportunity, reason: 'closed' }, what, view.history);
    await i.reply({ content, flags: EPHEMERAL });
    return true;
  }
  return false;
}

/**
 * A decision teaches the brand's triage (Approve: the card was right; "not special", "wrong call": it was not one).
 * In the background: a failure to record the label is logged and never fails the click.
 */
function learnFromDecision(ctx: BotContext, opp: Opportunity, decision: 'approved' | 'dismissed', actor: { id: string; name: string }, reason?: DismissReason): void {
  const kind = labelFromDecision(opp.kind, decision, reason);
  if (!kind) return;
  void ctx.store
    .addLabel(opp.post, kind, decision === 'approved' ? 'approve' : 'dismiss', actor)
    .catch((err: unknown) => ctx.log.warn({ err, opportunity: opp.id }, 'could not record the decision as a label'));
}

/** Approve, Edit, Regenerate, Dismiss and Claim buttons on a card. */
export async function handleCardButton(ctx: BotContext, i: ButtonInteraction, action: CardAction, id: number): Promise<void> {
  const actor = actorOf(i);
  switch (action) {
    case 'approve':
    case 'claim': {
      const r = await ctx.store.transition(id, action === 'approve' ? 'approved' : 'claimed', actor);
      if (!r.ok) {
        await i.reply({ content: await explainRefusal(ctx, r, action === 'approve' ? 'approved' : 'claimed'), flags: EPHEMERAL });
        return;
      }
      if (action === 'approve') learnFromDecision(ctx, r.opportunity, 'approved', actor);
      await i.update(asOptions(cardFor(ctx, { opportunity: r.opportunity, history: await ctx.store.actionsFor(id) })));
      void recordInThread(ctx, id, cardMessageRef(i));
      return;
    }
    case 'edit': {
      const view = await current(ctx, id);
      if (await refuseIfClosed(ctx, i, view, 'edited')) return;
      await i.showModal(editModal(view!.opportunity));
      return;
    }
    case 'regenerate': {
      const view = await current(ctx, id);
      if (await refuseIfClosed(ctx, i, view, 'regenerated')) return;
      const opp = view!.opportunity;
      // A model can take longer than Discord's 3 seconds: acknowledge first, then edit the card.
      await i.deferUpdate();
      const drafts = await ctx.analyst.draft({
        text: opp.post.text,
        kind: 'reply',
        lang: opp.post.lang ?? ctx.config.brand.languages[0] ?? 'en',
        previous: opp.analysis.reply,
        feedback: 'The team asked for a different draft.',
      });
      const r = await ctx.store.updateAnalysis(
        id,
        { ...opp.analysis, reply: drafts.reply, publicPost: drafts.publicPost ?? opp.analysis.publicPost },
        actor,
        'regenerated',
        `previous reply: ${opp.analysis.reply}`,
      );
      if (!r.ok) {
        await i.followUp({ content: await explainRefusal(ctx, r, 'regenerated'), flags: EPHEMERAL });
        return;
      }
      await i.editReply(asOptions(cardFor(ctx, { opportunity: r.opportunity, history: await ctx.store.actionsFor(id) })));
      void recordInThread(ctx, id, cardMessageRef(i));
      return;
    }
    case 'dismiss': {
      if (await refuseIfClosed(ctx, i, await current(ctx, id), 'dismissed')) return;
      const menu = new StringSelectMenuBuilder()
        .setCustomId(`${DISMISS_SELECT}:${id}`)
        .setPlaceholder('Why dismiss this card?')
        .addOptions(DISMISS_REASONS.map((r) => ({ label: DISMISS_LABELS[r], value: r })));
      await i.reply({
        content: `Dismiss card #${id}: why? (the reason tunes what Kairos flags)`,
        components: [new ActionRowBuilder<StringSelectMenuBuilder>().addComponents(menu)],
        flags: EPHEMERAL,
      });
      return;
    }
  }
}

export function editModal(opp: Opportunity): ModalBuilder {
  const reply = new TextInputBuilder()
    .setCustomId('reply')
    .setLabel('Reply to the fan')
    .setStyle(TextInputStyle.Paragraph)
    .setRequired(true)
    .setMaxLength(X_MAX_CHARS)
    .setValue(clip(opp.analysis.reply, X_MAX_CHARS));
  const pub = new TextInputBuilder()
    .setCustomId('public')
    .setLabel('Public post (empty for none)')
    .setStyle(TextInputStyle.Paragraph)
    .setRequired(false)
    .setMaxLength(2000);
  if (opp.analysis.publicPost) pub.setValue(clip(opp.analysis.publicPost, 2000));
  return new ModalBuilder()
    .setCustomId(`${EDIT_MODAL}:${opp.id}`)
    .setTitle(clip(`Edit card #${opp.id}`, 45))
    .addComponents(
      new ActionRowBuilder<TextInputBuilder>().addComponents(reply),
      new ActionRowBuilder<TextInputBuilder>().addComponents(pub),
    );
}

const EditSchema = z.object({
  reply: z.string().trim().min(1, 'the reply cannot be empty').max(X_MAX_CHARS, `the reply must fit X's ${X_MAX_CHARS} characters`),
  public: z.string().trim().max(2000),
});

export async function handleEditSubmit(ctx: BotContext, i: ModalSubmitInteraction, id: number): Promise<void> {
  const parsed = EditSchema.safeParse({
    reply: i.fields.getTextInputValue('reply'),
    public: i.fields.fields.has('public') ? i.fields.getTextInputValue('public') : '',
  });
  if (!parsed.success) {
    await i.reply({ content: `Not saved: ${parsed.error.issues[0]?.message ?? 'invalid edit'}.`, flags: EPHEMERAL });
    return;
  }
  const opp = await ctx.store.getOpportunity(id);
  if (!opp) {
    await i.reply({ content: 'This card is no longer in the store.', flags: EPHEMERAL });
    return;
  }
  const r = await ctx.store.updateAnalysis(
    id,
    { ...opp.analysis, reply: parsed.data.reply, publicPost: parsed.data.public || null },
    actorOf(i),
    'edited',
    `reply: ${parsed.data.reply}`,
  );
  if (!r.ok) {
    await i.reply({ content: await explainRefusal(ctx, r, 'edited'), flags: EPHEMERAL });
    return;
  }
  if (i.isFromMessage()) {
    await i.update(asOptions(cardFor(ctx, { opportunity: r.opportunity, history: await ctx.store.actionsFor(id) })));
  } else {
    await i.reply({ content: `Saved the edit to card #${id}.`, flags: EPHEMERAL });
    await refreshCardMessage(ctx, id);
  }
  void recordInThread(ctx, id, cardMessageRef(i));
}

export async function handleDismissReason(ctx: BotContext, i: StringSelectMenuInteraction, id: number): Promise<void> {
  const reason = z.enum(DISMISS_REASONS).safeParse(i.values[0]);
  if (!reason.success) {
    await i.reply({ content: 'Pick one of the listed reasons.', flags: EPHEMERAL });
    return;
  }
  const r = await ctx.store.transition(id, 'dismissed', actorOf(i), reason.data);
  if (!r.ok) {
    await i.update({ content: await explainRefusal(ctx, r, 'dismissed'), components: [] });
    return;
  }
  learnFromDecision(ctx, r.opportunity, 'dismissed', actorOf(i), reason.data);
  await i.update({ content: `Dismissed card #${id} (${DISMISS_LABELS[reason.data]}).`, components: [] });
  await refreshCardMessage(ctx, id);
  void recordInThread(ctx, id);
}

const sending = new Set<number>();

/** "Send reply on X" (or on the post's own platform): only with a sender for the post's platform, only on approved cards, once. */
export async function handleXReply(ctx: BotContext, i: ButtonInteraction, id: number): Promise<void> {
  const view = await current(ctx, id);
  const opp = view?.opportunity;
  const sent = view?.history.find((a) => isReplySent(a.action));
  if (!ctx.replySender || !opp || opp.status !== 'approved' || !sendsReply(replyOptions(ctx.replySender), opp.post.platform)) {
    await i.reply({ content: "Only an approved card can send its reply, and only when replies on the post's platform are configured.", flags: EPHEMERAL });
    return;
  }
  if (sent || sending.has(id)) {
    await i.reply({ content: sent ? `Already sent by ${describeAction(sent)}: ${sent.detail ?? ''}` : 'Already being sent.', flags: EPHEMERAL });
    return;
  }
  sending.add(id);
  try {
    await i.deferReply({ flags: EPHEMERAL });
    let sent: { url: string; alreadySent?: boolean };
    try {
      sent = await ctx.replySender.send(id, actorOf(i));
    } catch (err) {
      // The network's own refusals say what to do and are safe to show; anything else goes to the error boundary.
      if (err instanceof Error && (err.name === 'ReplyRefused' || err.name === 'ReplyFailed')) {
        await i.editReply({ content: `Not sent: ${clip(err.message, 1800)}` });
        // A refusal is on the card's history now: the card shows the reply ready to copy.
        if (err.name === 'ReplyFailed' && !(err as { uncertain?: boolean }).uncertain) {
          await refreshCardMessage(ctx, id);
          void recordInThread(ctx, id, cardMessageRef(i));
        }
        return;
      }
      throw err;
    }
    const where = platformLabel(opp.post.platform);
    await i.editReply({ content: `${sent.alreadySent ? `Already sent on ${where}` : `Sent on ${where}`}: ${sent.url}` });
    await refreshCardMessage(ctx, id);
    void recordInThread(ctx, id, cardMessageRef(i));
  } finally {
    sending.delete(id);
  }
}

