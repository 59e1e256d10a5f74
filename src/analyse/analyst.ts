import type { Analysis, DraftRequest, Drafts } from '../domain/analysis';
import type { Post } from '../domain/post';
import type { Triage } from '../domain/verdict';

export interface AnalyseInput {
  post: Post;
  triage: Triage & { kind: 'opportunity' | 'risk' };
}

/**
 * Turns a candidate into the content of a card. The offline analyst (templates) and the LLM analyst implement
 * this; the LLM one falls back to the offline one and says so in `notes`. Either way the gesture has passed
 * policy (policy.ts) before it is returned.
 */
export interface Analyst {
  readonly name: 'offline' | 'llm';
  analyse(input: AnalyseInput): Promise<Analysis>;
  draft(request: DraftRequest): Promise<Drafts>;
}
