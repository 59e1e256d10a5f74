import type { Kind } from './verdict';

/** A term rising in the stream, as the trends detector announces it and the store keeps it. */
export interface MomentSample {
  id?: string;
  text: string;
  author?: string;
  url?: string;
  createdAt: string;
  kind?: Kind;
}

export interface Moment {
  term: string;
  /** surge: found in the stream; watch: a /watch term; event: a calendar event active now. */
  source: 'surge' | 'watch' | 'event';
  /** The calendar event's name, for source 'event'. */
  event?: string;
  /** Stream time at which the term crossed the line. */
  at: string;
  /** Mentions per hour in the recent window, and the term's own baseline per hour. */
  nowPerHour: number;
  baselinePerHour: number;
  ratio: number;
  /** Distinct authors in the recent window. */
  authors: number;
  windowMinutes: number;
  /** Newest first; the opportunities seen among the term's posts are kept even when older. */
  samples: MomentSample[];
}

/** A moment as stored: with its id and, once its card was posted, where. */
export interface StoredMoment extends Moment {
  id: number;
  messageId: string | null;
  channelId: string | null;
}
