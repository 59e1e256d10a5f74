import { readFileSync } from 'node:fs';
import { PROMPTS_DIR } from './catalogue';

/** {{name}} placeholders; a template that names a variable the caller did not give is an error, not a blank. */
const PLACEHOLDER = /\{\{\s*([a-zA-Z][a-zA-Z0-9_]*)\s*\}\}/g;

export class TemplateError extends Error {}

export function render(template: string, vars: Record<string, string | number>, name = 'template'): string {
  const missing = new Set<string>();
  const out = template.replace(PLACEHOLDER, (_, key: string) => {
    if (!(key in vars)) {
      missing.add(key);
      return '';
    }
    return String(vars[key]);
  });
  if (missing.size) throw new TemplateError(`${name}: missing variable(s) ${[...missing].join(', ')}`);
  return out;
}

/** The variable names a template uses, so callers and tests can check them. */
export function variablesOf(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string))];
}

const cache = new Map<string, string>();
/** Reads a template from prompts/ once. */
export function loadTemplate(relative: string): string {
  let t = cache.get(relative);
  if (t === undefined) {
    t = readFileSync(`${PROMPTS_DIR}${relative}`, 'utf8');
    cache.set(relative, t);
  }
  return t;
}
