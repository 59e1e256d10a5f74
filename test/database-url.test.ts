import { PassThrough } from 'node:stream';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config';
import { main } from '../src/main';

/** DATABASE_URL switches Kairos to PostgreSQL; a wrong one is refused naming the variable, its password never shown. */

async function run(env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  let text = '';
  out.setEncoding('utf8').on('data', (d: string) => (text += d));
  let err = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => ((err += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await main({ LOG_LEVEL: 'silent', ...env }, out);
    out.end();
    return { code, out: text, err };
  } finally {
    process.stderr.write = write;
  }
}

describe('DATABASE_URL', () => {
  it('must be a PostgreSQL URL; the message names it and masks its password', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'mysql://kairos:hunter2-secret@db:3306/kairos' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/DATABASE_URL: expected a PostgreSQL URL/);
    expect(message).not.toContain('hunter2-secret');
    expect(loadConfig({ DATABASE_URL: 'postgres://kairos:pw@db.internal:5432/kairos' }).databaseUrl).toBe('postgres://kairos:pw@db.internal:5432/kairos');
  });

  it('a server that cannot be reached stops start-up with exit 2, naming the variable, the password masked', async () => {
    const r = await run({ DATABASE_URL: 'postgres://kairos:hunter2-secret@127.0.0.1:9/kairos' });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^DATABASE_URL: cannot open postgres:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:9\/kairos: /);
    expect(r.err).not.toContain('hunter2-secret');
  });

  const url = process.env.KAIROS_TEST_PG_URL;
  const schema = `kairos_main_${process.pid}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return await c.query(sql);
    } finally {
      await c.end();
    }
  };
  afterAll(async () => {
    if (url) await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it.runIf(url)('plays the demo on PostgreSQL end to end, and a second run on the same database repeats no card', async () => {
    await admin(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    const u = new URL(url!);
    u.searchParams.set('options', `-c search_path=${schema}`);
    const first = await run({ DATABASE_URL: u.toString() });
    expect(first.code).toBe(0);
    const cards = Number(/Cards: (\d+) new/.exec(first.out)?.[1]);
    expect(cards).toBeGreaterThan(3);
    expect(first.out).toContain('Daily digest');
    const stored = await admin(`SELECT COUNT(*) AS n FROM ${schema}.opportunities`);
    expect(Number(stored.rows[0].n)).toBe(cards);
    const sent = await admin(`SELECT COUNT(*) AS n FROM ${schema}.outbox WHERE status = 'sent'`);
    expect(Number(sent.rows[0].n)).toBe(cards);

    const second = await run({ DATABASE_URL: u.toString() });
    expect(second.code).toBe(0);
    expect(second.out).toContain('Cards: 0 new');
    expect(second.out).toContain('Every post was already processed');
  });
});
