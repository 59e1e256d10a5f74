import { eld } from 'eld/small';

eld.enableTextCleanup(true);

// Function words settle short posts that n-grams cannot ("koffer kwijt?" vs "bag lost?").
const NL = /\b(ik|je|jij|mijn|het|een|niet|wel|naar|met|voor|van|dat|die|wat|hoe|waar|zijn|heb|heeft|ook|nog|maar|geen|deze|bij|jullie|bedankt|koffer|vlucht)\b/g;
const EN = /\b(i|you|my|the|a|not|to|with|for|of|that|what|how|where|is|are|have|has|also|still|but|no|this|at|your|thanks|bag|flight)\b/g;
const UNDETERMINED = new Set(['und', 'qme', 'qht', 'zxx', 'art', 'qam', 'qct']);

/**
 * The post's language: the platform's own label when it has one, else detected. Dutch and English are told
 * apart with care; other languages pass through with their ISO code; 'und' when nothing can be said.
 */
export function detectLanguage(text: string, declared?: string): string {
  if (declared && !UNDETERMINED.has(declared)) return declared.toLowerCase();
  const clean = text
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/[@#]\w+/g, ' ')
    .toLowerCase();
  const nl = clean.match(NL)?.length ?? 0;
  const en = clean.match(EN)?.length ?? 0;
  const detected = clean.trim().length >= 12 ? eld.detect(clean) : null;
  const lang = detected?.language ?? '';
  if (lang && lang !== 'nl' && lang !== 'en' && detected?.isReliable() && clean.length > 30) return lang;
  if (nl > en) return 'nl';
  if (en > nl) return 'en';
  if (lang === 'nl' || lang === 'en') return lang;
  return lang || 'und';
}
