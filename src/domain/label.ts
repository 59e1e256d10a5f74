import type { Actor, DismissReason } from './opportunity';
import type { CardKind } from './ports';
import type { Kind } from './verdict';

/**
 * What a person told Kairos a post is, for the brand's own triage to learn from: a kind, or only "not a card" (a
 * dismissal says what a post is not, not whether it is service or noise).
 */
export const LABEL_KINDS = ['opportunity', 'risk', 'service', 'noise', 'not-a-card'] as const;
export type LabelKind = (typeof LABEL_KINDS)[number];

/** Where a label came from: a card's buttons, /missed, the /label queue (Discord or the command line). */
export const LABEL_SOURCES = ['approve', 'dismiss', 'missed', 'label', 'cli'] as const;
export type LabelSource = (typeof LABEL_SOURCES)[number];

export interface TeamLabel {
  id: number;
  /** The post's store key (platform:id). */
  postId: string;
  kind: LabelKind;
  source: LabelSource;
  by: Actor;
  at: string;
}

/**
 * The label a card decision gives, if any. Approve means the card was right; "not special" and "wrong call" mean
 * it should not have been one. "Already handled" and "too risky" say nothing about the post itself.
 */
export function labelFromDecision(card: CardKind, decision: 'approved' | 'dismissed', reason?: DismissReason | string): LabelKind | null {
  if (decision === 'approved') return card;
  return reason === 'not-special' || reason === 'wrong-call' ? 'not-a-card' : null;
}

/** The kind a label trains, or null when it is only "not a card" (the trainer picks service or noise). */
export function trainedKind(label: LabelKind): Kind | null {
  return label === 'not-a-card' ? null : label;
}
