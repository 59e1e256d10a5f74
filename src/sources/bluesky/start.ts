import { maskUrl, type Config } from '../../config';
import type { Store } from '../../domain/ports';
import type { Post } from '../../domain/post';
import type { Logger } from '../../log';
import type { BackoffOptions } from '../x/client';
import { AppView } from './appview';
import { runInBackground } from '../background';
import { JetstreamSource } from './jetstream';

export interface StartBlueskyDeps {
  config: Config;
  store: Store;
  log: Logger;
  emit: (post: Post) => Promise<unknown>;
  /** Test and benchmark knobs; production uses the defaults. */
  timing?: { backoff?: BackoffOptions; pingMs?: number; cursorFlushMs?: number; rewindMs?: number };
}

export interface BlueskyHandle {
  source: JetstreamSource | null;
  /** After a /watch change: the filter takes the new terms, without a reconnect. */
  onWatchChanged(): Promise<void>;
  done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Builds and starts the Bluesky source (BLUESKY_MODE=jetstream). Returns at once; the source runs in the
 * background and never throws into the caller: a handle that cannot be resolved stops it with a clear log line.
 */
export function startBluesky({ config, store, log, emit, timing }: StartBlueskyDeps): BlueskyHandle {
  const b = config.bluesky;
  if (b.mode === 'off' || !b.handle) return { source: null, onWatchChanged: async () => undefined, done: Promise.resolve(), stop: async () => undefined };
  const blog = log.child({ source: 'bluesky' });
  const source = new JetstreamSource({
    url: b.jetstreamUrl,
    appView: new AppView({ apiUrl: b.apiUrl }),
    handle: b.handle,
    brand: config.brand,
    store,
    log: blog,
    replayWindowMs: b.replayWindowHours * 3_600_000,
    ...timing,
  });
  blog.info({ jetstream: maskUrl(b.jetstreamUrl), apiUrl: maskUrl(b.apiUrl) }, 'Bluesky source started');
  return { ...runInBackground(source, emit, blog), onWatchChanged: () => source.refreshTerms() };
}
