/**
 * Does the scorer on the built n-gram table (src/detect/eld-table.ts, what the compiled build loads) answer as eld's own
 * 'small' module on every post of the corpora? A measurement, not a test (the corpora are not in the repository):
 * prints counts only, never a text. The test of record is test/eld-table.test.ts, on posts of its own.
 *   npx tsx scripts/eld-table-check.ts
 * Each post's text is detected as it comes and as the language module passes it (links and mentions out, lower
 * case), with eld's text cleanup on as the language module sets it; language, reliability and every score compared.
 */
import { pathToFileURL } from 'node:url';
import { eld } from 'eld/small';
import { eldFiles, eldKey, eldParts, packNgrams, readNgramsTable, tableScorer, type NgramsData } from '../src/detect/eld-table';
import { functionWords } from '../src/detect/lang';
import { complaints, dutchPoliticalTweets, usAirlineTweets } from './lib/corpora';
import { airlineFiles } from './lib/real-airline';

const files = eldFiles();
if (!files) throw new Error('eld is not installed (npm ci)');
const { ngramsData } = (await import(pathToFileURL(files.data).href)) as { ngramsData: NgramsData };
const table = tableScorer(readNgramsTable(packNgrams(ngramsData, eldKey(files)))!, await eldParts(files));
for (const d of [table, eld]) d.enableTextCleanup(true);

const sets: [string, string[]][] = [
  ['airline posts (all)', airlineFiles('all').flatMap((f) => f.posts.map((p) => p.text))],
  ['US airline tweets', usAirlineTweets().map((p) => p.text)],
  ['Dutch MPs', dutchPoliticalTweets().map((p) => p.text)],
  ['complaints', complaints().map((p) => p.text)],
];
let differences = 0;
for (const [name, texts] of sets) {
  let compared = 0;
  let differ = 0;
  for (const text of texts) {
    for (const t of [text, functionWords(text).clean]) {
      const a = table.detect(t);
      const b = eld.detect(t);
      compared++;
      if (a.language !== b.language || a.isReliable() !== b.isReliable() || JSON.stringify(a.getScores()) !== JSON.stringify(b.getScores())) differ++;
    }
  }
  differences += differ;
  console.log(`${name}: ${compared.toLocaleString('en-US')} texts compared, ${differ} answers differ`);
}
console.log(differences === 0 ? 'the table answers as eld/small on every text' : `${differences} answers differ`);
process.exitCode = differences === 0 ? 0 : 1;
