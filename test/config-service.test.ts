import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, maskUrl } from '../src/config';
import { createLogger, secretValues } from '../src/log';
import { runCli } from './support/cli';

/** Settings an operator gets wrong, caught at start with the variable and the path named. */
const dir = mkdtempSync(join(tmpdir(), 'kairos-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
    return '';
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.message;
  }
}

describe('KAIROS_DB', () => {
  it('a folder is refused, naming the variable and the path', () => {
    mkdirSync(join(dir, 'data'), { recursive: true });
    expect(problems({ KAIROS_DB: join(dir, 'data') })).toMatch(new RegExp(`KAIROS_DB: .*${join(dir, 'data')} is a folder`));
  });

  it('a path under a file is refused, naming the file', () => {
    writeFileSync(join(dir, 'notes.txt'), 'x');
    expect(problems({ KAIROS_DB: join(dir, 'notes.txt', 'kairos.db') })).toMatch(new RegExp(`KAIROS_DB: .*${join(dir, 'notes.txt')} is a file`));
  });

  it('a typo two folders deep is refused instead of growing folders; the database’s own folder may be new', () => {
    expect(problems({ KAIROS_DB: join(dir, 'kairso', 'data', 'kairos.db') })).toMatch(/KAIROS_DB: .*kairso\/data does not exist/);
    expect(problems({ KAIROS_DB: join(dir, 'fresh', 'kairos.db') })).toBe('');
    expect(problems({ KAIROS_DB: join(dir, 'kairos.db') })).toBe('');
  });

  it('the demo says when it made a new database, and a replay refuses a folder with exit 2', async () => {
    const r = await runCli(['replay', '--input', 'src/sources/demo-stream.jsonl'], '', { KAIROS_DB: join(dir, 'data'), LOG_LEVEL: 'info' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`KAIROS_DB: expected the path of a database file, but ${join(dir, 'data')} is a folder`);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const fresh = await runCli(['replay', '--input', 'src/sources/demo-stream.jsonl'], '', { KAIROS_DB: join(dir, 'new.db'), LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
    expect(fresh.code).toBe(0);
    expect(fresh.stderr).toContain(`created a new database at ${join(dir, 'new.db')}`);
    const again = await runCli(['replay', '--input', 'src/sources/demo-stream.jsonl'], '', { KAIROS_DB: join(dir, 'new.db'), LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
    expect(again.stderr).not.toContain('created a new database');
  });
});

describe('credentials in URL settings', () => {
  const url = 'https://kairos:s3cr3t-pass@proxy.example/api?token=abcdef123';

  it('are masked in the message of a wrong setting', () => {
    const message = problems({ DISCORD_API_URL: url.replace('https', 'ftp') });
    expect(message).toContain('DISCORD_API_URL');
    expect(message).not.toContain('s3cr3t-pass');
    expect(message).not.toContain('abcdef123');
    expect(maskUrl(url)).toBe('https://***:***@proxy.example/api?token=***');
  });

  it('are scrubbed from every log line, however they got there', () => {
    let out = '';
    const sink = new Writable({ write: (c, _e, done) => ((out += String(c)), done()) });
    const log = createLogger('info', sink, 'json', secretValues({ OPENAI_BASE_URL: url }));
    log.error({ err: new Error(`connect ECONNREFUSED ${url}`) }, `request to ${url} failed`);
    expect(out).toContain('proxy.example');
    expect(out).not.toContain('s3cr3t-pass');
    expect(out).not.toContain('kairos:s3cr3t');
  });
});
