/**
 * The language of a review, guessed from its most common words: Google does not say which language a review is
 * written in, and the reply must be in that language. A text too short or without a clear winner gets the tenant's.
 */
const STOPWORDS: Record<string, string[]> = {
  fr: ['le', 'la', 'les', 'et', 'est', 'très', 'un', 'une', 'des', 'pour', 'avec', 'pas', 'nous', 'je', 'du', 'au', 'mais', 'bien', 'accueil', 'merci', 'sont', 'était', 'vraiment', 'tout'],
  en: ['the', 'and', 'is', 'was', 'very', 'a', 'for', 'with', 'not', 'we', 'i', 'of', 'to', 'but', 'good', 'great', 'staff', 'thanks', 'were', 'really', 'it', 'this'],
  de: ['der', 'die', 'das', 'und', 'ist', 'sehr', 'ein', 'eine', 'nicht', 'wir', 'ich', 'mit', 'für', 'aber', 'gut', 'war', 'freundlich', 'auch', 'zu'],
  es: ['el', 'los', 'las', 'y', 'es', 'muy', 'una', 'para', 'con', 'pero', 'bueno', 'fue', 'nos', 'yo', 'que', 'gracias', 'todo', 'del'],
  it: ['il', 'gli', 'e', 'è', 'molto', 'una', 'per', 'con', 'non', 'ma', 'buono', 'era', 'noi', 'io', 'che', 'grazie', 'tutto', 'della'],
  nl: ['de', 'het', 'en', 'is', 'zeer', 'een', 'voor', 'met', 'niet', 'wij', 'ik', 'maar', 'goed', 'was', 'heel', 'lekker', 'vriendelijk'],
};

const MIN_HITS = 2;

export function guessLanguage(text: string, fallback: string): string {
  const words = text.toLowerCase().match(/[\p{L}']+/gu) ?? [];
  if (words.length < 3) return fallback;
  let best = fallback;
  let bestScore = 0;
  let tie = false;
  for (const [code, list] of Object.entries(STOPWORDS)) {
    const set = new Set(list);
    const score = words.filter((w) => set.has(w)).length;
    if (score > bestScore) [best, bestScore, tie] = [code, score, false];
    else if (score === bestScore && score > 0) tie = true;
  }
  return bestScore >= MIN_HITS && !tie ? best : fallback;
}

/** Names of languages for the model's instructions (English instructions, like the studio's). */
const NAMES: Record<string, string> = { fr: 'French', en: 'English', de: 'German', es: 'Spanish', it: 'Italian', nl: 'Dutch', pt: 'Portuguese' };

export function languageName(code: string): string {
  return NAMES[code.slice(0, 2)] ?? `the language whose ISO 639-1 code is "${code}"`;
}
