import type { TextReading } from '../domain/reading';
import { detectLanguage } from './lang';
import { LEX } from './lexicon';
import { normalise } from './triage';

/** Detection's own reading of a text, for the analysts (the composition root hands it in). */
export const detectionReading: TextReading = {
  language: (text) => detectLanguage(text),
  normalise,
  eventWords: LEX.culturalEvent,
};
