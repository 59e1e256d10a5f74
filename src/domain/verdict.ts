import { z } from 'zod';

export const KINDS = ['opportunity', 'risk', 'service', 'noise'] as const;
export const KindSchema = z.enum(KINDS);
export type Kind = z.infer<typeof KindSchema>;

/** The named reasons triage gives for its call; each is explained in words on a card. */
export const SIGNALS = [
  'dilemma',
  'cultural-event',
  'milestone',
  'life-event',
  'fan-creation',
  'gratitude-story',
  'at-stake',
  'accusation',
  'discrimination',
  'safety',
  'assault',
  'health-emergency',
  'data-breach',
  'legal',
  'press',
  'call-to-spread',
  'compassion',
  'complaint',
  'question',
  'praise',
  'reach',
  'velocity',
  'rising-moment',
  'watch-term',
  'manipulation-attempt',
  'spam',
  'not-to-brand',
  'off-brand',
] as const;
export const SignalSchema = z.enum(SIGNALS);
export type Signal = z.infer<typeof SignalSchema>;

/** What triage says of one post: cheap, offline, deterministic. */
export interface Triage {
  kind: Kind;
  /** 0..1: how much this post deserves the team's attention within its kind. */
  score: number;
  signals: Signal[];
  lang: string;
  /**
   * Triage is unsure: not a card by its own reading, but close enough to one that a model, when configured, is
   * asked whether it is this kind of card. Offline it stays what `kind` says.
   */
  uncertain?: 'opportunity' | 'risk';
  /** For an opportunity: `clear` (an ask for something special, a crew milestone, a fan's creation, our people caring
   * for someone close) or `mild` (a moment told in passing); see detect/strength.ts. */
  strength?: 'clear' | 'mild';
  /** Why no card was made of a post that was a candidate: the model answered none is needed, or the team takes cards
   * for clear moments only (nothing reaches the team's channel). */
  review?: { card: false; why: string };
}

/** The harms that make a post a risk from any account (severity over reach); see detect/severity.ts. */
export const SEVERE_SIGNALS: readonly Signal[] = [
  'discrimination', 'assault', 'safety', 'health-emergency', 'data-breach', 'legal', 'press', 'call-to-spread',
];

/** A risk policy keeps whatever a model says: one with a severe harm. */
export function policyKeepsCard(t: Pick<Triage, 'kind' | 'signals'>): boolean {
  return t.kind === 'risk' && t.signals.some((s) => SEVERE_SIGNALS.includes(s));
}

/** Opportunities and risks are the kinds that become cards. */
export function isCardKind(kind: Kind): kind is 'opportunity' | 'risk' {
  return kind === 'opportunity' || kind === 'risk';
}
