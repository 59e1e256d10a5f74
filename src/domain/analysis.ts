import { z } from 'zod';

/** The gesture proposed on a card: always one from the brand's catalogue (see analyse/policy.ts). */
export const ProposedGestureSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** Estimated cost to the brand, in euros, for this case. */
  costEur: z.number().nonnegative(),
  /** Why it is fair: how few people share this exact situation, what precedent it sets. */
  fairness: z.string(),
  needsApproval: z.boolean(),
});
export type ProposedGesture = z.infer<typeof ProposedGestureSchema>;

/**
 * What an analyst writes for an opportunity or a risk: the content of a card. The three roles of a good card:
 * facilitator (reply), detective (verifyFirst, risks), plumber (gesture).
 */
export const AnalysisSchema = z.object({
  summary: z.string(),
  why: z.string(),
  gesture: ProposedGestureSchema.nullable(),
  reply: z.string(),
  publicPost: z.string().nullable(),
  verifyFirst: z.array(z.string()),
  risks: z.array(z.string()),
  /** Who wrote it: the offline templates or a model. */
  analyst: z.enum(['offline', 'llm']),
  /** Things the team should know about how this card was made (e.g. "the model was unavailable"). */
  notes: z.array(z.string()).default([]),
  /** What the post itself says: the person whose moment it is, amounts, numbers, dates, a surprise, who speaks. */
  facts: z.array(z.string()).optional(),
  /** The teams it goes to besides the social team (press office, legal, safety, privacy), with their contact. */
  routes: z.array(z.string()).optional(),
  /** The language the drafts are written in. */
  lang: z.string().optional(),
  /** Posts that joined this card's story: they reply to, quote or link its post (or one that joined it). */
  story: z.array(z.lazy(() => StoryPostSchema)).optional(),
});

/** A post that joined a card's story, as the card shows it. */
export const StoryPostSchema = z.object({
  postId: z.string(),
  platform: z.string(),
  handle: z.string(),
  followers: z.number().int().nonnegative(),
  reposts: z.number().int().nonnegative(),
  url: z.string().optional(),
  /** How it ties in: it replies to, quotes or links a post of the story. */
  how: z.enum(['reply', 'quote', 'link']),
  text: z.string(),
  at: z.string(),
});
export type StoryPost = z.infer<typeof StoryPostSchema>;
export type Analysis = z.infer<typeof AnalysisSchema>;

/** Drafts asked for by a person (/draft, Regenerate). */
export interface DraftRequest {
  /** The post or pasted text the drafts answer; untrusted. */
  text: string;
  kind: 'reply' | 'announcement';
  lang: string;
  tone?: string;
  /** The team's feedback on an earlier draft (Regenerate). */
  feedback?: string;
  previous?: string;
}

export interface Drafts {
  reply: string;
  publicPost: string | null;
  analyst: 'offline' | 'llm';
  notes: string[];
}

/** The limit X puts on a post; every reply draft must fit. */
export const X_MAX_CHARS = 280;
