import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signIngest } from '../src/ingress/signature';
import { ROOT } from './support/cli';
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
    const child = spawn('node_modules/.bin/tsx', ['src/main.ts'], {
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
});
