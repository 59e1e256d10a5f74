import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { signIngest } from '../src/ingress/signature';
import { FakeOpenAI } from './fakes/openai';
import { NODE_FLAGS, ROOT } from './support/cli';
import { until } from './support/x';

const SECRET = 'main-webhook-secret-0001';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('npm start with KAIROS_WEBHOOK_SECRET', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kairos-main-webhooks-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stays up on the HTTP server instead of playing the demo, turns a signed post into a card, and stops on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn('node_modules/.bin/tsx', [...NODE_FLAGS, 'src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', NO_COLOR: '1', KAIROS_DB: join(dir, 'k.db'), KAIROS_HTTP_PORT: String(port), KAIROS_WEBHOOK_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    try {
      await until(() => out.includes('Kairos is running'), 30_000, 'Kairos to start');
      expect(out).toContain(`webhooks at http://127.0.0.1:${port} (POST /ingest)`);
      expect(out).not.toMatch(/demo stream/);
      const body = JSON.stringify({
        id: 'main-1',
        platform: 'form',
        author: { handle: 'sanne', name: 'Sanne' },
        text: 'We fly to Bali on our honeymoon on 15 Jan, but the Elfstedentocht is on! Do we cancel? @OranjeAir',
        createdAt: new Date().toISOString(),
      });
      const res = await fetch(`http://127.0.0.1:${port}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', ...signIngest(SECRET, body) }, body });
      expect(res.status).toBe(202);
      // The card reaches the terminal (the sink without Discord).
      await until(() => out.includes('@sanne'), 10_000, 'the card');
      expect(out.match(/· card #\d+/g)).toEqual(['· card #1']);
      expect((await fetch(`http://127.0.0.1:${port}/ingest`, { method: 'POST', body })).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out).toContain('Kairos stopped (SIGTERM)');
  }, 60_000);

  it('a post answered for and then killed (kill -9) while the model was still writing its card is processed at the next start, once', async () => {
    const model = await new FakeOpenAI().start();
    const db = join(dir, 'killed.db');
    const port = await freePort();
    const start = () => {
      // One process (node with tsx's loader, not the tsx wrapper), so SIGKILL hits Kairos itself.
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          LOG_LEVEL: 'silent',
          NO_COLOR: '1',
          KAIROS_DB: db,
          KAIROS_HTTP_PORT: String(port),
          KAIROS_WEBHOOK_SECRET: SECRET,
          OPENAI_API_KEY: 'sk-test-main-webhooks',
          OPENAI_BASE_URL: model.baseURL,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      return { child, out: () => out, exited: new Promise<number | null>((r) => child.on('close', r)) };
    };
    const body = JSON.stringify({ id: 'killed-1', platform: 'form', author: { handle: 'sanne', name: 'Sanne' }, text: 'We fly to Bali on our honeymoon on 15 Jan, but the Elfstedentocht is on! Do we cancel? @OranjeAir', createdAt: new Date().toISOString() });
    const send = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', ...signIngest(SECRET, body) }, body });
      return { status: res.status, body: await res.json() };
    };
    try {
      model.delayMs = 120_000;
      const first = start();
      await until(() => first.out().includes('Kairos is running'), 30_000, 'Kairos to start');
      expect(await send()).toEqual({ status: 202, body: { stored: ['killed-1'], duplicates: [] } });
      // Killed while the model holds the card: nothing of it is in the cards yet.
      await until(() => model.requests.length > 0, 10_000, 'the model to be asked');
      first.child.kill('SIGKILL');
      await first.exited;
      const conn = new Database(db, { readonly: true });
      const n = (q: string) => (conn.prepare(q).get() as { n: number }).n;
      expect([n('SELECT COUNT(*) AS n FROM inbox'), n('SELECT COUNT(*) AS n FROM opportunities')]).toEqual([1, 0]);
      conn.close();

      model.delayMs = 0;
      model.otherwise({ type: 'json', value: { kind: 'opportunity', summary: 'A honeymoon dilemma on the day of the Elfstedentocht.', why: 'A national moment.', signals: ['dilemma'], gesture: null, reply: 'What a dilemma! Send us a DM and we will look at your flight. Congratulations!', publicPost: null, verifyFirst: [], risks: [] } });
      const second = start();
      await until(() => second.out().includes('@sanne'), 30_000, 'the card after the restart');
      expect(second.out()).toContain('A honeymoon dilemma on the day of the Elfstedentocht.');
      // Meta or a tool delivering it again: kept once, no second card.
      expect(await send()).toEqual({ status: 202, body: { stored: [], duplicates: ['killed-1'] } });
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      expect(second.out().match(/· card #\d+/g)).toEqual(['· card #1']);
    } finally {
      await model.close();
    }
  }, 90_000);
});
