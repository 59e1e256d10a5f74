import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../domain/post';
import { parseYamlFile } from '../domain/yaml-file';
import { loadCatalogue, PROMPTS_DIR, type Gesture } from './catalogue';
import { loadOfflineTemplates, type OfflineTemplates } from './offline-templates';

/**
 * A brand pack: one folder (KAIROS_BRAND_DIR) with the brand's settings (brand.yaml), voice guide (brand.md),
 * gesture catalogue (gestures.yaml), offline templates (offline.yaml) and event calendar (events.yaml). Any file it
 * lacks comes from the brand-neutral defaults in prompts/; its offline.yaml and brand.yaml only need what differs.
 * Every file is validated, and an error names the file.
 */

/** The embedded demo's brand, used when neither KAIROS_BRAND_DIR nor BRAND_NAME is set. */
export const DEMO_BRAND_DIR = join(PROMPTS_DIR, 'brands', 'oranje-air');
export const DEMO_GESTURES = join(DEMO_BRAND_DIR, 'gestures.yaml');

export class BrandPackError extends Error {
  override name = 'BrandPackError';
}

const Lang = z.string().regex(/^[a-z]{2,3}$/, 'a language code such as en or nl');
const Words = z.object({ reference: z.string().min(1).max(60), staff: z.string().min(1).max(60), customer: z.string().min(1).max(40) }).strict();
const Route = z
  .object({ team: z.record(Lang, z.string().min(1).max(60)), contact: z.string().min(3).max(120).optional() })
  .strict();
const ROUTES = ['press', 'legal', 'safety', 'privacy'] as const;
export type RouteKey = (typeof ROUTES)[number];

/** brand.yaml as written: every key optional (a pack gives only what differs from the defaults). */
const SettingsFileSchema = z
  .object({
    name: z.string().min(1).max(64),
    handles: z.array(z.string().min(1).max(30)).min(1),
    terms: z.array(z.string().min(1).max(64)).min(1),
    languages: z.array(Lang).min(1),
    emoji: z.string().max(16),
    signOff: z.record(Lang, z.string().max(80)),
    bilingualPublicPost: z.boolean(),
    words: z.record(Lang, Words.partial()),
    routes: z.object(Object.fromEntries(ROUTES.map((r) => [r, Route.partial()])) as Record<RouteKey, ReturnType<typeof Route.partial>>).partial().strict(),
  })
  .partial()
  .strict();
type SettingsFile = z.infer<typeof SettingsFileSchema>;

export interface BrandSettings {
  name?: string;
  handles?: string[];
  terms?: string[];
  languages?: string[];
  emoji: string;
  signOff: Record<string, string>;
  bilingualPublicPost: boolean;
  words: Record<string, z.infer<typeof Words>>;
  routes: Record<RouteKey, { team: Record<string, string>; contact?: string }>;
}

export interface BrandPack {
  /** The pack's folder; undefined when only the defaults are used. */
  dir?: string;
  settings: BrandSettings;
  /** The voice guide (a template with {{brand}}). */
  voice: string;
  catalogue: Gesture[];
  templates: OfflineTemplates;
  /** The pack's own calendar, when it has one (it replaces the default calendar). */
  eventsFile?: string;
}

function readYaml(path: string): unknown {
  try {
    return parseYamlFile(path) ?? {};
  } catch (err) {
    throw new BrandPackError(`${path}: ${(err as Error).message.split('\n')[0]}`);
  }
}

function settingsFile(path: string): SettingsFile {
  const parsed = SettingsFileSchema.safeParse(readYaml(path));
  if (!parsed.success) throw new BrandPackError(`${path}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

function checkDir(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BrandPackError(`${dir}: not a folder (KAIROS_BRAND_DIR must name the brand pack's folder)`);
}

/** The pack's settings over the defaults (prompts/brand.yaml). */
export function loadBrandSettings(dir?: string): BrandSettings {
  const base = settingsFile(join(PROMPTS_DIR, 'brand.yaml'));
  if (dir) checkDir(dir);
  const file = dir ? join(dir, 'brand.yaml') : undefined;
  const own = file && existsSync(file) ? settingsFile(file) : {};
  const words: BrandSettings['words'] = {};
  for (const lang of new Set([...Object.keys(base.words ?? {}), ...Object.keys(own.words ?? {})])) {
    const merged = { ...base.words?.[lang], ...own.words?.[lang] };
    const ok = Words.safeParse(merged);
    if (!ok.success) throw new BrandPackError(`${file ?? 'prompts/brand.yaml'}: words.${lang}: ${describeIssues(ok.error)}`);
    words[lang] = ok.data;
  }
  const routes = {} as BrandSettings['routes'];
  for (const r of ROUTES) {
    const b = base.routes?.[r];
    const o = own.routes?.[r];
    routes[r] = { team: { ...b?.team, ...o?.team }, ...((o?.contact ?? b?.contact) ? { contact: o?.contact ?? b?.contact } : {}) };
  }
  return {
    name: own.name ?? base.name,
    handles: own.handles ?? base.handles,
    terms: own.terms ?? base.terms,
    languages: own.languages ?? base.languages,
    emoji: own.emoji ?? base.emoji ?? '',
    signOff: { ...base.signOff, ...own.signOff },
    bilingualPublicPost: own.bilingualPublicPost ?? base.bilingualPublicPost ?? false,
    words,
    routes,
  };
}

/** The whole pack: its files where it has them, the defaults for the rest. */
export function loadBrandPack(dir?: string): BrandPack {
  const settings = loadBrandSettings(dir);
  const own = (name: string) => (dir && existsSync(join(dir, name)) ? join(dir, name) : undefined);
  const voicePath = own('brand.md') ?? join(PROMPTS_DIR, 'brand.md');
  let catalogue: Gesture[];
  try {
    catalogue = loadCatalogue(own('gestures.yaml'));
  } catch (err) {
    throw new BrandPackError((err as Error).message);
  }
  let templates: OfflineTemplates;
  try {
    templates = loadOfflineTemplates(undefined, own('offline.yaml'));
  } catch (err) {
    throw new BrandPackError((err as Error).message);
  }
  // A template for a gesture the catalogue does not have, or a gesture without one, is a pack mistake worth naming.
  const missing = catalogue.filter((g) => templates.fairness[g.id] === undefined).map((g) => g.id);
  if (missing.length) {
    throw new BrandPackError(`${own('offline.yaml') ?? own('gestures.yaml') ?? 'prompts/offline.yaml'}: fairness: no line for gesture(s) ${missing.join(', ')}`);
  }
  return { dir, settings, voice: readFileSync(voicePath, 'utf8'), catalogue, templates, eventsFile: own('events.yaml') };
}
