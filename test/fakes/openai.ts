import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A scriptable OpenAI-compatible server on 127.0.0.1 (POST /v1/chat/completions), so the real openai SDK runs
 * over real HTTP in tests and benchmarks. Each request takes the next scripted behaviour (or the default), and
 * is recorded as received, so tests can assert what left the machine.
 */

export type Behaviour =
  | { type: 'json'; value: unknown; usage?: { prompt: number; completion: number } }
  | { type: 'content'; content: string }
  | { type: 'refusal'; refusal: string }
  | { type: 'length' }
  | { type: 'status'; status: number; body?: unknown }
  | { type: 'hang' };

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: {
    model?: string;
    messages?: { role: string; content: string }[];
    response_format?: { type: string; json_schema?: { name: string; strict?: boolean; schema: unknown } };
    [k: string]: unknown;
  };
  raw: string;
}

export type Script = Behaviour | ((req: RecordedRequest) => Behaviour);

export class FakeOpenAI {
  readonly requests: RecordedRequest[] = [];
  private queue: Script[] = [];
  private fallback: Script = { type: 'status', status: 500, body: { error: { message: 'no behaviour scripted' } } };
  private server: Server | undefined;
  private readonly hanging = new Set<ServerResponse>();
  baseURL = '';
  /** How long each answer takes (a slow model). */
  delayMs = 0;
  /** Answers sent so far (a request still waiting on delayMs is not one yet). */
  answered = 0;

  /** Number of chat completion requests received (every SDK retry counts). */
  get calls(): number {
    return this.requests.length;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseURL = `http://127.0.0.1:${port}/v1`;
    return this;
  }

  /** The behaviours of the next requests, in order. */
  script(...behaviours: Script[]): this {
    this.queue.push(...behaviours);
    return this;
  }

  /** What every request gets once the script is used up. */
  otherwise(behaviour: Script): this {
    this.fallback = behaviour;
    return this;
  }

  reset(): void {
    this.queue = [];
    this.requests.length = 0;
    this.delayMs = 0;
    this.answered = 0;
    this.fallback = { type: 'status', status: 500, body: { error: { message: 'no behaviour scripted' } } };
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    let body: RecordedRequest['body'] = {};
    try {
      body = JSON.parse(raw);
    } catch {
      /* recorded as raw */
    }
    const recorded: RecordedRequest = { path: req.url, headers: req.headers, body, raw };
    this.requests.push(recorded);
    const script = this.queue.shift() ?? this.fallback;
    const b = typeof script === 'function' ? script(recorded) : script;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (res.destroyed) return;
    this.respond(b, body.model ?? 'fake-model', res);
    if (b.type !== 'hang') this.answered++;
  }

  private respond(b: Behaviour, model: string, res: ServerResponse): void {
    if (b.type === 'hang') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    if (b.type === 'status') {
      // retry-after-ms keeps the SDK's backoff short in tests.
      res
        .writeHead(b.status, { 'content-type': 'application/json', 'retry-after-ms': '5' })
        .end(JSON.stringify(b.body ?? { error: { message: `status ${b.status}`, type: 'server_error' } }));
      return;
    }
    const message: Record<string, unknown> = { role: 'assistant', content: null, refusal: null };
    let finish = 'stop';
    let usage = { prompt: 420, completion: 180 };
    if (b.type === 'json') {
      message.content = JSON.stringify(b.value);
      usage = b.usage ?? usage;
    } else if (b.type === 'content') message.content = b.content;
    else if (b.type === 'refusal') message.refusal = b.refusal;
    else if (b.type === 'length') {
      message.content = '{"summary": "cut';
      finish = 'length';
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id: `chatcmpl-${this.requests.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
        usage: {
          prompt_tokens: usage.prompt,
          completion_tokens: usage.completion,
          total_tokens: usage.prompt + usage.completion,
        },
      }),
    );
  }
}
