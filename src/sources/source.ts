import type { Post } from '../domain/post';

/** Hands a source's post on; a promise when the source must wait for it (back-pressure), else undefined: go on. */
export type Emit = (post: Post) => Promise<void> | undefined;

/** Where posts come from (a replay file, the demo stream, X). Each emits validated Posts, in order. */
export interface Source {
  readonly name: string;
  /**
   * Runs the source, awaiting `emit` for each post when it returns a promise (back-pressure: it returns none when
   * the post may be followed at once). Resolves when a finite source is done.
   */
  start(emit: Emit): Promise<void>;
  stop(): Promise<void>;
}
