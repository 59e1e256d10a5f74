import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parsePostLine, type Post } from '../domain/post';
import type { Kind } from '../domain/verdict';
import type { TriageContext } from './context';
import { exampleOf, type Example } from './learn';

/**
 * The labelled sets the shipped model is trained on: posts written for the project (test/fixtures), never a
 * real post and never the blind sets it is measured on. A brand's own model is trained on them too.
 */
export const TRAIN_SETS = [
  'eval', 'holdout', 'demo', 'blind',
  'train-a', 'train-b', 'train-c', 'train-d', 'train-e', 'train-f', 'train-g', 'train-h', 'train-i', 'train-j',
  'train-k', 'train-l', 'train-m', 'train-n', 'train-o',
] as const;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEMO_BRAND = { name: 'Oranje Air', handles: ['OranjeAir'], terms: ['Oranje Air', 'OranjeAir'] };

function paths(set: string): [string, string] {
  return set === 'demo'
    ? [`${ROOT}src/sources/demo-stream.jsonl`, `${ROOT}src/sources/demo-stream.labels.jsonl`]
    : [`${ROOT}test/fixtures/${set}/posts.jsonl`, `${ROOT}test/fixtures/${set}/labels.jsonl`];
}

/** A set's posts with their labels, in file order. */
export function loadSet(set: string): { post: Post; kind: Kind }[] {
  const [postsPath, labelsPath] = paths(set);
  const labels = new Map(
    readFileSync(labelsPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id: string; kind: Kind })
      .map((l) => [String(l.id), l.kind]),
  );
  return readFileSync(postsPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      const p = parsePostLine(line);
      const kind = p.ok ? labels.get(p.post.id) : undefined;
      return p.ok && kind ? [{ post: p.post, kind }] : [];
    });
}

/** A set's brand: the demo's unless the set names its own in brand.json (so the model learns patterns, not a name). */
export function brandOf(set: string): TriageContext['brand'] {
  const path = `${ROOT}test/fixtures/${set}/brand.json`;
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as TriageContext['brand']) : DEMO_BRAND;
}

export function setExamples(set: string): Example[] {
  const of = exampleOf(brandOf(set));
  return loadSet(set).map(({ post, kind }) => of(post, kind));
}

/** Every shipped training set's examples (about four thousand posts; a second or two to read). */
export function shippedExamples(sets: readonly string[] = TRAIN_SETS): Example[] {
  return sets.flatMap((s) => setExamples(s));
}
