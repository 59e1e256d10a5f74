import { createRequire } from 'node:module';

// The package is a JSON file; require() reads it the same way under tsx, vitest and plain node.
const iso = createRequire(import.meta.url)('stopwords-iso') as Record<string, string[]>;

/**
 * Words that never make a moment: the stopwords-iso English and Dutch lists (both applied to every post,
 * since short posts are often mislabelled or mixed), plus the filler of social posts that those lists miss.
 */
const SOCIAL_FILLER = [
  // English function words and chat filler missing from the package's short list
  'amp', 'rt', 'via', 'im', 'ive', 'dont', 'didnt', 'doesnt', 'cant', 'wont', 'isnt', 'arent', 'wasnt', 'youre',
  'thats', 'theres', 'lets', 'its', 'get', 'got', 'getting', 'just', 'now', 'can', 'will', 'would', 'could',
  'should', 'one', 'also', 'still', 'even', 'really', 'much', 'many', 'yes', 'yet', 'lol', 'omg', 'pls', 'please',
  'thanks', 'thank', 'thx', 'today', 'tonight', 'tomorrow', 'yesterday', 'day', 'time', 'know', 'make', 'need',
  'want', 'going', 'back', 'like', 'well', 'way', 'see', 'say', 'said', 'hey', 'hi', 'ok', 'okay', 'u', 'ur',
  'us', 'let', 'since', 'every', 'ever', 'never', 'already', 'though', 'guys', 'take', 'go', 'us',
  // Dutch chat filler
  'echt', 'gewoon', 'nog', 'wel', 'even', 'weer', 'dus', 'maar', 'ook', 'nu', 'toch', 'heel', 'gaat', 'gaan',
  'komt', 'komen', 'wordt', 'jullie', 'bedankt', 'dank', 'vandaag', 'morgen', 'gisteren', 'zeker', 'graag',
];

export const STOP_WORDS: ReadonlySet<string> = new Set([...(iso.en ?? []), ...(iso.nl ?? []), ...SOCIAL_FILLER].map((w) => w.toLowerCase()));
