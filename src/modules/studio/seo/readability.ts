/**
 * Readability: sentence/word splitting, syllable heuristics, Flesch Reading Ease (English) and
 * Kandel & Moles (French, 1958 adaptation of Flesch).
 *
 *   Flesch (en):        206.835 − 1.015 × ASL − 84.6 × ASW
 *   Kandel & Moles (fr): 207    − 1.015 × ASL − 73.6 × ASW
 *
 * ASL = words / sentences, ASW = syllables / words. The formulas are exact; the syllable counts are
 * heuristics (French: vowel groups, `qu`/`gu`, tréma, silent final -e/-es/-ent; English: vowel groups with
 * silent -e/-es/-ed and a few hiatus rules) and are expected within ±1 syllable per 10 words.
 *
 * Counting conventions (the hand-checked tests follow them):
 * - a word is a run of letters/digits, joined by apostrophes or hyphens (`l'école`, `peut-être`, `aujourd'hui`
 *   are one word each), so is an initialism (`e.g.`, `U.S.`); a number (`3,5`, `2024`) is one word and counts
 *   one syllable per digit (at most 4); an abbreviation counts as written (`M.`, `p.`, `h` → 1 syllable);
 * - URLs and e-mail addresses are not words;
 * - a sentence ends at `.`, `!`, `?`, `…` (or `...`) followed by something that does not start lowercase,
 *   except after titles (M., Dr, Mr.…), initials (J.), `p. ex.`, `e.g.`, `i.e.`, `cf.`, `vs.`, or `n°/no./p.`
 *   followed by a number; a decimal point never ends one. Each Markdown block (paragraph, list item) ends its
 *   last sentence even without punctuation; headings are not counted.
 */
import type { SeoLocale } from './text.js';

const VOWELS_FR = 'aeiouyàâäéèêëîïôöùûüÿæœ';
const TREMA = 'ëïüÿ';
const VOWEL_FR = new Set(VOWELS_FR);

/** -ent endings that are pronounced (nouns, adjectives, adverbs), for the silent verb -ent rule. */
const FR_PRONOUNCED_ENT = new Set(
  `absent accent accident adolescent agent argent cent client compétent concurrent conscient content continent
  dent différent équivalent évident excellent fréquent gent incident innocent intelligent lent parent patient
  permanent pertinent précédent présent président prudent récent régent serpent souvent talent torrent
  transparent urgent vent violent cohérent évènement événement comment moment segment ingrédient`
    .split(/\s+/)
    .filter(Boolean),
);

function countFrenchPart(part: string): number {
  if (/^\d/.test(part)) return Math.min(4, Math.max(1, part.replace(/\D/g, '').length));
  let w = part.toLowerCase().replace(/[^a-zàâäéèêëîïôöùûüÿæœç]/g, '');
  if (!w) return 0;
  const original = w;
  // `qu` and `gu` + e/i: the u is not pronounced as a vowel of its own.
  w = w.replace(/qu/g, 'q').replace(/gu(?=[eiéèêëîï])/g, 'g');
  let groups = 0;
  let inGroup = false;
  for (const ch of w) {
    if (VOWEL_FR.has(ch)) {
      if (!inGroup || TREMA.includes(ch)) groups++;
      inGroup = true;
    } else {
      inGroup = false;
    }
  }
  if (groups > 1) {
    const isVowel = (c: string | undefined) => c !== undefined && VOWEL_FR.has(c);
    if (w.endsWith('e') && !isVowel(w[w.length - 2])) groups--;
    else if (w.endsWith('es') && !isVowel(w[w.length - 3])) groups--;
    else if (
      w.endsWith('ent') &&
      !isVowel(w[w.length - 4]) &&
      !original.endsWith('ment') &&
      !FR_PRONOUNCED_ENT.has(original)
    )
      groups--;
  }
  return Math.max(1, groups);
}

const EN_EXCEPTIONS: Record<string, number> = {
  business: 2,
  businesses: 3,
  every: 2,
  everyone: 3,
  everything: 3,
  people: 2,
  area: 3,
  idea: 3,
  create: 2,
  created: 3,
  recipe: 3,
  recipes: 3,
  family: 3,
  different: 3,
  evening: 2,
  interest: 3,
  interesting: 4,
  average: 3,
  several: 3,
  favorite: 3,
  favourite: 3,
  chocolate: 3,
  vegetable: 4,
  vegetables: 4,
  naturally: 4,
  real: 1,
  really: 2,
  quiet: 2,
  science: 2,
  being: 2,
  poem: 2,
  fire: 1,
  hour: 1,
  hours: 1,
  our: 1,
};

function countEnglishPart(part: string): number {
  if (/^\d/.test(part)) return Math.min(4, Math.max(1, part.replace(/\D/g, '').length));
  let w = part.toLowerCase().replace(/[^a-z]/g, '');
  if (!w) return 0;
  if (EN_EXCEPTIONS[w] !== undefined) return EN_EXCEPTIONS[w];
  if (w.length <= 3) return 1;
  const endsIng = /[aeiou]ing$/.test(w);
  if (/[^td]ed$/.test(w) && /[aeiouy]/.test(w.slice(0, -2))) w = w.slice(0, -2);
  else if (/es$/.test(w) && !/(?:[sxzcg]|ch|sh)es$/.test(w) && /[aeiouy]/.test(w.slice(0, -2))) w = w.slice(0, -2);
  else if (/e$/.test(w) && !/[^aeiouy]le$/.test(w) && !/ee$/.test(w) && /[aeiouy]/.test(w.slice(0, -1))) w = w.slice(0, -1);
  w = w.replace(/^y/, '');
  let groups = (w.match(/[aeiouy]+/g) ?? []).length;
  // Hiatus the vowel-group rule merges: media, studio, video, actual.
  groups += (w.match(/[^cgts]ia|[^cgtsx]io(?!us|n)|[^p]eo|[^gq]ua/g) ?? []).length;
  if (endsIng) groups++;
  return Math.max(1, groups);
}

/** Heuristic syllable count of one word (hyphenated parts summed, apostrophes joined). */
export function countSyllables(word: string, locale: SeoLocale): number {
  const joined = word.replace(/['’]/g, '');
  const parts = joined.split(/-+/).filter(Boolean);
  const count = locale === 'fr' ? countFrenchPart : countEnglishPart;
  return Math.max(
    1,
    parts.reduce((sum, p) => sum + count(p), 0),
  );
}

const WORD = /\p{L}(?:\.\p{L})+\.?|\p{N}+(?:[.,]\p{N}+)*\p{L}*|[\p{L}\p{M}][\p{L}\p{M}\p{N}]*(?:['’-][\p{L}\p{M}\p{N}]+)*/gu;
const URL_OR_EMAIL = /(?:https?:\/\/|www\.)\S+|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+/gi;

/** Words of a text (URLs and e-mail addresses removed). */
export function splitWords(text: string): string[] {
  return text.replace(URL_OR_EMAIL, ' ').match(WORD) ?? [];
}

/** Titles before a name: never end a sentence. */
const TITLES = new Set(['m', 'mm', 'mme', 'mmes', 'mlle', 'mlles', 'dr', 'pr', 'mr', 'mrs', 'ms', 'messrs', 'prof', 'st', 'ste', 'mgr', 'me']);
/** Abbreviations that stay inside a sentence. */
const INSIDE = new Set(['cf', 'ex', 'vs', 'env', 'approx', 'ca', 'resp', 'av', 'e.g', 'i.e', 'c.-à-d', 'c-à-d', 'viz', 'al']);
/** Abbreviations that end no sentence when a number follows (n°, p. 12, vol. 3…). */
const BEFORE_NUMBER = new Set(['no', 'nos', 'n', 'p', 'pp', 'vol', 'chap', 'fig', 'art', 'tél', 'tel', 'ch', 'réf', 'ref']);

const TERMINAL = /(?:[.!?…]+)["'’”»)\]]*$/u;
const OPENERS = /^["'“«(\[]+/u;

function isLowercaseStart(token: string): boolean {
  const t = token.replace(OPENERS, '');
  const ch = t.charAt(0);
  return ch !== '' && ch !== ch.toUpperCase() && ch === ch.toLowerCase();
}

function isAbbreviationStop(token: string, next: string | undefined): boolean {
  if (!/\.$/.test(token) || /\.\.$/.test(token)) return false;
  const bare = token.replace(OPENERS, '').slice(0, -1);
  const lower = bare.toLowerCase();
  if (TITLES.has(lower) && bare.charAt(0) === bare.charAt(0).toUpperCase()) return true;
  if (INSIDE.has(lower)) return true;
  if (BEFORE_NUMBER.has(lower) && next !== undefined && /^\d/.test(next)) return true;
  // Initials (`J.`), initialisms with inner dots (`e.g.`, `U.S.`, `c.-à-d.`).
  if (/^\p{Lu}$/u.test(bare)) return true;
  if (/^(?:\p{L}{1,2}\.-?)+\p{L}{1,2}$/u.test(bare)) return true;
  return false;
}

/**
 * Sentences of a text. Blank lines are hard boundaries; within a paragraph a terminator ends a sentence
 * when the next token does not start lowercase and the token is not an abbreviation.
 */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    const tokens = paragraph.split(/\s+/).filter(Boolean);
    let current: string[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i];
      current.push(token);
      if (!TERMINAL.test(token)) continue;
      let j = i + 1;
      // Closing punctuation written apart (French spacing: `… ! »`) stays with this sentence.
      while (j < tokens.length && /^[»"”’)\]]+[.,;:!?…]*$/u.test(tokens[j])) {
        current.push(tokens[j]);
        j++;
      }
      const next = tokens[j];
      if (next !== undefined && isLowercaseStart(next)) {
        i = j - 1;
        continue;
      }
      if (isAbbreviationStop(token, next)) {
        i = j - 1;
        continue;
      }
      out.push(current.join(' '));
      current = [];
      i = j - 1;
    }
    if (current.length) out.push(current.join(' '));
  }
  return out.filter((s) => splitWords(s).length > 0);
}

export type ReadingLevel = 'veryEasy' | 'easy' | 'fairlyEasy' | 'standard' | 'fairlyDifficult' | 'difficult' | 'veryDifficult';

export interface ReadabilityCounts {
  sentences: number;
  words: number;
  syllables: number;
}

export interface ReadabilityResult extends ReadabilityCounts {
  locale: SeoLocale;
  formula: 'kandel-moles' | 'flesch';
  /** The formula's value, unrounded (may leave 0–100 for extreme texts). */
  score: number;
  averageSentenceLength: number;
  averageSyllablesPerWord: number;
  level: ReadingLevel;
  /** i18n key of the level's label (`studio.seo.readability.levels.<level>`). */
  label: string;
  /** Sentences longer than the advisable maximum (25 words in French, 20 in English). */
  longSentences: number;
  longSentenceThreshold: number;
}

/** Flesch Reading Ease (English). */
export function fleschReadingEase(c: ReadabilityCounts): number {
  if (c.words === 0 || c.sentences === 0) return 0;
  return 206.835 - 1.015 * (c.words / c.sentences) - 84.6 * (c.syllables / c.words);
}

/** Kandel & Moles (French adaptation of Flesch). */
export function kandelMoles(c: ReadabilityCounts): number {
  if (c.words === 0 || c.sentences === 0) return 0;
  return 207 - 1.015 * (c.words / c.sentences) - 73.6 * (c.syllables / c.words);
}

/** Flesch's bands, used for both formulas: ≥90 very easy … <30 very difficult. */
export function readingLevel(score: number): ReadingLevel {
  if (score >= 90) return 'veryEasy';
  if (score >= 80) return 'easy';
  if (score >= 70) return 'fairlyEasy';
  if (score >= 60) return 'standard';
  if (score >= 50) return 'fairlyDifficult';
  if (score >= 30) return 'difficult';
  return 'veryDifficult';
}

/** Sentence/word/syllable counts of one or several text segments (each segment ends its last sentence). */
export function countText(segments: string | readonly string[], locale: SeoLocale): ReadabilityCounts & { sentenceLengths: number[] } {
  const list = typeof segments === 'string' ? [segments] : segments;
  let words = 0;
  let syllables = 0;
  const sentenceLengths: number[] = [];
  for (const segment of list) {
    for (const sentence of splitSentences(segment)) {
      const ws = splitWords(sentence);
      sentenceLengths.push(ws.length);
      words += ws.length;
      for (const w of ws) syllables += countSyllables(w, locale);
    }
  }
  return { sentences: sentenceLengths.length, words, syllables, sentenceLengths };
}

/** Readability of a text (or of Markdown blocks' plain text) in its locale's formula. */
export function analyzeReadability(segments: string | readonly string[], locale: SeoLocale): ReadabilityResult {
  const { sentenceLengths, ...counts } = countText(segments, locale);
  const score = locale === 'fr' ? kandelMoles(counts) : fleschReadingEase(counts);
  const level = readingLevel(score);
  const threshold = locale === 'fr' ? 25 : 20;
  return {
    locale,
    formula: locale === 'fr' ? 'kandel-moles' : 'flesch',
    ...counts,
    score,
    averageSentenceLength: counts.sentences ? counts.words / counts.sentences : 0,
    averageSyllablesPerWord: counts.words ? counts.syllables / counts.words : 0,
    level,
    label: `studio.seo.readability.levels.${level}`,
    longSentences: sentenceLengths.filter((n) => n > threshold).length,
    longSentenceThreshold: threshold,
  };
}
