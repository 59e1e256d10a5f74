import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from './support/cli';

const PRELOAD = join(ROOT, 'test/support/loaded-packages.mjs');
const DEMO = readFileSync(join(ROOT, 'src/sources/demo-stream.jsonl'), 'utf8').split('\n').slice(0, 5).join('\n');

function loaded(stderr: string): string[] {
  const line = /loaded packages: (.*)/.exec(stderr)?.[1];
  if (line === undefined) throw new Error(`no list of loaded packages in: ${stderr.slice(-500)}`);
  return line.split(' ');
}

describe('what a run loads', () => {
  it('a replay to the terminal loads none of the clients of services it does not use', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kairos-imports-'));
    const r = await runCli(['replay', '--input', '-'], `${DEMO}\n`, { KAIROS_DB: join(dir, 'k.db'), NODE_OPTIONS: `--import ${PRELOAD}` });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Posts read: 5');
    const packages = loaded(r.stderr);
    // The list is real: the store's driver is in it.
    expect(packages).toContain('better-sqlite3');
    // (CommonJS packages only: the list comes from require's cache.)
    for (const unused of ['discord.js', 'twitter-api-v2', 'pg', 'prom-client', 'undici']) expect(packages).not.toContain(unused);
  }, 60_000);
});
