import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from './support/cli';

/** The production build: compiled to JavaScript, run by plain node from anywhere, its data files found beside it. */
const dir = mkdtempSync(join(tmpdir(), 'kairos-build-'));
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'pipe' });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const node = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', ...env } });

describe('npm run build', () => {
  it('plays the demo with plain node from another folder: prompts, model and demo stream found at run time', () => {
    const r = node([join(ROOT, 'dist/src/main.js')], { KAIROS_DB: join(dir, 'kairos.db') });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Cards: \d+ new/);
    expect(r.stdout).toMatch(/^ OPPORTUNITY /m);
    expect(r.stdout).toContain('Rising moments: elfstedentocht');
  });

  it('classify answers as the sources do, with the lexicon tables and the packed model computed at build time', async () => {
    expect(existsSync(join(ROOT, 'dist/src/detect/prefilter-tables.json'))).toBe(true);
    expect(existsSync(join(ROOT, 'dist/src/detect/triage-model.table'))).toBe(true);
    const posts = ['eval', 'blind', 'train-o'].map((set) => readFileSync(join(ROOT, `test/fixtures/${set}/posts.jsonl`), 'utf8')).join('');
    const built = spawnSync(process.execPath, [join(ROOT, 'dist/src/cli.js'), 'classify'], {
      cwd: dir,
      input: posts,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', NO_COLOR: '1' },
    });
    const sources = await runCli(['classify'], posts);
    expect(built.status).toBe(0);
    expect(built.stdout.split('\n').length).toBeGreaterThan(700);
    expect(built.stdout).toBe(sources.stdout);
  });

  it('the kairos command (package.json’s bin) runs by its own first line, through a link as npm installs it', () => {
    const bin = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: { kairos: string } }).bin.kairos;
    const link = join(dir, 'kairos');
    symlinkSync(join(ROOT, bin), link);
    // `env node` finds the node that runs the tests.
    const env = { PATH: `${dirname(process.execPath)}:${process.env.PATH}`, HOME: process.env.HOME, LOG_LEVEL: 'silent' };
    const shown = spawnSync(link, ['--version'], { cwd: dir, encoding: 'utf8', env });
    expect(shown.stdout.trim()).toBe(`kairos ${version}`);
    const line = JSON.stringify({ id: 'k1', platform: 'x', author: { handle: 'fan', followers: 0 }, text: '@OranjeAir where is my bag', createdAt: '2026-12-01T10:00:00Z' });
    const classified = spawnSync(link, ['classify'], { cwd: dir, encoding: 'utf8', env, input: `${line}\n` });
    expect(classified.status).toBe(0);
    expect(JSON.parse(classified.stdout)).toMatchObject({ id: 'k1' });
  });

  it('kairos --version and each command’s --help', () => {
    expect(node([join(ROOT, 'dist/src/cli.js'), '--version']).stdout.trim()).toBe(`kairos ${version}`);
    for (const command of ['classify', 'replay', 'eval']) {
      const r = node([join(ROOT, 'dist/src/cli.js'), command, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^kairos ${command} `));
    }
  });
});
