import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_STREAM } from '../src/main';
import { NODE_FLAGS, ROOT } from './support/cli';

/**
 * A clean stop, as an operator gives it: a real child process, a real signal. Input stops, what was read is
 * stored, the summary says the run was interrupted, an interrupted replay exits non-zero, and running it again
 * ends with the same cards and rising moments as a run that was never interrupted.
 */
const dir = mkdtempSync(join(tmpdir(), 'kairos-stop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = readFileSync(DEMO_STREAM, 'utf8').split('\n').filter((l) => l.trim());

interface Run {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>;
}

function start(command: string, args: string[], db: string, extra: NodeJS.ProcessEnv = {}, detached = false): Run {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', NO_COLOR: '1', KAIROS_DB: db, ...extra },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached,
  });
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.resume();
  child.stdin!.on('error', () => {}); // the child may stop reading before the test stops writing
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout })),
  );
  return { child, done };
}

const replay = (db: string, input: string) => start('node_modules/.bin/tsx', [...NODE_FLAGS, 'src/cli.ts', 'replay', '--input', input], db);

function count(db: string, sql: string): number {
  try {
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (conn.prepare(sql).get() as { n: number }).n;
    } finally {
      conn.close();
    }
  } catch {
    return 0;
  }
}

async function until(what: string, done: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Feeds the first `n` demo posts on stdin, waits until all are stored, then sends `signal` to `target`. */
async function interruptAfter(run: Run, db: string, n: number, signal: NodeJS.Signals, target: () => unknown = () => run.child.kill(signal)): Promise<void> {
  run.child.stdin!.write(`${lines.slice(0, n).join('\n')}\n`);
  await until(`${n} posts stored`, () => count(db, 'SELECT COUNT(*) AS n FROM posts') === n);
  target();
}

function outcome(db: string) {
  const conn = new Database(db, { readonly: true });
  try {
    return {
      cards: conn.prepare('SELECT post_id, kind FROM opportunities ORDER BY post_id').all(),
      moments: conn.prepare('SELECT term, detected_at, authors FROM moments ORDER BY detected_at, term').all(),
      posts: (conn.prepare('SELECT COUNT(*) AS n FROM posts').get() as { n: number }).n,
    };
  } finally {
    conn.close();
  }
}

describe('a clean stop', { timeout: 90_000 }, () => {
  const whole = join(dir, 'whole.db');
  const cut = join(dir, 'cut.db');

  it('SIGINT stops a replay: input stops, the summary says it was interrupted, exit 130', async () => {
    const run = replay(cut, '-');
    // The rising moment is found at the demo's 32nd post; stop in the middle of its build-up.
    await interruptAfter(run, cut, 30, 'SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stdout).toContain('Posts read: 30 (');
    expect(r.stdout).toMatch(/Interrupted \(SIGINT\) after 30 posts/);
    expect(r.stdout).not.toContain('Daily digest'); // a partial run prints no digest of "the day"
    expect(outcome(cut).posts).toBe(30);
  });

  it('running it again gives the same cards and rising moments as a run never interrupted', async () => {
    const again = await replay(cut, DEMO_STREAM).done;
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Already seen, skipped: 30`);
    const uninterrupted = await replay(whole, DEMO_STREAM).done;
    expect(uninterrupted.code).toBe(0);
    const a = outcome(whole);
    expect(a.moments.length).toBeGreaterThan(0);
    expect(outcome(cut)).toEqual(a);
  });

  it('SIGTERM stops a replay the same way, exit 143', async () => {
    const db = join(dir, 'term.db');
    const run = replay(db, '-');
    await interruptAfter(run, db, 12, 'SIGTERM');
    const r = await run.done;
    expect(r.code).toBe(143);
    expect(r.stdout).toMatch(/Interrupted \(SIGTERM\) after 12 posts/);
  });

  it('the same Ctrl-C arriving twice at once (the process group, then tsx relaying it) is still a clean stop', async () => {
    const db = join(dir, 'twice.db');
    const run = replay(db, '-');
    await interruptAfter(run, db, 15, 'SIGINT', () => {
      run.child.kill('SIGINT');
      setTimeout(() => run.child.kill('SIGINT'), 20);
    });
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/Interrupted \(SIGINT\) after 15 posts/);
  });

  it('Ctrl-C on npm start (SIGINT to the whole process group: npm, tsx and node) prints the summary', async () => {
    const db = join(dir, 'npm.db');
    const run = start('npm', ['start', '--silent'], db, { KAIROS_REPLAY_FILE: '-' }, true);
    await interruptAfter(run, db, 20, 'SIGINT', () => process.kill(-run.child.pid!, 'SIGINT'));
    const r = await run.done;
    expect(r.stdout).toContain('Posts read: 20 (');
    expect(r.stdout).toMatch(/Interrupted \(SIGINT\) after 20 posts/);
    expect(r.code === 130 || r.signal === 'SIGINT').toBe(true);
    expect(outcome(db).posts).toBe(20);
  });
});
