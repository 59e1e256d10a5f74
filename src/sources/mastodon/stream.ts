import WebSocket from 'ws';
import { z } from 'zod';
import type { Config } from '../../config';
import type { CursorStore, PostStore, WatchStore } from '../../domain/ports';
import type { Logger } from '../../log';
import type { Emit, Source } from '../source';
import { DEFAULT_BACKOFF, newerId, sleep, type BackoffOptions } from '../x/client';
import { PostDelivery } from '../x/delivery';
import type { SourceState } from '../x/stream';
import { MastodonApi, MastodonError } from './api';
import { hashtagOf, normaliseStatus, StatusSchema, type Status } from './normalise';

export { MastodonError };

const Account = z.object({ id: z.string(), acct: z.string() }).loose();
const Notification = z.object({ id: z.string(), type: z.string(), status: StatusSchema.nullable().optional() }).loose();
const StreamEvent = z.object({ stream: z.array(z.string()).optional(), event: z.string(), payload: z.string().optional() });

export interface MastodonOptions {
  /** The brand's instance (MASTODON_URL), e.g. https://mastodon.social. */
  url: string;
  /** The brand account's access token (read:statuses, read:notifications; write:statuses to reply). */
  token: string;
  brand: Config['brand'];
  store: Pick<PostStore, 'hasPost'> & CursorStore & Pick<WatchStore, 'listWatch'>;
  log: Logger;
  backoff?: BackoffOptions;
  pingMs?: number;
  /** Pages of 40 fetched at most per timeline after a drop. */
  gapMaxPages?: number;
  timeoutMs?: number;
}

type Origin = { kind: 'notifications' } | { kind: 'tag'; tag: string };

/**
 * Mastodon (MASTODON_URL + MASTODON_TOKEN): the streaming API's notifications (mentions of the brand) and one
 * hashtag stream per brand term and /watch term, over one WebSocket. On every (re)connection the live events are
 * held while what was missed is fetched with since_id from the notifications and tag timelines, then released:
 * no gaps, no repeats. A 401 stops only this source, with the setting to check.
 */
export class MastodonSource implements Source {
  readonly name = 'mastodon';
  status: SourceState = { state: 'idle' };
  connected = false;
  reconnects = 0;
  private connections = 0;
  private delivery?: PostDelivery;
  private socket?: WebSocket;
  private serial: Promise<void> = Promise.resolve();
  private holding = true;
  private buffer: { status: Status; origin: Origin; id: string }[] = [];
  private meId?: string;
  private readonly base: string;
  readonly host: string;
  private readonly rest: MastodonApi;
  private readonly abort = new AbortController();

  constructor(private readonly opts: MastodonOptions) {
    this.rest = new MastodonApi(opts);
    this.base = this.rest.base;
    this.host = this.rest.host;
  }

  get emitted(): number {
    return this.delivery?.emitted ?? 0;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted || this.status.state === 'failed';
  }

  health(): string | null {
    if (this.status.state === 'failed') return `stopped: ${this.status.reason}`;
    if (this.status.state !== 'running') return this.status.state;
    return this.connected ? null : 'not connected to the Mastodon streaming API';
  }

  async start(emit: Emit): Promise<void> {
    const backoff = this.opts.backoff ?? DEFAULT_BACKOFF;
    this.delivery = new PostDelivery(this.opts.store, 'mastodon', emit, this.opts.log, 20_000, false);
    this.status = { state: 'running' };
    for (let attempt = 1; !this.stopped; ) {
      try {
        this.meId ??= Account.parse(await this.api('/api/v1/accounts/verify_credentials')).id;
        const tags = await this.tags();
        const { messages } = await this.connect(tags);
        attempt = messages > 0 ? 1 : attempt + 1;
      } catch (err) {
        if (err instanceof MastodonError && (err.status === 401 || err.status === 403)) {
          this.fail(`${err.message}; check MASTODON_TOKEN (revoked or mistyped) and its read scopes`);
          break;
        }
        this.opts.log.warn({ error: (err as Error).message }, 'Mastodon: request failed');
        attempt++;
      }
      await this.idle();
      if (this.stopped) break;
      const wait = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(attempt - 1, 20));
      this.opts.log.warn({ retryInMs: wait }, 'Mastodon stream closed; reconnecting');
      await sleep(wait, this.abort.signal);
    }
    await this.idle();
  }

  async stop(): Promise<void> {
    if (this.status.state === 'running' || this.status.state === 'idle') this.status = { state: 'stopped' };
    this.abort.abort();
    this.socket?.close();
    await this.idle();
  }

  async idle(): Promise<void> {
    let last: Promise<void> | undefined;
    while (last !== this.serial) {
      last = this.serial;
      await last;
    }
  }

  private fail(reason: string): void {
    const full = `Mastodon source stopped: ${reason}. The rest of Kairos keeps running.`;
    this.status = { state: 'failed', reason: full };
    this.opts.log.error(full);
    this.abort.abort();
    this.socket?.terminate();
  }

  /** The brand's terms and the /watch terms, as hashtags. */
  private async tags(): Promise<string[]> {
    const watch = (await this.opts.store.listWatch()).map((w) => w.term);
    return [...new Set([...this.opts.brand.terms, ...this.opts.brand.handles, ...watch].map(hashtagOf).filter((t): t is string => t !== null))];
  }

  private enqueue(task: () => Promise<void>): void {
    this.serial = this.serial.then(task).catch((err: unknown) => {
      if (err instanceof MastodonError && err.status === 401) return this.fail(`${err.message}; check MASTODON_TOKEN`);
      this.opts.log.error({ error: (err as Error).message }, 'Mastodon handling failed');
    });
  }

  private connect(tags: string[]): Promise<{ messages: number }> {
    return new Promise((resolve) => {
      let messages = 0;
      let alive = true;
      const url = `${this.base.replace(/^http/, 'ws')}/api/v1/streaming`;
      const ws = new WebSocket(url, { headers: { authorization: `Bearer ${this.opts.token}` }, handshakeTimeout: 15_000 });
      this.socket = ws;
      this.holding = true;
      const ping = setInterval(() => {
        if (!alive) return void ws.terminate();
        alive = false;
        if (ws.readyState === WebSocket.OPEN) ws.ping();
      }, this.opts.pingMs ?? 30_000);
      ws.on('open', () => {
        this.connected = true;
        if (this.connections++ > 0) this.reconnects++;
        ws.send(JSON.stringify({ type: 'subscribe', stream: 'user:notification' }));
        for (const tag of tags) ws.send(JSON.stringify({ type: 'subscribe', stream: 'hashtag', tag }));
        this.opts.log.info({ tags }, 'Mastodon stream connected; fetching what was missed before resuming');
        this.enqueue(async () => {
          await this.fillGap(tags);
          if (this.stopped) return;
          this.holding = false;
          const held = this.buffer;
          this.buffer = [];
          for (const h of held) await this.deliver(h.status, h.origin, h.id);
        });
      });
      ws.on('pong', () => (alive = true));
      ws.on('message', (data) => {
        alive = true;
        messages++;
        this.onMessage(data.toString());
      });
      ws.on('unexpected-response', (_req, res) => {
        if (res.statusCode === 401) this.fail('the streaming API answered 401; check MASTODON_TOKEN');
        else this.opts.log.warn({ status: res.statusCode }, 'Mastodon streaming API refused the connection');
        ws.terminate();
      });
      ws.on('error', (err) => {
        if (!this.stopped) this.opts.log.warn({ error: err.message }, 'Mastodon stream error');
      });
      ws.on('close', () => {
        this.connected = false;
        clearInterval(ping);
        resolve({ messages });
      });
    });
  }

  private onMessage(raw: string): void {
    let event: z.infer<typeof StreamEvent>;
    let payload: unknown;
    try {
      event = StreamEvent.parse(JSON.parse(raw));
      if (event.event !== 'notification' && event.event !== 'update') return;
      payload = JSON.parse(event.payload ?? 'null');
    } catch {
      this.opts.log.debug('Mastodon: an event that is not valid JSON was skipped');
      return;
    }
    let item: { status: Status; origin: Origin; id: string } | null = null;
    if (event.event === 'notification') {
      const n = Notification.safeParse(payload);
      if (n.success && n.data.type === 'mention' && n.data.status) item = { status: n.data.status, origin: { kind: 'notifications' }, id: n.data.id };
    } else {
      const s = StatusSchema.safeParse(payload);
      const tag = event.stream?.[0] === 'hashtag' ? event.stream[1] : undefined;
      if (s.success && tag) item = { status: s.data, origin: { kind: 'tag', tag: tag.toLowerCase() }, id: s.data.id };
    }
    if (!item) return;
    if (this.holding) this.buffer.push(item);
    else {
      const it = item;
      this.enqueue(() => this.deliver(it.status, it.origin, it.id));
    }
  }

  private cursorKey(origin: Origin): string {
    return origin.kind === 'notifications' ? 'mastodon:notifications' : `mastodon:tag:${origin.tag}`;
  }

  private async deliver(status: Status, origin: Origin, id: string): Promise<void> {
    if (status.reblog || status.account.id === this.meId) return this.advance(origin, id);
    if (status.visibility === 'direct') return this.advance(origin, id);
    const n = normaliseStatus(status, this.host);
    if (!n.ok) this.opts.log.warn({ status: status.id, error: n.error }, 'Mastodon status could not be read; skipped');
    else await this.delivery!.deliver(n.post);
    await this.advance(origin, id);
  }

  private async advance(origin: Origin, id: string): Promise<void> {
    const key = this.cursorKey(origin);
    if (newerId(id, await this.opts.store.getCursor(key))) await this.opts.store.setCursor(key, id);
  }

  /** What each timeline got since its cursor, oldest first; a timeline without a cursor starts at its newest item. */
  private async fillGap(tags: string[]): Promise<void> {
    const timelines: { origin: Origin; path: string; params: Record<string, string> }[] = [
      { origin: { kind: 'notifications' }, path: '/api/v1/notifications', params: { 'types[]': 'mention' } },
      ...tags.map((tag) => ({ origin: { kind: 'tag', tag } as Origin, path: `/api/v1/timelines/tag/${encodeURIComponent(tag)}`, params: {} })),
    ];
    for (const t of timelines) {
      if (this.stopped) return;
      const cursor = await this.opts.store.getCursor(this.cursorKey(t.origin));
      if (!cursor) {
        // First run: nothing is "missed" yet; remember where the timeline stands now.
        const newest = z.array(z.object({ id: z.string() }).loose()).parse(await this.api(t.path, { ...t.params, limit: '1' }));
        // An empty timeline: everything that comes later is new (since_id 0).
        await this.opts.store.setCursor(this.cursorKey(t.origin), newest[0]?.id ?? '0');
        continue;
      }
      const found: { status: Status; id: string }[] = [];
      let maxId: string | undefined;
      for (let page = 0; page < (this.opts.gapMaxPages ?? 25); page++) {
        const items = z.array(z.unknown()).parse(await this.api(t.path, { ...t.params, since_id: cursor, limit: '40', ...(maxId ? { max_id: maxId } : {}) }));
        for (const raw of items) {
          if (t.origin.kind === 'notifications') {
            const n = Notification.safeParse(raw);
            if (n.success && n.data.type === 'mention' && n.data.status) found.push({ status: n.data.status, id: n.data.id });
          } else {
            const s = StatusSchema.safeParse(raw);
            if (s.success) found.push({ status: s.data, id: s.data.id });
          }
        }
        const ids = items.map((i) => (i as { id?: string }).id).filter((x): x is string => typeof x === 'string');
        if (ids.length < 40) break;
        maxId = ids.reduce((a, b) => (newerId(a, b) ? b : a));
      }
      found.sort((a, b) => (newerId(a.id, b.id) ? 1 : newerId(b.id, a.id) ? -1 : 0));
      for (const f of found) await this.deliver(f.status, t.origin, f.id);
      if (found.length) this.opts.log.info({ timeline: this.cursorKey(t.origin), found: found.length }, 'Mastodon: fetched what was missed');
    }
  }

  private api(path: string, params: Record<string, string> = {}): Promise<unknown> {
    return this.rest.get(path, params);
  }
}
