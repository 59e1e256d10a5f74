import 'dotenv/config';
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildKairos, emptySummary, formatSummary, ingestCounted, runSource } from './app';
import { TriageAhead } from './triage-ahead';
import { ConfigError, loadConfig, maskUrl, type Config } from './config';
import { buildMomentCard, momentCardText } from './detect/moment-card';
import type { DigestScheduler } from './digest/scheduler';
import type { LearnScheduler } from './learn-scheduler';
import { xDigestOptions } from './digest/data';
import { printDigest, storedSpanHours } from './digest/print';
import { DEFAULT_BRAND } from './domain/brand';
import type { StoredMoment } from './domain/moment';
import type { NewMessage } from './domain/outbox';
import type { PostFetcher, Store } from './domain/ports';
import { momentMessage, noticeMessage, outboxDigestSender } from './discord/messages';
import { DISCORD_SINK } from './discord/sink-name';
import type { DiscordRuntime } from './discord/start';
import { createLogger, secretValues } from './log';
import type { CardSink } from './outbox/courier';
import { ConsoleSink, terminalSafe } from './sinks/console';
import { storyLine } from './discord/card';
import { JsonlSource } from './sources/jsonl';
import { OutOfOrderError } from './sources/time-order';
import type { Source } from './sources/source';
import { runChecks, serveHealth, type Check } from './service/health';
import { startHttp, type HttpService } from './service/http';
import { registerStop, runAsProgram, signalExitCode } from './service/program';
import type { XHandle } from './sources/x/start';
import type { XStreamSource } from './sources/x/stream';
import { Inbox } from './ingress/inbox';
import type { BlueskyHandle } from './sources/bluesky/start';
import type { MastodonHandle } from './sources/mastodon/start';
import { openStore } from './store/open';
import type { GraphClient } from './sources/meta/graph';
import { grouped } from './domain/numbers';

export const DEMO_STREAM = fileURLToPath(new URL('./sources/demo-stream.jsonl', import.meta.url));

/**
 * The composition root: reads the configuration once, builds every part, picks the sources and the sinks, and
 * runs. With no credentials it plays the embedded demo stream to the console and exits; with Discord or X it
 * stays up until stopped.
 */
export async function main(env: NodeJS.ProcessEnv = process.env, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const log = createLogger(config.logLevel, undefined, config.logFormat, secretValues(env));
  // The store first: everything else is handed it.
  // A database that is not there yet is made, and said: a typo in KAIROS_DB would otherwise send every card again.
  const sqlite = !config.databaseUrl;
  const fresh = sqlite && config.dbPath !== ':memory:' && !existsSync(config.dbPath);
  let store: Store;
  try {
    store = await openStore(config);
  } catch (err) {
    const message = (err as Error).message;
    if (sqlite) process.stderr.write(`KAIROS_DB: cannot open the database at ${resolve(config.dbPath)}: ${message}\n`);
    else {
      // The driver's message may quote the URL: show it masked, never the password.
      const url = config.databaseUrl as string;
      process.stderr.write(`DATABASE_URL: cannot open ${maskUrl(url)}: ${message.split(url).join(maskUrl(url))}\n`);
    }
    return 2;
  }
  if (fresh) log.warn({ db: resolve(config.dbPath) }, `created a new database at ${resolve(config.dbPath)}: every post is new to it`);
  if (config.brandId !== DEFAULT_BRAND) log.info({ brand: config.brandId }, `working for brand ${config.brandId}: only its rows of the store are read and written`);
  // /healthz and /metrics, when KAIROS_HTTP_PORT asks for them: started early, so "not ready" is visible while
  // Discord and the sources connect.
  // Only what is configured is loaded: a replay to the terminal never loads discord.js, the X client, the
  // metrics or the webhooks (about half a second and 50 MB of a short run).
  const metricsModule = config.http ? await import('./service/metrics') : undefined;
  const metrics = metricsModule?.createMetrics();
  let http: HttpService | undefined;
  if (config.http) {
    try {
      http = await startHttp({ ...config.http, log });
    } catch (err) {
      process.stderr.write(`KAIROS_HTTP_PORT: cannot listen on ${config.http.host}:${config.http.port}: ${(err as Error).message}\n`);
      await store.close();
      return 2;
    }
  }
  const summary = emptySummary();
  const sinks: CardSink[] = config.discord ? [] : [new ConsoleSink(out)];
  // Every message to Discord besides a card is queued in the store's outbox first, so it needs nothing built
  // later: Discord's message courier delivers it once Discord is up, once, in order.
  const send = (m: NewMessage) =>
    void store.queueMessage(m).then(
      () => discord?.messages.kick(),
      (err: unknown) => log.error({ err, message: m.key }, 'could not queue a message'),
    );
  let discord: DiscordRuntime | undefined;
  let x: XHandle | undefined;
  let bluesky: BlueskyHandle | undefined;
  let mastodon: MastodonHandle | undefined;
  // The run's rising moments for its summary: the first few, and how many (a long replay can raise thousands).
  const moments = { first: [] as StoredMoment[], count: 0 };
  const multiWorker = store.kind === 'postgres';
  const k = await buildKairos(config, store, {
    log,
    metrics,
    sinks,
    queueFor: config.discord ? [DISCORD_SINK] : [],
    // Several workers on one store: each courier also looks for cards the others queued or gave back.
    courier: multiWorker ? { pollMs: 2_000 } : undefined,
    // A post that joined a card's story: a line in the card's thread, or in the terminal.
    onJoin: (opportunityId, entry) => {
      if (!config.discord) return void out.write(`${terminalSafe(`  ${storyLine(entry, 'plain')} (joins card #${opportunityId})`)}\n`);
      void discord?.story(opportunityId, entry);
    },
    onMoment: (m, isNew) => {
      // Found again by a resumed replay: listed in its summary, its card (if out already) not sent again.
      if (moments.first.length < MOMENTS_NAMED) moments.first.push(m);
      moments.count++;
      if (!isNew && (m.messageId || !config.discord)) return;
      // A moment that crosses the line gets its own card: in the channel (queued once under the moment's key), or
      // in the terminal.
      if (!config.discord) return void out.write(`\n${momentCardText(buildMomentCard(m))}\n\n`);
      send(momentMessage(m));
    },
    // The team hears once when the model budget runs out: in its channel, or in the terminal.
    notify: (text) => {
      if (!config.discord) return void out.write(`\n${text}\n`);
      send(noticeMessage('model-budget', text));
    },
  });

  // Whether each live source reads now: for /healthz and for /stats.
  const xSource = `x-${config.x.mode}`;
  const sourceChecks: Record<string, Check> = {
    ...(config.x.mode !== 'off' ? { [xSource]: () => xHealth(x) } : {}),
    ...(config.bluesky.mode !== 'off' ? { bluesky: () => bluesky?.source?.health() ?? 'not started' } : {}),
    ...(config.mastodon ? { mastodon: () => mastodon?.source?.health() ?? 'not started' } : {}),
  };
  if (http && metrics && metricsModule) {
    metricsModule.serveMetrics(http, metrics, {
      outbox: () => store.outboxStats(),
      reconnects: (): Record<string, number> => ({
        ...(x?.source && isXStream(x.source) ? { [xSource]: x.source.reconnects } : {}),
        ...(bluesky?.source ? { bluesky: bluesky.source.reconnects } : {}),
        ...(mastodon?.source ? { mastodon: mastodon.source.reconnects } : {}),
      }),
    });
    serveHealth(http, {
      store: async () => (await store.pendingCount(), null),
      ...(config.discord ? { discord: () => (discord && discord.client.ws.shards.size > 0 && discord.client.ws.shards.every((s) => s.status === 0) ? null : 'not connected to the Discord gateway') } : {}),
      ...sourceChecks,
    });
  }
  // Everything pushed in (the signed /ingest, Meta's webhooks) is received on the same server, kept in the inbox
  // before it is answered and processed after: a slow model never holds the sender, a crash loses nothing.
  const inbox =
    http && (config.ingest || config.meta)
      ? new Inbox({ store, worker: k.worker, log: log.child({ source: 'inbox' }), process: (post, source) => ingestCounted(k, source, post), pollMs: multiWorker ? 2_000 : 0 })
      : undefined;
  const ingress = http && inbox ? (await import('./ingress/mount')).mountIngress(http, { config, store, log, inbox }) : undefined;
  await inbox?.start({ exclusive: !multiWorker });
  const pushed = ingress?.routes ?? [];
  // Approved replies go back where the post was made, each by its platform's sender (META_POST_REPLIES for Meta's).
  const metaReplies =
    config.meta?.postReplies && ingress?.graph
      ? new (await import('./sources/meta/replies')).MetaReplySender({ graph: ingress.graph, pageId: config.meta.pageId, igUserId: config.meta.igUserId, store, log: log.child({ source: 'meta' }) })
      : undefined;

  if (config.x.mode !== 'off') {
    // Several workers on one PostgreSQL: one of them holds the X connection (X counts each connection's reads).
    x = (await import('./sources/x/start')).startX({
      config,
      store,
      log,
      emit: (post) => ingestCounted(k, `x-${config.x.mode}`, post),
      // Once a day at most: the notice's key is the UTC day.
      notify: (day, text) => {
        if (!config.discord) return void out.write(`\n${text}\n`);
        send(noticeMessage('x-budget', text, new Date(`${day}T00:00:00Z`)));
      },
      lease: multiWorker ? { leases: store, holder: k.worker } : undefined,
    });
  }
  if (config.bluesky.mode !== 'off') {
    bluesky = (await import('./sources/bluesky/start')).startBluesky({ config, store, log, emit: (post) => ingestCounted(k, 'bluesky', post) });
  }
  if (config.mastodon) {
    mastodon = (await import('./sources/mastodon/start')).startMastodon({ config, store, log, emit: (post) => ingestCounted(k, 'mastodon', post) });
  }
  const live = Boolean(x || bluesky || mastodon);
  if (config.discord) {
    try {
      const [{ startDiscord }, { commands }, { replyRouter }, { blueskyReplySender }, { mastodonReplySender }] = await Promise.all([
        import('./discord/start'),
        import('../commands/index'),
        import('./sources/replies'),
        import('./sources/bluesky/replies'),
        import('./sources/mastodon/replies'),
      ]);
      // /missed reads a post Kairos never stored from its platform, with the clients configured here.
      const postFetcher = await buildPostFetcher(config, ingress?.graph, log);
      discord = await startDiscord({
        config,
        store,
        analyst: k.analyst,
        catalogue: k.catalogue,
        log,
        commands,
        replySender: replyRouter([x?.replySender, metaReplies, blueskyReplySender(config, { store, log }), mastodonReplySender(config, { store, log })], store),
        teaching: k.teaching,
        sourceHealth: () => runChecks(sourceChecks),
        postFetcher,
        courier: {
          worker: k.worker,
          ...(multiWorker ? { pollMs: 2_000 } : {}),
          onFailed: metrics && ((queue, permanent) => metrics.deliveriesFailed.inc({ queue, sink: DISCORD_SINK, permanent: String(permanent) })),
        },
        onWatchChanged: () => {
          void k.refreshWatch().catch((err: unknown) => log.error({ err }, 'could not re-read the watch terms'));
          x?.onWatchChanged();
          void bluesky?.onWatchChanged().catch((err: unknown) => log.error({ err }, 'could not give the Bluesky filter the new watch terms'));
        },
      });
      k.deliverVia(discord.courier);
    } catch (err) {
      log.fatal({ err: (err as Error).message }, 'Discord did not connect');
      await x?.stop();
      await bluesky?.stop();
      await mastodon?.stop();
      await http?.close();
      await inbox?.stop();
      await k.close();
      return 1;
    }
  }
  let scheduler: DigestScheduler | undefined;
  if (discord && config.discord) {
    // Moments of the last day stored but never queued (a crash in between) are queued now; the key keeps it once.
    for (const m of await store.unpostedMoments(new Date(Date.now() - 24 * 3_600_000))) send(momentMessage(m));
    scheduler = new (await import('./digest/scheduler')).DigestScheduler({
      store,
      worker: k.worker,
      sender: outboxDigestSender(send, config.discord.digestChannelId, config.brand.name),
      digestTime: config.digestTime,
      timeZone: config.timeZone,
      guildId: config.discord.guildId,
      llm: Boolean(config.llm),
      teaching: k.teaching,
      x: xDigestOptions(config.x),
      log,
      since: await store.createdAt(),
    });
    void scheduler.start().catch((err: unknown) => log.error({ err }, 'digest scheduler failed to start'));
  }
  const stayUp = Boolean(discord || live || pushed.length);
  // The nightly learn, when KAIROS_LEARN_AT asks for it, in a Kairos that stays up.
  let learner: LearnScheduler | undefined;
  if (config.learnAt && stayUp) {
    learner = new (await import('./learn-scheduler')).LearnScheduler({ store, config: { ...config, learnAt: config.learnAt }, triage: k.brandTriage, worker: k.worker, log, since: await store.createdAt() });
    log.info({ at: config.learnAt, timeZone: config.timeZone }, `the brand's triage learns from the team's labels each night at ${config.learnAt} (${config.timeZone})`);
    void learner.start().catch((err: unknown) => log.error({ err }, 'nightly learn failed to start'));
  }

  // The replay file, or with nothing else to read, the demo stream.
  let source: Source | undefined;
  if (config.replayFile || (!live && !pushed.length)) {
    source = new JsonlSource(config.replayFile ? 'replay' : 'demo', config.replayFile ?? DEMO_STREAM, (line, error) => {
      summary.invalid++;
      log.warn({ line, error }, 'skipped a line that is not a valid post');
    }, () => out.write('The file is newest first: it is read from its end, oldest post first.\n'));
  }
  const where = discord ? 'the Discord channel' : 'the terminal';
  const what = [
    source && (config.replayFile ? `a replay of ${config.replayFile}` : 'the demo stream'),
    x && `X (${config.x.mode})`,
    bluesky && `Bluesky (Jetstream, @${config.bluesky.handle})`,
    mastodon && `Mastodon (${mastodon.source?.host})`,
    pushed.length && http && `webhooks at ${http.url} (${pushed.join(', ')})`,
  ]
    .filter(Boolean)
    .join(' and ');
  out.write(`Kairos: reading ${what} for ${config.brand.name}; cards go to ${where}.\n\n`);

  // A stop (SIGINT, SIGTERM, or a lost database): no more input is read, what is in flight finishes (the post
  // being processed, the delivery under way), the store is closed, and the summary says the run was interrupted.
  let stopping: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => (stopping = resolve));
  let interruptedBy: string | undefined;
  const stop = (signal: NodeJS.Signals | 'database-lost') => {
    if (interruptedBy) return;
    interruptedBy = signal;
    log.info({ signal }, 'stopping: no more posts are read; finishing what is in flight');
    void source?.stop();
    stopping?.();
  };
  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const unregister = registerStop(() => stop('database-lost'));

  let exitCode = 0;
  if (source) {
    let refused: OutOfOrderError | undefined;
    // A replay triages each batch on the second core, one batch ahead, and reads its terms for the trends there
    // (started with the first full batch: a small file never starts it).
    const ahead = config.replayFile ? new TriageAhead(k.triageContext, () => k.brandTriage.model, log, undefined, k.trends.detector.ignored()) : undefined;
    if (ahead && config.replayFile && config.replayFile !== '-' && fileSize(config.replayFile) > WARM_AT_BYTES) void ahead.warm();
    try {
      await runSource(k, source, summary, undefined, ahead);
    } catch (err) {
      if (!(err instanceof OutOfOrderError)) throw err;
      refused = err;
    } finally {
      await ahead?.close();
    }
    await k.trends.settled();
    // An interrupted replay ends non-zero (128 + the signal, as a shell reports it): it did not finish.
    const cut = interruptedBy !== undefined || refused !== undefined;
    if (interruptedBy) exitCode = interruptedBy === 'database-lost' ? 1 : signalExitCode(interruptedBy as NodeJS.Signals);
    if (refused) exitCode = 2;
    if (!discord) await Promise.all(k.couriers.map((c) => c.idle()));
    out.write(`\n${formatSummary(summary)}\n`);
    if (moments.count) out.write(`${formatMoments(moments.first, moments.count)}\n`);
    if (refused) out.write(`Replay stopped: ${refused.message}\n`);
    if (interruptedBy) {
      out.write(
        `Interrupted (${interruptedBy}) after ${grouped(summary.read)} posts; everything read so far is stored. ` +
          'Run the same command again to go on: posts already stored are skipped, nothing is sent twice.\n',
      );
    }
    // Without Discord, a run that read the whole stream ends with the digest of its last 24 hours and its chart.
    if (!discord && !cut && summary.read > summary.duplicates) {
      const { text } = await printDigest(store, {
        timeZone: config.timeZone,
        brandName: config.brand.name,
        llm: Boolean(config.llm),
        hours: await storedSpanHours(store),
        teaching: k.teaching,
        chartDir: config.dbPath === ':memory:' ? 'data' : dirname(config.dbPath),
      });
      out.write(`\n${text}\n`);
    }
    if (summary.read > 0 && summary.duplicates === summary.read) {
      out.write(
        `Every post was already processed by an earlier run (stored in ${sqlite ? config.dbPath : maskUrl(config.databaseUrl ?? '')}); no card was repeated.\n` +
          (sqlite ? 'Point KAIROS_DB at a new file to see the cards again.\n' : 'Point DATABASE_URL at a new database to see the cards again.\n'),
      );
    }
  }
  if (stayUp) {
    if (!interruptedBy) out.write('Kairos is running; stop it with Ctrl-C.\n');
    await stopped;
    if (interruptedBy === 'database-lost') exitCode = 1;
    scheduler?.stop();
    learner?.stop();
    await x?.stop();
    await bluesky?.stop();
    await mastodon?.stop();
    await discord?.stop();
    out.write(`Kairos stopped (${interruptedBy}).\n`);
  }
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  unregister();
  // After the sources stop and before the store closes: a request being answered finishes with the store open.
  await http?.close();
  await inbox?.stop();
  await k.close();
  return exitCode;
}

const MOMENTS_NAMED = 10;

/** A replay file this large (some 3,000 posts) starts the triage worker before its first batch. */
const WARM_AT_BYTES = 1_000_000;

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The rising moments of a run, one line, the first few named (a replay of copies can raise many) of `total`. */
export function formatMoments(moments: readonly StoredMoment[], total = moments.length, shown = MOMENTS_NAMED): string {
  const named = moments
    .slice(0, shown)
    .map((m) => `${m.term} (${m.nowPerHour.toFixed(0)}/h against ${m.baselinePerHour.toFixed(1)}/h)`)
    .join(', ');
  return `Rising moments: ${named}${total > shown ? `, and ${total - shown} more (see the digest)` : ''}`;
}

/** One fetcher for every platform Kairos reads; a platform not configured here says so when asked. */
async function buildPostFetcher(config: Config, graph: GraphClient | undefined, log: ReturnType<typeof createLogger>): Promise<PostFetcher> {
  const [{ postFetcher }, { createXClient }, { xPostFetcher }, { GraphClient }, { metaPostFetchers }, { blueskyPostFetcher }, { mastodonPostFetcher }] = await Promise.all([
    import('./sources/fetch-post'),
    import('./sources/x/client'),
    import('./sources/x/fetch'),
    import('./sources/meta/graph'),
    import('./sources/meta/fetch'),
    import('./sources/bluesky/fetch'),
    import('./sources/mastodon/fetch'),
  ]);
  const x = config.x;
  const credentials = x.bearerToken ? { bearerToken: x.bearerToken } : x.replies;
  const meta = config.meta;
  return postFetcher(
    [
      xPostFetcher(credentials ? createXClient(credentials, x.apiUrl) : null),
      ...metaPostFetchers(meta, graph ?? (meta ? new GraphClient({ baseUrl: meta.graphUrl, token: meta.pageToken }) : undefined), log.child({ source: 'meta' })),
      blueskyPostFetcher(config.bluesky),
      // Last: a Mastodon link is known by its path alone, on any host.
      mastodonPostFetcher(config.mastodon),
    ],
    log,
  );
}

/** Whether the X source is reading: the stream connected, the poll running; null when fine. */
function xHealth(x: XHandle | undefined): string | null {
  const paused = x?.pausedUntil();
  if (paused) return `paused: the day's X read budget (X_MAX_READS_PER_DAY) is spent; reading again at ${paused.toISOString()}`;
  const source = x?.source;
  if (!source) return 'not started';
  if (source.status.state === 'failed') return `stopped: ${source.status.reason}`;
  if (source.status.state !== 'running') return source.status.state;
  if (isXStream(source) && !source.connected) return 'not connected to the stream';
  return null;
}

/** The X source reading the filtered stream (not polling): it has a connection and counts its reconnects. */
function isXStream(source: NonNullable<XHandle['source']>): source is XStreamSource {
  return 'connected' in source && 'reconnects' in source;
}

// Run only when started as a program, not when imported by a test.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) runAsProgram(() => main());
