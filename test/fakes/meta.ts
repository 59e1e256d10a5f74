import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake of Meta's Graph API on 127.0.0.1, with the paths and answer shapes Kairos uses: read a Facebook post or
 * comment, an Instagram comment or media, an @mention through the account; reply to a Facebook comment
 * (POST /{id}/comments) or an Instagram one (POST /{id}/replies), or an @mention (POST /{ig-user}/mentions); list
 * the replies under one (for a mention, as nested fields of mentioned_comment / mentioned_media). Every call is
 * recorded with its Authorization header. Failures can be scripted: an error answer, or a reply that is stored
 * and then the connection dropped (an outcome the client cannot know).
 */

export interface GraphCall {
  method: string;
  path: string;
  query: Record<string, string>;
  form: Record<string, string>;
  authorization?: string;
}

type Failure = { match: RegExp; status: number | 'drop-after'; times: number };

export class FakeGraph {
  readonly version = 'v23.0';
  readonly objects = new Map<string, Record<string, unknown>>();
  /** Replies made, by the id they answer. */
  readonly replies = new Map<string, { id: string; message: string; from: { id: string } }[]>();
  readonly calls: GraphCall[] = [];
  private failures: Failure[] = [];
  private server?: Server;
  private seq = 0;
  url = '';

  constructor(readonly token = 'page-token-for-tests-0001', readonly pageId = '1000001', readonly igUserId = '1780001') {}

  get graphUrl(): string {
    return `${this.url}/${this.version}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((r) => {
      this.server?.closeAllConnections();
      this.server?.close(() => r());
    });
  }

  /** The next `times` calls whose "METHOD path" matches fail with `status`, or store and drop the connection. */
  fail(match: RegExp, status: number | 'drop-after', times = 1): void {
    this.failures.push({ match, status, times });
  }

  callsTo(method: string, path: RegExp): GraphCall[] {
    return this.calls.filter((c) => c.method === method && path.test(c.path));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://graph');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
    const path = u.pathname.replace(`/${this.version}/`, '');
    const call: GraphCall = { method: req.method ?? 'GET', path, query: Object.fromEntries(u.searchParams), form, authorization: req.headers.authorization };
    this.calls.push(call);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      return json(400, { error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190 } });
    }
    const failure = this.failures.find((f) => f.times > 0 && f.match.test(`${call.method} ${path}`));
    if (failure) failure.times--;
    if (failure && failure.status !== 'drop-after') return json(failure.status, { error: { message: 'An unexpected error has occurred.', type: 'OAuthException', code: 2 } });

    const [id, edge] = path.split('/');
    if (call.method === 'POST' && edge === 'mentions' && id === this.igUserId) {
      // A reply to an @mention: a comment on the media, or a reply to the comment that mentioned the account.
      if (!form.media_id || !form.message) return json(400, { error: { message: '(#100) The parameters media_id and message are required', code: 100 } });
      const target = form.comment_id ?? form.media_id;
      const reply = { id: String(18_500_000 + ++this.seq), message: form.message, from: { id: this.igUserId } };
      this.replies.set(target, [...(this.replies.get(target) ?? []), reply]);
      if (failure?.status === 'drop-after') return void req.socket.destroy();
      return json(200, { id: reply.id });
    }
    if (call.method === 'POST' && (edge === 'comments' || edge === 'replies') && id) {
      if (!form.message) return json(400, { error: { message: '(#100) The parameter message is required', code: 100 } });
      const reply = { id: `${id.split('_')[0]}_${9_000_000 + ++this.seq}`, message: form.message, from: { id: edge === 'replies' ? this.igUserId : this.pageId } };
      this.replies.set(id, [...(this.replies.get(id) ?? []), reply]);
      // Posted, but the answer never arrives.
      if (failure?.status === 'drop-after') return void req.socket.destroy();
      return json(200, { id: reply.id });
    }
    if (call.method === 'GET' && (edge === 'comments' || edge === 'replies') && id) {
      return json(200, { data: (this.replies.get(id) ?? []).map((r) => ({ id: r.id, message: r.message, text: r.message, from: r.from })) });
    }
    if (call.method === 'GET' && id && !edge) {
      const fields = u.searchParams.get('fields') ?? '';
      const mention = /^mentioned_(comment|media)\.(?:comment|media)_id\(([^)]+)\)/.exec(fields);
      if (mention) {
        const obj = this.objects.get(mention[2] as string);
        if (!obj) return json(400, { error: { message: 'Unsupported get request.', code: 100 } });
        // The replies under a mentioned comment, or the comments on a mentioned media, as nested fields (no author).
        const under = (this.replies.get(mention[2] as string) ?? []).map((r) => ({ id: r.id, text: r.message }));
        const edges = mention[1] === 'comment' ? { replies: { data: under } } : { comments: { data: under } };
        return json(200, { [`mentioned_${mention[1]}`]: { ...obj, ...edges }, id });
      }
      const obj = this.objects.get(id);
      if (!obj) return json(400, { error: { message: `Unsupported get request. Object with ID '${id}' does not exist`, code: 100 } });
      return json(200, { id, ...obj });
    }
    json(400, { error: { message: 'Unknown path components', code: 2500 } });
  }
}

/** A Page `feed` notification, as Meta sends it. */
export function pageFeed(pageId: string, values: Record<string, unknown>[], time = Math.floor(Date.now() / 1000)) {
  return { object: 'page', entry: [{ id: pageId, time, changes: values.map((value) => ({ field: 'feed', value })) }] };
}

/** An Instagram notification (`comments` or `mentions`). */
export function instagram(igUserId: string, field: 'comments' | 'mentions', value: Record<string, unknown>, time = Math.floor(Date.now() / 1000)) {
  return { object: 'instagram', entry: [{ id: igUserId, time, changes: [{ field, value }] }] };
}
