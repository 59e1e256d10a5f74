/**
 * How often triage flags real posts, written by real people, as each kind. Real opportunities are very rare in
 * these sets: more than about 1% flagged as opportunity means noise is being flagged.
 *   npx tsx scripts/corpus-rates.ts
 */
import { staticContext } from '../src/detect/context';
import { createTriager } from '../src/detect/triage';
import type { Post } from '../src/domain/post';
import { KINDS, type Kind } from '../src/domain/verdict';
import { complaints, dutchPoliticalTweets, US_AIRLINE_HANDLES, usAirlineTweets } from './lib/corpora';

function rates(name: string, posts: Post[], brand: { name: string; handles: string[]; terms: string[] }, showOpportunities = 5) {
  const triage = createTriager(staticContext(brand));
  const counts: Record<Kind, number> = { opportunity: 0, risk: 0, service: 0, noise: 0 };
  const examples: string[] = [];
  for (const p of posts) {
    const v = triage(p);
    counts[v.kind]++;
    if (v.kind === 'opportunity' && examples.length < showOpportunities) examples.push(`    · ${p.text.replace(/\s+/g, ' ').slice(0, 140)}`);
  }
  const pct = (k: Kind) => `${((100 * counts[k]) / posts.length).toFixed(2)}%`;
  console.log(`${name}: ${posts.length} posts`);
  console.log(`  ${KINDS.map((k) => `${k} ${counts[k]} (${pct(k)})`).join('  ')}`);
  console.log(`  opportunity rate ${pct('opportunity')} ${counts.opportunity / posts.length <= 0.01 ? '≤ 1% ✓' : '> 1% ✗'}`);
  if (examples.length) console.log(`  first flagged opportunities:\n${examples.join('\n')}`);
}

rates('US airline tweets (Feb 2015)', usAirlineTweets(), { name: 'US airlines', handles: US_AIRLINE_HANDLES, terms: [] });
rates('Dutch political tweets (Apr 2020)', dutchPoliticalTweets(), { name: 'KLM', handles: ['KLM'], terms: ['KLM'] });
rates('Complaints to brands (ACL 2019)', complaints(), { name: 'brands', handles: [], terms: [] });
