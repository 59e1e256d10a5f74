import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';

// The shipped YAML files (prompts/*.yaml: the drafts' templates, the brand defaults, the calendar, the gestures)
// are parsed at every start of a command that writes cards: loading the yaml library and parsing them cost about
// 75 ms of classify's start. `npm run build` parses them once (yamlCache) and writes what each text parses to
// beside the compiled module, by a hash of the text; a file whose text is in it is read from there, any other
// (a brand pack's own file, an edited one) is parsed as before. Only texts that parse without a warning and whose
// value JSON keeps whole are written, so a hit gives what parsing gives.

type Yaml = typeof import('yaml');
let yaml: Yaml | undefined;
// Loaded on the first text that is not in the cache (a build reads none at all).
const library = (): Yaml => (yaml ??= createRequire(import.meta.url)('yaml') as Yaml);

/** Where the build writes the cache: beside this module (in dist/ only). */
export const YAML_CACHE = new URL('./yaml-cache.json', import.meta.url);
const keyOf = (text: string) => createHash('sha256').update(text).digest('base64url');

/**
 * A reader of YAML files that looks each text up in the cache file first (read once, at the first file; no file,
 * no cache). It gives what the yaml library's parse gives, and its error when the text is not valid.
 */
export function yamlReader(cacheFile: URL): (path: string) => unknown {
  // Text hash → the JSON of its value.
  let cache: Record<string, string> | undefined;
  return (path) => {
    const text = readFileSync(path, 'utf8');
    cache ??= existsSync(cacheFile) ? (JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, string>) : {};
    const hit = cache[keyOf(text)];
    // Parsed each time: every caller gets a value of its own, as from parsing.
    return typeof hit === 'string' ? JSON.parse(hit) : library().parse(text);
  };
}

/** The value of a YAML file, through the build's cache. */
export const parseYamlFile = yamlReader(YAML_CACHE);

/** What `npm run build` writes beside this module: each text's value, for the texts given that can be cached. */
export function yamlCache(texts: string[]): string {
  const out: Record<string, string> = {};
  for (const text of texts) {
    const doc = library().parseDocument(text);
    if (doc.errors.length || doc.warnings.length) continue;
    const value = doc.toJS() as unknown;
    const json = JSON.stringify(value);
    if (json !== undefined && isDeepStrictEqual(JSON.parse(json), value) && isDeepStrictEqual(value, library().parse(text))) out[keyOf(text)] = json;
  }
  return JSON.stringify(out);
}
