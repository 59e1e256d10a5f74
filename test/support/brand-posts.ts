import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePostLine, type Post } from '../../src/domain/post';

/** The posts written for a test brand pack (test/brand-packs/<brand>/posts.jsonl), by the last two digits of their id. */
export function packPosts(packDir: string): Map<string, Post> {
  const out = new Map<string, Post>();
  for (const line of readFileSync(join(packDir, 'posts.jsonl'), 'utf8').split('\n').filter(Boolean)) {
    const parsed = parsePostLine(line);
    if (!parsed.ok) throw new Error(`${packDir}posts.jsonl: ${parsed.error}`);
    out.set(parsed.post.id.slice(-2), parsed.post);
  }
  return out;
}
