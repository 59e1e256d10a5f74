/**
 * A small client for Meta's Graph API (META_GRAPH_URL, with its version): reads of comments and media, and replies.
 * The Page token goes in the Authorization header, never in a URL, so no log line or error can carry it.
 */

export class GraphError extends Error {
  constructor(
    message: string,
    /** The HTTP status, or 0 when no answer came (timeout, connection refused). */
    readonly status: number,
    /** Graph's error code (e.g. 190 for an expired token), when it gave one. */
    readonly code?: number,
  ) {
    super(message);
    this.name = 'GraphError';
  }

  /** No answer: a write may have happened. */
  get uncertain(): boolean {
    return this.status === 0 || this.status >= 500;
  }
}

export interface GraphOptions {
  baseUrl: string;
  token: string;
  timeoutMs?: number;
}

export class GraphClient {
  constructor(private readonly opts: GraphOptions) {}

  get<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    return this.call<T>('GET', path, params);
  }

  post<T>(path: string, params: Record<string, string>): Promise<T> {
    return this.call<T>('POST', path, params);
  }

  private async call<T>(method: 'GET' | 'POST', path: string, params: Record<string, string>): Promise<T> {
    const url = new URL(`${this.opts.baseUrl}/${path.replace(/^\/+/, '')}`);
    const form = new URLSearchParams(params);
    if (method === 'GET') for (const [k, v] of form) url.searchParams.set(k, v);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.opts.token}`, ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        body: method === 'POST' ? form.toString() : undefined,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new GraphError(`no answer from the Graph API (${this.scrub((err as Error).message)})`, 0);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      throw new GraphError(`the Graph API answered ${res.status} with something that is not JSON`, res.status);
    }
    if (!res.ok) {
      const e = (body as { error?: { message?: unknown; code?: unknown } }).error;
      const message = typeof e?.message === 'string' ? this.scrub(e.message).slice(0, 300) : `HTTP ${res.status}`;
      throw new GraphError(`the Graph API refused ${method} ${path.split('/')[0]}…: ${message}`, res.status, typeof e?.code === 'number' ? e.code : undefined);
    }
    return body as T;
  }

  private scrub(s: string): string {
    return this.opts.token ? s.split(this.opts.token).join('[secret]') : s;
  }
}
