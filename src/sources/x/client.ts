import http from 'node:http';
import {
  ApiPartialResponseError,
  ApiRequestError,
  ApiResponseError,
  TwitterApi,
  type ITwitterApiClientPlugin,
  type TTweetv2Expansion,
  type TTweetv2TweetField,
  type TTweetv2UserField,
} from 'twitter-api-v2';

/**
 * twitter-api-v2 with an optional base URL (X_API_URL) and a request timeout. The library has neither option: this
 * plugin rewrites the origin of every request and stream URL (https://api.x.com/2/... → X_API_URL/2/...) and sets
 * a timeout on every plain request (the stream has its keep-alive timeout instead). A plain http.Agent lets it speak
 * HTTP to a local double. OAuth 1.0a signatures are computed after the rewrite, so they stay valid.
 */
export function xPlugin(opts: { apiUrl?: string; timeoutMs?: number }): ITwitterApiClientPlugin {
  const base = opts.apiUrl?.replace(/\/+$/, '');
  const rewrite = (raw: string): string => {
    if (!base) return raw;
    const url = new URL(raw);
    return base + url.pathname + url.search;
  };
  return {
    onBeforeRequestConfig({ params }) {
      params.url = rewrite(params.url);
      params.timeout ??= opts.timeoutMs ?? 30_000;
    },
    onBeforeStreamRequestConfig({ params }) {
      params.url = rewrite(params.url);
    },
  };
}

export type XCredentials =
  | { bearerToken: string }
  | { appKey: string; appSecret: string; accessToken: string; accessSecret: string };

export function createXClient(credentials: XCredentials, apiUrl?: string, timeoutMs?: number): TwitterApi {
  const settings = {
    plugins: [xPlugin({ apiUrl, timeoutMs })],
    ...(apiUrl?.startsWith('http:') ? { httpAgent: new http.Agent({ keepAlive: true }) } : {}),
  };
  return 'bearerToken' in credentials
    ? new TwitterApi(credentials.bearerToken, settings)
    : new TwitterApi({ ...credentials }, settings);
}

/** Fields asked of X on every read, so each Post carries author reach, metrics, language and time. */
export const TWEET_QUERY: {
  expansions: TTweetv2Expansion[];
  'tweet.fields': TTweetv2TweetField[];
  'user.fields': TTweetv2UserField[];
} = {
  expansions: ['author_id', 'referenced_tweets.id'],
  'tweet.fields': [
    'created_at',
    'lang',
    'public_metrics',
    'author_id',
    'referenced_tweets',
    'in_reply_to_user_id',
    'conversation_id',
    'note_tweet',
    'entities',
  ],
  'user.fields': ['username', 'name', 'public_metrics', 'verified', 'verified_type'],
};

/** The same fields as flat query-string values, for raw GETs. */
export const TWEET_QUERY_PARAMS: Record<string, string> = Object.fromEntries(
  Object.entries(TWEET_QUERY).map(([k, v]) => [k, v.join(',')]),
);

export type XErrorKind = 'auth' | 'rate-limit' | 'server' | 'network' | 'client';

/**
 * What went wrong in a call to X, in words safe to log: status, X's own title and detail, and when the rate
 * limit resets. Never the request (its headers carry the token).
 */
export interface XFailure {
  kind: XErrorKind;
  status?: number;
  message: string;
  /** Epoch ms when the rate-limit window resets (429s). */
  resetAt?: number;
}

export function describeXError(err: unknown): XFailure {
  if (err instanceof ApiResponseError) {
    const data = (err.data ?? {}) as { title?: string; detail?: string; reason?: string; errors?: { message?: string }[] };
    const parts = [data.title, data.detail, data.reason, data.errors?.[0]?.message].filter(Boolean);
    const message = `X answered ${err.code}${parts.length ? `: ${[...new Set(parts)].join(' — ')}` : ''}`.slice(0, 400);
    const reset = err.rateLimit?.reset ?? Number(err.headers?.['x-rate-limit-reset']);
    const resetAt = Number.isFinite(reset) && reset > 0 ? reset * 1000 : undefined;
    const kind: XErrorKind =
      err.code === 401 || err.code === 403
        ? 'auth'
        : err.code === 429
          ? 'rate-limit'
          : err.code >= 500
            ? 'server'
            : 'client';
    return { kind, status: err.code, message, resetAt };
  }
  if (err instanceof ApiRequestError) return { kind: 'network', message: `request to X failed: ${err.requestError?.message ?? err.message}` };
  if (err instanceof ApiPartialResponseError) return { kind: 'network', message: err.message };
  return { kind: 'network', message: err instanceof Error ? err.message : String(err) };
}

export interface BackoffOptions {
  /** First wait after a 5xx or a network error; doubles each time. */
  baseMs: number;
  maxMs: number;
  /** Added to a rate-limit reset, for clock skew. */
  resetMarginMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 5_000, maxMs: 5 * 60_000, resetMarginMs: 1_000 };

/** How long to wait before trying again after a failure (attempt counts from 1). */
export function retryDelayMs(failure: XFailure, attempt: number, opts: BackoffOptions, now = Date.now()): number {
  if (failure.kind === 'rate-limit') {
    // No reset header: wait a full window (15 minutes) at most, the backoff at least.
    if (failure.resetAt === undefined) return Math.min(15 * 60_000, Math.max(opts.baseMs, opts.maxMs));
    return Math.max(0, failure.resetAt - now) + opts.resetMarginMs;
  }
  return Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 20)));
}

/** Numeric comparison of X ids (snowflakes exceed 2^53). */
export function newerId(a: string, b: string | null): boolean {
  if (b === null) return true;
  if (a.length !== b.length) return a.length > b.length;
  return a > b;
}

/** A sleep that ends early (without throwing) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
