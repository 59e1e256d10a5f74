import { grouped } from './numbers';
/**
 * The sources a team reads, as /stats and the digest name them: the X stream or poll is "x", Meta's webhooks are
 * "facebook" and "instagram", anything pushed to /ingest is "webhook". Pure.
 */
const NAMES: Record<string, string> = {
  'x-stream': 'x',
  'x-poll': 'x',
  'meta-facebook': 'facebook',
  'meta-instagram': 'instagram',
  ingest: 'webhook',
};

/** The order sources are listed in; others (a replay, the demo, a platform of posts stored before) follow. */
export const SOURCE_ORDER = ['x', 'bluesky', 'mastodon', 'facebook', 'instagram', 'webhook'] as const;

export function sourceName(source: string): string {
  return NAMES[source] ?? source;
}

/** Counts by stored source name, folded to the names a team knows, in order. */
export function bySource(counts: Record<string, number>): [string, number][] {
  const folded = new Map<string, number>();
  for (const [s, n] of Object.entries(counts)) folded.set(sourceName(s), (folded.get(sourceName(s)) ?? 0) + n);
  const rank = (s: string) => {
    const i = (SOURCE_ORDER as readonly string[]).indexOf(s);
    return i < 0 ? SOURCE_ORDER.length : i;
  };
  return [...folded].sort((a, b) => rank(a[0]) - rank(b[0]) || b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** "x 120 · bluesky 40 · webhook 3", or null when nothing was read. */
export function bySourceText(counts: Record<string, number>): string | null {
  const rows = bySource(counts);
  return rows.length ? rows.map(([s, n]) => `${s} ${grouped(n)}`).join(' · ') : null;
}

/** Each configured source and whether it reads now: "x ok · bluesky down: not connected to Jetstream". */
export function sourceStatesText(states: Record<string, string | null>): string | null {
  const rows = Object.entries(states);
  return rows.length ? rows.map(([s, why]) => (why === null ? `${s} ok` : `**${s} down**: ${why}`)).join('\n') : null;
}
