import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { Figures } from './learn';
import { compact, loadTriageModel, type TriageModel } from './model';

/**
 * A brand's own triage model, learned from its team's labels (`kairos learn`): kept beside the database, never in
 * the repository, and used instead of the shipped model only while it is valid and was measured better.
 */
const FiguresSchema = z.object({ opportunity: z.number(), risk: z.number(), posts: z.number().int() });
const BrandMetaSchema = z.object({
  brand: z.string().min(1),
  trainedAt: z.string().datetime(),
  labels: z.number().int().nonnegative(),
  figures: z.object({ shipped: FiguresSchema, brand: FiguresSchema }),
});
export type BrandModelMeta = z.infer<typeof BrandMetaSchema>;

/** Where a brand's model lives: beside the database, one file a brand. */
export function brandModelPath(dbPath: string, brand: string): string {
  const slug = brand.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'brand';
  return join(dirname(dbPath), `triage-model.${slug}.json`);
}

export function saveBrandModel(path: string, model: TriageModel, meta: BrandModelMeta): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ ...compact(model, ['shipped sets', `${meta.brand}: ${meta.labels} labels`]), ...meta })}\n`);
  // Written whole, then moved: a crash mid-write never leaves a broken model where triage reads it.
  renameSync(tmp, path);
}

export type LoadedBrandModel = { model: TriageModel; meta: BrandModelMeta } | { model: null; problem: string | null };

/**
 * The brand's model, or why not: none yet (problem null), or a file that is broken, of another version or
 * features, or another brand's (then triage uses the shipped model and says so).
 */
export function loadBrandModel(path: string, brand: string): LoadedBrandModel {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch {
    return { model: null, problem: null };
  }
  try {
    const meta = BrandMetaSchema.safeParse(JSON.parse(raw));
    if (!meta.success) return { model: null, problem: `${path}: not a brand model (no brand, date or figures); using the shipped model` };
    if (meta.data.brand !== brand) {
      return { model: null, problem: `${path}: a model of ${meta.data.brand}, not of ${brand}; using the shipped model` };
    }
    const model = loadTriageModel(pathToFileURL(path));
    if (!model) return { model: null, problem: null };
    return { model, meta: meta.data };
  } catch (err) {
    const why = (err as Error).message.replace(/; run scripts\/train-triage\.ts again$/, '');
    return { model: null, problem: `${why.startsWith(path) ? why : `${path}: not JSON (${why})`}; using the shipped model (run learn again)` };
  }
}

export type { Figures };
