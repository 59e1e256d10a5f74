import type { Analysis } from './analysis';
import type { Post } from './post';
import type { Kind, Signal } from './verdict';

/** new → flagged (card delivered) → claimed → approved / dismissed. */
export const STATUSES = ['new', 'flagged', 'claimed', 'approved', 'dismissed'] as const;
export type Status = (typeof STATUSES)[number];

export const DISMISS_REASONS = ['not-special', 'already-handled', 'too-risky', 'wrong-call'] as const;
export type DismissReason = (typeof DISMISS_REASONS)[number];

export interface Opportunity {
  id: number;
  postId: string;
  kind: Extract<Kind, 'opportunity' | 'risk'>;
  score: number;
  signals: Signal[];
  status: Status;
  analysis: Analysis;
  post: Post;
  claimedBy: string | null;
  createdAt: string;
  updatedAt: string;
}

const NEXT: Record<Status, readonly Status[]> = {
  new: ['flagged', 'claimed', 'approved', 'dismissed'],
  flagged: ['claimed', 'approved', 'dismissed'],
  claimed: ['claimed', 'approved', 'dismissed'],
  approved: [],
  dismissed: [],
};

/** Whether the lifecycle allows going from one status to another; approved and dismissed are final. */
export function canTransition(from: Status, to: Status): boolean {
  return NEXT[from].includes(to);
}

export function isClosed(status: Status): boolean {
  return status === 'approved' || status === 'dismissed';
}

export type Clock = () => Date;

/** A person, as the store records them. */
export interface Actor {
  id: string;
  name: string;
}

/** One entry of a card's history: who did what, and why. */
export interface ActionRecord {
  id: number;
  opportunityId: number;
  actorId: string;
  actorName: string;
  action: string;
  reason: string | null;
  detail: string | null;
  at: string;
}

/** The result of asking for a status change: what the card is now, and whether this call changed it. */
export type TransitionResult =
  | { ok: true; opportunity: Opportunity }
  | { ok: false; opportunity: Opportunity; reason: 'closed' | 'not-found' | 'not-allowed' };
