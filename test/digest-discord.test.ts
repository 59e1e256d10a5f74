import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMomentMessage, DiscordDigestSender } from '../src/discord/digest-sender';

/** A minimal stand-in for Discord's create-message endpoint that keeps what it was sent. */
let server: Server;
let base = '';
const received: { path: string; type: string; body: Buffer }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', type: String(req.headers['content-type']), body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: String(1500000000000000000n + BigInt(received.length)), channel_id: '1', embeds: [] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('Discord digest sender', () => {
  it('posts the digest to its channel with the chart attached, pinging nobody', async () => {
    const sender = new DiscordDigestSender({ token: 'x'.repeat(30), channelId: '1300000000000000009', apiUrl: base });
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const { messageId } = await sender.sendDigest(
      { content: 'Daily digest', embeds: [{ title: 'Digest', image: { url: 'attachment://digest-2026-03-02.png' } }], allowed_mentions: { parse: [] }, chartName: 'digest-2026-03-02.png' },
      png,
    );
    expect(messageId).toMatch(/^\d+$/);
    const req = received.at(-1)!;
    expect(req.path).toBe('/api/v10/channels/1300000000000000009/messages');
    expect(req.type).toMatch(/^multipart\/form-data/);
    const text = req.body.toString('latin1');
    const json = JSON.parse(/name="payload_json"\r\n(?:Content-Type: application\/json\r\n)?\r\n(.*)\r\n/.exec(text)![1]!);
    expect(json.allowed_mentions).toEqual({ parse: [] });
    expect(json.attachments).toEqual([{ id: 0, filename: 'digest-2026-03-02.png' }]);
    expect(json.chartName).toBeUndefined();
    expect(text).toContain('filename="digest-2026-03-02.png"');
    expect(req.body.includes(png)).toBe(true);
  });

  it('posts a moment card that shows the stories apart and cannot ping', async () => {
    const moment = {
      term: 'elfstedentocht', source: 'surge' as const, at: '2026-02-01T10:00:00.000Z', nowPerHour: 40, baselinePerHour: 2,
      ratio: 13, authors: 9, windowMinutes: 10,
      samples: [
        { text: '@everyone it giet oan', author: 'fan1', createdAt: '2026-02-01T09:59:00Z', kind: 'noise' as const },
        { text: 'Honeymoon or the tocht?', author: 'bride', createdAt: '2026-02-01T09:58:00Z', kind: 'opportunity' as const },
      ],
    };
    const msg = buildMomentMessage(moment);
    expect(msg.allowed_mentions).toEqual({ parse: [] });
    expect(msg.embeds[0]!.fields!.map((f) => f.name)).toEqual(['Brand stories riding it', 'What people say']);
    expect(JSON.stringify(msg)).not.toContain('@everyone');
    const sender = new DiscordDigestSender({ token: 'x'.repeat(30), channelId: '1', momentChannelId: '1300000000000000008', apiUrl: base });
    const ref = await sender.sendMoment(moment);
    expect(ref.channelId).toBe('1300000000000000008');
    expect(received.at(-1)!.path).toBe('/api/v10/channels/1300000000000000008/messages');
  });
});
