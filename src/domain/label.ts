import type { Actor, DismissReason } from './opportunity';
import type { CardKind } from './ports';
import type { Post } from './post';
import type { Triage } from './verdict';
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

/** How the team teaches triage from Discord (/label, /stats): built by the composition root. */
export interface Teaching {
  /** Which model triage runs on, and for the brand's own how it measured against the shipped one. */
  model: {
    source: string;
    trainedAt?: string;
    labels?: number;
    figures?: { shipped: { opportunity: number; risk: number }; brand: { opportunity: number; risk: number } };
  };
  /** Stored posts without a label, the ones the model is least sure of first. */
  leastSure(limit: number): Promise<Post[]>;
  /** Triage's call on a post, as shown beside it. */
  triage(post: Post): Triage;
  /** How close a post that is not a card came to being one (the digest's "came close"); null when not close. */
  closeness(post: Post): { kind: 'opportunity' | 'risk'; p: number } | null;
}

/**
 * What the team taught triage, in one line (/stats and the digest): labels given in a period and in all, which
 * model triage runs on and, for the brand's own, how it measured against the shipped one and when it was trained.
 */
export function describeTeaching(period: string, given: number, total: number, last: string | null, model?: Teaching['model']): string {
  const f = (n: number) => n.toFixed(2);
  return (
    `${given} label${given === 1 ? '' : 's'} ${period}, ${total} in all${last ? ` (last ${last.slice(0, 10)})` : ''}` +
    (model ? ` · triage uses ${model.source}` : '') +
    (model?.figures
      ? ` · on held-back labels: opportunity F1 ${f(model.figures.shipped.opportunity)} → ${f(model.figures.brand.opportunity)}, risk F1 ${f(model.figures.shipped.risk)} → ${f(model.figures.brand.risk)} (shipped → brand)`
      : '')
  );
}
