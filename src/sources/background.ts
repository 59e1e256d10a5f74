import type { Post } from '../domain/post';
import type { Logger } from '../log';
import type { Source } from './source';

/**
 * Runs a live source in the background: its posts go to `emit`, and an error that ends it is logged, never thrown
 * into the caller (the rest of Kairos keeps running). `stop` ends it and waits until it has.
 */
export function runInBackground<S extends Source>(
  source: S,
  emit: (post: Post) => Promise<unknown>,
  log: Logger,
): { source: S; done: Promise<void>; stop(): Promise<void> } {
  const done = source
    .start(async (post) => {
      await emit(post);
    })
    .catch((err: unknown) => log.error({ error: err instanceof Error ? err.message : String(err) }, `${source.name} source ended with an error`));
  return {
    source,
    done,
    async stop() {
      await source.stop();
      await done;
    },
  };
}
