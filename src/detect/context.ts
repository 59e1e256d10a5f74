/**
 * What triage knows beyond the post itself. Watch terms come from /watch and the event calendar; rising terms
 * from the trends detector. Both are read on every post, so providers must be cheap (cached arrays).
 */
export interface TriageContext {
  brand: { name: string; handles: readonly string[]; terms: readonly string[] };
  /** Lower-case terms and events the team watches, and calendar events active today. */
  watchTerms(): readonly string[];
  /** Lower-case terms rising in the stream right now (detect/trends). */
  risingTerms(): readonly string[];
}

export function staticContext(
  brand: TriageContext['brand'],
  watch: readonly string[] = [],
  rising: readonly string[] = [],
): TriageContext {
  return { brand, watchTerms: () => watch, risingTerms: () => rising };
}
