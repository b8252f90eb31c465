/**
 * Text helpers shared by the SEO/GEO analyser: accent folding, term keys, stop words.
 * Pure functions, no I/O; every ordering is explicit so results never depend on the runtime's collation.
 */

export type SeoLocale = 'fr' | 'en';

/** Lowercase and strip diacritics (é → e, œ → oe, æ → ae, ß → ss). */
export function fold(text: string): string {
  return text
    .toLowerCase()
    .replace(/œ/g, 'oe')
    .replace(/æ/g, 'ae')
    .replace(/ß/g, 'ss')
    .normalize('NFD')
    .replace(/\p{M}+/gu, '');
}

const FR_ELISION = /^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)['’]/;

/**
 * Terms of a text for matching (keyword, related terms, internal links): folded, elisions dropped
 * (`l'école` → `ecole`), split on anything that is not a letter or a digit.
 */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/[^\p{L}\p{N}'’]+/u)) {
    if (!raw) continue;
    const lowered = raw.toLowerCase().replace(FR_ELISION, '');
    for (const piece of fold(lowered).split(/['’]+/)) {
      if (piece) out.push(piece);
    }
  }
  return out;
}

/** A term's matching key: folded, with a naive plural folded (`croissants` → `croissant`, `gâteaux` → `gateau`). */
export function termKey(term: string): string {
  const t = fold(term);
  if (t.length > 3 && /[a-z]s$/.test(t) && !t.endsWith('ss')) return t.slice(0, -1);
  if (t.length > 4 && t.endsWith('aux')) return t.slice(0, -1);
  if (t.length > 4 && /(eau|eu)x$/.test(t)) return t.slice(0, -1);
  return t;
}

const STOP_FR = `a à au aux avec ce ces cet cette ceci cela ça c d dans de des du elle elles en est et être été était
  il ils je j l la le les leur leurs lui m ma mais me mes moi mon même n ne ni nos notre nous on ont ou où par pas
  peu plus pour qu que quel quelle quels quelles qui quoi s sa sans se ses si son sont sur t ta te tes toi ton tu
  un une vos votre vous y aussi car donc or comme très tout tous toute toutes avoir fait faire sont entre chez
  dont afin ainsi alors après avant bien cela celui celle ceux depuis encore été ici là leur lors puis quand sous
  vers voici voilà votre vôtre aujourd hui chaque moins sera seront serait seraient soit peut peuvent pourra pourrait
  doit doivent devra avait avaient aura auront également selon`;
const STOP_EN = `a about after all also an and any are as at be been being but by can could did do does for from
  had has have he her here his how i if in into is it its just may me more most my no not of on one or our out
  over so some such than that the their them then there these they this those through to too up us very was we
  were what when where which while who why will with would you your yours`;

const STOP_WORDS: Record<SeoLocale, ReadonlySet<string>> = {
  fr: new Set(STOP_FR.split(/\s+/).filter(Boolean).map(fold)),
  en: new Set(STOP_EN.split(/\s+/).filter(Boolean).map(fold)),
};

export function isStopWord(term: string, locale: SeoLocale): boolean {
  const t = fold(term);
  return STOP_WORDS[locale].has(t);
}

/** Significant terms: not stop words, at least 3 characters or a number. */
export function significantTerms(text: string, locale: SeoLocale): string[] {
  return terms(text).filter((t) => (t.length >= 3 || /^\d+$/.test(t)) && !isStopWord(t, locale));
}

/** Plain ordinal comparison (no ICU collation), so sorting is identical everywhere. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Cut `text` to at most `max` characters at a word boundary (no ellipsis added). */
export function cutAtWord(text: string, max: number): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (clean.length <= max) return clean;
  const cut = clean.slice(0, max + 1);
  const space = cut.lastIndexOf(' ');
  const base = space > max * 0.5 ? cut.slice(0, space) : clean.slice(0, max);
  return base.replace(/[\s,;:–—-]+$/u, '');
}

/** Drops the words a cut left dangling at the end (`… approuvé à` → `… approuvé`): stop words, trailing punctuation. */
export function trimDanglingWords(text: string, locale: SeoLocale): string {
  let out = text.replace(/[\s,;:–—-]+$/u, '');
  for (;;) {
    const match = /\s+([\p{L}'’]+)$/u.exec(out);
    if (!match || !isStopWord(match[1].replace(/['’]$/, ''), locale)) return out;
    out = out.slice(0, match.index).replace(/[\s,;:–—-]+$/u, '');
  }
}

/** Word-level occurrences of `phrase` (as term keys) in `haystack` (term keys). */
export function countPhrase(haystack: string[], phrase: string[]): number {
  if (phrase.length === 0 || haystack.length < phrase.length) return 0;
  let count = 0;
  for (let i = 0; i + phrase.length <= haystack.length; i++) {
    let ok = true;
    for (let j = 0; j < phrase.length; j++) {
      if (haystack[i + j] !== phrase[j]) {
        ok = false;
        break;
      }
    }
    if (ok) {
      count++;
      i += phrase.length - 1;
    }
  }
  return count;
}

/** Term keys of a text, for phrase matching. */
export function termKeys(text: string): string[] {
  return terms(text).map(termKey);
}
