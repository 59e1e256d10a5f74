import type { Post } from '../../domain/post';
import type { Logger } from '../../log';
import type { CursorStore, PostStore } from '../../domain/ports';
import { newerId } from './client';
import type { Emit } from '../source';

/**
 * Hands posts to the pipeline at most once and remembers the newest id handed over (the source's cursor in the
 * store), so a reconnect or a restart knows where the gap starts. Posts are handed over one at a time, in the order
 * given; the cursor moves only after `emit` resolved, so a crash re-fetches rather than skips.
 */
export class PostDelivery {
  private readonly recent = new Set<string>();
  emitted = 0;
  skipped = 0;

  constructor(
    private readonly store: Pick<PostStore, 'hasPost'> & CursorStore,
    readonly cursorKey: string,
    private readonly emit: Emit,
    private readonly log: Logger,
    private readonly recentLimit = 20_000,
    /** False for a source whose cursor is not a post id (Jetstream's event time): it keeps its own. */
    private readonly trackCursor = true,
  ) {}

  cursor(): Promise<string | null> {
    return this.store.getCursor(this.cursorKey);
  }

  /** Emits the post unless it was seen already (here or in the store). Returns whether it was emitted. */
  async deliver(post: Post): Promise<boolean> {
    if (this.recent.has(post.id) || (await this.store.hasPost(post))) {
      this.skipped++;
      return false;
    }
    try {
      await this.emit(post);
    } catch (err) {
      // The pipeline records what it can; a failure here must not stop the source or move it backwards.
      this.log.error({ post: post.id, err: err instanceof Error ? err.message : String(err) }, 'processing a post failed');
    }
    this.remember(post.id);
    this.emitted++;
    if (this.trackCursor && newerId(post.id, await this.cursor())) await this.store.setCursor(this.cursorKey, post.id);
    return true;
  }

  private remember(id: string): void {
    this.recent.add(id);
    if (this.recent.size > this.recentLimit) {
      const oldest = this.recent.values().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
  }
}
