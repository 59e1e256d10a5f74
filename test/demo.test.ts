import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_STREAM, main } from '../src/main';

let dir: string;
let db: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kairos-demo-'));
  // A directory that does not exist yet: the store creates it.
  db = join(dir, 'data', 'kairos.db');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the composition root with only a database path: no Discord, no X, no model. */
async function runDemo(): Promise<{ code: number; out: string }> {
  const out = new PassThrough();
  let text = '';
  out.setEncoding('utf8').on('data', (d: string) => (text += d));
  const code = await main({ KAIROS_DB: db, LOG_LEVEL: 'silent' }, out);
  out.end();
  return { code, out: text };
}

function cardRows(): { kind: string; n: number }[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare('SELECT kind, COUNT(*) AS n FROM opportunities GROUP BY kind ORDER BY kind').all() as { kind: string; n: number }[];
  } finally {
    conn.close();
  }
}

const demoPosts = readFileSync(DEMO_STREAM, 'utf8').split('\n').filter((l) => l.trim()).length;

describe('the demo (main with no credentials)', () => {
  let first: { code: number; out: string };

  it('runs the demo stream to the end and prints a card for each opportunity and risk, then a summary', async () => {
    first = await runDemo();
    expect(first.code).toBe(0);
    expect(first.out).toContain('the demo stream');
    expect(first.out).toContain(`Posts read: ${demoPosts} (`);

    const rows = cardRows();
    const stored = Object.fromEntries(rows.map((r) => [r.kind, r.n]));
    expect(stored.opportunity).toBeGreaterThan(0);
    expect(stored.risk).toBeGreaterThan(0);
    const total = (stored.opportunity ?? 0) + (stored.risk ?? 0);

    // Every stored card reached the terminal, once.
    expect(first.out.match(/^ OPPORTUNITY /gm)?.length).toBe(stored.opportunity);
    expect(first.out.match(/^ RISK /gm)?.length).toBe(stored.risk);
    expect(first.out).toContain(`Cards: ${total} new`);
    const summary = /Posts read: (\d+) \((\d+) opportunity, (\d+) risk, (\d+) service, (\d+) noise\)/.exec(first.out);
    expect(summary).not.toBeNull();
    const [, read, opp, risk, service, noise] = summary!.map(Number);
    // The columnist quoting Gonny and the journalist's update to her own thread join the cards of those posts:
    // counted by their kind, but no card of their own.
    const joined = Number(/Joined the story of an existing card: (\d+)/.exec(first.out)?.[1] ?? 0);
    expect(joined).toBe(2);
    expect(first.out).toMatch(/↳ @columnist_bas \(96,000 followers, 1,900 reposts\) quoted it: .* \(joins card #\d+\)/);
    expect(opp).toBe(stored.opportunity);
    expect(risk).toBe((stored.risk ?? 0) + joined);
    expect(opp! + risk! + service! + noise!).toBe(read);

    // The Elfstedentocht surge is a rising moment with its own card, printed before the honeymoon dilemma that
    // rides it, and that dilemma carries the rising-moment signal.
    const moment = first.out.indexOf('▲ Rising: elfstedentocht');
    const dilemma = first.out.search(/ OPPORTUNITY {2}Dilemma: .*Elfstedentocht/);
    expect(moment).toBeGreaterThan(-1);
    expect(dilemma).toBeGreaterThan(moment);
    expect(first.out.slice(dilemma).split('\n').find((l) => l.startsWith('Signals'))).toContain('rising-moment');

    // The run ends with the digest of the stream and its chart written beside the database.
    expect(first.out).toMatch(/Daily digest/);
    expect(first.out).toMatch(/Rising moments \(1\)\n {2}elfstedentocht/);
    const chart = /Chart: (.+\.png)/.exec(first.out)?.[1];
    expect(chart).toBeDefined();
    expect(chart!.startsWith(join(dir, 'data'))).toBe(true);
    expect(readFileSync(chart!).subarray(1, 4).toString()).toBe('PNG');

    // Cards carry drafts and no template left-overs; nothing is coloured when the output is not a terminal.
    expect(first.out).toContain('Reply draft');
    expect(first.out).not.toMatch(/\{\{|\u001b\[/);
  });

  it('run again on the same database: no new card, and the summary says so', async () => {
    expect(first, 'the first run must have happened').toBeDefined();
    const before = cardRows();
    const listeners = process.listenerCount('SIGINT') + process.listenerCount('SIGTERM');
    const second = await runDemo();
    // A finished run leaves no signal handlers behind (they would swallow Ctrl-C in a longer-lived process).
    expect(process.listenerCount('SIGINT') + process.listenerCount('SIGTERM')).toBe(listeners);
    expect(second.code).toBe(0);
    expect(cardRows()).toEqual(before);
    expect(second.out).toContain('Cards: 0 new');
    expect(second.out).toContain(`Already seen, skipped: ${demoPosts}`);
    expect(second.out).toMatch(/no card was repeated/);
    expect(second.out).not.toMatch(/^ (OPPORTUNITY|RISK) /m);
  });

  it('a wrong setting stops it with exit code 2 before anything is read', async () => {
    const out = new PassThrough();
    let text = '';
    out.setEncoding('utf8').on('data', (d: string) => (text += d));
    const stderr = process.stderr.write;
    let err = '';
    process.stderr.write = ((chunk: string) => {
      err += chunk;
      return true;
    }) as typeof process.stderr.write;
    try {
      expect(await main({ KAIROS_DB: db, LOG_LEVEL: 'silent', DIGEST_TIME: 'noon' }, out)).toBe(2);
    } finally {
      process.stderr.write = stderr;
    }
    expect(err).toContain('DIGEST_TIME');
    expect(text).toBe('');
  });
});
