import type { Post } from '../domain/post';

/**
 * Rising moments are found in stream time, so a replay must read its posts oldest first; exports often are not
 * (the airline CSV is newest first, concatenated copies overlap) and then no moment, or a false one, would be
 * found without a word. A file newest first throughout is read from its end (JsonlSource); anything else out of
 * order is refused here. A little disorder is normal (a late post counts at the stream's current time); a post
 * older than `toleranceMs` before the newest one read is late, and after `maxLate` of them the replay stops with
 * what to do.
 */
export class OutOfOrderError extends Error {
  constructor(
    readonly line: number,
    readonly late: number,
  ) {
    super(
      `the posts are not in time order: by line ${line}, ${late} were more than an hour older than a post read before ` +
        'them (overlapping copies, or newest first on stdin?). Rising moments need them oldest first: sort the file ' +
        'by createdAt and replay it again (a file newest first throughout is read from its end by itself); posts ' +
        'already read are skipped.',
    );
    this.name = 'OutOfOrderError';
  }
}

export interface TimeOrderOptions {
  toleranceMs?: number;
  maxLate?: number;
}

/** Passes posts through, counting the late ones; throws OutOfOrderError once too many are late. */
export function timeOrderCheck(opts: TimeOrderOptions = {}): (post: Post, line: number) => void {
  const tolerance = opts.toleranceMs ?? 3_600_000;
  const maxLate = opts.maxLate ?? 50;
  let newest = -Infinity;
  let late = 0;
  return (post, line) => {
    const at = Date.parse(post.createdAt);
    if (at < newest - tolerance) {
      if (++late >= maxLate) throw new OutOfOrderError(line, late);
    } else if (at > newest) newest = at;
  };
}
