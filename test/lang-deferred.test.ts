import { describe, expect, it } from 'vitest';
import { languageDetection } from '../src/detect/lang-mode';

// This file's own module graph: the language module loads here after `deferred` is set, as classify's does.
languageDetection.deferred = true;
const lang = await import('../src/detect/lang');

describe('language detection with the n-gram detector deferred', () => {
  const spanish = 'Vuelo a Boston con retraso de dos horas, no hay nadie en el mostrador para ayudar';

  it('settles posts by their function words without loading it, and says which posts need it', () => {
    expect(lang.languageDetectorLoaded()).toBe(false);
    expect(lang.detectLanguage('Where is my suitcase, I have been waiting three hours')).toBe('en');
    expect(lang.detectLanguage('Waar is mijn koffer gebleven, ik wacht al drie uur')).toBe('nl');
    expect(lang.needsLanguageDetector('Where is my suitcase, I have been waiting three hours')).toBe(false);
    expect(lang.needsLanguageDetector(spanish)).toBe(true);
    expect(lang.needsLanguageDetector(spanish, 'es')).toBe(false);
    expect(lang.languageDetectorLoaded()).toBe(false);
  });

  it('refuses to guess where it is needed and not loaded, and answers once it is', async () => {
    expect(() => lang.detectLanguage(spanish)).toThrow(/not loaded/);
    await lang.loadLanguageDetector();
    expect(lang.languageDetectorLoaded()).toBe(true);
    expect(lang.detectLanguage(spanish)).toBe('es');
  });
});
