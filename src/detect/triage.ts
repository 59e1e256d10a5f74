import type { Post } from '../domain/post';
import type { Kind, Signal, Triage } from '../domain/verdict';
import type { TriageContext } from './context';
import { momentStrength } from './strength';
import { createEvidence, round, type Evidence } from './evidence';
import { loadTriageModel, predictPost, type TriageModel } from './model';

export { normalise, reachOf } from './evidence';

const MOMENT_SIGNALS: readonly Signal[] = ['dilemma', 'at-stake', 'milestone', 'life-event', 'fan-creation', 'gratitude-story'];

let shipped: TriageModel | null | undefined;
/** The model shipped in src/detect/triage-model.json, read once. */
export function shippedModel(): TriageModel | null {
  if (shipped === undefined) shipped = loadTriageModel();
  return shipped;
}

/**
 * The kind, given what the rules read and what the model makes of it. The model weighs the rules' signals
 * and the post's words as learned from the labelled sets; the rules keep the last word where policy speaks:
 * the brand's own posts are noise, and a post that tries to instruct the bot or sells something is never an
 * opportunity, whatever the model thinks.
 */
export function decide(
  e: Evidence,
  model: TriageModel | null,
  post: Post,
): { kind: Kind; score: number; uncertain?: 'opportunity' | 'risk' } {
  if (e.ownPost) return { kind: 'noise', score: 0 };
  // Only our brand: a post that neither addresses nor names it is never a card, whatever it says.
  if (!e.flags.ourBrand || e.flags.repost) return { kind: 'noise', score: e.scores.noise };
  if (!model) return { kind: e.rule, score: e.scores[e.rule] };
  const { p } = predictPost(model, e, post);
  const pOpportunity = p[model.classes.indexOf('opportunity')] as number;
  // An opportunity needs a moment the rules can name, or a model that is sure of a post about the brand: words
  // alone (a long post about something else) never make one. Bot instructions and sales never make one.
  const named = MOMENT_SIGNALS.some((m) => e.signals.includes(m)) || e.points >= 1;
  const barred = e.signals.includes('manipulation-attempt') || e.signals.includes('spam');
  // The rules' own call stands: they name moments the way real people tell them, where a model trained on
  // written posts is weakest; the model adds the moments it is sure of.
  const opportunity =
    !barred &&
    ((e.rule === 'opportunity' && pOpportunity >= model.thresholds.ruled) ||
      // The model may add a moment the rules did not call, but only when very sure of a post told as a grievance:
      // there a life event is mostly what went wrong ("thanks for ruining our honeymoon"), unless it is at stake.
      (named && pOpportunity >= model.thresholds.named && !(e.grievanceTone && !e.flags.atStake)) ||
      // Sure or not, a let-down is no celebration ("thanks for ruining our honeymoon"), unless a dated moment is
      // still at stake against the flight (a match on Saturday, a fare that cannot move).
      (e.flags.aboutUs && pOpportunity >= model.thresholds.sure && !(e.grievanceTone && !e.flags.atStake && !e.flags.clash && !e.flags.fixedTicket)));
  let best = model.classes.indexOf('opportunity');
  if (!opportunity) {
    best = -1;
    model.classes.forEach((k, c) => {
      if (k !== 'opportunity' && (best < 0 || (p[c] as number) > (p[best] as number))) best = c;
    });
  }
  let kind = model.classes[best] as Kind;
  // A risk is admitted by severity or by reach, never by words alone: the same complaint from a small account with
  // no traction is a service matter.
  if (kind === 'risk' && !e.flags.severe && !e.flags.spreading) {
    best = p[model.classes.indexOf('service')]! >= p[model.classes.indexOf('noise')]! ? model.classes.indexOf('service') : model.classes.indexOf('noise');
    kind = model.classes[best] as Kind;
  }
  // Severity over reach, by policy: discrimination, assault, a safety or health emergency, leaked data, legal
  // action, the press and calls to spread are risks from any account; the model may not call them service or noise.
  if ((kind === 'noise' || kind === 'service') && e.flags.severe && (e.flags.firstPerson || e.flags.addressed) && !e.signals.includes('spam')) {
    kind = 'risk';
    best = model.classes.indexOf('risk');
  }
  // Reach matters for risk, by policy: a grievance that is travelling is never dismissed as noise.
  if (kind === 'noise' && e.flags.grievance && e.flags.spreading && !e.signals.includes('spam')) {
    kind = 'risk';
    best = model.classes.indexOf('risk');
  }
  // A card's score weighs the model's confidence and what the rules see (reach, severity, story); service and
  // noise keep the rules' score, which ranks them by reach below any card.
  const score = kind === 'opportunity' || kind === 'risk' ? 0.5 * (p[best] as number) + 0.5 * e.scores[kind] : e.scores[kind];
  if (kind === 'opportunity' || kind === 'risk' || barred) return { kind, score };
  // The uncertain band: not a card, but close to one. Only a model may make it one (see Pipeline).
  const pRisk = p[model.classes.indexOf('risk')] as number;
  const uncertain =
    // A moment the rules call one, however little the model believes it: real moments told as asks ("anything
    // special for our honeymoon?") are where the model, trained on written posts, is weakest.
    (named && pOpportunity >= model.thresholds.review.opportunity) || e.rule === 'opportunity'
      ? 'opportunity'
      : e.flags.grievance && pRisk >= model.thresholds.review.risk
        ? 'risk'
        : undefined;
  return uncertain ? { kind, score, uncertain } : { kind, score };
}

/**
 * Builds the triage function: offline, deterministic, some microseconds a post. Every post gets a kind, a score
 * in [0, 1] and the named signals that explain it. `model: null` leaves the call to the rules alone.
 */
export function createTriager(ctx: TriageContext, model: TriageModel | null = shippedModel()): (post: Post) => Triage {
  const read = createEvidence(ctx);
  return (post: Post): Triage => {
    const e = read(post);
    const { kind, score, uncertain } = decide(e, model, post);
    const t: Triage = { kind, score: round(score), signals: e.signals, lang: e.lang };
    if (uncertain) t.uncertain = uncertain;
    if (kind === 'opportunity') t.strength = momentStrength(post.text, e.signals);
    return t;
  };
}
