import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { yamlCache, yamlReader } from '../src/domain/yaml-file';

const dir = mkdtempSync(join(tmpdir(), 'kairos-yaml-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const PROMPTS = new URL('../prompts/', import.meta.url);

describe('YAML files through the build cache', () => {
  it('caches every shipped YAML file, each as what parsing it gives', () => {
    const texts = readdirSync(PROMPTS, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => readFileSync(new URL(f, PROMPTS), 'utf8'));
    expect(texts.length).toBeGreaterThanOrEqual(4);
    const cache = JSON.parse(yamlCache(texts)) as Record<string, string>;
    expect(Object.keys(cache)).toHaveLength(texts.length);
    const cacheFile = pathToFileURL(file('cache.json', JSON.stringify(cache)));
    const read = yamlReader(cacheFile);
    texts.forEach((text, i) => expect(read(file(`shipped-${i}.yaml`, text))).toEqual(parse(text)));
  });

  it('leaves out texts that warn, fail or whose value JSON cannot keep', () => {
    const cache = JSON.parse(yamlCache(['a: 1\na: 2\n', 'a: [1, 2\n', 'n: .nan\n', 'x: -0\n', 'ok: true\n'])) as Record<string, string>;
    expect(Object.values(cache)).toEqual(['{"ok":true}']);
  });

  it('answers from the cache only the very text it was built from; any other text is parsed', () => {
    const text = 'greeting: hello\nlist: [1, 2]\n';
    const key = createHash('sha256').update(text).digest('base64url');
    // A cache entry that differs from what the text parses to shows that the entry, not a parse, answered.
    const read = yamlReader(pathToFileURL(file('doctored.json', JSON.stringify({ [key]: '{"from":"cache"}' }))));
    expect(read(file('same.yaml', text))).toEqual({ from: 'cache' });
    expect(read(file('edited.yaml', `${text}more: yes\n`))).toEqual({ greeting: 'hello', list: [1, 2], more: 'yes' });
    // Each read gets a value of its own.
    const a = read(file('same-again.yaml', text)) as Record<string, unknown>;
    a.from = 'changed';
    expect(read(file('same-once-more.yaml', text))).toEqual({ from: 'cache' });
    expect(() => read(file('bad.yaml', 'a: [1, 2\n'))).toThrow();
    // No cache file: everything is parsed.
    expect(yamlReader(pathToFileURL(join(dir, 'absent.json')))(file('plain.yaml', text))).toEqual(parse(text));
  });
});
