import type { ProposedGesture } from '../domain/analysis';
import type { Signal } from '../domain/verdict';
import type { Gesture } from './catalogue';

export type CardKind = 'opportunity' | 'risk';

/** How many times each gesture was offered this month (from the store), to keep within caps. */
export type GestureUsage = (gestureId: string) => number;

export interface PolicyContext {
  kind: CardKind;
  signals: readonly Signal[];
  usage: GestureUsage;
}

/** Gestures that fit a card: right kind, at least one matching signal, and still within this month's cap. */
export function eligibleGestures(catalogue: readonly Gesture[], ctx: PolicyContext): Gesture[] {
  return catalogue.filter(
    (g) =>
      g.kinds.includes(ctx.kind) &&
      g.signals.some((s) => ctx.signals.includes(s)) &&
      ctx.usage(g.id) < g.capPerMonth,
  );
}

/**
 * The policy's own choice: the eligible gesture that matches most of the post's signals, the cheaper one on a
 * tie, since a small fair gesture beats a big one that sets a precedent.
 */
export function chooseGesture(catalogue: readonly Gesture[], ctx: PolicyContext): Gesture | null {
  const eligible = eligibleGestures(catalogue, ctx);
  if (eligible.length === 0) return null;
  const matches = (g: Gesture) => g.signals.filter((s) => ctx.signals.includes(s)).length;
  return [...eligible].sort((a, b) => matches(b) - matches(a) || a.costEur - b.costEur)[0] ?? null;
}

export function toProposed(g: Gesture, fairness: string): ProposedGesture {
  return { id: g.id, name: g.name, costEur: g.costEur, fairness, needsApproval: g.needsApproval };
}

export interface Enforced {
  gesture: ProposedGesture | null;
  /** Set when the proposed gesture was replaced: why, for the card. */
  replaced?: string;
}

/**
 * Checks a gesture someone (a model) proposed against the catalogue: it must exist, be eligible, and its cost,
 * name and approval flag come from the catalogue, never from the proposal. Anything else is replaced by the
 * policy's own choice and the card says so.
 */
export function enforceGesture(
  catalogue: readonly Gesture[],
  ctx: PolicyContext,
  proposed: { id: string; fairness?: string } | null,
  fallbackFairness: (g: Gesture) => string,
): Enforced {
  if (proposed === null) return { gesture: null };
  const eligible = eligibleGestures(catalogue, ctx);
  const match = eligible.find((g) => g.id === proposed.id);
  if (match) return { gesture: toProposed(match, proposed.fairness?.trim() || fallbackFairness(match)) };
  const known = catalogue.some((g) => g.id === proposed.id);
  const own = chooseGesture(catalogue, ctx);
  return {
    gesture: own ? toProposed(own, fallbackFairness(own)) : null,
    replaced: known
      ? `The proposed gesture "${proposed.id}" does not fit this case or is over its monthly cap; replaced by policy.`
      : `The proposed gesture "${proposed.id.slice(0, 40)}" is not in the catalogue; replaced by policy.`,
  };
}
