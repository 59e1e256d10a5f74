/**
 * The brand's Mastodon instance's REST API (MASTODON_URL) with the brand account's token, for the source's reads and
 * the replies. The token goes in the Authorization header only, so no URL, log line or error carries it.
 */

export class MastodonError extends Error {
  constructor(
    message: string,
    /** The HTTP status; undefined when no answer came (timeout, connection refused). */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'MastodonError';
  }
}

export class MastodonApi {
  readonly base: string;
  readonly host: string;

  constructor(private readonly opts: { url: string; token: string; timeoutMs?: number }) {
    this.base = opts.url.replace(/\/+$/, '');
    this.host = new URL(this.base).host;
  }

  get(path: string, params: Record<string, string> = {}): Promise<unknown> {
    return this.call('GET', `${path}${Object.keys(params).length ? `?${new URLSearchParams(params)}` : ''}`);
  }

  /** A JSON POST; extra headers (an Idempotency-Key) go with it. */
  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<unknown> {
    return this.call('POST', path, body, headers);
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.opts.token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
      });
    } catch (err) {
      throw new MastodonError(`no answer from ${this.host} (${this.scrub((err as Error).message)})`);
    }
    if (!res.ok) {
      const answer = (await res.json().catch(() => ({}))) as { error?: unknown };
      const why = typeof answer.error === 'string' ? ` (${this.scrub(answer.error).slice(0, 200)})` : '';
      throw new MastodonError(`${this.host} answered ${res.status} to ${method} ${path.split('?')[0]}${why}`, res.status);
    }
    return res.json().catch(() => {
      throw new MastodonError(`${this.host} answered ${res.status} to ${method} ${path.split('?')[0]} with something that is not JSON`, res.status >= 500 ? res.status : 502);
    });
  }

  private scrub(s: string): string {
    return s.split(this.opts.token).join('[secret]');
  }
}
