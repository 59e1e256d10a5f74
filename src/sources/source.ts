import type { Post } from '../domain/post';

/** Where posts come from (a replay file, the demo stream, X). Each emits validated Posts, in order. */
export interface Source {
  readonly name: string;
  /** Runs the source, awaiting `emit` for each post (back-pressure). Resolves when a finite source is done. */
  start(emit: (post: Post) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}
