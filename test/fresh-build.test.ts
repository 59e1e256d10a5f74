import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshBuild } from '../scripts/lib/fresh-build.mjs';

/** A checkout's files, each last changed at the given second (folders' own times do not count). */
function tree(files: Record<string, number>): string {
  const root = mkdtempSync(join(tmpdir(), 'kairos-fresh-'));
  for (const [path, second] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), '');
    utimesSync(join(root, path), second, second);
  }
  return root;
}

describe('npm run cli (scripts/cli.mjs) chooses the compiled build', () => {
  it('while it is newer than every source, prompt and script it was built from', () => {
    const root = tree({ 'src/detect/triage.ts': 1000, 'prompts/offline.yaml': 1000, 'package.json': 1000, 'dist/src/cli.js': 2000 });
    expect(freshBuild(root)).toBe(join(root, 'dist/src/cli.js'));
  });

  it('not once one of them changed after the build, nor when there is none', () => {
    expect(freshBuild(tree({ 'src/detect/triage.ts': 3000, 'dist/src/cli.js': 2000 }))).toBeNull();
    expect(freshBuild(tree({ 'src/cli.ts': 1000, 'prompts/offline.yaml': 3000, 'dist/src/cli.js': 2000 }))).toBeNull();
    expect(freshBuild(tree({ 'src/cli.ts': 1000 }))).toBeNull();
  });
});
