import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { describeIssues } from '../domain/post';
import { SignalSchema } from '../domain/verdict';
import { parseYamlFile } from '../domain/yaml-file';

export const PROMPTS_DIR = fileURLToPath(new URL('../../prompts/', import.meta.url));

export const GestureSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  name: z.string().min(1),
  fits: z.string().min(1),
  kinds: z.array(z.enum(['opportunity', 'risk'])).min(1),
  signals: z.array(SignalSchema).min(1),
  costEur: z.number().nonnegative(),
  capPerMonth: z.number().int().nonnegative(),
  needsApproval: z.boolean(),
  publicStory: z.boolean(),
});
export type Gesture = z.infer<typeof GestureSchema>;

const CatalogueSchema = z.object({ gestures: z.array(GestureSchema).min(1) }).refine(
  (c) => new Set(c.gestures.map((g) => g.id)).size === c.gestures.length,
  'gesture ids must be unique',
);

/** The brand's gesture catalogue (prompts/gestures.yaml); a malformed file stops start-up with its reason. */
export function loadCatalogue(path = `${PROMPTS_DIR}gestures.yaml`): Gesture[] {
  const parsed = CatalogueSchema.safeParse(parseYamlFile(path));
  if (!parsed.success) throw new Error(`${path}: ${describeIssues(parsed.error)}`);
  return parsed.data.gestures;
}
