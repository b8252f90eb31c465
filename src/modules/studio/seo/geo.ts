/**
 * GEO detectors (Aggarwal et al., "GEO: Generative Engine Optimization", KDD 2024). The paper measures which
 * edits raise a source's visibility in generative engines' answers: citing sources, adding quotations and
 * statistics helped most; fluency and easy-to-understand text helped; keyword stuffing did not. These
 * detectors find, deterministically, the signals of those methods in a Markdown-ish body.
 */
import { inlineToText, type MdBlock, type MdDocument, type MdLink } from './markdown.js';
import { splitSentences, splitWords } from './readability.js';
import { compareStrings, countPhrase, cutAtWord, fold, isStopWord, significantTerms, termKey, type SeoLocale } from './text.js';

export interface Sentence {
  text: string;
  links: MdLink[];
  block: number;
}

/** Sentences of a block with their own links (the split runs on the raw text so links stay attached). */
export function blockSentences(block: MdBlock, index: number): Sentence[] {
  const raw = block.raw.replace(/\*\*|__|~~|`+/g, '');
  return splitSentences(raw).map((s) => {
    const { text, links } = inlineToText(s, index);
    return { text, links, block: index };
  });
}

// ── Citations ────────────────────────────────────────────────────────────────────────────────────────

/** A case-insensitive pattern for literal words, so the regex can stay case-sensitive for `\p{Lu}` (names). */
function ci(words: string): string {
  return words.replace(/\p{L}/gu, (ch) => (ch.toLowerCase() === ch.toUpperCase() ? ch : `[${ch.toLowerCase()}${ch.toUpperCase()}]`));
}

const EVIDENCE = ci(
  '(?:étude|etude|rapport|enquête|enquete|sondage|baromètre|barometre|chiffres|données|donnees|statistiques|recensement|' +
    'classement|study|report|survey|poll|data|figures|research|census|statistics|ranking)',
);
const DETERMINER = String.raw`(?:${ci('(?:le|la|les|un|une|des|du|de|the|a|an|our|recent|récente|récent|dernière|dernier|latest|new|nouvelle|nouveau)')}\s+|${ci('(?:l|d)')}['’]|(?:19|20)\d{2}\s+)*`;
const TRIGGER = ci('(?:selon|d’après|according to|as reported by|reported by|published by|cited by|data from|figures from)').replace(/’/g, "['’]");
const ATTRIBUTION = new RegExp(
  String.raw`(?<![\p{L}])${TRIGGER}\s+${DETERMINER}(?:\p{Lu}|${EVIDENCE}(?![\p{L}]))` +
    String.raw`|(?<![\p{L}])${ci('(?:sources?|source des données)')}\s*:\s*\S` +
    String.raw`|(?<![\p{L}])${EVIDENCE}\s+(?:${ci('(?:de|du|des|by|from|of)')}\s+|${ci('d')}['’])${DETERMINER}\p{Lu}` +
    String.raw`|\([^()]*\p{Lu}[^()]*,\s*(?:19|20)\d{2}\)`,
  'u',
);

/** The attribution phrase of a sentence (`selon l'INSEE`, `according to a 2023 survey`), if any. */
export function attributionIn(text: string): string | null {
  const match = ATTRIBUTION.exec(text);
  if (!match) return null;
  const rest = text.slice(match.index).replace(/^[^\p{L}(]+/u, '');
  if (rest.startsWith('(')) return rest.slice(0, rest.indexOf(')') + 1);
  // The attribution clause: up to the first punctuation after the source's name, at most 80 characters.
  const stop = rest.slice(12).search(/[,;:.!?]/u);
  const clause = stop >= 0 ? rest.slice(0, 12 + stop) : rest;
  return cutAtWord(clause, 80);
}

export interface Citation {
  kind: 'link' | 'attribution';
  text: string;
  url?: string;
}

function hostOf(url: string): string | null {
  const m = /^https?:\/\/([^/?#:]+)/i.exec(url);
  return m ? m[1].toLowerCase().replace(/^www\./, '') : null;
}

export function isExternal(url: string, ownHosts: ReadonlySet<string>): boolean {
  const host = hostOf(url);
  return host !== null && !ownHosts.has(host);
}

export function isInternal(url: string, ownHosts: ReadonlySet<string>): boolean {
  if (/^(?:mailto:|tel:|sms:|#)/i.test(url)) return false;
  const host = hostOf(url);
  if (host === null) return !/^[a-z][a-z0-9+.-]*:/i.test(url); // relative
  return ownHosts.has(host);
}

export function detectCitations(sentences: readonly Sentence[], ownHosts: ReadonlySet<string>): Citation[] {
  const out: Citation[] = [];
  const seenUrls = new Set<string>();
  const seenText = new Set<string>();
  for (const s of sentences) {
    for (const link of s.links) {
      if (!isExternal(link.url, ownHosts)) continue;
      const key = link.url.replace(/\/+$/, '').toLowerCase();
      if (seenUrls.has(key)) continue;
      seenUrls.add(key);
      out.push({ kind: 'link', text: link.text, url: link.url });
    }
    const attribution = attributionIn(s.text);
    if (attribution && !seenText.has(fold(attribution))) {
      seenText.add(fold(attribution));
      out.push({ kind: 'attribution', text: attribution });
    }
  }
  return out;
}

function hasSource(s: Sentence | undefined, ownHosts: ReadonlySet<string>): boolean {
  if (!s) return false;
  return s.links.some((l) => isExternal(l.url, ownHosts)) || attributionIn(s.text) !== null;
}

// ── Statistics ───────────────────────────────────────────────────────────────────────────────────────

const NUM = String.raw`(?<![\p{N}])\d+(?:[.,\u00a0\u202f ]\d{3})*(?:[.,]\d+)?`;
const END = String.raw`(?![\p{L}\p{N}])`;
const UNITS = [
  '%', 'pour ?cent', 'percent', 'per ?cent', 'points?', '€', 'k€', 'm€', 'euros?', '\\$', 'dollars?', '£', 'ht', 'ttc',
  'km', 'm²', 'm2', 'm', 'cm', 'mm', 'kg', 'g', 'mg', 'l', 'cl', 'ml', 't', 'h', 'min', 's', '°c', '°',
  'ans?', 'mois', 'jours?', 'semaines?', 'heures?', 'minutes?', 'secondes?', 'années?', 'siècles?', 'nuits?',
  'years?', 'months?', 'weeks?', 'days?', 'hours?', 'seconds?', 'nights?',
  'fois', 'times', 'clients?', 'customers?', 'personnes?', 'people', 'habitants?', 'salariés?', 'employés?', 'employees?',
  'visiteurs?', 'visitors?', 'commandes?', 'orders?', 'avis', 'reviews?', 'étoiles?', 'stars?', 'repas', 'meals?',
  'entreprises?', 'businesses', 'companies', 'français', 'françaises', 'consommateurs?', 'consumers?', 'utilisateurs?',
  'users?', 'tonnes?', 'tons?', 'abonnés?', 'followers?', 'ventes?', 'sales', 'produits?', 'products?', 'kilos?', 'litres?', 'liters?',
  'millions?', 'milliards?', 'billions?', 'thousand', 'mille', 'k',
].join('|');
const MONTHS =
  'janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|' +
  'january|february|march|april|june|july|august|september|october|november|december';
const STAT_PATTERNS: RegExp[] = [
  // Ratios and results: "3 clients sur 4", "10 députés (sur 288)", "438 contre 86", "9 out of 10".
  new RegExp(String.raw`(?<![\p{L}\p{N}])\d+\s+(?:[\p{L}-]+\s+){0,2}\(?(?:sur|out of|in|contre|against)\s+\d+${END}`, 'giu'),
  new RegExp(String.raw`${NUM}\s?(?:${UNITS})${END}`, 'giu'),
  new RegExp(String.raw`[€$£]\s?${NUM}`, 'gu'),
  new RegExp(String.raw`(?<![\p{L}\p{N}])\d{1,2}(?:er)?\s+(?:${MONTHS})(?:\s+(?:1[89]|20)\d{2})?${END}`, 'giu'),
  new RegExp(String.raw`(?<![\p{L}\p{N}])\d{1,2}/\d{1,2}/\d{2,4}${END}`, 'gu'),
  new RegExp(String.raw`(?<![\p{L}\p{N}.,])(?:1[89]|20)\d{2}${END}`, 'gu'),
];

export interface Statistic {
  /** The figures found in the sentence (`42 %`, `2023`, `3 500 clients`). */
  values: string[];
  sentence: string;
  sourced: boolean;
}

export function statisticsIn(text: string): string[] {
  const found: { index: number; value: string }[] = [];
  for (const re of STAT_PATTERNS) {
    re.lastIndex = 0;
    for (const m of text.matchAll(re)) {
      const index = m.index ?? 0;
      const value = m[0].trim();
      // Overlapping matches (the year inside a date): keep the first, longest.
      if (found.some((f) => index < f.index + f.value.length && f.index < index + value.length)) continue;
      found.push({ index, value });
    }
  }
  return found.sort((a, b) => a.index - b.index).map((f) => f.value);
}

/** Statistics (one per sentence holding figures), sourced when the sentence or a neighbour in its block cites. */
export function detectStatistics(sentences: readonly Sentence[], ownHosts: ReadonlySet<string>): Statistic[] {
  const out: Statistic[] = [];
  sentences.forEach((s, i) => {
    const values = statisticsIn(s.text);
    if (values.length === 0) return;
    const prev = sentences[i - 1]?.block === s.block ? sentences[i - 1] : undefined;
    const next = sentences[i + 1]?.block === s.block ? sentences[i + 1] : undefined;
    const sourced = hasSource(s, ownHosts) || hasSource(prev, ownHosts) || hasSource(next, ownHosts);
    out.push({ values, sentence: s.text, sourced });
  });
  return out;
}

// ── Quotations ───────────────────────────────────────────────────────────────────────────────────────

export interface Quotation {
  text: string;
  attributed: boolean;
}

const QUOTE_PATTERNS = [/«\s*([^«»]{1,800}?)\s*»/gu, /“([^“”]{1,800}?)”/gu, /"([^"\n]{1,800}?)"/gu];
const SPEECH_VERBS =
  'affirme|affirmait|explique|expliquait|déclare|souligne|confie|raconte|précise|ajoute|assure|rappelle|témoigne|' +
  'résume|dit|disait|indique|note|estime|sourit|insiste|reconnaît|reconnait|conclut|lance|' +
  'says|said|explains|explained|notes|noted|adds|added|told|tells|recalls|writes|wrote|states|stated|insists';
const ATTRIBUTION_AFTER = new RegExp(
  String.raw`^[\s,.;:!?]*(?:[\p{L}'’.-]+\s+){0,3}(?:${SPEECH_VERBS})(?:-t-(?:il|elle|on)|-(?:il|elle|on))?(?![\p{L}])` +
    String.raw`|^[\s,.;:!?]*[—–-]{1,2}\s*\p{Lu}`,
  'u',
);
const ATTRIBUTION_BEFORE = new RegExp(
  String.raw`(?:^|[^\p{L}])(?:${SPEECH_VERBS}|selon|d['’]après|according to|comme le dit|as .{1,40} puts it)[^.!?]{0,80}[:,]?\s*$` +
    String.raw`|\p{Lu}[\p{L}.-]+(?:\s+\p{Lu}[\p{L}.-]+){0,3}\s*:\s*$`,
  'u',
);

/** Quotations of at least four words (shorter quotes are scare quotes, not speech) and whether they are attributed. */
export function detectQuotations(blocks: readonly MdBlock[]): Quotation[] {
  const out: Quotation[] = [];
  for (const block of blocks) {
    if (block.kind === 'heading') continue;
    if (block.kind === 'quote') {
      const lines = block.raw.split('\n').map((l) => inlineToText(l).text).filter(Boolean);
      const attributionLine = lines.length > 1 && /^[—–-]{1,2}\s*\S/.test(lines[lines.length - 1]);
      const body = (attributionLine ? lines.slice(0, -1) : lines).join(' ');
      if (splitWords(body).length >= 4) {
        const inner = body.replace(/^[«“"]\s*|\s*[»”"]$/gu, '');
        const attributed = attributionLine || ATTRIBUTION_AFTER.test(body.slice(body.search(/[»”"]\s*[,—–-]/u) + 1 || body.length));
        out.push({ text: inner, attributed });
      }
      continue;
    }
    const text = block.text;
    const taken: [number, number][] = [];
    for (const re of QUOTE_PATTERNS) {
      re.lastIndex = 0;
      for (const m of text.matchAll(re)) {
        const start = m.index ?? 0;
        const end = start + m[0].length;
        if (taken.some(([a, b]) => start < b && a < end)) continue;
        const inner = m[1].trim();
        if (splitWords(inner).length < 4) continue;
        taken.push([start, end]);
        const after = text.slice(end, end + 120);
        const before = text.slice(Math.max(0, start - 120), start);
        out.push({ text: inner, attributed: ATTRIBUTION_AFTER.test(after) || ATTRIBUTION_BEFORE.test(before) });
      }
    }
  }
  return out;
}

// ── Entities ─────────────────────────────────────────────────────────────────────────────────────────

/** Whether `phrase` occurs (by term keys, stop words ignored) in `text`. */
export function mentions(text: string, phrase: string, locale: SeoLocale): boolean {
  const needle = significantTerms(phrase, locale).map(termKey);
  if (needle.length === 0) return fold(text).includes(fold(phrase).trim()) && phrase.trim() !== '';
  return countPhrase(significantTerms(text, locale).map(termKey), needle) > 0;
}

/** Proper names: capitalised words not opening a sentence (consecutive ones joined: `Jean Dupont`). */
export function namedEntities(sentences: readonly Sentence[], locale: SeoLocale): string[] {
  const found = new Map<string, string>();
  for (const s of sentences) {
    const words = splitWords(s.text);
    let run: string[] = [];
    const close = () => {
      if (run.length) {
        const name = run.join(' ');
        const key = fold(name);
        if (!found.has(key)) found.set(key, name);
      }
      run = [];
    };
    const CONNECTORS = new Set(['de', 'du', 'des', 'la', 'le', 'les', 'of', 'the', 'sur', 'on']);
    const isName = (w: string | undefined, i: number) => {
      if (w === undefined) return false;
      const bare = w.replace(/^(?:l|d|qu|j|n|s|c)['’]/i, '');
      return /^\p{Lu}/u.test(bare) && bare.length >= 2 && !isStopWord(bare, locale) && (i > 0 || bare !== w);
    };
    words.forEach((w, i) => {
      const bare = w.replace(/^(?:l|d|qu|j|n|s|c)['’]/i, '');
      if (isName(w, i)) run.push(run.length ? w : bare);
      else if (run.length && CONNECTORS.has(w.toLowerCase()) && (isName(words[i + 1], i + 1) || CONNECTORS.has((words[i + 1] ?? '').toLowerCase()) && isName(words[i + 2], i + 2))) run.push(w);
      else close();
    });
    close();
  }
  return [...found.values()].sort(compareStrings);
}

// ── FAQ ──────────────────────────────────────────────────────────────────────────────────────────────

export interface FaqPairFound {
  question: string;
  answer: string;
  source: 'qa' | 'faqSection' | 'questionHeading';
}

const FAQ_HEADING =
  /^(?:faq|f\.a\.q\.?|foire aux questions|questions?\s+(?:fréquentes|frequentes|courantes|fréquemment posées|-?réponses?)|vos questions|questions et réponses|frequently asked questions|common questions|questions and answers|q\s?&\s?a)\b/i;
const Q_MARK = /^(?:q|question)\s*\d*\s*[:.)–-]\s*/i;
const A_MARK = /^(?:r|a|réponse|reponse|answer)\s*[:.)–-]\s*/i;

function isQuestion(text: string): boolean {
  return /\?\s*["»”)]*$/u.test(text.trim());
}

/** Question/answer pairs: `Q:`/`R:` (or `A:`) lines, questions inside a FAQ section, question headings. */
export function detectFaq(doc: MdDocument): FaqPairFound[] {
  const pairs: FaqPairFound[] = [];
  const blocks = doc.blocks;

  // Q:/R: markers, line by line (a paragraph may hold several lines).
  const lines: { text: string; heading: boolean }[] = [];
  for (const b of blocks) {
    if (b.kind === 'heading') lines.push({ text: b.text, heading: true });
    else for (const l of b.raw.split('\n')) lines.push({ text: inlineToText(l.replace(/\*\*|__/g, '')).text, heading: false });
  }
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].heading || !Q_MARK.test(lines[i].text)) continue;
    const question = lines[i].text.replace(Q_MARK, '').trim();
    const answer: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j].heading && !Q_MARK.test(lines[j].text); j++) {
      answer.push(lines[j].text.replace(A_MARK, '').trim());
    }
    if (question && answer.join(' ').trim()) pairs.push({ question, answer: answer.join(' ').trim(), source: 'qa' });
    i = j - 1;
  }

  // FAQ sections (a "FAQ" heading up to the next non-question heading of its level or above) and question
  // headings. Inside a section, questions may also be paragraphs (often bold) followed by their answer.
  let faqLevel: number | null = null;
  let question: { text: string; source: FaqPairFound['source'] } | null = null;
  let answer: string[] = [];
  const push = () => {
    if (question && answer.length) pairs.push({ question: question.text, answer: answer.join(' '), source: question.source });
    question = null;
    answer = [];
  };
  for (const b of blocks) {
    if (b.kind === 'heading') {
      push();
      if (FAQ_HEADING.test(b.text.trim())) {
        faqLevel = b.level;
        continue;
      }
      const asks = isQuestion(b.text);
      if (faqLevel !== null && b.level <= faqLevel && !asks) faqLevel = null;
      if (b.level >= 2 && asks) question = { text: b.text, source: faqLevel !== null ? 'faqSection' : 'questionHeading' };
      continue;
    }
    if (Q_MARK.test(b.text) || A_MARK.test(b.text)) continue; // the Q:/R: pass has them
    if (faqLevel !== null && isQuestion(b.text) && splitWords(b.text).length <= 30) {
      push();
      question = { text: b.text, source: 'faqSection' };
      continue;
    }
    if (question) answer.push(b.text);
  }
  push();

  // Question headings make a FAQ only when the content has no explicit one.
  const explicit = pairs.filter((p) => p.source !== 'questionHeading');
  const chosen = explicit.length ? explicit : pairs;
  const seen = new Set<string>();
  return chosen
    .map((p) => ({ ...p, question: p.question.trim(), answer: p.answer.replace(/\s+/g, ' ').trim().slice(0, 2000) }))
    .filter((p) => {
      const key = fold(p.question).replace(/[^a-z0-9]+/g, ' ').trim();
      if (!key || !p.answer || seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

// ── Answer first ─────────────────────────────────────────────────────────────────────────────────────

export type AnswerFirstIssue = 'missing' | 'filler' | 'question' | 'tooLong' | 'tooShort' | 'offTopic';

export interface AnswerFirst {
  passed: boolean;
  /** The opening paragraph (or the summary block) examined. */
  text: string | null;
  words: number;
  /** An explicit summary block (`En bref`, `L'essentiel`, `TL;DR`, `In short`…) was found at the top. */
  summaryBlock: boolean;
  issues: AnswerFirstIssue[];
}

export const ANSWER_FIRST_MIN_WORDS = 12;
export const ANSWER_FIRST_MAX_WORDS = 90;

const SUMMARY_MARK =
  /^(?:en bref|en résumé|en resume|résumé|resume|l['’]essentiel|à retenir|a retenir|ce qu['’]il faut retenir|tl;?\s?dr|in short|in brief|summary|key takeaways|the short answer|bottom line|short answer|réponse courte)\b/i;
const FILLER: Record<SeoLocale, RegExp> = {
  fr: /^(?:dans (?:cet|ce|le présent) (?:article|billet|post|guide)|aujourd['’]hui,? (?:nous allons|on va|je vais)|nous allons (?:voir|découvrir|parler)|vous vous (?:demandez|êtes déjà demandé)|bienvenue|bonjour à (?:tous|toutes)|il était une fois|vous êtes nombreux à)/i,
  en: /^(?:in this (?:article|post|blog post|guide)|today,? (?:we|i)(?:['’]re| are| will)? ?(?:going to|gonna|will)|welcome|have you ever wondered|we will (?:see|look|explore)|let['’]s (?:dive|take a look)|hello everyone)/i,
};

/**
 * The opening must answer: a short declarative paragraph (12–90 words) before the first section heading that
 * names the topic, or an explicit summary block. Generative engines quote self-contained answers.
 */
export function detectAnswerFirst(doc: MdDocument, locale: SeoLocale, topicTerms: string[]): AnswerFirst {
  const blocks = doc.blocks;
  let i = 0;
  while (i < blocks.length && blocks[i].kind === 'heading' && blocks[i].level === 1) i++;
  const first = blocks[i];
  if (!first) return { passed: false, text: null, words: 0, summaryBlock: false, issues: ['missing'] };

  // An explicit summary: a heading "En bref" followed by its text, or a paragraph opening with the marker.
  if (first.kind === 'heading' && SUMMARY_MARK.test(first.text)) {
    const next = blocks[i + 1];
    if (next && next.kind !== 'heading') {
      const summary = blocks.slice(i + 1).filter((b, k, arr) => arr.slice(0, k + 1).every((x) => x.kind !== 'heading'));
      const text = summary.map((b) => b.text).join(' ');
      return { passed: true, text, words: splitWords(text).length, summaryBlock: true, issues: [] };
    }
  }
  if (first.kind === 'heading') return { passed: false, text: null, words: 0, summaryBlock: false, issues: ['missing'] };
  if (SUMMARY_MARK.test(first.text.replace(/^[*_\s]+/, ''))) {
    return { passed: true, text: first.text, words: splitWords(first.text).length, summaryBlock: true, issues: [] };
  }

  const text = first.text;
  const words = splitWords(text).length;
  const issues: AnswerFirstIssue[] = [];
  const folded = text.trim();
  if (FILLER[locale].test(folded) || FILLER[locale === 'fr' ? 'en' : 'fr'].test(folded)) issues.push('filler');
  const firstSentence = splitSentences(text)[0] ?? text;
  if (isQuestion(firstSentence)) issues.push('question');
  if (words > ANSWER_FIRST_MAX_WORDS) issues.push('tooLong');
  if (words < ANSWER_FIRST_MIN_WORDS) issues.push('tooShort');
  if (topicTerms.length) {
    const keys = new Set(significantTerms(text, locale).map(termKey));
    if (!topicTerms.some((t) => keys.has(t))) issues.push('offTopic');
  }
  return { passed: issues.length === 0, text, words, summaryBlock: false, issues };
}
