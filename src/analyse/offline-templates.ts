import { join } from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../domain/post';
import { parseYamlFile } from '../domain/yaml-file';
import { PROMPTS_DIR } from './catalogue';

/** The offline templates (prompts/offline.yaml, and a brand pack's offline.yaml over it): schema and loading. */

// Strongest first. A moment at stake comes before the celebrations: "flight cancelled and my sister's wedding is
// saturday" fires 'life-event' too, and must be written as a rescue, never as a congratulation.
// A trip that comes with a loss (ashes to scatter, a funeral) is never a celebration: 'condolence' is chosen by the
// analyst from the post's words, never by a signal. So is 'reassurance': a first flight (or a first alone) told with
// nerves is met with reassurance and help, not a party.
export const OPPORTUNITY_SITUATIONS = ['dilemma', 'at-stake', 'fan-creation', 'gratitude-story', 'milestone', 'life-event', 'condolence', 'reassurance'] as const;
// Harm to a person first, then what the law, the press or a crowd will do with it, then reach-driven grievances.
export const RISK_SITUATIONS = [
  'discrimination',
  'assault',
  'safety',
  'health-emergency',
  'data-breach',
  'legal',
  'press',
  'compassion',
  'call-to-spread',
  'accusation',
  'complaint',
] as const;
export type Situation = (typeof OPPORTUNITY_SITUATIONS)[number] | (typeof RISK_SITUATIONS)[number];
export const SITUATIONS = [...OPPORTUNITY_SITUATIONS, ...RISK_SITUATIONS] as const;

/** A fan-facing line: one text, or one for the teller's own moment (`self`) and one for someone they tell about (`other`). */
const Variant = z.union([z.string().min(1), z.object({ self: z.string().min(1), other: z.string().min(1) }).strict()]);
export type Variant = z.infer<typeof Variant>;
const ByLang = z.record(z.string().regex(/^[a-z]{2,3}$/), Variant);
export type ByLang = z.infer<typeof ByLang>;
const perSituation = <T extends z.ZodType>(t: T) =>
  z.object(Object.fromEntries(SITUATIONS.map((s) => [s, t])) as Record<Situation, T>);

const TemplatesSchema = z.object({
  summary: perSituation(z.string()),
  why: z.record(z.string(), z.string()),
  reply: perSituation(ByLang).extend({ generic: ByLang }),
  surprise: ByLang,
  amplifier: ByLang,
  holding: z.object({ press: ByLang, legal: ByLang, safety: ByLang }),
  publicPost: z.record(z.string(), ByLang),
  fairness: z.record(z.string(), z.string()),
  fairnessAmount: z.string(),
  verifyFirst: perSituation(z.array(z.string())),
  risks: perSituation(z.array(z.string())),
});
export type OfflineTemplates = z.infer<typeof TemplatesSchema>;

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The pack's entries over the defaults', key by key; a list or a text replaces the default's whole. */
function merge(base: unknown, over: unknown): unknown {
  if (!isPlain(base) || !isPlain(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

function read(path: string): unknown {
  try {
    return parseYamlFile(path) ?? {};
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** The languages the templates are written in: those of the generic reply; every fan-facing entry must have each. */
export function templateLanguages(t: OfflineTemplates): string[] {
  return Object.keys(t.reply.generic);
}

function checkLanguages(t: OfflineTemplates): string | null {
  const langs = templateLanguages(t);
  const entries: [string, ByLang][] = [
    ...Object.entries(t.reply).map(([k, v]) => [`reply.${k}`, v] as [string, ByLang]),
    ['surprise', t.surprise],
    ['amplifier', t.amplifier],
    ...Object.entries(t.holding).map(([k, v]) => [`holding.${k}`, v] as [string, ByLang]),
    ...Object.entries(t.publicPost).map(([k, v]) => [`publicPost.${k}`, v] as [string, ByLang]),
  ];
  for (const [name, byLang] of entries) {
    const missing = langs.filter((l) => byLang[l] === undefined);
    if (missing.length) return `${name}: no text in ${missing.join(', ')} (every entry needs each language of reply.generic)`;
  }
  return null;
}

/**
 * The default templates, with a pack's file over them when given. An error names the file that holds the mistake
 * (the pack's when there is one, since the defaults are tested).
 */
export function loadOfflineTemplates(path = join(PROMPTS_DIR, 'offline.yaml'), packPath?: string): OfflineTemplates {
  const own = packPath ? read(packPath) : {};
  if (packPath && !isPlain(own)) throw new Error(`${packPath}: expected a mapping of template sections`);
  const parsed = TemplatesSchema.safeParse(merge(read(path), own));
  const where = packPath ?? path;
  if (!parsed.success) throw new Error(`${where}: ${describeIssues(parsed.error)}`);
  const languages = checkLanguages(parsed.data);
  if (languages) throw new Error(`${where}: ${languages}`);
  return parsed.data;
}
