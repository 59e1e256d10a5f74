import { type AST, parseRegExpLiteral, visitRegExpAST } from '@eslint-community/regexpp';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { bmpLetters, classOf, FOLD_FROM, hasWord, latinLetters, LETTER_STAND_IN, lexiconText, NUMBER_STAND_IN } from './letters';

/**
 * A cheap test before each lexicon pattern: the literal strings one of which every match of the pattern must
 * contain ("first time fl", "honeymoon", "huwelijksreis"…), read off the pattern itself, and one pass over the
 * text that finds all of them at once (Aho–Corasick over UTF-16 code units). A pattern none of whose strings
 * occur cannot match, so its regex is not run; when some occur, the regex decides as before. What a pattern
 * means never changes: the strings are a necessary condition derived from it, and a pattern they cannot be
 * derived from (a case-insensitive one, one that can match without any literal) always runs.
 */

/** The strings a match of a node is exactly one of (null: too many, or not a finite set). */
type Exact = Set<string> | null;
/** Strings one of which every match of a node contains (null: nothing can be said). */
type Needs = Set<string> | null;
interface Literals {
  exact: Exact;
  needs: Needs;
  /**
   * Strings one of which every match starts (ends) with, when its strings are not exact: "(?:[6-9]\d|1[01]\d)"
   * starts with one of 6, 7, 8, 9, 10, 11. A run of exact text before it ("is ") then needs "is 6" … "is 11".
   */
  starts?: Exact;
  ends?: Exact;
}

const MAX_EXACT = 64;
const NOTHING: Literals = { exact: null, needs: null };
const EMPTY: Literals = { exact: new Set(['']), needs: null };
const startsOf = (l: Literals): Exact => l.exact ?? l.starts ?? null;
const endsOf = (l: Literals): Exact => l.exact ?? l.ends ?? null;

/** How selective a set of needed strings is: its shortest string's length (0: useless, it always occurs). */
function strength(needs: Needs): number {
  if (!needs || needs.size === 0) return 0;
  let shortest = Infinity;
  for (const s of needs) shortest = Math.min(shortest, s.length);
  return shortest;
}

function better(a: Needs, b: Needs): Needs {
  const sa = strength(a);
  const sb = strength(b);
  if (sa === 0 && sb === 0) return null;
  if (sa !== sb) return sa > sb ? a : b;
  return (a as Set<string>).size <= (b as Set<string>).size ? a : b;
}

function product(a: Set<string>, b: Set<string>): Exact {
  if (a.size * b.size > MAX_EXACT) return null;
  const out = new Set<string>();
  for (const x of a) for (const y of b) out.add(x + y);
  return out;
}

/** The union of string sets, null when one is unknown or it grows too big. */
function joined(sets: Exact[]): Exact {
  const out = new Set<string>();
  for (const set of sets) {
    if (!set || out.size + set.size > MAX_EXACT) return null;
    for (const s of set) out.add(s);
  }
  return out;
}

function union(parts: Literals[]): Literals {
  let needs: Needs = new Set();
  for (const p of parts) {
    const own = better(p.exact, p.needs);
    if (needs && own) for (const s of own) needs.add(s);
    else needs = null;
  }
  const exact = joined(parts.map((p) => p.exact));
  if (exact) return { exact, needs: strength(needs) ? needs : null };
  return { exact, needs: strength(needs) ? needs : null, starts: joined(parts.map(startsOf)), ends: joined(parts.map(endsOf)) };
}

function sequence(elements: readonly AST.Element[], of: (e: AST.Element) => Literals = literals): Literals {
  let needs: Needs = null;
  let run: Set<string> | null = new Set(['']);
  let whole: Exact = new Set(['']);
  // What every match starts with: the exact parts from the start, then the first other part's own starts.
  let starts: Set<string> = new Set(['']);
  let open = true;
  for (const element of elements) {
    const l = of(element);
    needs = better(needs, l.needs);
    whole = whole && l.exact ? product(whole, l.exact) : null;
    if (open) {
      const first = startsOf(l);
      const longer = first && product(starts, first);
      if (longer) starts = longer;
      open = l.exact !== null && longer !== null;
    }
    const next: Exact = run && l.exact ? product(run, l.exact) : null;
    if (next) run = next;
    else {
      // The run of exact parts ends here: what it spells is contiguous in every match, and so is what it spells
      // followed by how this part starts; the next run starts with how this part ends.
      const into = run && startsOf(l);
      needs = better(needs, (into && product(run!, into)) ?? run);
      run = endsOf(l) ? new Set(endsOf(l)) : new Set(['']);
    }
  }
  needs = better(needs, run);
  if (whole) return { exact: whole, needs };
  // What every match ends with: the last run, which began with how its first part ends.
  return { exact: whole, needs, starts, ends: run };
}

function literals(node: AST.Node): Literals {
  switch (node.type) {
    case 'Character':
      return { exact: new Set([String.fromCodePoint(node.value)]), needs: null };
    case 'CharacterClass': {
      if (node.negate) return NOTHING;
      // A class of a few characters ([st], [6-9]) is one of them: "i'm [6-9]" needs "i'm 6" or … "i'm 9".
      const chars = new Set<string>();
      for (const e of node.elements) {
        const [from, to] = e.type === 'Character' ? [e.value, e.value] : e.type === 'CharacterClassRange' ? [e.min.value, e.max.value] : [1, 0];
        if (from > to || chars.size + to - from >= 8) return NOTHING;
        for (let c = from; c <= to; c++) chars.add(String.fromCodePoint(c));
      }
      return { exact: chars, needs: null };
    }
    case 'Assertion':
      return EMPTY; // zero width: it constrains a match, it adds nothing to it
    case 'Alternative':
      return sequence(node.elements);
    case 'Group':
    case 'CapturingGroup':
    case 'Pattern':
      return union(node.alternatives.map(literals));
    case 'Quantifier': {
      const inner = literals(node.element);
      if (node.min === 0 && node.max === 1 && inner.exact) return { exact: new Set(['', ...inner.exact]), needs: null };
      if (node.min === 0) return NOTHING;
      // At least one copy: a match contains one of the element's strings, and starts and ends as a copy does;
      // exact only for a fixed count.
      const needs = better(inner.exact, inner.needs);
      if (node.min === node.max && node.min <= 3 && inner.exact) {
        let exact: Exact = new Set(['']);
        for (let i = 0; i < node.min && exact; i++) exact = product(exact, inner.exact);
        if (exact) return { exact, needs };
      }
      return { exact: null, needs, starts: startsOf(inner), ends: endsOf(inner) };
    }
    default:
      return NOTHING; // character sets (\p{L}, \d, .), back-references
  }
}

/** The strings one of which every match of the pattern contains; null when none can be said. */
export function requiredLiterals(re: RegExp): string[] | null {
  if (re.flags.includes('i') || re.flags.includes('v')) return null;
  const { pattern } = parseRegExpLiteral(re);
  const l = literals(pattern);
  const needs = better(l.exact, l.needs);
  return needs ? [...needs] : null;
}

/** How many recent texts keep their scan: evidence asks of the normalised text, its raw lower case and a variant. */
const SLOTS = 4;

/**
 * All the needed strings of many patterns, found in one pass over a text: a trie of the strings with its fail
 * links compiled into a table of transitions (one per state and character class), so each code unit of the text
 * costs one lookup.
 */
class LiteralScanner {
  private readonly classOf: Uint8Array;
  private readonly classes: number;
  /** Per state and class, the next state (16 bits when they fit). */
  private readonly delta: Uint16Array | Uint32Array;
  /** The first state where strings end: every state from it on is one. */
  private readonly endsFrom: number;
  /** The patterns whose strings end at a state: outputs[outStart[state] .. outStart[state + 1]). */
  private readonly outStart: Uint32Array;
  private readonly outputs: Uint32Array;
  /** Per pattern, its word list's number (-1: none); per list, where its hits start in a slot's `hits`. */
  private readonly listOf: Int32Array;
  readonly listStart: Int32Array;
  private readonly slots: Slot[];
  private nextSlot = 0;

  constructor(entries: readonly Entry[], lists: number, tables: ScannerTables = scannerTables(entries)) {
    const patterns = entries.length;
    ({
      classOf: this.classOf,
      classes: this.classes,
      delta: this.delta,
      endsFrom: this.endsFrom,
      outStart: this.outStart,
      outputs: this.outputs,
    } = tables);
    this.listOf = Int32Array.from(entries, (e) => e.list);
    this.listStart = new Int32Array(lists + 1);
    for (const e of entries) if (e.list >= 0) this.listStart[e.list + 1]!++;
    for (let l = 0; l < lists; l++) this.listStart[l + 1]! += this.listStart[l]!;
    this.slots = Array.from({ length: SLOTS }, () => ({
      text: undefined,
      marks: new Uint8Array(patterns),
      hits: new Int32Array(patterns),
      hitCount: new Int32Array(lists),
    }));
  }

  /** The text asked about last and its scan: most asks are of the same text as the one before. */
  private last: Slot | undefined;

  /** Whether one of the pattern's strings occurs in the text (recent texts' scans are kept). */
  mayMatch(text: string, pattern: number): boolean {
    return this.scanOf(text).marks[pattern] === 1;
  }

  /** The text's scan: each pattern's mark, and each word list's marked words (recent texts' scans are kept). */
  scanOf(text: string): Slot {
    if (this.last?.text === text) return this.last;
    let found: Slot | undefined;
    for (const slot of this.slots) {
      if (slot.text === text) {
        found = slot;
        break;
      }
    }
    this.last = found ?? this.scan(text);
    return this.last;
  }

  private scan(text: string): Slot {
    const slot = this.slots[this.nextSlot]!;
    this.nextSlot = (this.nextSlot + 1) % SLOTS;
    slot.text = text;
    const { marks, hits, hitCount } = slot;
    marks.fill(0);
    hitCount.fill(0);
    const { classOf, classes, delta, endsFrom, outStart, outputs, listOf, listStart } = this;
    // One lookup a code unit: the next state, and whether any string ends there.
    let row = 0;
    for (let i = 0; i < text.length; i++) {
      const state = delta[row + classOf[text.charCodeAt(i)]!]!;
      row = state * classes;
      if (state >= endsFrom) {
        for (let o = outStart[state]!, end = outStart[state + 1]!; o < end; o++) {
          const p = outputs[o]!;
          if (marks[p] === 1) continue;
          marks[p] = 1;
          const list = listOf[p]!;
          if (list >= 0) hits[listStart[list]! + hitCount[list]!++] = p;
        }
      }
    }
    return slot;
  }
}

/** The scanner's transition table and outputs: what its constructor would build from the patterns' strings. */
interface ScannerTables {
  classOf: Uint8Array;
  classes: number;
  delta: Uint16Array | Uint32Array;
  endsFrom: number;
  outStart: Uint32Array;
  outputs: Uint32Array;
}

/** The trie of every pattern's needed strings, its fail links compiled into the transition table (Aho–Corasick). */
function scannerTables(entries: readonly Entry[]): ScannerTables {
  const needs = entries.map((e) => e.needs);
  // The trie, with a character class for each code unit any string holds (class 0: none does).
  const classOf = new Uint8Array(65536);
  let classes = 1;
  for (const strings of needs) {
    for (const str of strings ?? []) {
      for (let i = 0; i < str.length; i++) {
        const c = str.charCodeAt(i);
        if (classOf[c] === 0) classOf[c] = classes++;
      }
    }
  }
  if (classes > 255) throw new Error('prefilter: too many distinct characters in the lexicon');
  const children: Map<number, number>[] = [new Map()];
  const out: Set<number>[] = [new Set()];
  needs.forEach((strings, pattern) => {
    for (const str of strings ?? []) {
      let state = 0;
      for (let i = 0; i < str.length; i++) {
        const k = classOf[str.charCodeAt(i)]!;
        let to = children[state]!.get(k);
        if (to === undefined) {
          to = children.length;
          children.push(new Map());
          out.push(new Set());
          children[state]!.set(k, to);
        }
        state = to;
      }
      out[state]!.add(pattern);
    }
  });
  // Breadth first, each state's transitions: its own child, else its fail state's transition.
  if (children.length * classes >= 2 ** 30) throw new Error('prefilter: too many strings in the lexicon for one table');
  const delta = new Uint32Array(children.length * classes);
  const fail = new Uint32Array(children.length);
  const queue: number[] = [];
  for (const [k, to] of children[0]!) {
    delta[k] = to;
    queue.push(to);
  }
  for (let q = 0; q < queue.length; q++) {
    const state = queue[q]!;
    const f = fail[state]!;
    for (const p of out[f]!) out[state]!.add(p);
    delta.copyWithin(state * classes, f * classes, (f + 1) * classes);
    for (const [k, to] of children[state]!) {
      fail[to] = delta[f * classes + k]!;
      delta[state * classes + k] = to;
      queue.push(to);
    }
  }
  // The states where no string ends first (the root among them, still 0), then those where some do: a transition
  // is its target state alone, and says whether strings end there by being at least endsFrom. In 16 bits when the
  // states fit (a table half the size stays in the cache better).
  const states = children.length;
  const order = [...Array(states).keys()].filter((st) => out[st]!.size === 0);
  const endsFrom = order.length;
  for (let st = 0; st < states; st++) if (out[st]!.size) order.push(st);
  const id = new Uint32Array(states);
  order.forEach((st, n) => (id[st] = n));
  const table = states <= 0x10000 ? new Uint16Array(delta.length) : new Uint32Array(delta.length);
  for (let n = 0; n < states; n++) {
    const from = order[n]! * classes;
    for (let k = 0; k < classes; k++) table[n * classes + k] = id[delta[from + k]!]!;
  }
  const outStart = new Uint32Array(states + 1);
  const flat: number[] = [];
  order.forEach((st, n) => {
    outStart[n] = flat.length;
    flat.push(...out[st]!);
  });
  outStart[states] = flat.length;
  const outputs = Uint32Array.from(flat);
  return { classOf, classes, delta: table, endsFrom, outStart, outputs };
}

/** What a text's scan keeps: the marks by pattern, and by word list its marked words (hits from listStart). */
interface Slot {
  text: string | undefined;
  marks: Uint8Array;
  hits: Int32Array;
  hitCount: Int32Array;
}

/** A pattern's needed strings, and the word list it is a word of (-1: none). */
interface Entry {
  needs: readonly string[];
  list: number;
}

// Every table shares one scanner, so a text is scanned once for the lexicon and severity patterns together. It
// is built when a pattern is first tested, after the tables have all been registered (a table registered later
// rebuilds it).
const registered: Entry[] = [];
let lists = 0;
let shared: LiteralScanner | null = null;
function scanner(): LiteralScanner {
  if (!shared) {
    const ready = built?.scanner.key === scannerKey() ? built.scanner.tables : undefined;
    shared = new LiteralScanner(registered, lists, ready);
  }
  return shared;
}

/** What the scanner's tables are built from: every registered entry, in order. */
function scannerKey(): string {
  return createHash('sha256').update(JSON.stringify([lists, registered])).digest('hex');
}

// ── Load-time work done at build time ─────────────────────────────────────────────────────────────────────────
// Reading the strings off ~700 lexicon patterns (~2,000 words) and building the scanner's table cost about a
// quarter of a second at every start. `npm run build` computes both once (prefilterTables()) and writes them
// beside the compiled module; a start then reads them. Each result is looked up by what it is computed from (a
// pattern's source and flags; a hash of every registered entry), so a lexicon that differs from the build's is
// computed as before; the build writes them with the same code as this module's. The tables can only make a start
// quicker, never change an answer.

/** The tables' files, beside this module (in dist/ after `npm run build`; absent beside the sources). */
const TABLES_JSON = new URL('./prefilter-tables.json', import.meta.url);
const TABLES_BIN = new URL('./prefilter-tables.bin', import.meta.url);

interface BuiltTables {
  split: Record<string, ListWord[] | null>;
  needs: Record<string, string[] | null>;
  fold: Record<string, boolean>;
  scanner: { key: string; tables: ScannerTables };
}

/** The JSON part of the built tables: the results by pattern, and the scanner's key and array lengths. */
interface TablesHeader {
  split: BuiltTables['split'];
  needs: BuiltTables['needs'];
  fold: BuiltTables['fold'];
  scanner: { key: string; classes: number; endsFrom: number; wide: boolean; lengths: [number, number, number, number] };
}

/** The results computed in this process, by pattern: what prefilterTables() writes. */
const computed = { split: new Map<string, ListWord[] | null>(), needs: new Map<string, string[] | null>(), fold: new Map<string, boolean>() };
const patternKey = (source: string, flags: string) => `${flags}/${source}`;

function cached<T>(kind: keyof typeof computed, source: string, flags: string, compute: () => T): T {
  const key = patternKey(source, flags);
  const done = computed[kind].get(key) as T | undefined;
  if (done !== undefined) return done;
  const found = built && Object.hasOwn(built[kind], key) ? (built[kind][key] as T) : undefined;
  const value = found !== undefined ? found : compute();
  computed[kind].set(key, value as never);
  return value;
}

/**
 * The tables of every pattern registered so far (the lexicon's and severity's, once they are loaded), as the two
 * files a start reads: `npm run build` writes them beside the compiled module.
 */
export function prefilterTables(): { json: string; bin: Buffer } {
  const tables = scannerTables(registered);
  const arrays = [tables.classOf, tables.delta, tables.outStart, tables.outputs] as const;
  const header: TablesHeader = {
    split: Object.fromEntries(computed.split),
    needs: Object.fromEntries(computed.needs),
    fold: Object.fromEntries(computed.fold),
    scanner: {
      key: scannerKey(),
      classes: tables.classes,
      endsFrom: tables.endsFrom,
      wide: tables.delta instanceof Uint32Array,
      lengths: arrays.map((a) => a.length) as TablesHeader['scanner']['lengths'],
    },
  };
  return { json: JSON.stringify(header), bin: Buffer.concat(arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))) };
}

/** Reads tables written by prefilterTables(); undefined when they do not fit together (then all is computed). */
export function readPrefilterTables(json: string, bin: Buffer): BuiltTables | undefined {
  const header = JSON.parse(json) as TablesHeader;
  const [classOf, delta, outStart, outputs] = header.scanner.lengths;
  const width = header.scanner.wide ? 4 : 2;
  if (classOf !== 65536 || bin.length !== classOf + delta * width + (outStart + outputs) * 4) return undefined;
  // Copied out of the file's buffer: typed arrays need their own alignment.
  let at = 0;
  const take = (bytes: number) => new Uint8Array(bin.subarray(at, (at += bytes))).buffer;
  return {
    split: header.split,
    needs: header.needs,
    fold: header.fold,
    scanner: {
      key: header.scanner.key,
      tables: {
        classOf: new Uint8Array(take(classOf)),
        classes: header.scanner.classes,
        delta: header.scanner.wide ? new Uint32Array(take(delta * 4)) : new Uint16Array(take(delta * 2)),
        endsFrom: header.scanner.endsFrom,
        outStart: new Uint32Array(take(outStart * 4)),
        outputs: new Uint32Array(take(outputs * 4)),
      },
    },
  };
}

function loadBuiltTables(): BuiltTables | undefined {
  let json: string;
  try {
    json = readFileSync(TABLES_JSON, 'utf8');
  } catch {
    return undefined; // not built: everything is computed
  }
  return readPrefilterTables(json, readFileSync(TABLES_BIN));
}

const built = loadBuiltTables();

/** Every pattern of every table, for warmUpSteps(). */
const tabled: (() => RegExp)[] = [];
const SAMPLE = 'a post about a flight, a bag and a delay: nothing in it matches much at all';

/**
 * Steps that compile every table's patterns ahead of need, one pattern a step. V8 compiles a regex to machine code
 * on its second run, once for one-byte and once for two-byte texts (an emoji makes a post two-byte), a few to a
 * few tens of milliseconds for the big lexicon patterns: a live stream that left it to the first posts would see
 * those posts wait. Each step runs the plain regex twice on a text of each kind (no prefilter, so it always runs).
 */
export function warmUpSteps(): (() => void)[] {
  const exec = RegExp.prototype.exec;
  return tabled.map((made) => () => {
    const re = made();
    for (const text of [SAMPLE, SAMPLE, `${SAMPLE} 🙂`, `${SAMPLE} 🙂`]) {
      re.lastIndex = 0;
      exec.call(re, text);
    }
    re.lastIndex = 0;
  });
}

/** Whether a node holds an assertion (\b, ^, a lookaround): its strings alone do not say where it matches. */
function constrained(node: AST.Node): boolean {
  let found = false;
  visitRegExpAST(node, { onAssertionEnter: () => (found = true) });
  return found;
}
/** A word whose needed strings are all at least this long is rare enough to share its list's regex. */
const RARE_STRING = 8;
/** At most this many strings make a literal word (each is looked for when one of them occurs). */
const MAX_LITERALS = 16;

/** One word of a list: its pattern, its needed strings, and the literal it is when it is one (see hasWord). */
export interface ListWord {
  source: string;
  needs: string[] | null;
  /**
   * A word that is one of a few literal strings ("bag", "fl(?:y|ies|ew)", "check[- ]?in"), its needed strings,
   * between the lexicon's word boundaries (bounded) or with none: tested without a regex.
   */
  literal?: { bounded: boolean };
}
const BOUNDED = ['(?:^|[^\\p{L}\\p{N}])', '(?![\\p{L}\\p{N}])'];

/**
 * A pattern made of one alternation between a fixed prefix and suffix (a lexicon word list: "(?:^|[^\p{L}])(?:a|b|…)
 * (?![\p{L}])"), as its words, each part with the same prefix, suffix and flags; the pattern matches a text exactly
 * when one part does. A word that is one of a few strings is tested as those strings, without a regex; a word with
 * a short needed string is a pattern of its own, and the words with long ones share one, each run only when one of
 * its own strings occurs (not whenever the least selective word of the whole list could match); words whose strings
 * cannot be said share another, always run. Null when the pattern has no such alternation, or holds a group or
 * reference that splitting could change.
 */
export function splitAlternatives(re: RegExp): ListWord[] | null {
  if (re.flags.includes('i') || re.flags.includes('v') || re.global || re.sticky) return null;
  const literal = parseRegExpLiteral(re);
  const { pattern } = literal;
  if (pattern.alternatives.length !== 1) return null;
  let capturing = false;
  visitRegExpAST(pattern, { onCapturingGroupEnter: () => (capturing = true), onBackreferenceEnter: () => (capturing = true) });
  if (capturing) return null;
  const elements = pattern.alternatives[0]!.elements;
  let widest: AST.Group | null = null;
  for (const e of elements) if (e.type === 'Group' && (!widest || e.alternatives.length > widest.alternatives.length)) widest = e;
  if (!widest || widest.alternatives.length < 2) return null;
  const raw = literal.raw;
  const before = raw.slice(pattern.start, widest.start);
  const after = raw.slice(widest.end, pattern.end);
  const source = (alternatives: string[]) => `${before}(?:${alternatives.join('|')})${after}`;
  const parts: ListWord[] = [];
  const bounded = re.flags === 'u' && before === BOUNDED[0] && after === BOUNDED[1];
  const bare = re.flags === 'u' && before === '' && after === '';
  const unsaid: string[] = [];
  // A word with a short string (" flight", "turn") occurs often: it gets a regex of its own, so that only it runs.
  // The words with long, rare strings share one: each regex costs its compilation (the \p{L} boundaries make that
  // about a millisecond, for one-byte and again for two-byte texts), and a rare string seldom makes it run.
  const others: { raw: string[]; needs: string[] } = { raw: [], needs: [] };
  for (const alternative of widest.alternatives) {
    // A word that is one of a few strings needs no regex at all (nor its compilation, see above).
    const own = (bounded || bare) && !constrained(alternative) && literals(alternative).exact;
    if (own && own.size <= MAX_LITERALS && !own.has('')) {
      parts.push({ source: source([alternative.raw]), needs: [...own], literal: { bounded } });
      continue;
    }
    // What requiredLiterals() reads off the pattern with this alternative alone in the group, without parsing it.
    const one = union([sequence(elements, (e) => (e === widest ? union([literals(alternative)]) : literals(e)))]);
    const needs = better(one.exact, one.needs);
    if (!needs) unsaid.push(alternative.raw);
    else if (strength(needs) < RARE_STRING) parts.push({ source: source([alternative.raw]), needs: [...needs] });
    else {
      others.raw.push(alternative.raw);
      others.needs.push(...needs);
    }
  }
  if (others.raw.length) parts.push({ source: source(others.raw), needs: [...new Set(others.needs)] });
  if (unsaid.length) parts.push({ source: source(unsaid), needs: null });
  return parts.length > 1 ? parts : null;
}

/**
 * Whether a pattern matches the folded text (lexiconText) exactly where it matches the text, with its \p{L} and
 * \p{N} read as latinLetters() reads them: nothing in it tells a letter or number from U+0250 on from its
 * stand-in. It may hold no such letter or number and no stand-in (as a character or in a range), no property
 * escape but \p{L} and \p{N} (a stand-in is no Cyrillic letter, nor a capital), no back-reference (two different
 * letters fold to one), and no case-insensitivity (U+212A K folds to k). Any other pattern reads the text itself.
 */
export function foldable(source: string, flags: string): boolean {
  if (flags !== 'u' || !source.includes('\\p{')) return false;
  const told = (cp: number) => cp === LETTER_STAND_IN || cp === NUMBER_STAND_IN || (cp >= FOLD_FROM && cp <= 0xffff && classOf(cp) >= 2);
  let ok = true;
  visitRegExpAST(parseRegExpLiteral(new RegExp(source, flags)), {
    onBackreferenceEnter: () => (ok = false),
    onCharacterEnter: (c) => void (told(c.value) && (ok = false)),
    onCharacterClassRangeEnter: (r) => {
      for (let cp = Math.max(r.min.value, LETTER_STAND_IN); ok && cp <= Math.min(r.max.value, 0xffff); cp++) if (told(cp)) ok = false;
      if (r.max.value > 0xffff) ok = false;
    },
    onCharacterSetEnter: (set) => {
      if (set.kind === 'property' && !(set.key === 'General_Category' && ['L', 'Letter', 'N', 'Number'].includes(set.value ?? ''))) ok = false;
    },
  });
  return ok;
}

/**
 * A pattern made when first needed: `made` is its quick form (latinLetters when it may read a folded text, else
 * bmpLetters: either compiles quicker than the pattern as written), and `test` runs that one on a text without a
 * letter or number beyond the BMP (folded, when it may be), the pattern as written on the rare text with one.
 */
function lazyPattern(source: string, flags: string): { made: () => RegExp; test: (text: string) => boolean } {
  const fold = cached('fold', source, flags, () => foldable(source, flags));
  let quick: RegExp | null = null;
  let exact: RegExp | null = null;
  const made = () => (quick ??= new RegExp(fold ? latinLetters(source) : bmpLetters(source), flags));
  return {
    made,
    test: (text) => {
      const folded = lexiconText(text);
      if (folded === null) return (exact ??= new RegExp(source, flags)).test(text);
      return (quick ?? made()).test(fold ? folded : text);
    },
  };
}

/**
 * The same table of patterns, each `test` preceded by the one-pass check of its needed strings (and a word list
 * tested as one pattern per word, see splitAlternatives). Patterns keep their source, flags and every other method;
 * only `test` gains the shortcut.
 */
export function withPrefilter<T extends Record<string, RegExp>>(table: T): T {
  for (const re of Object.values(table)) {
    const split = cached('split', re.source, re.flags, () => splitAlternatives(re));
    if (split) {
      // Each part's regex is made when first needed: most are never run on most posts, and making ~2,000 at
      // start would cost more than the whole start-up of classify may.
      // A word list's words are registered together; the scan lists the words whose strings occur, so a text is
      // answered by running those words' regexes alone (and the words whose strings cannot be said).
      const list = lists++;
      const first = registered.length;
      const words: ((text: string) => boolean)[] = [];
      let unsaid: ((text: string) => boolean) | null = null;
      for (const { source, needs, literal } of split) {
        if (literal) {
          // A literal word matches where one of its needed strings stands between its boundaries.
          const texts = needs!;
          const { bounded } = literal;
          registered.push({ needs: texts, list });
          const found = bounded ? (text: string, word: string) => hasWord(text, word) : (text: string, word: string) => text.includes(word);
          words.push(texts.length === 1 ? (text) => found(text, texts[0]!) : (text) => texts.some((word) => found(text, word)));
          continue;
        }
        const pattern = lazyPattern(source, re.flags);
        tabled.push(pattern.made);
        if (needs) {
          registered.push({ needs, list });
          words.push(pattern.test);
        } else unsaid = pattern.test;
      }
      shared = null;
      Object.defineProperty(re, 'test', {
        value: (text: string) => {
          if (unsaid?.(text)) return true;
          const sc = scanner();
          const { hits, hitCount } = sc.scanOf(text);
          for (let k = sc.listStart[list]!, end = k + hitCount[list]!; k < end; k++) if (words[hits[k]! - first]!(text)) return true;
          return false;
        },
      });
      continue;
    }
    const needs = re.global || re.sticky ? null : cached('needs', re.source, re.flags, () => requiredLiterals(re));
    if (!needs) {
      tabled.push(() => re);
      continue;
    }
    const id = registered.push({ needs, list: -1 }) - 1;
    shared = null;
    const pattern = lazyPattern(re.source, re.flags);
    tabled.push(pattern.made);
    Object.defineProperty(re, 'test', { value: (text: string) => scanner().mayMatch(text, id) && pattern.test(text) });
  }
  return table;
}
