import { createRequire } from 'node:module';
import { builtDetector } from './eld-table';
import { languageDetection } from './lang-mode';
import { classOf } from './letters';

interface Detector {
  detect(text: string): { language: string; isReliable(): boolean };
}
let detector: Detector | null = null;

/**
 * Loads the n-gram detector (eld's 'small' database), once: from the table `npm run build` packs it into when
 * there is one for the installed eld (a few ms), else eld's own module (about 0.25 s and 110 MB; see eld-table.ts).
 */
export async function loadLanguageDetector(): Promise<void> {
  if (detector) return;
  const eld = (await builtDetector()) ?? (await import('eld/small')).eld;
  eld.enableTextCleanup(true);
  detector = eld;
}

export const languageDetectorLoaded = (): boolean => detector !== null;

if (!languageDetection.deferred) await loadLanguageDetector();

// Function words settle short posts that n-grams cannot ("koffer kwijt?" vs "bag lost?").
const NL = new Set('ik je jij mijn het een niet wel naar met voor van dat die wat hoe waar zijn heb heeft ook nog maar geen deze bij jullie bedankt koffer vlucht'.split(' '));
const EN = new Set('i you my the a not to with for of that what how where is are have has also still but no this at your thanks bag flight and it from they please when why would been were our us get got'.split(' '));
const UNDETERMINED = new Set(['und', 'qme', 'qht', 'zxx', 'art', 'qam', 'qct']);

// The function words of the other languages fans write in most (stopwords-iso), less any English or Dutch word:
// one of them in a post is evidence against deciding it cheaply ("vuelo de 999 ... no se mueve").
const iso = createRequire(import.meta.url)('stopwords-iso') as Record<string, string[]>;
// Words of English fans write that other languages' lists hold too ("nice", "start", "fare", "haha"): no evidence.
const ENGLISH_TOO = 'min nice start care sit sea car multiple total fare sale final fine hit sense god male dog bravo haha ha tag ur ty yo biz usa'.split(' ');
// Made once: a regex literal in a loop is a new regex (and its compilation) each time round.
const WORD = /^\w+$/;
const NUMBER = /^\d+$/;
const FOREIGN: ReadonlySet<string> = (() => {
  const ours = new Set([...(iso.en ?? []), ...(iso.nl ?? []), ...EN, ...NL, ...ENGLISH_TOO]);
  const out = new Set<string>();
  for (const lang of ['es', 'fr', 'de', 'it', 'pt', 'tr', 'pl', 'tl', 'id', 'sv', 'da', 'no', 'ro', 'ca']) {
    // Numbers are in some lists ("1", "2"), and are no language's words: "2 hours late" is no evidence.
    for (const word of iso[lang] ?? []) if (WORD.test(word) && !NUMBER.test(word) && !ours.has(word.toLowerCase())) out.add(word.toLowerCase());
  }
  return out;
})();
/** The letters beyond a–z that English and Dutch write. */
const OUR_ACCENTS = new Set([...'éèëêïöüáàäóòôúç'].map((c) => c.charCodeAt(0)));
/**
 * Whether the text has a letter that neither English nor Dutch writes (ñ, ş, ł, ß, any non-Latin script): what
 * /[^\P{L}a-zéèëêïöüáàäóòôúç]/u finds, read code point by code point without a regex (most texts are ASCII).
 */
export function hasOtherLetter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      if (c >= 65 && c <= 90) return true;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        if (classOf((c - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000) === 3) return true;
        i++;
        continue;
      }
    }
    if (!OUR_ACCENTS.has(c) && classOf(c) === 3) return true;
  }
  return false;
}
const LONGEST = Math.max(...[...NL, ...EN, ...FOREIGN].map((word) => word.length));
/** Each function word's languages in one lookup: 1 Dutch, 2 English, 4 another language. */
export const FUNCTION_WORDS: ReadonlyMap<string, number> = (() => {
  const out = new Map<string, number>();
  for (const [set, bit] of [[NL, 1], [EN, 2], [FOREIGN, 4]] as const) for (const word of set) out.set(word, (out.get(word) ?? 0) | bit);
  return out;
})();
const isWordChar = (c: number) => (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || (c >= 65 && c <= 90);

/**
 * FUNCTION_WORDS as an open-addressing table keyed by a hash of each word's code units, so a run of the text is looked up
 * as it is read, without a string made of it (a slice and a Map lookup a word were most of the cost).
 */
const SLOTS = 1 << 14;
const slotWord: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);
const slotBits = new Uint8Array(SLOTS);
// Each slot's word length (0: empty) and full hash, in small typed arrays: most runs of a text are no function
// word, and are turned away by these without reading a word string (scattered in the heap) at all.
const slotLength = new Uint8Array(SLOTS);
const slotHash = new Int32Array(SLOTS);
const FNV_PRIME = 0x01000193;
const FNV_OFFSET = 0x811c9dc5 | 0;
const slotOf = (h: number) => (h ^ (h >>> 15)) & (SLOTS - 1);
for (const [word, bits] of FUNCTION_WORDS) {
  let h = FNV_OFFSET;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), FNV_PRIME);
  let slot = slotOf(h);
  while (slotWord[slot] !== undefined) slot = (slot + 1) & (SLOTS - 1);
  slotWord[slot] = word;
  slotBits[slot] = bits;
  slotLength[slot] = word.length;
  slotHash[slot] = h;
}
/** The bits of the word text[start, end) whose hash is h; 0 when it is no function word. */
function wordBits(text: string, start: number, end: number, h: number): number {
  const length = end - start;
  for (let slot = slotOf(h); ; slot = (slot + 1) & (SLOTS - 1)) {
    const size = slotLength[slot]!;
    if (size === 0) return 0;
    if (size !== length || slotHash[slot] !== h) continue;
    const word = slotWord[slot]!;
    let i = 0;
    while (i < length && word.charCodeAt(i) === text.charCodeAt(start + i)) i++;
    if (i === length) return slotBits[slot]!;
  }
}

/**
 * The post's language: the platform's own label when it has one, else detected. Dutch and English are told
 * apart with care; other languages pass through with their ISO code; 'und' when nothing can be said.
 * Most posts are settled by their function words alone; the n-gram detector runs only on the rest (about one
 * post in seven on real airline posts), and where it would have overruled clear English or Dutch function words
 * it was wrong on every labelled post.
 */
export function detectLanguage(text: string, declared?: string): string {
  if (declared && !UNDETERMINED.has(declared)) return declared.toLowerCase();
  const { clean, nl, en, settled } = functionWords(text);
  if (settled) return nl > en ? 'nl' : 'en';
  let detected: ReturnType<Detector['detect']> | null = null;
  if (clean.trim().length >= 12) {
    if (!detector) throw new Error('language: the n-gram detector is not loaded yet (await loadLanguageDetector())');
    detected = detector.detect(clean);
  }
  const lang = detected?.language ?? '';
  if (lang && lang !== 'nl' && lang !== 'en' && detected?.isReliable() && clean.length > 30) return lang;
  if (nl > en) return 'nl';
  if (en > nl) return 'en';
  if (lang === 'nl' || lang === 'en') return lang;
  return lang || 'und';
}

/** Whether the post's language needs the n-gram detector: its function words do not settle it. */
export function needsLanguageDetector(text: string, declared?: string): boolean {
  if (declared && !UNDETERMINED.has(declared)) return false;
  const { clean, settled } = functionWords(text);
  return !settled && clean.trim().length >= 12;
}

let lastText: string | undefined;
let lastWords: FunctionWords | undefined;
type FunctionWords = { clean: string; nl: number; en: number; foreign: number; settled: boolean };
/** What the post's function words say (the last post's answer is kept: classify asks, then triage does). */
export function functionWords(text: string): FunctionWords {
  if (text === lastText && lastWords) return lastWords;
  // Each replace only when its text can occur (a replace that finds nothing still scans the text).
  let stripped = text.includes('http') ? text.replace(/https?:\/\/\S+/g, ' ') : text;
  if (stripped.includes('@') || stripped.includes('#')) stripped = stripped.replace(/[@#]\w+/g, ' ');
  const clean = stripped.toLowerCase();
  let nl = 0;
  let en = 0;
  let foreign = 0;
  // The text's runs of [A-Za-z0-9_] (what \b delimits), looked up only when short enough to be a function word.
  // Whether a code unit beyond ASCII occurs (none is a word character): without one, the lower-cased text has no
  // letter hasOtherLetter() could find (no A–Z is left), and it is not read again.
  let beyondAscii = false;
  for (let i = 0; i < clean.length; ) {
    const u = clean.charCodeAt(i);
    if (!isWordChar(u)) {
      if (u >= 0x80) beyondAscii = true;
      i++;
      continue;
    }
    let h = Math.imul(FNV_OFFSET ^ clean.charCodeAt(i), FNV_PRIME);
    let end = i + 1;
    for (let c: number; end < clean.length && isWordChar((c = clean.charCodeAt(end))); end++) h = Math.imul(h ^ c, FNV_PRIME);
    if (end - i <= LONGEST) {
      const bits = wordBits(clean, i, end, h);
      nl += bits & 1;
      en += (bits >> 1) & 1;
      foreign += bits >> 2;
    }
    i = end;
  }
  const most = Math.max(nl, en);
  // Cheap evidence: a short post whose function words lean one way (the detector could not overrule it), or a
  // longer one with at least two of ours, twice as many as of the other, none of another language's letters
  // and fewer of another language's function words than half of ours.
  const settled =
    nl !== en &&
    (clean.length <= 30 || (most >= 2 && most >= 2 * Math.min(nl, en) && foreign * 2 < most && !(beyondAscii && hasOtherLetter(clean))));
  lastText = text;
  lastWords = { clean, nl, en, foreign, settled };
  return lastWords;
}
