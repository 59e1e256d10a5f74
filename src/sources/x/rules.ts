import type { StreamingV2Rule, TwitterApi } from 'twitter-api-v2';
import { ApiResponseError } from 'twitter-api-v2';
import type { Config } from '../../config';
import type { Logger } from '../../log';

/** A stream rule Kairos wants; the tag marks it as Kairos's so rules of other tools on the same app are left alone. */
export interface RuleSpec {
  value: string;
  tag: string;
}

export const TAG_PREFIX = 'kairos:';
/** X's limit on one rule (Basic and Pro; Enterprise allows more). Recent search queries share it. */
export const MAX_RULE_CHARS = 512;

/** One term as an X query operand: @handles and #hashtags bare, anything else as an exact phrase. */
export function operand(term: string): string | null {
  const t = term.replace(/["\u0000-\u001f]/g, ' ').replace(/\s+/g, ' ').trim();
  if (!t) return null;
  if (/^[@#][\p{L}\p{N}_]+$/u.test(t)) return t;
  return `"${t}"`;
}

function suffix(brand: Config['brand']): string {
  const langs = brand.languages.map((l) => `lang:${l}`);
  const langPart = langs.length === 0 ? '' : langs.length === 1 ? ` ${langs[0]}` : ` (${langs.join(' OR ')})`;
  const own = brand.handles.map((h) => ` -from:${h.replace(/^@/, '')}`).join('');
  return `${langPart} -is:retweet${own}`;
}

/** Greedily packs operands into "(a OR b …) suffix" values that fit X's rule length. */
function pack(operands: string[], tail: string): string[] {
  const out: string[] = [];
  let group: string[] = [];
  const render = (g: string[]) => (g.length === 1 ? `${g[0]}${tail}` : `(${g.join(' OR ')})${tail}`);
  for (const o of operands) {
    if (group.length && render([...group, o]).length > MAX_RULE_CHARS) {
      out.push(render(group));
      group = [];
    }
    group.push(o);
  }
  if (group.length) out.push(render(group));
  return out;
}

/**
 * The rules for a brand and its /watch terms: mentions of the brand's handles and terms, and each watch term in its
 * own rule (adding or removing one touches nothing else); in the brand's languages, no retweets, not the brand's
 * own posts.
 */
export function desiredRules(brand: Config['brand'], watchTerms: readonly string[]): RuleSpec[] {
  const tail = suffix(brand);
  const brandOperands = [
    ...brand.handles.map((h) => operand(`@${h.replace(/^@/, '')}`)),
    ...brand.terms.map(operand),
  ].filter((o): o is string => o !== null);
  const rules: RuleSpec[] = pack([...new Set(brandOperands)], tail).map((value, i) => ({
    value,
    tag: `${TAG_PREFIX}brand${i ? `:${i + 1}` : ''}`,
  }));
  const seen = new Set(rules.map((r) => r.value));
  for (const term of watchTerms) {
    const o = operand(term);
    if (!o) continue;
    const value = `${o}${tail}`;
    if (seen.has(value)) continue;
    seen.add(value);
    rules.push({ value, tag: `${TAG_PREFIX}watch:${term.trim().toLowerCase().slice(0, 100)}` });
  }
  return rules;
}

export interface RulesPlan {
  add: RuleSpec[];
  /** Existing Kairos rules no longer wanted. */
  delete: StreamingV2Rule[];
  keep: StreamingV2Rule[];
  /** Rules on the app that Kairos did not make: left alone, but their posts reach Kairos too. */
  foreign: StreamingV2Rule[];
}

/** What to change so the app's rules are exactly the desired ones (compared by value, as X does). Pure. */
export function planRules(existing: readonly StreamingV2Rule[], desired: readonly RuleSpec[]): RulesPlan {
  const want = new Set(desired.map((r) => r.value));
  const have = new Set(existing.map((r) => r.value));
  const ours = (r: StreamingV2Rule) => r.tag?.startsWith(TAG_PREFIX) ?? false;
  return {
    add: desired.filter((r) => !have.has(r.value)),
    delete: existing.filter((r) => ours(r) && !want.has(r.value)),
    keep: existing.filter((r) => want.has(r.value)),
    foreign: existing.filter((r) => !ours(r) && !want.has(r.value)),
  };
}

export interface RejectedRule {
  value: string;
  tag?: string;
  reason: string;
}

export interface RulesReport {
  added: string[];
  deleted: string[];
  kept: string[];
  rejected: RejectedRule[];
  foreign: string[];
  /** The rules now active for Kairos (kept + added): what the gap search looks for. */
  active: string[];
}

type RuleProblem = { value?: string; id?: string; title?: string; detail?: string; details?: string[]; type?: string };

function problemsOf(body: unknown): RuleProblem[] {
  const errors = (body as { errors?: unknown } | undefined)?.errors;
  return Array.isArray(errors) ? (errors as RuleProblem[]) : [];
}

function reasonOf(p: RuleProblem): string {
  return [p.title, ...(p.details ?? []), p.detail].filter(Boolean).join(': ') || 'rejected by X';
}

/**
 * Adds the missing rules and deletes the stale ones. Additions are dry-run first: a rule X rejects is reported (and
 * logged) and the valid ones still go in. Additions go before deletions so the stream never runs without rules.
 */
export async function syncStreamRules(client: TwitterApi, desired: readonly RuleSpec[], log: Logger): Promise<RulesReport> {
  const current = await client.v2.streamRules();
  const plan = planRules(current.data ?? [], desired);
  const rejected: RejectedRule[] = [];

  const addRules = async (rules: RuleSpec[], dryRun: boolean): Promise<RuleProblem[]> => {
    try {
      const res = await client.v2.updateStreamRules({ add: rules }, dryRun ? { dry_run: true } : {});
      return problemsOf(res);
    } catch (err) {
      // A request where every rule is invalid can come back as a 400 with the same errors array.
      if (err instanceof ApiResponseError && err.code === 400 && problemsOf(err.data).length) return problemsOf(err.data);
      throw err;
    }
  };

  let toAdd = plan.add;
  if (toAdd.length) {
    for (const pass of [true, false]) {
      const problems = await addRules(toAdd, pass);
      for (const p of problems) {
        // A duplicate is not a rejection: the rule already exists under another tag.
        if (p.title === 'DuplicateRule') continue;
        const rule = toAdd.find((r) => r.value === p.value);
        if (!rule && !p.value) continue;
        rejected.push({ value: p.value ?? '', tag: rule?.tag, reason: reasonOf(p) });
      }
      const bad = new Set(rejected.map((r) => r.value));
      toAdd = toAdd.filter((r) => !bad.has(r.value));
      if (!toAdd.length) break;
    }
  }
  if (plan.delete.length) {
    await client.v2.updateStreamRules({ delete: { ids: plan.delete.map((r) => r.id) } });
  }

  const report: RulesReport = {
    added: toAdd.map((r) => r.value),
    deleted: plan.delete.map((r) => r.value),
    kept: plan.keep.map((r) => r.value),
    rejected,
    foreign: plan.foreign.map((r) => r.value),
    active: [...plan.keep.map((r) => r.value), ...toAdd.map((r) => r.value)],
  };
  for (const r of rejected) log.error({ rule: r.value, tag: r.tag, reason: r.reason }, 'X rejected a stream rule; it is not active');
  if (report.foreign.length) {
    log.warn({ rules: report.foreign }, 'the X app has stream rules Kairos did not make; their posts reach Kairos too');
  }
  log.info(
    { added: report.added.length, deleted: report.deleted.length, kept: report.kept.length, rejected: rejected.length },
    'X stream rules synced',
  );
  return report;
}

/** Recent-search queries covering the active rules, OR-ed together while they fit X's query length. */
export function gapQueries(activeRules: readonly string[]): string[] {
  const out: string[] = [];
  let group: string[] = [];
  const render = (g: string[]) => (g.length === 1 ? g[0]! : g.map((v) => `(${v})`).join(' OR '));
  for (const v of activeRules) {
    if (group.length && render([...group, v]).length > MAX_RULE_CHARS) {
      out.push(render(group));
      group = [];
    }
    group.push(v);
  }
  if (group.length) out.push(render(group));
  return out;
}
