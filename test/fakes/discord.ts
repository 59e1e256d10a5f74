import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A fake Discord on 127.0.0.1: the REST API paths Kairos uses plus a gateway, enough for the real discord.js
 * client to log in (GET /gateway/bot, HELLO, heartbeat ACK, IDENTIFY → READY + GUILD_CREATE). It records every
 * request, can fail message posts on demand (429 with retry_after, 503), and plays users by pushing
 * INTERACTION_CREATE dispatches.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: any;
  /** Files of a multipart request (messages and replies with attachments). */
  files?: { name: string; type: string; data: Buffer }[];
  /** performance.now() when the request arrived. */
  at: number;
}

export interface FakeMessage {
  id: string;
  channel_id: string;
  author: { id: string; username: string; discriminator: string; avatar: null; bot?: boolean };
  content: string;
  embeds: any[];
  components: any[];
  allowed_mentions?: unknown;
  nonce?: string | number;
  timestamp: string;
  edited_timestamp: string | null;
  tts: false;
  mention_everyone: false;
  mentions: [];
  mention_roles: [];
  attachments: [];
  pinned: false;
  type: 0;
  flags: number;
}

export interface FakeUser {
  id: string;
  username: string;
  roles: string[];
  permissions: string;
}

export type Failure = { status: 429; retryAfter: number } | { status: 503 } | { status: 400 };

let seq = 0n;
/** Real-looking snowflakes (17+ digits), increasing. */
export function snowflake(): string {
  seq += 1n;
  return (((BigInt(Date.now()) - 1420070400000n) << 22n) + seq).toString();
}

const SEND_MESSAGES = 1n << 11n;
const MANAGE_MESSAGES = 1n << 13n;

export class FakeDiscord {
  readonly requests: RecordedRequest[] = [];
  readonly messages = new Map<string, FakeMessage[]>();
  readonly threads: { id: string; parentId: string; messageId: string; name: string }[] = [];
  readonly commands: any[] = [];
  readonly guildId = snowflake();
  readonly channelId = snowflake();
  readonly teamRoleId = snowflake();
  readonly appId = snowflake();
  readonly botUserId = this.appId;
  readonly token = 'fake-discord-bot-token-0123456789';
  readonly users: { member: FakeUser; manager: FakeUser; outsider: FakeUser };
  /** Failures to answer the next message posts with, in order. */
  readonly failures: Failure[] = [];
  /** Delay before answering message posts (ms). */
  postDelayMs = 0;
  /** Called for every request as it arrives (benchmarks). */
  onRequest?: (r: RecordedRequest) => void;
  /** Set to simulate a crash window: the message is created but the answer never arrives (socket dropped). */
  dropNextPostAnswer = false;

  /**
   * Discord keeps a message nonce for a few minutes only: after a longer outage a post with the same nonce is a
   * new message. Forgetting them plays that, so only the bot's own recovery can keep a message once.
   */
  forgetNonces(): void {
    this.nonces.clear();
  }

  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private sequence = 0;
  private readonly nonces = new Map<string, FakeMessage>();
  private readonly waiters: { pred: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }[] = [];
  port = 0;

  private constructor() {
    const member = { id: snowflake(), username: 'anna', roles: [] as string[], permissions: String(SEND_MESSAGES) };
    member.roles = [this.teamRoleId];
    this.users = {
      member,
      manager: { id: snowflake(), username: 'mo', roles: [], permissions: String(SEND_MESSAGES | MANAGE_MESSAGES) },
      outsider: { id: snowflake(), username: 'olaf', roles: [], permissions: String(SEND_MESSAGES) },
    };
    this.server = createServer((req, res) => void this.handle(req, res));
    this.wss = new WebSocketServer({ server: this.server });
    this.wss.on('connection', (ws) => this.onSocket(ws));
  }

  static async start(): Promise<FakeDiscord> {
    const fake = new FakeDiscord();
    await new Promise<void>((r) => fake.server.listen(0, '127.0.0.1', r));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  /** The environment that points Kairos at this fake (the team role included). */
  env(): Record<string, string> {
    return {
      DISCORD_TOKEN: this.token,
      DISCORD_APPLICATION_ID: this.appId,
      DISCORD_GUILD_ID: this.guildId,
      DISCORD_CHANNEL_ID: this.channelId,
      DISCORD_TEAM_ROLE_ID: this.teamRoleId,
      DISCORD_API_URL: this.apiUrl,
    };
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  // ── what happened ────────────────────────────────────────────────────────────────────────────────────────

  channelMessages(channelId = this.channelId): FakeMessage[] {
    return this.messages.get(channelId) ?? [];
  }

  /** Successful and failed POSTs of messages to a channel. */
  messagePosts(channelId = this.channelId): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && r.path === `/v10/channels/${channelId}/messages`);
  }

  callbacks(interactionId: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && r.path.startsWith(`/v10/interactions/${interactionId}/`));
  }

  webhookCalls(token: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith(`/v10/webhooks/${this.appId}/${token}`));
  }

  /** Resolves with the first recorded request (past or future) that matches. */
  waitForRequest(pred: (r: RecordedRequest) => boolean, timeoutMs = 5000): Promise<RecordedRequest> {
    const seen = this.requests.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.findIndex((w) => w.resolve === done);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error('fake Discord: timed out waiting for a request'));
      }, timeoutMs);
      const done = (r: RecordedRequest) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.waiters.push({ pred, resolve: done });
    });
  }

  /** Waits until check() holds (it may ask the store, which answers asynchronously). */
  async waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > end) throw new Error('fake Discord: timed out waiting');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  // ── playing users ────────────────────────────────────────────────────────────────────────────────────────

  private interactionBase(user: FakeUser, type: number) {
    const id = snowflake();
    const token = `itoken-${id}`;
    return {
      id,
      token,
      payload: {
        id,
        token,
        type,
        version: 1,
        application_id: this.appId,
        guild_id: this.guildId,
        channel_id: this.channelId,
        channel: { id: this.channelId, type: 0, guild_id: this.guildId, name: 'kairos-cards' },
        member: {
          user: { id: user.id, username: user.username, global_name: user.username, discriminator: '0', avatar: null },
          roles: user.roles,
          permissions: user.permissions,
          joined_at: '2024-01-01T00:00:00.000Z',
          deaf: false,
          mute: false,
          flags: 0,
          pending: false,
        },
        app_permissions: String(SEND_MESSAGES),
        locale: 'en-US',
        guild_locale: 'en-US',
        entitlements: [],
        authorizing_integration_owners: { 0: this.guildId },
        context: 0,
        attachment_size_limit: 8_388_608,
      } as Record<string, any>,
    };
  }

  private dispatch(t: string, d: unknown): void {
    const frame = JSON.stringify({ op: 0, t, s: ++this.sequence, d });
    for (const s of this.sockets) s.send(frame);
  }

  /** A slash command. `options` are raw API options (subcommands as {type:1,name,options}). */
  command(user: FakeUser, name: string, options: any[] = []): { id: string; token: string } {
    const { id, token, payload } = this.interactionBase(user, 2);
    payload.data = { id: this.commandId(name), name, type: 1, options, guild_id: this.guildId };
    this.dispatch('INTERACTION_CREATE', payload);
    return { id, token };
  }

  autocomplete(user: FakeUser, name: string, options: any[]): { id: string; token: string } {
    const { id, token, payload } = this.interactionBase(user, 4);
    payload.data = { id: this.commandId(name), name, type: 1, options, guild_id: this.guildId };
    this.dispatch('INTERACTION_CREATE', payload);
    return { id, token };
  }

  /** A button click (or a select with `values`) on a message. */
  click(user: FakeUser, message: FakeMessage, customId: string, values?: string[]): { id: string; token: string } {
    const { id, token, payload } = this.interactionBase(user, 3);
    payload.message = message;
    payload.data = values ? { custom_id: customId, component_type: 3, values } : { custom_id: customId, component_type: 2 };
    this.dispatch('INTERACTION_CREATE', payload);
    return { id, token };
  }

  /** A malformed gateway event: a button click whose `message` field is missing (Discord has sent such). */
  clickWithoutMessage(user: FakeUser, customId: string): { id: string; token: string } {
    const { id, token, payload } = this.interactionBase(user, 3);
    payload.data = { custom_id: customId, component_type: 2 };
    this.dispatch('INTERACTION_CREATE', payload);
    return { id, token };
  }

  modalSubmit(user: FakeUser, customId: string, fields: Record<string, string>, message?: FakeMessage): { id: string; token: string } {
    const { id, token, payload } = this.interactionBase(user, 5);
    if (message) payload.message = message;
    payload.data = {
      custom_id: customId,
      components: Object.entries(fields).map(([k, v]) => ({ type: 1, components: [{ type: 4, custom_id: k, value: v }] })),
    };
    this.dispatch('INTERACTION_CREATE', payload);
    return { id, token };
  }

  /** Someone else (a person, another bot) writes in a channel: a busy channel between a crash and a restart. */
  chatter(count: number, channelId = this.channelId): void {
    const others = Array.from({ length: count }, (_, i) => ({
      ...this.makeMessage(channelId, { content: `chatter ${i}` }),
      author: { id: this.users.member.id, username: this.users.member.username, discriminator: '0', avatar: null },
    }));
    this.messages.set(channelId, [...this.channelMessages(channelId), ...others]);
  }

  /** The message an ephemeral or webhook reply would be, for clicking buttons on it. */
  replyMessage(token: string): FakeMessage | undefined {
    const calls = [...this.requests].filter(
      (r) =>
        (r.path.startsWith('/v10/interactions/') && r.path.endsWith(`/${token}/callback`)) ||
        r.path.startsWith(`/v10/webhooks/${this.appId}/${token}`),
    );
    const last = calls.reverse().find((r) => r.body && (r.body.data?.embeds || r.body.embeds || r.body.data?.components || r.body.components));
    if (!last) return undefined;
    const body = last.body.data ?? last.body;
    return this.makeMessage(this.channelId, { ...body, flags: 64 });
  }

  private commandIds = new Map<string, string>();
  private commandId(name: string): string {
    let id = this.commandIds.get(name);
    if (!id) this.commandIds.set(name, (id = snowflake()));
    return id;
  }

  // ── gateway ──────────────────────────────────────────────────────────────────────────────────────────────

  /** While true the gateway drops every connection at once (Discord unreachable); REST still answers. */
  gatewayDown = false;

  /** Drops the bot's gateway connections; with gatewayDown, it cannot connect again until that is false. */
  dropGateway(): void {
    for (const s of this.sockets) s.terminate();
  }

  private onSocket(ws: WebSocket): void {
    if (this.gatewayDown) {
      ws.terminate();
      return;
    }
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41_250 } }));
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as { op: number; d: any };
      if (msg.op === 1) ws.send(JSON.stringify({ op: 11 }));
      if (msg.op === 2) this.identify(ws);
      // RESUME after a dropped connection: the session goes on.
      if (msg.op === 6) ws.send(JSON.stringify({ op: 0, t: 'RESUMED', s: ++this.sequence, d: {} }));
    });
  }

  private identify(ws: WebSocket): void {
    const send = (t: string, d: unknown) => ws.send(JSON.stringify({ op: 0, t, s: ++this.sequence, d }));
    send('READY', {
      v: 10,
      user: { id: this.botUserId, username: 'Kairos', discriminator: '0', avatar: null, bot: true, global_name: null },
      guilds: [{ id: this.guildId, unavailable: true }],
      session_id: 'fake-session',
      resume_gateway_url: `ws://127.0.0.1:${this.port}`,
      application: { id: this.appId, flags: 0 },
      shard: [0, 1],
    });
    const role = (id: string, name: string, permissions: string, position: number) => ({
      id,
      name,
      color: 0,
      hoist: false,
      position,
      permissions,
      managed: false,
      mentionable: false,
      flags: 0,
    });
    send('GUILD_CREATE', {
      id: this.guildId,
      name: 'Oranje Air social',
      icon: null,
      owner_id: this.users.manager.id,
      joined_at: '2024-01-01T00:00:00.000Z',
      unavailable: false,
      member_count: 4,
      large: false,
      features: [],
      emojis: [],
      stickers: [],
      roles: [role(this.guildId, '@everyone', String(SEND_MESSAGES), 0), role(this.teamRoleId, 'social team', '0', 1)],
      channels: [{ id: this.channelId, type: 0, guild_id: this.guildId, name: 'kairos-cards', position: 0, permission_overwrites: [] }],
      threads: [],
      members: [
        {
          user: { id: this.botUserId, username: 'Kairos', discriminator: '0', avatar: null, bot: true },
          roles: [],
          joined_at: '2024-01-01T00:00:00.000Z',
          deaf: false,
          mute: false,
        },
      ],
      voice_states: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
      premium_tier: 0,
      system_channel_flags: 0,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      mfa_level: 0,
      nsfw_level: 0,
      preferred_locale: 'en-US',
    });
  }

  // ── REST ─────────────────────────────────────────────────────────────────────────────────────────────────

  private makeMessage(channelId: string, body: any): FakeMessage {
    return {
      id: snowflake(),
      channel_id: channelId,
      author: { id: this.botUserId, username: 'Kairos', discriminator: '0', avatar: null, bot: true },
      content: body.content ?? '',
      embeds: body.embeds ?? [],
      components: body.components ?? [],
      allowed_mentions: body.allowed_mentions,
      nonce: body.nonce,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      pinned: false,
      type: 0,
      flags: body.flags ?? 0,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${this.port}`);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const text = raw.toString('utf8');
    const type = req.headers['content-type'] ?? '';
    let body: any = null;
    let files: RecordedRequest['files'];
    if (type.startsWith('multipart/form-data')) {
      // As Discord reads it: the JSON in payload_json, every other part a file.
      const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
      files = [];
      for (const [key, value] of form.entries()) {
        if (key === 'payload_json') body = JSON.parse(String(value));
        else if (typeof value !== 'string') files.push({ name: value.name, type: value.type, data: Buffer.from(await value.arrayBuffer()) });
      }
    } else {
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = text;
      }
    }
    const path = decodeURIComponent(url.pathname).replace(/^\/api/, '');
    const rec: RecordedRequest = { method: req.method ?? 'GET', path, query: url.searchParams, body, files, at: performance.now() };
    this.requests.push(rec);
    this.onRequest?.(rec);
    for (const w of [...this.waiters]) {
      if (w.pred(rec)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(rec);
      }
    }
    const json = (status: number, data: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(data));
    };
    const m = req.method ?? 'GET';
    let match: RegExpExecArray | null;

    if (m === 'GET' && path === '/v10/gateway/bot') {
      return json(200, {
        url: `ws://127.0.0.1:${this.port}`,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
      });
    }
    if ((match = /^\/v10\/channels\/(\d+)\/messages$/.exec(path))) {
      const channelId = match[1] as string;
      if (m === 'GET') {
        const limit = Math.min(100, Number(url.searchParams.get('limit') ?? 50));
        const after = url.searchParams.get('after');
        if (after) {
          // As Discord does: the `limit` oldest messages after that id, newest first.
          const later = this.channelMessages(channelId).filter((x) => BigInt(x.id) > BigInt(after));
          return json(200, later.slice(0, limit).reverse());
        }
        return json(200, [...this.channelMessages(channelId)].reverse().slice(0, limit));
      }
      if (m === 'POST') {
        if (this.postDelayMs) await new Promise((r) => setTimeout(r, this.postDelayMs));
        const failure = this.failures.shift();
        if (failure?.status === 429) {
          return json(
            429,
            { message: 'You are being rate limited.', retry_after: failure.retryAfter / 1000, global: false },
            { 'retry-after': String(failure.retryAfter / 1000) },
          );
        }
        if (failure?.status === 503) return json(503, { message: 'Service Unavailable', code: 0 });
        if (failure?.status === 400) return json(400, { message: 'Invalid Form Body', code: 50035 });
        if (body?.enforce_nonce && body.nonce !== undefined) {
          const earlier = this.nonces.get(`${channelId}:${body.nonce}`);
          if (earlier) return json(200, earlier);
        }
        const msg = this.makeMessage(channelId, body ?? {});
        if (body?.enforce_nonce && body.nonce !== undefined) this.nonces.set(`${channelId}:${body.nonce}`, msg);
        this.messages.set(channelId, [...this.channelMessages(channelId), msg]);
        if (this.dropNextPostAnswer) {
          this.dropNextPostAnswer = false;
          req.socket.destroy();
          return;
        }
        return json(200, msg);
      }
    }
    if ((match = /^\/v10\/channels\/(\d+)\/messages\/(\d+)$/.exec(path))) {
      const msg = this.channelMessages(match[1]).find((x) => x.id === match![2]);
      if (!msg) return json(404, { message: 'Unknown Message', code: 10008 });
      if (m === 'PATCH') {
        Object.assign(msg, {
          ...(body.content !== undefined ? { content: body.content } : {}),
          ...(body.embeds ? { embeds: body.embeds } : {}),
          ...(body.components ? { components: body.components } : {}),
          allowed_mentions: body.allowed_mentions,
          edited_timestamp: new Date().toISOString(),
        });
      }
      return json(200, msg);
    }
    if (m === 'POST' && (match = /^\/v10\/channels\/(\d+)\/messages\/(\d+)\/threads$/.exec(path))) {
      const id = snowflake();
      this.threads.push({ id, parentId: match[1] as string, messageId: match[2] as string, name: body.name });
      return json(201, {
        id,
        type: 11,
        guild_id: this.guildId,
        parent_id: match[1],
        name: body.name,
        owner_id: this.botUserId,
        thread_metadata: { archived: false, auto_archive_duration: body.auto_archive_duration ?? 1440, archive_timestamp: new Date().toISOString(), locked: false },
        message_count: 0,
        member_count: 1,
        rate_limit_per_user: 0,
        flags: 0,
      });
    }
    if (m === 'POST' && /^\/v10\/interactions\/\d+\/[^/]+\/callback$/.test(path)) {
      if (url.searchParams.get('with_response') === 'true') {
        return json(200, { interaction: { id: path.split('/')[3], type: 2 }, resource: { type: body?.type } });
      }
      res.writeHead(204).end();
      return;
    }
    if ((match = /^\/v10\/webhooks\/(\d+)\/([^/]+)(\/messages\/(@original|\d+))?$/.exec(path))) {
      if (m === 'DELETE') {
        res.writeHead(204).end();
        return;
      }
      return json(200, this.makeMessage(this.channelId, body ?? {}));
    }
    if (m === 'PUT' && (match = /^\/v10\/applications\/(\d+)(\/guilds\/(\d+))?\/commands$/.exec(path))) {
      const registered = (body as any[]).map((c) => ({ ...c, id: this.commandId(c.name), application_id: this.appId, version: '1' }));
      this.commands.splice(0, this.commands.length, ...registered);
      return json(200, registered);
    }
    json(404, { message: `fake Discord: no route for ${m} ${path}`, code: 0 });
  }
}
