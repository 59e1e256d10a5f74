/**
 * When each author last counted for each term, for the trends detector's "one author counts once per term per
 * window". It behaves as one map of "author × term" keys kept in the order they were last set (the oldest first,
 * for expiry and for the cap), but is held as author → term → time: a post looks its author up once and each of
 * its terms with the term's own string, instead of building and hashing an "author\0term" string a term.
 */
export class CountedKeys {
  private readonly byAuthor = new Map<string, Map<string, number>>();
  /** Every key in the order set, as (author, term, time); an entry whose key was set again since is stale. */
  private authors: string[] = [];
  private terms: string[] = [];
  private times: number[] = [];
  private head = 0;
  private live = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.live;
  }

  /** The author's terms (pass them to get), or undefined when the author has none. */
  of(author: string): Map<string, number> | undefined {
    return this.byAuthor.get(author);
  }

  /**
   * Sets (author, term) to `at`, the newest key; over `max` keys the oldest tenth is forgotten. `terms` is of(author)
   * when the caller has it. Returns the author's terms, which may be a new map.
   */
  set(author: string, term: string, at: number, terms = this.byAuthor.get(author)): Map<string, number> {
    if (!terms) {
      terms = new Map();
      this.byAuthor.set(author, terms);
    }
    if (!terms.has(term)) this.live++;
    terms.set(term, at);
    this.authors.push(author);
    this.terms.push(term);
    this.times.push(at);
    if (this.live > this.max) this.drop(Math.ceil(this.max / 10), Infinity);
    return this.byAuthor.get(author) ?? terms;
  }

  /** Forgets the keys set at or before `since` (the expired ones are at the front of the order). */
  expire(since: number): void {
    this.drop(Infinity, since);
  }

  /** Forgets up to `count` of the oldest keys, stopping at the first one set after `until`. */
  private drop(count: number, until: number): void {
    const { authors, terms, times } = this;
    let i = this.head;
    while (count > 0 && i < times.length) {
      const at = times[i]!;
      const author = authors[i]!;
      const term = terms[i]!;
      const map = this.byAuthor.get(author);
      if (map === undefined || map.get(term) !== at) {
        i++; // set again since: its newer entry comes later
        continue;
      }
      if (at > until) break;
      map.delete(term);
      if (!map.size) this.byAuthor.delete(author);
      this.live--;
      count--;
      i++;
    }
    this.head = i;
    // Let the consumed front go once it is most of the arrays.
    if (i > 1024 && i * 2 > times.length) {
      this.authors = authors.slice(i);
      this.terms = terms.slice(i);
      this.times = times.slice(i);
      this.head = 0;
    }
  }
}
