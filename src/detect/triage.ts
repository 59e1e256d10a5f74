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

/** Each kind's place in a model's classes, found once per model (decide() asks on every post). */
const classIndexes = new WeakMap<TriageModel, Record<Kind, number>>();
function classIndex(model: TriageModel): Record<Kind, number> {
  let at = classIndexes.get(model);
  if (!at) {
    const of = (k: Kind) => model.classes.indexOf(k);
    at = { opportunity: of('opportunity'), risk: of('risk'), service: of('service'), noise: of('noise') };
    classIndexes.set(model, at);
  }
  return at;
}

/** Whether the rules name a moment among the signals (a plain loop: no closure a post). */
function namesMoment(signals: readonly Signal[]): boolean {
  for (const m of MOMENT_SIGNALS) if (signals.includes(m)) return true;
  return false;
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
  const at = classIndex(model);
  const pOpportunity = p[at.opportunity] as number;
  // An opportunity needs a moment the rules can name, or a model that is sure of a post about the brand: words
  // alone (a long post about something else) never make one. Bot instructions and sales never make one.
  const moment = namesMoment(e.signals);
  const named = moment || e.points >= 1;
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
  let best = at.opportunity;
  if (!opportunity) {
    best = -1;
    for (let c = 0; c < model.classes.length; c++) {
      if (model.classes[c] !== 'opportunity' && (best < 0 || (p[c] as number) > (p[best] as number))) best = c;
    }
  }
  let kind = model.classes[best] as Kind;
  // A risk is admitted by severity or by reach, never by words alone: the same complaint from a small account with
  // no traction is a service matter.
  if (kind === 'risk' && !e.flags.severe && !e.flags.spreading) {
    best = p[at.service]! >= p[at.noise]! ? at.service : at.noise;
    kind = model.classes[best] as Kind;
  }
  // Severity over reach, by policy: discrimination, assault, a safety or health emergency, leaked data, legal
  // action, the press and calls to spread are risks from any account; the model may not call them service or noise.
  if ((kind === 'noise' || kind === 'service') && e.flags.severe && (e.flags.firstPerson || e.flags.addressed) && !e.signals.includes('spam')) {
    kind = 'risk';
    best = at.risk;
  }
  // Reach matters for risk, by policy: a grievance that is travelling is never dismissed as noise.
  if (kind === 'noise' && e.flags.grievance && e.flags.spreading && !e.signals.includes('spam')) {
    kind = 'risk';
    best = at.risk;
  }
  // A card's score weighs the model's confidence and what the rules see (reach, severity, story); service and
  // noise keep the rules' score, which ranks them by reach below any card.
  const score = kind === 'opportunity' || kind === 'risk' ? 0.5 * (p[best] as number) + 0.5 * e.scores[kind] : e.scores[kind];
  if (kind === 'opportunity' || kind === 'risk' || barred) return { kind, score };
  // The uncertain band: not a card, but close to one. Only a model may make it one (see Pipeline).
  const pRisk = p[at.risk] as number;
  const uncertain =
    // A moment the rules call or name, however little the model believes it: real moments told as asks ("anything
    // special for our honeymoon?") or inside a worry ("missing this wedding would not be cool") are where the model,
    // trained on written posts, is weakest. Few posts name one, so this costs few calls.
    moment || (named && pOpportunity >= model.thresholds.review.opportunity) || e.rule === 'opportunity'
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
