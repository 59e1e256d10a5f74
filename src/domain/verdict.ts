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
}

/** Opportunities and risks are the kinds that become cards. */
export function isCardKind(kind: Kind): kind is 'opportunity' | 'risk' {
  return kind === 'opportunity' || kind === 'risk';
}
