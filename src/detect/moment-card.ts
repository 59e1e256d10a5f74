import type { Moment, MomentSample } from '../domain/moment';

/**
 * The content of a rising moment's card, as plain data (Discord and the console render it): what is rising,
 * how far above its own baseline, a few posts that show it, and among them the posts that carry a brand
 * dilemma or story (triage kind opportunity), which are the reason to look now.
 */
export interface MomentCard {
  title: string;
  /** One line: "23/h now against 2.1/h usually (×11), 14 people". */
  volume: string;
  source: string;
  samples: { text: string; author?: string; url?: string; at: string }[];
  stories: { text: string; author?: string; url?: string; at: string }[];
}

function fmt(n: number): string {
  return n >= 10 ? String(Math.round(n)) : n.toFixed(1);
}

function view(s: MomentSample): MomentCard['samples'][number] {
  return { text: s.text.replace(/\s+/g, ' ').trim().slice(0, 280), author: s.author, url: s.url, at: s.createdAt };
}

export function buildMomentCard(m: Moment, maxSamples = 3): MomentCard {
  const stories = m.samples.filter((s) => s.kind === 'opportunity');
  const others = m.samples.filter((s) => s.kind !== 'opportunity');
  return {
    title: `Rising: ${m.term}`,
    volume: `${fmt(m.nowPerHour)}/h now against ${fmt(m.baselinePerHour)}/h usually (×${fmt(m.ratio)}), ${m.authors} people`,
    source:
      m.source === 'event'
        ? `calendar event: ${m.event ?? m.term}`
        : m.source === 'watch'
          ? 'a term the team watches'
          : 'a surge in the stream',
    samples: others.slice(0, maxSamples).map(view),
    stories: stories.slice(0, maxSamples).map(view),
  };
}

/** The card as plain text (console, logs of the demo). */
export function momentCardText(card: MomentCard): string {
  const lines = [`▲ ${card.title} — ${card.volume} · ${card.source}`];
  for (const s of card.stories) lines.push(`  ★ story: ${s.author ? `@${s.author}: ` : ''}${s.text}`);
  for (const s of card.samples) lines.push(`  · ${s.author ? `@${s.author}: ` : ''}${s.text}`);
  return lines.join('\n');
}
