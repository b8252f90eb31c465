/**
 * SEO/GEO analyser: a deterministic score (0–100) with its breakdown and concrete fixes, suggestions for the
 * title, meta description and slug, keyword/heading/readability/internal-link reports, GEO signals and the
 * blog's JSON-LD. Pure code: same input, same output; no model is asked for a number.
 *
 * Weights (blog article; they sum to 100 — SEO 55, GEO 45):
 *
 * | group | key                      | max | full points when                                                    |
 * |-------|--------------------------|-----|---------------------------------------------------------------------|
 * | SEO   | titleLength              |   5 | title is 30–60 characters (2 pts for 15–75)                         |
 * | SEO   | keywordInTitle           |   6 | the target keyword is in the title                                  |
 * | SEO   | metaDescription          |   5 | 120–160 characters (4) and holds the keyword (1); out of range: 2+1 |
 * | SEO   | slug                     |   3 | lowercase ASCII words, ≤ 60 chars (2) + holds the keyword, if set (1) |
 * | SEO   | keywordInFirstParagraph  |   5 | the keyword is in the first paragraph                               |
 * | SEO   | keywordInHeadings        |   4 | the keyword is in a section heading                                 |
 * | SEO   | keywordDensity           |   5 | 0.5–3 occurrences per 100 words (2 pts below, 0 above); under 200   |
 * |       |                          |     | words one mention suffices; "above" needs ≥ 3 occurrences         |
 * | SEO   | headingStructure         |   6 | one H1 (the title), no skipped level, ≥ 2 H2 from 300 words; −2/issue |
 * | SEO   | contentLength            |   4 | ≥ 600 words (2 pts from 300)                                        |
 * | SEO   | readability              |   8 | Kandel–Moles / Flesch ≥ 60 (6 ≥ 50, 4 ≥ 40, 2 ≥ 30)                 |
 * | SEO   | internalLinks            |   4 | links to one of the client's own pages                              |
 * | GEO   | answerFirst              |   9 | 12–90-word declarative answer on the topic first (4 if flawed)      |
 * | GEO   | statistics               |   8 | 2 per figure (max 4) + 2 per sourced figure (max 4)                 |
 * | GEO   | citations                |   8 | ≥ 2 sources (links out or "selon …" attributions); 5 for one        |
 * | GEO   | quotations               |   6 | an attributed quotation (3 if unattributed)                         |
 * | GEO   | entities                 |   6 | business name (2), city (2), ≥ 2 other proper names (2; 1 for one)  |
 * | GEO   | faq                      |   5 | ≥ 2 question/answer pairs (3 for one)                               |
 * | GEO   | structuredData           |   3 | Article (2) + LocalBusiness (1) JSON-LD can be generated            |
 * |       | keywordStuffing          |  −  | penalty: −8 above 3 % density (−15 above 5 %), ≥ 3 occurrences      |
 *
 * Without business details, `entities` scores proper names only (≥ 3 → 6, ≥ 1 → 3); with a business name but no
 * known city, the name (3) and ≥ 2 other proper names (3; 1 for one).
 *
 * Channel profiles (checks that do not make sense are skipped and listed in `skipped`; the score is the points
 * over the maximum of the checks that apply, so 100 stays reachable):
 * - article (blog): every check.
 * - long (newsletter, linkedin): keyword in first paragraph, keyword density, readability, internal links,
 *   answer first, statistics, citations, quotations, entities. Skipped: title, meta description, slug,
 *   keyword in headings, heading structure, length, FAQ, structured data.
 * - social (facebook, instagram, x, google_business, sms, anything else): keyword in first paragraph, keyword
 *   density, readability, entities. Everything else is skipped (links, sources and structure are not what a
 *   short post is judged on; channel limits are the channel rules' job).
 * The stuffing penalty applies to every profile.
 */
import { faqPageJsonLd, articleJsonLd, localBusinessJsonLd, type BusinessInfo, type JsonLd } from './json-ld.js';
import { parseMarkdown, proseBlocks, type MdDocument } from './markdown.js';
import { analyzeReadability, splitSentences, splitWords, type ReadabilityResult } from './readability.js';
import {
  blockSentences,
  detectAnswerFirst,
  detectCitations,
  detectFaq,
  detectQuotations,
  detectStatistics,
  isInternal,
  mentions,
  namedEntities,
  ANSWER_FIRST_MAX_WORDS,
  ANSWER_FIRST_MIN_WORDS,
  type AnswerFirst,
  type Citation,
  type FaqPairFound,
  type Quotation,
  type Sentence,
  type Statistic,
} from './geo.js';
import {
  compareStrings,
  countPhrase,
  cutAtWord,
  trimDanglingWords,
  fold,
  significantTerms,
  termKey,
  type SeoLocale,
} from './text.js';

// ── Public types ─────────────────────────────────────────────────────────────────────────────────────

export type ChannelProfile = 'article' | 'long' | 'social';

export interface OwnPage {
  url: string;
  title: string;
}

export interface SeoInput {
  locale: SeoLocale;
  /** `blog`, `newsletter`, `linkedin`, `facebook`, `instagram`, `x`, `google_business`, `sms`. */
  channel: string;
  title: string;
  /** Markdown-ish body. */
  body: string;
  metaDescription?: string;
  slug?: string;
  targetKeyword?: string;
  /** From the brand DNA (`seo.keywords`, offers…): related terms to work in. */
  brandKeywords: string[];
  ownPages: OwnPage[];
  business?: BusinessInfo;
  /** Optional facts for the Article JSON-LD (never invented when absent). */
  article?: { url?: string; datePublished?: string; dateModified?: string; authorName?: string; imageUrl?: string };
}

export type CheckKey =
  | 'titleLength'
  | 'keywordInTitle'
  | 'metaDescription'
  | 'slug'
  | 'keywordInFirstParagraph'
  | 'keywordInHeadings'
  | 'keywordDensity'
  | 'headingStructure'
  | 'contentLength'
  | 'readability'
  | 'internalLinks'
  | 'answerFirst'
  | 'statistics'
  | 'citations'
  | 'quotations'
  | 'entities'
  | 'faq'
  | 'structuredData'
  | 'keywordStuffing';

export type FixParams = Record<string, string | number>;

export interface Fix {
  /** i18n key (`studio.seo.fixes.<name>`). */
  code: string;
  params: FixParams;
}

export interface BreakdownItem {
  key: CheckKey;
  group: 'seo' | 'geo';
  /** i18n key (`studio.seo.checks.<key>`). */
  label: string;
  points: number;
  max: number;
  passed: boolean;
  fix?: Fix;
}

export interface SkippedCheck {
  key: CheckKey;
  /** i18n key (`studio.seo.skipped.<reason>`). */
  reason: string;
  params: FixParams;
}

export interface LengthSuggestion {
  value: string;
  length: number;
  min: number;
  max: number;
  withinRange: boolean;
}

export interface RelatedTerm {
  term: string;
  occurrences: number;
  source: 'brand' | 'content';
}

export interface HeadingIssue {
  code: string;
  params: FixParams;
}

export interface SeoAnalysis {
  score: number;
  profile: ChannelProfile;
  breakdown: BreakdownItem[];
  skipped: SkippedCheck[];
  suggestions: { title: LengthSuggestion; metaDescription: LengthSuggestion; slug: LengthSuggestion };
  keyword: {
    target: string | null;
    /** A keyword read from the content when none is set (most frequent significant phrase). */
    suggested: string | null;
    occurrences: number;
    /** Occurrences per 100 words of the body (headings included), as Yoast counts keyphrase density. */
    density: number;
    inTitle: boolean;
    inFirstParagraph: boolean;
    inHeadings: boolean;
    inMetaDescription: boolean;
    relatedTerms: RelatedTerm[];
  };
  headings: { outline: { level: number; text: string }[]; issues: HeadingIssue[] };
  readability: ReadabilityResult;
  wordCount: number;
  internalLinks: {
    present: { url: string; text: string }[];
    suggestions: { url: string; title: string; sharedTerms: string[] }[];
  };
  geo: {
    answerFirst: AnswerFirst;
    statistics: { count: number; sourced: number; items: Statistic[] };
    citations: { count: number; items: Citation[] };
    quotations: { count: number; attributed: number; items: Quotation[] };
    entities: { businessName: boolean | null; city: boolean | null; named: string[] };
    faq: { present: boolean; pairs: FaqPairFound[] };
    /** Points taken off for keyword stuffing (0 or negative). */
    stuffingPenalty: number;
    stuffedTerms: { term: string; density: number; occurrences: number }[];
  };
  jsonLd: JsonLd[];
}

// ── Constants ────────────────────────────────────────────────────────────────────────────────────────

export const TITLE_RANGE = { min: 30, max: 60 } as const;
export const META_RANGE = { min: 120, max: 160 } as const;
export const SLUG_RANGE = { min: 3, max: 60 } as const;
export const DENSITY_RANGE = { min: 0.5, max: 3 } as const;
export const STUFFING_SEVERE = 5;
/** Below this many occurrences a high percentage is an artefact of a short text, not stuffing. */
export const STUFFING_MIN_OCCURRENCES = 3;
/** Below this many words, the "too rare" percentage is not judged (one mention is enough). */
export const DENSITY_MIN_WORDS = 200;
export const ARTICLE_MIN_WORDS = 600;
export const ARTICLE_THIN_WORDS = 300;
export const READABILITY_TARGET = 60;
/** Stored with every recorded analysis (`seo_analyses.scorer_version`): bump it when a rule or weight changes. */
export const SCORER_VERSION = '1';

export const WEIGHTS: Record<Exclude<CheckKey, 'keywordStuffing'>, number> = {
  titleLength: 5,
  keywordInTitle: 6,
  metaDescription: 5,
  slug: 3,
  keywordInFirstParagraph: 5,
  keywordInHeadings: 4,
  keywordDensity: 5,
  headingStructure: 6,
  contentLength: 4,
  readability: 8,
  internalLinks: 4,
  answerFirst: 9,
  statistics: 8,
  citations: 8,
  quotations: 6,
  entities: 6,
  faq: 5,
  structuredData: 3,
};

const GEO_KEYS = new Set<CheckKey>(['answerFirst', 'statistics', 'citations', 'quotations', 'entities', 'faq', 'structuredData', 'keywordStuffing']);

const PROFILE_CHECKS: Record<ChannelProfile, ReadonlySet<CheckKey>> = {
  article: new Set(Object.keys(WEIGHTS) as CheckKey[]),
  long: new Set<CheckKey>([
    'keywordInFirstParagraph',
    'keywordDensity',
    'readability',
    'internalLinks',
    'answerFirst',
    'statistics',
    'citations',
    'quotations',
    'entities',
  ]),
  social: new Set<CheckKey>(['keywordInFirstParagraph', 'keywordDensity', 'readability', 'entities']),
};

export function channelProfile(channel: string): ChannelProfile {
  if (channel === 'blog') return 'article';
  if (channel === 'newsletter' || channel === 'linkedin') return 'long';
  return 'social';
}

// ── Slugs and suggestions ────────────────────────────────────────────────────────────────────────────

const SLUG_STOP: Record<SeoLocale, ReadonlySet<string>> = {
  fr: new Set(
    `le la les l un une des de du d au aux a et ou en dans pour par sur avec sans sous chez ce ces cet cette son sa ses
    leur leurs notre nos votre vos mon ma mes qui que qu quoi dont ou est sont il elle ils elles on nous vous je tu se
    y ne pas comme mais donc or ni car`
      .split(/\s+/)
      .filter(Boolean),
  ),
  en: new Set(
    `a an the and or of to in on for with at by from is are be your our my its this that these those how what why as it
    vs into about`
      .split(/\s+/)
      .filter(Boolean),
  ),
};

/**
 * URL slug: lowercase ASCII, accents folded, French elisions and stop words removed, words joined by
 * hyphens, at most `max` characters (cut at a hyphen).
 */
export function slugify(text: string, locale: SeoLocale, max: number = SLUG_RANGE.max): string {
  const words = fold(text)
    .replace(/['’]/g, locale === 'fr' ? ' ' : '')
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const kept = words.filter((w) => !SLUG_STOP[locale].has(w));
  const chosen = kept.length ? kept : words;
  let slug = '';
  for (const w of chosen) {
    const next = slug ? `${slug}-${w}` : w;
    if (next.length > max) {
      if (!slug) slug = w.slice(0, max);
      break;
    }
    slug = next;
  }
  return slug;
}

function lengthOf(text: string): number {
  return [...text].length;
}

function suggestion(value: string, range: { min: number; max: number }): LengthSuggestion {
  const length = lengthOf(value);
  return { value, length, min: range.min, max: range.max, withinRange: length >= range.min && length <= range.max };
}

function capitalize(text: string): string {
  const t = text.trim();
  return t ? t.charAt(0).toUpperCase() + t.slice(1) : t;
}

function suggestTitle(input: SeoInput, keyword: string | null, keywordInTitle: boolean, doc: MdDocument): string {
  let base = input.title.replace(/\s+/g, ' ').trim();
  if (!base) {
    const firstHeading = doc.blocks.find((b) => b.kind === 'heading')?.text;
    const firstSentence = splitSentences(proseBlocks(doc)[0]?.text ?? '')[0];
    base = firstHeading || (keyword ? capitalize(keyword) : '') || firstSentence || '';
  }
  let title = base;
  if (keyword && !keywordInTitle && !mentions(base, keyword, input.locale)) {
    title = `${capitalize(keyword)}${input.locale === 'fr' ? ' : ' : ': '}${base}`.trim();
  }
  if (lengthOf(title) > TITLE_RANGE.max) title = trimDanglingWords(cutAtWord(title, TITLE_RANGE.max), input.locale);
  if (lengthOf(title) < TITLE_RANGE.min && input.business) {
    const { name, city } = input.business;
    const withCity = city && !mentions(title, city, input.locale) ? `${title} ${input.locale === 'fr' ? 'à' : 'in'} ${city}` : title;
    if (lengthOf(withCity) <= TITLE_RANGE.max) title = withCity;
    const withName = name && !mentions(title, name, input.locale) ? `${title} | ${name}` : title;
    if (lengthOf(withName) <= TITLE_RANGE.max) title = withName;
  }
  return title;
}

function suggestMeta(input: SeoInput, doc: MdDocument, intro: string | null): string {
  const given = input.metaDescription?.replace(/\s+/g, ' ').trim() ?? '';
  if (given && lengthOf(given) >= META_RANGE.min && lengthOf(given) <= META_RANGE.max) return given;
  const sources = [intro ?? '', ...proseBlocks(doc).map((b) => b.text)].filter(Boolean);
  let meta = '';
  outer: for (const source of sources) {
    for (const sentence of splitSentences(source)) {
      if (meta.includes(sentence)) continue;
      const next = meta ? `${meta} ${sentence}` : sentence;
      if (lengthOf(next) > META_RANGE.max) {
        if (!meta) meta = `${trimDanglingWords(cutAtWord(sentence, META_RANGE.max - 1), input.locale)}…`;
        break outer;
      }
      meta = next;
      if (lengthOf(meta) >= META_RANGE.min) break outer;
    }
  }
  if (!meta) meta = given;
  return meta;
}

function suggestSlug(input: SeoInput, keyword: string | null): string {
  const fromTitle = slugify(input.title, input.locale);
  if (!keyword) return fromTitle;
  const kw = slugify(keyword, input.locale);
  const titleParts = fromTitle.split('-').filter(Boolean);
  const kwParts = kw.split('-').filter(Boolean);
  if (kwParts.every((p) => titleParts.includes(p))) return fromTitle || kw;
  return slugify([...kwParts, ...titleParts.filter((p) => !kwParts.includes(p))].join(' '), input.locale);
}

// ── Keyword ──────────────────────────────────────────────────────────────────────────────────────────

function keysOf(text: string, locale: SeoLocale): string[] {
  return significantTerms(text, locale).map(termKey);
}

function inferKeyword(doc: MdDocument, title: string, locale: SeoLocale): string | null {
  const counts = new Map<string, { count: number; surface: Map<string, number> }>();
  const add = (key: string, surface: string) => {
    const entry = counts.get(key) ?? { count: 0, surface: new Map<string, number>() };
    entry.count++;
    entry.surface.set(surface, (entry.surface.get(surface) ?? 0) + 1);
    counts.set(key, entry);
  };
  for (const text of [title, ...doc.blocks.map((b) => b.text)]) {
    const words = significantTerms(text, locale).filter((w) => !/^\d+$/.test(w));
    words.forEach((w, i) => {
      if (i + 1 < words.length) add(`${termKey(w)} ${termKey(words[i + 1])}`, `${w} ${words[i + 1]}`);
    });
  }
  const best = [...counts.entries()]
    .filter(([, e]) => e.count >= 2)
    .sort((a, b) => b[1].count - a[1].count || compareStrings(a[0], b[0]))[0];
  if (best) return mostCommonSurface(best[1].surface);
  const singles = new Map<string, { count: number; surface: Map<string, number> }>();
  for (const text of [title, ...doc.blocks.map((b) => b.text)]) {
    for (const w of significantTerms(text, locale)) {
      if (/^\d+$/.test(w) || w.length < 4) continue;
      const entry = singles.get(termKey(w)) ?? { count: 0, surface: new Map<string, number>() };
      entry.count++;
      entry.surface.set(w, (entry.surface.get(w) ?? 0) + 1);
      singles.set(termKey(w), entry);
    }
  }
  const single = [...singles.entries()]
    .filter(([, e]) => e.count >= 2)
    .sort((a, b) => b[1].count - a[1].count || compareStrings(a[0], b[0]))[0];
  return single ? mostCommonSurface(single[1].surface) : null;
}

function mostCommonSurface(surface: Map<string, number>): string {
  return [...surface.entries()].sort((a, b) => b[1] - a[1] || compareStrings(a[0], b[0]))[0][0];
}

/** Surface forms with accents, from the original text (terms() folds them away). */
function surfaceWords(text: string): { surface: string; key: string }[] {
  return (text.match(/[\p{L}\p{N}]+/gu) ?? []).map((w) => ({ surface: w.toLowerCase(), key: termKey(w) }));
}

function relatedTerms(
  doc: MdDocument,
  locale: SeoLocale,
  keywordKeys: string[],
  brandKeywords: string[],
  bodyText: string,
): RelatedTerm[] {
  const out: RelatedTerm[] = [];
  const seen = new Set<string>(keywordKeys.length ? [keywordKeys.join(' ')] : []);
  const blockKeys = doc.blocks.map((b) => keysOf(b.text, locale));
  for (const raw of brandKeywords) {
    const term = raw.replace(/\s+/g, ' ').trim();
    const needle = keysOf(term, locale);
    const key = needle.join(' ');
    if (!term || !key || seen.has(key)) continue;
    seen.add(key);
    const occurrences = blockKeys.reduce((sum, keys) => sum + countPhrase(keys, needle), 0);
    out.push({ term, occurrences, source: 'brand' });
  }
  const surfaces = new Map<string, Map<string, number>>();
  for (const { surface, key } of surfaceWords(bodyText)) {
    const m = surfaces.get(key) ?? new Map<string, number>();
    m.set(surface, (m.get(surface) ?? 0) + 1);
    surfaces.set(key, m);
  }
  const counts = new Map<string, number>();
  for (const keys of blockKeys) {
    for (const k of keys) {
      if (/^\d+$/.test(k) || k.length < 4 || keywordKeys.includes(k)) continue;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  const content = [...counts.entries()]
    .filter(([k, n]) => n >= 2 && !seen.has(k))
    .sort((a, b) => b[1] - a[1] || compareStrings(a[0], b[0]))
    .slice(0, 10)
    .map(([k, n]) => ({ term: surfaces.get(k) ? mostCommonSurface(surfaces.get(k)!) : k, occurrences: n, source: 'content' as const }));
  return [...out, ...content];
}

// ── Analysis ─────────────────────────────────────────────────────────────────────────────────────────

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function hostOf(url: string | undefined): string | null {
  const m = url ? /^https?:\/\/([^/?#:]+)/i.exec(url.trim()) : null;
  return m ? m[1].toLowerCase().replace(/^www\./, '') : null;
}

function normalizeUrl(url: string): string {
  const m = /^(?:https?:\/\/[^/?#]+)?([^#]*)/i.exec(url.trim());
  const path = (m?.[1] ?? '').replace(/\/+$/, '');
  return path === '' ? '/' : path.toLowerCase();
}

/** Analyse a content; see the weights table at the top of this file. */
export function analyzeSeo(input: SeoInput): SeoAnalysis {
  const locale = input.locale;
  const profile = channelProfile(input.channel);
  const applies = PROFILE_CHECKS[profile];
  const doc = parseMarkdown(input.body ?? '');
  const prose = proseBlocks(doc);
  const headingsBlocks = doc.blocks.filter((b) => b.kind === 'heading');
  const bodyText = doc.blocks.map((b) => b.text).join('\n');
  const wordCount = prose.reduce((n, b) => n + splitWords(b.text).length, 0);
  const allWords = doc.blocks.reduce((n, b) => n + splitWords(b.text).length, 0);

  const ownHosts = new Set<string>();
  for (const u of [input.business?.url, ...input.ownPages.map((p) => p.url)]) {
    const h = hostOf(u);
    if (h) ownHosts.add(h);
  }

  // Keyword.
  const target = input.targetKeyword?.replace(/\s+/g, ' ').trim() || null;
  const suggestedKeyword = target ? null : inferKeyword(doc, input.title, locale);
  const keywordKeys = target ? keysOf(target, locale) : [];
  const occurrences = keywordKeys.length
    ? doc.blocks.reduce((sum, b) => sum + countPhrase(keysOf(b.text, locale), keywordKeys), 0)
    : 0;
  const density = allWords && keywordKeys.length ? (occurrences * 100) / allWords : 0;
  const inTitle = target ? mentions(input.title, target, locale) : false;
  const firstParagraph = prose[0]?.text ?? '';
  const inFirstParagraph = target ? mentions(firstParagraph, target, locale) : false;
  const inHeadings = target ? headingsBlocks.some((h) => mentions(h.text, target, locale)) : false;
  const inMetaDescription = target && input.metaDescription ? mentions(input.metaDescription, target, locale) : false;

  // Stuffing: the target keyword and the brand keywords.
  const stuffedTerms: { term: string; density: number; occurrences: number }[] = [];
  const stuffCandidates = [...(target ? [target] : []), ...input.brandKeywords];
  const seenStuff = new Set<string>();
  for (const term of stuffCandidates) {
    const needle = keysOf(term, locale);
    const key = needle.join(' ');
    if (!needle.length || seenStuff.has(key)) continue;
    seenStuff.add(key);
    const n = doc.blocks.reduce((sum, b) => sum + countPhrase(keysOf(b.text, locale), needle), 0);
    const d = allWords ? (n * 100) / allWords : 0;
    if (n >= STUFFING_MIN_OCCURRENCES && d > DENSITY_RANGE.max) stuffedTerms.push({ term: term.trim(), density: round1(d), occurrences: n });
  }
  const worstStuffing = stuffedTerms.reduce((m, t) => Math.max(m, t.density), 0);
  const stuffingPenalty = stuffedTerms.length === 0 ? 0 : worstStuffing > STUFFING_SEVERE ? -15 : -8;

  // Headings.
  const outline = headingsBlocks.map((h) => ({ level: h.level, text: h.text }));
  const headingIssues: HeadingIssue[] = [];
  const titleKey = fold(input.title).replace(/[^a-z0-9]+/g, ' ').trim();
  const bodyH1 = headingsBlocks.filter((h) => h.level === 1 && fold(h.text).replace(/[^a-z0-9]+/g, ' ').trim() !== titleKey);
  const h1Count = (input.title.trim() ? 1 : 0) + bodyH1.length;
  if (h1Count > 1) headingIssues.push({ code: 'studio.seo.fixes.headingMultipleH1', params: { count: h1Count } });
  if (h1Count === 0) headingIssues.push({ code: 'studio.seo.fixes.headingMissingH1', params: {} });
  let previous = 1;
  for (const h of headingsBlocks) {
    if (!h.text) headingIssues.push({ code: 'studio.seo.fixes.headingEmpty', params: { level: h.level } });
    if (h.level > previous + 1) {
      headingIssues.push({ code: 'studio.seo.fixes.headingSkippedLevel', params: { from: previous, to: h.level, heading: h.text } });
    }
    previous = h.level;
  }
  const h2Count = headingsBlocks.filter((h) => h.level === 2).length;
  if (wordCount >= ARTICLE_THIN_WORDS && h2Count < 2) {
    headingIssues.push({ code: 'studio.seo.fixes.headingNoSubheadings', params: { count: h2Count, min: 2 } });
  }

  // Readability (prose blocks; each block ends its last sentence).
  const readability = analyzeReadability(prose.map((b) => b.text), locale);

  // Internal links.
  const present: { url: string; text: string }[] = [];
  const linkedPaths = new Set<string>();
  for (const link of doc.links) {
    if (!isInternal(link.url, ownHosts)) continue;
    const path = normalizeUrl(link.url);
    if (linkedPaths.has(path)) continue;
    linkedPaths.add(path);
    present.push({ url: link.url, text: link.text });
  }
  const contentKeys = new Set([...keysOf(input.title, locale), ...keysOf(bodyText, locale)].filter((k) => k.length >= 4 || /^\d+$/.test(k)));
  const linkSuggestions = input.ownPages
    .filter((p) => !linkedPaths.has(normalizeUrl(p.url)))
    .map((p) => {
      const shared = [...new Set(keysOf(p.title, locale).filter((k) => (k.length >= 4 || /^\d+$/.test(k)) && contentKeys.has(k)))];
      return { url: p.url, title: p.title, sharedTerms: shared.sort(compareStrings) };
    })
    .filter((p) => p.sharedTerms.length > 0)
    .sort((a, b) => b.sharedTerms.length - a.sharedTerms.length || compareStrings(a.url, b.url))
    .slice(0, 5);

  // GEO signals.
  const sentences: Sentence[] = doc.blocks.flatMap((b, i) => (b.kind === 'heading' ? [] : blockSentences(b, i)));
  const topicTerms = keywordKeys.length ? keywordKeys : keysOf(input.title, locale).filter((k) => k.length >= 4);
  const answerFirst = detectAnswerFirst(doc, locale, topicTerms);
  const statistics = detectStatistics(sentences, ownHosts);
  const citations = detectCitations(sentences, ownHosts);
  const quotations = detectQuotations(doc.blocks);
  const faqPairs = detectFaq(doc);
  const fullText = `${input.title}\n${bodyText}`;
  const businessName = input.business?.name?.trim() ? mentions(fullText, input.business.name, locale) : null;
  const city = input.business?.city?.trim() ? mentions(fullText, input.business.city, locale) : null;
  const exclude = new Set([input.business?.name, input.business?.city].filter(Boolean).map((s) => fold(s!)));
  const named = namedEntities(sentences, locale).filter((n) => !exclude.has(fold(n)));
  for (const kw of input.brandKeywords) {
    if (/\p{Lu}/u.test(kw) && mentions(fullText, kw, locale) && !named.some((n) => fold(n) === fold(kw)) && !exclude.has(fold(kw))) {
      named.push(kw.trim());
    }
  }
  named.sort(compareStrings);

  // Suggestions.
  const suggestedTitle = suggestTitle(input, target, inTitle, doc);
  const suggestedMeta = suggestMeta(input, doc, answerFirst.text);
  const suggestedSlug = suggestSlug(input, target);

  // JSON-LD (blog only).
  const jsonLd: JsonLd[] = [];
  if (profile === 'article') {
    jsonLd.push(
      articleJsonLd({
        locale,
        headline: input.title.trim() || suggestedTitle,
        description: suggestedMeta,
        url: input.article?.url,
        datePublished: input.article?.datePublished,
        dateModified: input.article?.dateModified,
        authorName: input.article?.authorName,
        imageUrl: input.article?.imageUrl,
        keywords: [...new Set([target, ...input.brandKeywords].filter((k): k is string => Boolean(k?.trim())).map((k) => k.trim()))],
        wordCount,
        business: input.business,
      }),
    );
    const faq = faqPageJsonLd(faqPairs);
    if (faq) jsonLd.push(faq);
    if (input.business?.name?.trim()) jsonLd.push(localBusinessJsonLd(input.business));
  }

  // ── Breakdown ──
  const items: BreakdownItem[] = [];
  const skipped: SkippedCheck[] = [];
  const add = (key: Exclude<CheckKey, 'keywordStuffing'>, points: number, fix?: Fix, skipReason?: SkippedCheck) => {
    if (!applies.has(key)) {
      skipped.push({ key, reason: 'studio.seo.skipped.notForChannel', params: { channel: input.channel } });
      return;
    }
    if (skipReason) {
      skipped.push(skipReason);
      return;
    }
    const max = WEIGHTS[key];
    const p = Math.max(0, Math.min(max, points));
    items.push({
      key,
      group: GEO_KEYS.has(key) ? 'geo' : 'seo',
      label: `studio.seo.checks.${key}`,
      points: p,
      max,
      passed: p === max,
      ...(p < max && fix ? { fix } : {}),
    });
  };
  const fx = (name: string, params: FixParams = {}): Fix => ({ code: `studio.seo.fixes.${name}`, params });
  const noKeyword = suggestedKeyword ? fx('keywordMissingSuggested', { suggested: suggestedKeyword }) : fx('keywordMissing');

  // titleLength
  {
    const len = lengthOf(input.title.trim());
    const range = { min: TITLE_RANGE.min, max: TITLE_RANGE.max, length: len, suggested: suggestedTitle };
    const points = len >= TITLE_RANGE.min && len <= TITLE_RANGE.max ? 5 : len >= 15 && len <= 75 ? 2 : 0;
    add('titleLength', points, len === 0 ? fx('titleMissing', range) : len < TITLE_RANGE.min ? fx('titleTooShort', range) : fx('titleTooLong', range));
  }
  add('keywordInTitle', target && inTitle ? 6 : 0, target ? fx('keywordNotInTitle', { keyword: target, suggested: suggestedTitle }) : noKeyword);
  // metaDescription
  {
    const meta = input.metaDescription?.replace(/\s+/g, ' ').trim() ?? '';
    const len = lengthOf(meta);
    const params = { length: len, min: META_RANGE.min, max: META_RANGE.max, suggested: suggestedMeta };
    const inRange = len >= META_RANGE.min && len <= META_RANGE.max;
    const kwPoint = meta && (!target || inMetaDescription) ? 1 : 0;
    const points = !meta ? 0 : (inRange ? 4 : 2) + kwPoint;
    const fix = !meta
      ? fx('metaMissing', params)
      : len < META_RANGE.min
        ? fx('metaTooShort', params)
        : len > META_RANGE.max
          ? fx('metaTooLong', params)
          : fx('metaNoKeyword', { keyword: target ?? '' });
    add('metaDescription', points, fix);
  }
  // slug
  {
    const slug = input.slug?.trim() ?? '';
    const valid = slug.length >= SLUG_RANGE.min && slug.length <= SLUG_RANGE.max && /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(slug);
    const kwParts = target ? slugify(target, locale).split('-').filter(Boolean) : [];
    const hasKw = target ? kwParts.every((p) => slug.split('-').includes(p)) : true;
    const points = valid ? 2 + (hasKw ? 1 : 0) : 0;
    const fix = !slug
      ? fx('slugMissing', { suggested: suggestedSlug })
      : !valid
        ? fx('slugInvalid', { suggested: suggestedSlug, max: SLUG_RANGE.max })
        : fx('slugNoKeyword', { suggested: suggestedSlug, keyword: target ?? '' });
    add('slug', points, fix);
  }
  add('keywordInFirstParagraph', target && inFirstParagraph ? 5 : 0, target ? fx('keywordNotInFirstParagraph', { keyword: target }) : noKeyword);
  add('keywordInHeadings', target && inHeadings ? 4 : 0, target ? fx('keywordNotInHeadings', { keyword: target }) : noKeyword);
  // keywordDensity
  {
    const d = round1(density);
    const params = { keyword: target ?? '', density: d, min: DENSITY_RANGE.min, max: DENSITY_RANGE.max };
    // Short texts (social posts): one or two mentions are right whatever the percentage says.
    const tooFrequent = density > DENSITY_RANGE.max && occurrences >= STUFFING_MIN_OCCURRENCES;
    const tooRare = occurrences === 0 || (density < DENSITY_RANGE.min && allWords >= DENSITY_MIN_WORDS);
    if (!target) add('keywordDensity', 0, noKeyword);
    else if (tooFrequent) add('keywordDensity', 0, fx('keywordTooFrequent', params));
    else if (tooRare) add('keywordDensity', occurrences > 0 ? 2 : 0, fx('keywordTooRare', params));
    else add('keywordDensity', 5);
  }
  add('headingStructure', 6 - 2 * headingIssues.length, headingIssues[0] ? fx(headingIssues[0].code.split('.').pop()!, headingIssues[0].params) : undefined);
  add(
    'contentLength',
    wordCount >= ARTICLE_MIN_WORDS ? 4 : wordCount >= ARTICLE_THIN_WORDS ? 2 : 0,
    fx('contentTooShort', { words: wordCount, min: ARTICLE_MIN_WORDS }),
  );
  {
    const s = readability.score;
    const points = s >= READABILITY_TARGET ? 8 : s >= 50 ? 6 : s >= 40 ? 4 : s >= 30 ? 2 : 0;
    add(
      'readability',
      readability.words === 0 ? 0 : points,
      fx('readabilityLow', {
        score: round1(s),
        target: READABILITY_TARGET,
        longSentences: readability.longSentences,
        threshold: readability.longSentenceThreshold,
        averageSentenceLength: round1(readability.averageSentenceLength),
      }),
    );
  }
  add(
    'internalLinks',
    present.length > 0 ? 4 : 0,
    linkSuggestions.length
      ? fx('internalLinkSuggested', { pages: linkSuggestions.map((p) => p.title).join(', ') })
      : fx('internalLinkMissing'),
    present.length === 0 && input.ownPages.length === 0 && !input.business?.url && applies.has('internalLinks')
      ? { key: 'internalLinks', reason: 'studio.seo.skipped.noOwnPages', params: {} }
      : undefined,
  );

  // GEO
  {
    const issue = answerFirst.issues[0];
    const params: FixParams = { words: answerFirst.words, min: ANSWER_FIRST_MIN_WORDS, max: ANSWER_FIRST_MAX_WORDS, keyword: target ?? input.title };
    const names: Record<string, string> = {
      missing: 'answerFirstMissing',
      filler: 'answerFirstFiller',
      question: 'answerFirstQuestion',
      tooLong: 'answerFirstTooLong',
      tooShort: 'answerFirstTooShort',
      offTopic: 'answerFirstOffTopic',
    };
    add('answerFirst', answerFirst.passed ? 9 : answerFirst.text ? 4 : 0, issue ? fx(names[issue], params) : undefined);
  }
  {
    const count = statistics.length;
    const sourced = statistics.filter((s) => s.sourced).length;
    const points = Math.min(4, 2 * count) + Math.min(4, 2 * sourced);
    add('statistics', points, count === 0 ? fx('statisticsMissing') : fx('statisticsUnsourced', { count, sourced, unsourced: count - sourced }));
  }
  add(
    'citations',
    citations.length >= 2 ? 8 : citations.length === 1 ? 5 : 0,
    citations.length === 0 ? fx('citationsMissing') : fx('citationsFew', { count: citations.length, min: 2 }),
  );
  {
    const attributed = quotations.filter((q) => q.attributed).length;
    add(
      'quotations',
      attributed > 0 ? 6 : quotations.length > 0 ? 3 : 0,
      quotations.length === 0 ? fx('quotationsMissing') : fx('quotationsUnattributed', { count: quotations.length }),
    );
  }
  {
    let points: number;
    let fix: Fix | undefined;
    if (input.business?.name?.trim() && !input.business.city?.trim()) {
      points = (businessName ? 3 : 0) + (named.length >= 2 ? 3 : named.length === 1 ? 1 : 0);
      fix = !businessName ? fx('entitiesBusinessMissing', { name: input.business.name }) : fx('entitiesFew', { count: named.length, min: 2 });
    } else if (input.business?.name?.trim()) {
      points = (businessName ? 2 : 0) + (city ? 2 : 0) + (named.length >= 2 ? 2 : named.length === 1 ? 1 : 0);
      fix = !businessName
        ? fx('entitiesBusinessMissing', { name: input.business.name })
        : !city
          ? fx('entitiesCityMissing', { city: input.business.city })
          : fx('entitiesFew', { count: named.length, min: 2 });
    } else {
      points = named.length >= 3 ? 6 : named.length >= 1 ? 3 : 0;
      fix = fx('entitiesFew', { count: named.length, min: 3 });
    }
    add('entities', points, fix);
  }
  add('faq', faqPairs.length >= 2 ? 5 : faqPairs.length === 1 ? 3 : 0, faqPairs.length === 0 ? fx('faqMissing') : fx('faqFew', { count: faqPairs.length, min: 2 }));
  add('structuredData', (input.title.trim() ? 2 : 0) + (input.business?.name?.trim() ? 1 : 0), input.title.trim() ? fx('structuredDataNoBusiness') : fx('titleMissing', { min: TITLE_RANGE.min, max: TITLE_RANGE.max, length: 0, suggested: suggestedTitle }));

  if (stuffingPenalty < 0) {
    const worst = [...stuffedTerms].sort((a, b) => b.density - a.density || compareStrings(a.term, b.term))[0];
    items.push({
      key: 'keywordStuffing',
      group: 'geo',
      label: 'studio.seo.checks.keywordStuffing',
      points: stuffingPenalty,
      max: 0,
      passed: false,
      fix: fx('keywordStuffing', { term: worst.term, density: worst.density, max: DENSITY_RANGE.max, occurrences: worst.occurrences }),
    });
  }

  const max = items.reduce((n, i) => n + i.max, 0);
  const points = items.reduce((n, i) => n + i.points, 0);
  const score = max === 0 ? 0 : Math.max(0, Math.min(100, Math.round((Math.max(0, points) * 100) / max)));

  return {
    score,
    profile,
    breakdown: items,
    skipped,
    suggestions: {
      title: suggestion(suggestedTitle, TITLE_RANGE),
      metaDescription: suggestion(suggestedMeta, META_RANGE),
      slug: suggestion(suggestedSlug, SLUG_RANGE),
    },
    keyword: {
      target,
      suggested: suggestedKeyword,
      occurrences,
      density: round1(density),
      inTitle,
      inFirstParagraph,
      inHeadings,
      inMetaDescription,
      relatedTerms: relatedTerms(doc, locale, keywordKeys, input.brandKeywords, bodyText),
    },
    headings: { outline, issues: headingIssues },
    readability,
    wordCount,
    internalLinks: { present, suggestions: linkSuggestions },
    geo: {
      answerFirst,
      statistics: { count: statistics.length, sourced: statistics.filter((s) => s.sourced).length, items: statistics },
      citations: { count: citations.length, items: citations },
      quotations: { count: quotations.length, attributed: quotations.filter((q) => q.attributed).length, items: quotations },
      entities: { businessName, city, named },
      faq: { present: faqPairs.length > 0, pairs: faqPairs },
      stuffingPenalty,
      stuffedTerms,
    },
    jsonLd,
  };
}

