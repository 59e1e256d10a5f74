/**
 * How detection reads a text, which the analysts read it by too, so a card speaks of a post as triage saw it
 * (its language, the event it names). Detection provides it (src/detect/reading.ts) and the composition root
 * hands it to the analysts: they import nothing of src/detect.
 */
export interface TextReading {
  /** The text's language: an ISO code ('en', 'nl', …), 'und' when nothing can be said. */
  language(text: string): string;
  /** Lower-cased, URLs dropped and hashtags unwrapped: the text detection's word lists run on. */
  normalise(text: string): string;
  /** Detection's words for a dated cultural event ("elfstedentocht", "the final"), matched on normalised text. */
  eventWords: RegExp;
}
