import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_STREAM, main } from '../src/main';
import { FakeDiscord } from './fakes/discord';

/** /healthz and /metrics on KAIROS_HTTP_PORT, with the bot running against the fake Discord. */
let fake: FakeDiscord;
let dir: string;
let port: number;
let running: Promise<number>;
let out = '';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function until(what: string, done: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const get = async (path: string) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`).catch(() => null);
  return res ? { status: res.status, text: await res.text() } : { status: 0, text: '' };
};

beforeAll(async () => {
  fake = await FakeDiscord.start();
  dir = mkdtempSync(join(tmpdir(), 'kairos-http-'));
  port = await freePort();
  // Two cards meet a 503 first: counted as failed attempts, then delivered.
  fake.failures.push({ status: 503 }, { status: 503 });
  const stream = new PassThrough();
  stream.setEncoding('utf8').on('data', (d: string) => (out += d));
  running = main({ LOG_LEVEL: 'silent', KAIROS_DB: join(dir, 'k.db'), KAIROS_REPLAY_FILE: DEMO_STREAM, KAIROS_HTTP_PORT: String(port), ...fake.env() }, stream);
  await until('the replay', () => /Cards: \d+ new/.test(out));
});
afterAll(async () => {
  process.emit('SIGTERM');
  await running;
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('health and metrics', () => {
  it('/healthz is 200 once the store is open and Discord connected, and says so per check', async () => {
    await until('ready', async () => (await get('/healthz')).status === 200);
    expect(JSON.parse((await get('/healthz')).text)).toEqual({ status: 'ok', checks: { store: 'ok', discord: 'ok' } });
  });

  it('/healthz is 503 naming Discord while the gateway is unreachable, and 200 again once it is back', async () => {
    fake.gatewayDown = true;
    fake.dropGateway();
    await until('not ready', async () => (await get('/healthz')).status === 503);
    const body = JSON.parse((await get('/healthz')).text);
    expect(body.status).toBe('not ready');
    expect(body.checks).toEqual({ store: 'ok', discord: 'not connected to the Discord gateway' });
    fake.gatewayDown = false;
    await until('ready again', async () => (await get('/healthz')).status === 200, 60_000);
  }, 90_000);

  it('/metrics counts posts by source and kind, cards, the outbox and failed deliveries, in the Prometheus format', async () => {
    await until('the outbox drained', async () => /kairos_outbox_depth\{queue="cards",sink="discord"\} 0|^(?![\s\S]*kairos_outbox_depth\{queue="cards")/.test((await get('/metrics')).text));
    const { status, text } = await get('/metrics');
    expect(status).toBe(200);
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    const read = ['opportunity', 'risk', 'service', 'noise'].reduce((n, kind) => n + (value(`kairos_posts_read_total{source="replay",kind="${kind}"}`) || 0), 0);
    expect(read).toBe(Number(/Posts read: (\d+)/.exec(out)![1]));
    const cards = Number(/Cards: (\d+) new/.exec(out)![1]);
    expect((value('kairos_cards_total{kind="opportunity"}') || 0) + (value('kairos_cards_total{kind="risk"}') || 0)).toBe(cards);
    // The two 503s met whichever posts came first: cards or the moment card.
    const failed = ['cards', 'messages'].reduce((n, q) => n + (value(`kairos_deliveries_failed_total{queue="${q}",sink="discord",permanent="false"}`) || 0), 0);
    expect(failed).toBe(2);
    expect(text).toContain('# TYPE kairos_outbox_oldest_age_seconds gauge');
    expect(text).toContain('# TYPE kairos_model_calls_total counter');
    expect(text).toContain('kairos_process_resident_memory_bytes');
  });

  it('anything else is a 404', async () => {
    expect((await get('/nothing')).status).toBe(404);
  });
});
