import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import type { Post } from '../../src/domain/post';

/**
 * The real public corpora in ../shared/corpora (never copied into the repo), read as Posts for benchmarks and
 * rate checks. Followers are unknown in these sets and count as zero.
 */
const beside = (up: string) => fileURLToPath(new URL(`${up}shared/corpora/`, import.meta.url));
// Beside the checkout: three folders up from scripts/lib, four from the compiled dist/scripts/lib.
export const CORPORA_DIR = process.env.KAIROS_CORPORA ?? [beside('../../../'), beside('../../../../')].find((dir) => existsSync(dir)) ?? beside('../../../');

export const US_AIRLINE_HANDLES = ['VirginAmerica', 'united', 'SouthwestAir', 'JetBlue', 'Delta', 'USAirways', 'AmericanAir'];

function read(relative: string): string {
  const path = `${CORPORA_DIR}${relative}`;
  if (!existsSync(path)) throw new Error(`corpus not found: ${path} (set KAIROS_CORPORA to the corpora folder)`);
  return readFileSync(path, 'utf8');
}

/** 14,640 tweets to six US airlines, Feb 2015, in their own time order. */
export function usAirlineTweets(): Post[] {
  const rows = parse(read('us-airline-tweets/Tweets.csv'), { columns: true, skip_empty_lines: true, relax_quotes: true }) as Record<
    string,
    string
  >[];
  const posts = rows.map(
    (r): Post => ({
      id: r.tweet_id as string,
      platform: 'x',
      author: { handle: (r.name || 'unknown').slice(0, 64), followers: 0 },
      text: r.text || ' ',
      lang: 'en',
      createdAt: new Date((r.tweet_created as string).replace(' ', 'T').replace(' ', '')).toISOString(),
      metrics: { likes: 0, reposts: Number(r.retweet_count) || 0, replies: 0, quotes: 0 },
    }),
  );
  return posts.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

/** 2,458 Dutch tweets by members of parliament, April 2020 (tab-separated: AUTEUR, DATUM, PARTIJ, CONTENT). */
export function dutchPoliticalTweets(): Post[] {
  const rows = parse(read('dutch-political-tweets/example_raw_tweets.csv'), {
    columns: true,
    delimiter: '\t',
    skip_empty_lines: true,
    relax_quotes: true,
    relax_column_count: true,
  }) as Record<string, string>[];
  return rows
    .filter((r) => r.CONTENT)
    .map((r, i): Post => {
      const [d, m, y, time] = (r.DATUM ?? '').split(/[- ]/);
      const iso = new Date(`${y}-${m}-${d}T${time ?? '00:00:00'}Z`);
      return {
        id: `nl${i}`,
        platform: 'x',
        author: { handle: (r.AUTEUR || 'unknown').replace(/\s+/g, '').slice(0, 64), name: r.AUTEUR, followers: 0 },
        text: r.CONTENT as string,
        createdAt: Number.isNaN(iso.getTime()) ? '2020-04-01T00:00:00.000Z' : iso.toISOString(),
      };
    });
}

/** 3,449 posts to brands across nine domains plus random posts (no header: id, text, is_complaint, domain). */
export function complaints(): (Post & { isComplaint: boolean; domain: string })[] {
  const rows = parse(read('complaints-acl2019/complaints-data.csv'), { relax_quotes: true, relax_column_count: true }) as string[][];
  return rows.map((r, i) => ({
    id: `c${r[0] ?? i}`,
    platform: 'x',
    author: { handle: 'unknown', followers: 0 },
    text: r[1] || ' ',
    createdAt: '2019-01-01T00:00:00.000Z',
    isComplaint: r[2] === '1',
    domain: r[3] ?? '',
  }));
}
