import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BrandPackError, DEMO_BRAND_DIR, loadBrandSettings } from './analyse/brand-pack';
import type { LlmSettings } from './analyse/llm';
import { BrandIdSchema, DEFAULT_BRAND } from './domain/brand';
import { z } from 'zod';

/**
 * Every setting Kairos reads from the environment, parsed once at start-up. A wrong value stops start-up with
 * a message that names the variable and what it expects; a secret's value is never repeated in that message.
 */

const SECRET_NAMES = new Set([
  'DISCORD_TOKEN',
  'X_BEARER_TOKEN',
  'X_APP_KEY',
  'X_APP_SECRET',
  'X_ACCESS_TOKEN',
  'X_ACCESS_SECRET',
  'OPENAI_API_KEY',
  'KAIROS_WEBHOOK_SECRET',
  'META_APP_SECRET',
  'META_VERIFY_TOKEN',
  'META_PAGE_TOKEN',
  'BLUESKY_APP_PASSWORD',
  'MASTODON_TOKEN',
]);

const snowflake = z.string().regex(/^\d{17,20}$/, 'a Discord id (17 to 20 digits)');
const list = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const httpUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL' });
const wsUrl = z.url({ protocol: /^wss?$/, error: 'a ws(s) URL' });
const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'an IANA time zone such as Europe/Amsterdam');

/** Meta's Graph API, with the version Kairos is written against. */
export const META_GRAPH_DEFAULT = 'https://graph.facebook.com/v23.0';

/** The embedded demo's brand: with this name (or none) and no KAIROS_BRAND_DIR, its pack is used. */
const DEMO_BRAND_NAME = 'Oranje Air';

const EnvSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),

  KAIROS_DB: z.string().default('./data/kairos.db').superRefine((p, ctx) => {
    const problem = dbPathProblem(p);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  DATABASE_URL: z
    .string()
    .refine((u) => {
      try {
        const url = new URL(u);
        return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
      } catch {
        return false;
      }
    }, 'a PostgreSQL URL such as postgres://user:password@host:5432/kairos')
    .optional(),
  KAIROS_REPLAY_FILE: z.string().refine((p) => p === '-' || existsSync(p), 'a path to an existing JSON-lines file, or - for stdin').optional(),
  KAIROS_EVENTS_FILE: z.string().refine((p) => existsSync(p), 'a path to an existing events file').optional(),
  KAIROS_HTTP_PORT: int(0, 65_535).optional(),
  KAIROS_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  KAIROS_WEBHOOK_SECRET: z.string().min(16, 'a shared secret of at least 16 characters').optional(),

  KAIROS_BRAND_DIR: z.string().min(1).optional(),
  KAIROS_BRAND_ID: BrandIdSchema.default(DEFAULT_BRAND),
  BRAND_NAME: z.string().min(1).max(64).optional(),
  BRAND_HANDLES: list.optional(),
  BRAND_TERMS: list.optional(),
  BRAND_LANGUAGES: list
    .pipe(z.array(z.string().regex(/^[a-z]{2,3}$/, 'language codes such as en,nl')).min(1, 'at least one language code'))
    .optional(),
  BRAND_BILINGUAL_POST: bool.optional(),

  DISCORD_TOKEN: z.string().min(20, 'a bot token').optional(),
  DISCORD_APPLICATION_ID: snowflake.optional(),
  DISCORD_GUILD_ID: snowflake.optional(),
  DISCORD_CHANNEL_ID: snowflake.optional(),
  DISCORD_DIGEST_CHANNEL_ID: snowflake.optional(),
  DISCORD_TEAM_ROLE_ID: snowflake.optional(),
  DISCORD_API_URL: httpUrl.optional(),

  X_MODE: z.enum(['off', 'stream', 'poll']).default('off'),
  X_BEARER_TOKEN: z.string().min(10, 'an app-only bearer token').optional(),
  X_API_URL: httpUrl.optional(),
  X_BRAND_USER_ID: z.string().regex(/^\d+$/, 'a numeric X user id').optional(),
  X_POLL_INTERVAL_SECONDS: int(15, 3600).default(60),
  X_POST_REPLIES: bool.default(false),
  X_MAX_READS_PER_DAY: int(1, 10_000_000).optional(),
  X_COST_PER_READ_USD: z.coerce.number().min(0).max(10).default(0.005),
  X_COST_PER_USER_READ_USD: z.coerce.number().min(0).max(10).default(0.01),
  X_APP_KEY: z.string().min(1).optional(),
  X_APP_SECRET: z.string().min(1).optional(),
  X_ACCESS_TOKEN: z.string().min(1).optional(),
  X_ACCESS_SECRET: z.string().min(1).optional(),

  META_APP_SECRET: z.string().min(8, "the Meta app's secret (App settings → Basic)").optional(),
  META_VERIFY_TOKEN: z.string().min(8, 'a verify token of at least 8 characters, the one typed into the webhook settings').optional(),
  META_PAGE_ID: z.string().regex(/^\d+$/, "the Page's numeric id").optional(),
  META_PAGE_TOKEN: z.string().min(20, 'a Page access token').optional(),
  META_IG_USER_ID: z.string().regex(/^\d+$/, 'the numeric id of the Instagram professional account').optional(),
  META_GRAPH_URL: httpUrl.default(META_GRAPH_DEFAULT),
  META_POST_REPLIES: bool.default(false),
  BLUESKY_MODE: z.enum(['off', 'jetstream']).default('off'),
  BLUESKY_HANDLE: z
    .string()
    .regex(/^@?[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)+$/, 'a Bluesky handle such as oranjeair.bsky.social')
    .transform((h) => h.replace(/^@/, '').toLowerCase())
    .optional(),
  BLUESKY_JETSTREAM_URL: wsUrl.default('wss://jetstream2.us-east.bsky.network/subscribe'),
  BLUESKY_API_URL: httpUrl.default('https://public.api.bsky.app'),
  BLUESKY_REPLAY_WINDOW_HOURS: int(1, 24 * 30).default(24),
  BLUESKY_APP_PASSWORD: z
    .string()
    .regex(/^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/, "an app password (xxxx-xxxx-xxxx-xxxx, made in Bluesky's Settings → Privacy and security → App passwords), never the account's own password")
    .optional(),
  BLUESKY_PDS_URL: httpUrl.default('https://bsky.social'),

  MASTODON_URL: httpUrl.optional(),
  MASTODON_TOKEN: z.string().min(8, 'an access token of the brand account').optional(),
  MASTODON_POST_REPLIES: bool.default(false),

  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: httpUrl.optional(),
  OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),
  OPENAI_TIMEOUT_MS: int(1000, 300_000).default(20_000),
  OPENAI_MAX_RETRIES: int(0, 10).default(2),
  LLM_MIN_SCORE: z.coerce.number().min(0).max(1).default(0.3),
  LLM_MAX_CALLS_PER_HOUR: int(0, 100_000).default(60),
  LLM_MAX_CALLS_PER_DAY: int(0, 1_000_000).default(500),
  LLM_REDACT: bool.default(true),

  TZ: timeZone.default('Europe/Amsterdam'),
  DIGEST_TIME: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM (24 h)')
    .default('09:00'),
  KAIROS_CARDS: z.enum(['all', 'clear']).default('all'),
  KAIROS_LEARN_AT: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM (24 h, in TZ), or unset to leave the nightly learn off')
    .optional(),
});

export type Config = Readonly<{
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  logFormat: z.infer<typeof EnvSchema>['LOG_FORMAT'];
  /** The SQLite file (the embedded default), used when no databaseUrl is set. */
  dbPath: string;
  /** A shared PostgreSQL for several workers (DATABASE_URL); see maskUrl before showing it. */
  databaseUrl?: string;
  /**
   * Whose rows this worker reads and writes in a store several brands share (KAIROS_BRAND_ID). Set explicitly, not
   * derived from BRAND_NAME: renaming the brand must not orphan its cards, and an existing database is the default's.
   */
  brandId: string;
  /** The HTTP server for /healthz and /metrics (KAIROS_HTTP_PORT; 0 picks a free port); off when unset. */
  http?: { host: string; port: number };
  /** POST /ingest, signed with this secret (KAIROS_WEBHOOK_SECRET); off when unset. */
  ingest?: { secret: string };
  /** Facebook Page and Instagram through Meta's webhooks (META_APP_SECRET and the rest); off when unset. */
  meta?: {
    appSecret: string;
    verifyToken: string;
    pageId: string;
    pageToken: string;
    igUserId?: string;
    graphUrl: string;
    /** Approved cards offer "Send reply on Facebook/Instagram" (META_POST_REPLIES). */
    postReplies: boolean;
  };
  replayFile?: string;
  eventsFile?: string;
  brand: {
    name: string;
    handles: string[];
    terms: string[];
    languages: string[];
    /** The brand pack's folder (KAIROS_BRAND_DIR; the demo's pack when no brand is configured at all). */
    dir?: string;
    /** A public post in the fan's language is followed by the brand's other language. */
    bilingualPublicPost?: boolean;
  };
  discord?: {
    token: string;
    applicationId: string;
    guildId: string;
    channelId: string;
    digestChannelId?: string;
    teamRoleId?: string;
    apiUrl?: string;
  };
  x: {
    mode: 'off' | 'stream' | 'poll';
    bearerToken?: string;
    apiUrl?: string;
    brandUserId?: string;
    pollIntervalSeconds: number;
    replies?: { appKey: string; appSecret: string; accessToken: string; accessSecret: string };
    /** X_MAX_READS_PER_DAY: post reads a UTC day at most; unset, no cap of Kairos's own. */
    maxReadsPerDay?: number;
    /** What a post read and a user read cost (X_COST_PER_READ_USD, X_COST_PER_USER_READ_USD), for the estimates. */
    prices: { postUsd: number; userUsd: number };
  };
  bluesky: {
    mode: 'off' | 'jetstream';
    handle?: string;
    jetstreamUrl: string;
    apiUrl: string;
    replayWindowHours: number;
    /** Present when BLUESKY_APP_PASSWORD is set: approved replies are posted as the brand through its PDS. */
    replies?: { pdsUrl: string; appPassword: string };
  };
  /** Present when MASTODON_URL is set (with its token); postReplies with MASTODON_POST_REPLIES (the token needs write:statuses). */
  mastodon?: { url: string; token: string; postReplies: boolean };
  /** Present when OPENAI_API_KEY or OPENAI_BASE_URL is set: the shape the model analyst asks for. */
  llm?: LlmSettings;
  timeZone: string;
  digestTime: string;
  /** When the brand's triage learns from the team's labels each night (KAIROS_LEARN_AT, HH:MM in TZ); off when unset. */
  learnAt?: string;
  /** Which moments become cards (KAIROS_CARDS): all, or clear ones only (milder ones are kept, uncarded). Risks always. */
  cards: 'all' | 'clear';
}>;

/**
 * Why a path cannot be Kairos's database file, or null when it can: an existing folder, a path under a file, or a
 * folder two levels or more from anything that exists (a typo would otherwise grow folders and a new, empty
 * database, and every card would be sent again). The database's own folder is created when its parent exists.
 */
export function dbPathProblem(path: string): string | null {
  if (path === ':memory:') return null;
  const full = resolve(path);
  const kind = (p: string) => {
    try {
      return statSync(p).isDirectory() ? 'dir' : 'file';
    } catch {
      return 'none';
    }
  };
  if (kind(full) === 'dir') return `expected the path of a database file, but ${full} is a folder (try ${full}/kairos.db)`;
  for (let p = dirname(full); ; p = dirname(p)) {
    const k = kind(p);
    if (k === 'file') return `expected the path of a database file, but ${p} is a file, so nothing can be made under it`;
    if (k === 'dir') {
      if (p !== dirname(full) && p !== dirname(dirname(full))) {
        return `expected a database file in an existing folder, but ${dirname(full)} does not exist (nor ${dirname(dirname(full))}); create it first, or fix a typo`;
      }
      return null;
    }
    if (p === dirname(p)) return null;
  }
}

/** A URL with any user name, password or secret-looking query value masked, for messages and logs. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = u.username ? '***' : '';
      u.password = u.password ? '***' : '';
    }
    for (const [k] of u.searchParams) if (/token|key|secret|pass|auth|sig/i.test(k)) u.searchParams.set(k, '***');
    return u.href;
  } catch {
    // Not a URL: mask anything between :// and an @.
    return url.replace(/\/\/[^/@\s]*@/, '//***@');
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Kairos cannot start; fix these settings (see .env.example):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment into a Config; throws ConfigError naming every wrong variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty value (FOO= in .env) means "not set".
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = EnvSchema.safeParse(clean);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = String(i.path[0]);
        const value = clean[name];
        const shown =
          value === undefined || SECRET_NAMES.has(name) ? '' : ` (got ${JSON.stringify((name.endsWith('_URL') ? maskUrl(value) : value).slice(0, 60))})`;
        const what = i.message.replace(/^Invalid (input|option): /, '');
        return `${name}: ${what.startsWith('expected') ? what : `expected ${what}`}${shown}`;
      }),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];

  // The brand: the environment over the pack's brand.yaml over the defaults. With no brand configured at all, the
  // embedded demo's pack (Oranje Air); a brand named only by BRAND_NAME gets the brand-neutral defaults.
  const brandDir = e.KAIROS_BRAND_DIR ?? (!e.BRAND_NAME || e.BRAND_NAME === DEMO_BRAND_NAME ? DEMO_BRAND_DIR : undefined);
  let pack: ReturnType<typeof loadBrandSettings> | undefined;
  try {
    pack = loadBrandSettings(brandDir);
  } catch (err) {
    if (!(err instanceof BrandPackError)) throw err;
    problems.push(`KAIROS_BRAND_DIR: ${err.message}`);
  }
  const brandName = e.BRAND_NAME ?? pack?.name ?? 'Kairos';
  const compact = brandName.replace(/[^A-Za-z0-9_]/g, '');
  const brand: Config['brand'] = {
    name: brandName,
    handles: e.BRAND_HANDLES ?? pack?.handles ?? [compact],
    terms: e.BRAND_TERMS ?? pack?.terms ?? [...new Set([brandName, compact])],
    languages: e.BRAND_LANGUAGES ?? pack?.languages ?? ['en', 'nl'],
    dir: brandDir,
    bilingualPublicPost: e.BRAND_BILINGUAL_POST ?? pack?.bilingualPublicPost ?? false,
  };

  let discord: Config['discord'];
  if (e.DISCORD_TOKEN) {
    for (const name of ['DISCORD_APPLICATION_ID', 'DISCORD_GUILD_ID', 'DISCORD_CHANNEL_ID'] as const) {
      if (!e[name]) problems.push(`${name}: required when DISCORD_TOKEN is set`);
    }
    discord = {
      token: e.DISCORD_TOKEN,
      applicationId: e.DISCORD_APPLICATION_ID ?? '',
      guildId: e.DISCORD_GUILD_ID ?? '',
      channelId: e.DISCORD_CHANNEL_ID ?? '',
      digestChannelId: e.DISCORD_DIGEST_CHANNEL_ID,
      teamRoleId: e.DISCORD_TEAM_ROLE_ID,
      apiUrl: e.DISCORD_API_URL,
    };
  }

  if (e.X_MODE !== 'off' && !e.X_BEARER_TOKEN) problems.push(`X_BEARER_TOKEN: required when X_MODE is ${e.X_MODE}`);
  let replies: Config['x']['replies'];
  if (e.X_POST_REPLIES) {
    for (const name of ['X_APP_KEY', 'X_APP_SECRET', 'X_ACCESS_TOKEN', 'X_ACCESS_SECRET'] as const) {
      if (!e[name]) problems.push(`${name}: required when X_POST_REPLIES is true`);
    }
    replies = {
      appKey: e.X_APP_KEY ?? '',
      appSecret: e.X_APP_SECRET ?? '',
      accessToken: e.X_ACCESS_TOKEN ?? '',
      accessSecret: e.X_ACCESS_SECRET ?? '',
    };
  }
  let meta: Config['meta'];
  if (e.META_APP_SECRET) {
    for (const name of ['META_VERIFY_TOKEN', 'META_PAGE_ID', 'META_PAGE_TOKEN'] as const) {
      if (!e[name]) problems.push(`${name}: required when META_APP_SECRET is set`);
    }
    meta = {
      appSecret: e.META_APP_SECRET,
      verifyToken: e.META_VERIFY_TOKEN ?? '',
      pageId: e.META_PAGE_ID ?? '',
      pageToken: e.META_PAGE_TOKEN ?? '',
      igUserId: e.META_IG_USER_ID,
      graphUrl: e.META_GRAPH_URL.replace(/\/+$/, ''),
      postReplies: e.META_POST_REPLIES,
    };
  } else {
    for (const name of ['META_VERIFY_TOKEN', 'META_PAGE_ID', 'META_PAGE_TOKEN', 'META_IG_USER_ID'] as const) {
      if (e[name]) problems.push(`${name}: set, but META_APP_SECRET is not (Meta's webhooks stay off without it)`);
    }
  }
  if ((e.KAIROS_WEBHOOK_SECRET || e.META_APP_SECRET) && e.KAIROS_HTTP_PORT === undefined) {
    problems.push(`KAIROS_HTTP_PORT: required when ${e.KAIROS_WEBHOOK_SECRET ? 'KAIROS_WEBHOOK_SECRET' : 'META_APP_SECRET'} is set (the port webhooks are received on)`);
  }
  if (e.BLUESKY_MODE !== 'off' && !e.BLUESKY_HANDLE) problems.push(`BLUESKY_HANDLE: required when BLUESKY_MODE is ${e.BLUESKY_MODE}`);
  if (e.BLUESKY_APP_PASSWORD && !e.BLUESKY_HANDLE) problems.push('BLUESKY_HANDLE: required when BLUESKY_APP_PASSWORD is set (the account the replies are posted as)');
  if (e.MASTODON_POST_REPLIES && !(e.MASTODON_URL && e.MASTODON_TOKEN)) problems.push('MASTODON_POST_REPLIES: needs MASTODON_URL and MASTODON_TOKEN (a token with write:statuses)');
  if (e.MASTODON_URL && !e.MASTODON_TOKEN) problems.push('MASTODON_TOKEN: required when MASTODON_URL is set');
  if (e.MASTODON_TOKEN && !e.MASTODON_URL) problems.push('MASTODON_URL: required when MASTODON_TOKEN is set (the brand account\'s instance)');
  if (e.LLM_MAX_CALLS_PER_HOUR > e.LLM_MAX_CALLS_PER_DAY) {
    problems.push('LLM_MAX_CALLS_PER_HOUR: must not exceed LLM_MAX_CALLS_PER_DAY');
  }
  if (problems.length) throw new ConfigError(problems);

  // A local OpenAI-compatible server often needs no key; its base URL alone turns the model on.
  const llmKey = e.OPENAI_API_KEY ?? (e.OPENAI_BASE_URL ? 'local' : undefined);

  return Object.freeze({
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    dbPath: e.KAIROS_DB,
    databaseUrl: e.DATABASE_URL,
    brandId: e.KAIROS_BRAND_ID,
    http: e.KAIROS_HTTP_PORT === undefined ? undefined : { host: e.KAIROS_HTTP_HOST, port: e.KAIROS_HTTP_PORT },
    ingest: e.KAIROS_WEBHOOK_SECRET ? { secret: e.KAIROS_WEBHOOK_SECRET } : undefined,
    meta,
    replayFile: e.KAIROS_REPLAY_FILE,
    eventsFile: e.KAIROS_EVENTS_FILE ?? (brandDir && existsSync(`${brandDir}/events.yaml`) ? `${brandDir}/events.yaml` : undefined),
    brand,
    discord,
    x: {
      mode: e.X_MODE,
      bearerToken: e.X_BEARER_TOKEN,
      apiUrl: e.X_API_URL,
      brandUserId: e.X_BRAND_USER_ID,
      pollIntervalSeconds: e.X_POLL_INTERVAL_SECONDS,
      replies,
      maxReadsPerDay: e.X_MAX_READS_PER_DAY,
      prices: { postUsd: e.X_COST_PER_READ_USD, userUsd: e.X_COST_PER_USER_READ_USD },
    },
    bluesky: {
      mode: e.BLUESKY_MODE,
      handle: e.BLUESKY_HANDLE,
      jetstreamUrl: e.BLUESKY_JETSTREAM_URL,
      apiUrl: e.BLUESKY_API_URL,
      replayWindowHours: e.BLUESKY_REPLAY_WINDOW_HOURS,
      replies: e.BLUESKY_APP_PASSWORD ? { pdsUrl: e.BLUESKY_PDS_URL.replace(/\/+$/, ''), appPassword: e.BLUESKY_APP_PASSWORD } : undefined,
    },
    mastodon: e.MASTODON_URL && e.MASTODON_TOKEN ? { url: e.MASTODON_URL, token: e.MASTODON_TOKEN, postReplies: e.MASTODON_POST_REPLIES } : undefined,
    llm: llmKey
      ? {
          apiKey: llmKey,
          baseUrl: e.OPENAI_BASE_URL,
          model: e.OPENAI_MODEL,
          timeoutMs: e.OPENAI_TIMEOUT_MS,
          maxRetries: e.OPENAI_MAX_RETRIES,
          minScore: e.LLM_MIN_SCORE,
          maxCallsPerHour: e.LLM_MAX_CALLS_PER_HOUR,
          maxCallsPerDay: e.LLM_MAX_CALLS_PER_DAY,
          redact: e.LLM_REDACT,
        }
      : undefined,
    timeZone: e.TZ,
    digestTime: e.DIGEST_TIME,
    learnAt: e.KAIROS_LEARN_AT,
    cards: e.KAIROS_CARDS,
  });
}
