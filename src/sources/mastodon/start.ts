import { maskUrl, type Config } from '../../config';
import type { Store } from '../../domain/ports';
import type { Post } from '../../domain/post';
import type { Logger } from '../../log';
import type { BackoffOptions } from '../x/client';
import { runInBackground } from '../background';
import { MastodonSource } from './stream';

export interface MastodonHandle {
  source: MastodonSource | null;
  done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Builds and starts the Mastodon source when MASTODON_URL is set. Returns at once; the source runs in the background
 * and never throws into the caller: a refused token stops it with a clear log line.
 */
export function startMastodon(deps: {
  config: Config;
  store: Store;
  log: Logger;
  emit: (post: Post) => Promise<unknown>;
  timing?: { backoff?: BackoffOptions; pingMs?: number };
}): MastodonHandle {
  const m = deps.config.mastodon;
  if (!m) return { source: null, done: Promise.resolve(), stop: async () => undefined };
  const mlog = deps.log.child({ source: 'mastodon' });
  const source = new MastodonSource({ url: m.url, token: m.token, brand: deps.config.brand, store: deps.store, log: mlog, ...deps.timing });
  mlog.info({ instance: maskUrl(m.url) }, 'Mastodon source started');
  return runInBackground(source, deps.emit, mlog);
}
