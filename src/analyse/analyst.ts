import type { Analysis, DraftRequest, Drafts } from '../domain/analysis';
import type { Post } from '../domain/post';
import type { Triage } from '../domain/verdict';

export interface AnalyseInput {
  post: Post;
  triage: Triage & { kind: 'opportunity' | 'risk' };
}

/** A model's screening of a post: the card, or why none is needed. */
export type Screening = { card: Analysis } | { card: null; why: string };

/**
 * Turns a candidate into the content of a card. The offline analyst (templates) and the LLM analyst implement
 * this; the LLM one falls back to the offline one and says so in `notes`. Either way the gesture has passed
 * policy (policy.ts) before it is returned.
 */
export interface Analyst {
  readonly name: 'offline' | 'llm';
  analyse(input: AnalyseInput): Promise<Analysis>;
  /**
   * Only an analyst that can judge a post (a model) screens: it writes the card, or answers that none is
   * needed. `mayDismiss` is false where policy keeps the card whatever the model says (severe risks).
   */
  screen?(input: AnalyseInput, opts: { mayDismiss: boolean }): Promise<Screening>;
  draft(request: DraftRequest): Promise<Drafts>;
}
