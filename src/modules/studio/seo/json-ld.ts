/**
 * schema.org JSON-LD for the blog channel: Article, FAQPage, LocalBusiness, and a serializer that is safe
 * inside `<script type="application/ld+json">`. Pure; absent facts are omitted, never invented.
 */
import type { SeoLocale } from './text.js';

export type JsonLd = { '@context': 'https://schema.org'; '@type': string } & Record<string, unknown>;

export interface BusinessInfo {
  name: string;
  city: string;
  address?: string;
  phone?: string;
  url?: string;
  postalCode?: string;
  /** ISO 3166-1 alpha-2 (`FR`). */
  country?: string;
}

export interface ArticleJsonLdInput {
  locale: SeoLocale;
  headline: string;
  description?: string;
  url?: string;
  datePublished?: string;
  dateModified?: string;
  authorName?: string;
  imageUrl?: string;
  keywords?: string[];
  wordCount?: number;
  business?: BusinessInfo;
}

export interface FaqPair {
  question: string;
  answer: string;
}

const CONTEXT = 'https://schema.org' as const;
/** Google truncates `headline` beyond 110 characters. */
export const HEADLINE_MAX = 110;

function clean(value: string | undefined): string | undefined {
  const v = value?.replace(/\s+/g, ' ').trim();
  return v ? v : undefined;
}

function compact<T extends Record<string, unknown>>(obj: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out as T;
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const cut = chars.slice(0, max - 1).join('');
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:]+$/, '')}…`;
}

function organization(business: BusinessInfo): Record<string, unknown> {
  return compact({ '@type': 'Organization', name: clean(business.name), url: clean(business.url) });
}

/** `Article` (https://schema.org/Article). The business, if known, is the publisher (and the author by default). */
export function articleJsonLd(input: ArticleJsonLdInput): JsonLd {
  const headline = truncate(clean(input.headline) ?? '', HEADLINE_MAX);
  const url = clean(input.url);
  const author = clean(input.authorName)
    ? { '@type': 'Person', name: clean(input.authorName) }
    : input.business
      ? organization(input.business)
      : undefined;
  return compact({
    '@context': CONTEXT,
    '@type': 'Article',
    headline,
    description: clean(input.description),
    inLanguage: input.locale,
    mainEntityOfPage: url ? { '@type': 'WebPage', '@id': url } : undefined,
    url,
    datePublished: clean(input.datePublished),
    dateModified: clean(input.dateModified) ?? clean(input.datePublished),
    author,
    publisher: input.business ? organization(input.business) : undefined,
    image: clean(input.imageUrl),
    keywords: input.keywords?.map((k) => k.trim()).filter(Boolean).join(', '),
    wordCount: input.wordCount,
  });
}

/** `FAQPage` from question/answer pairs; `null` when there is none. */
export function faqPageJsonLd(pairs: readonly FaqPair[]): JsonLd | null {
  const entities = pairs
    .map((p) => ({ question: clean(p.question), answer: clean(p.answer) }))
    .filter((p): p is { question: string; answer: string } => Boolean(p.question && p.answer))
    .map((p) => ({
      '@type': 'Question',
      name: p.question,
      acceptedAnswer: { '@type': 'Answer', text: p.answer },
    }));
  if (entities.length === 0) return null;
  return { '@context': CONTEXT, '@type': 'FAQPage', mainEntity: entities };
}

/** `LocalBusiness` with its `PostalAddress` (https://schema.org/LocalBusiness). */
export function localBusinessJsonLd(business: BusinessInfo): JsonLd {
  const address = compact({
    '@type': 'PostalAddress',
    streetAddress: clean(business.address),
    addressLocality: clean(business.city),
    postalCode: clean(business.postalCode),
    addressCountry: clean(business.country)?.toUpperCase(),
  });
  return compact({
    '@context': CONTEXT,
    '@type': 'LocalBusiness',
    name: clean(business.name) ?? '',
    address: Object.keys(address).length > 1 ? address : undefined,
    telephone: clean(business.phone),
    url: clean(business.url),
  });
}

/**
 * JSON for a `<script type="application/ld+json">` element: `<`, `>` and `&` are written as `\u003c`,
 * `\u003e`, `\u0026` (so neither `</script>` nor `<!--` can appear), and U+2028/U+2029 are escaped too.
 * The result is still valid JSON that parses back to the same value.
 */
export function serializeJsonLd(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The complete `<script>` element for one or several JSON-LD objects (`indent` to show it to a person). */
export function jsonLdScript(value: JsonLd | readonly JsonLd[], indent?: number): string {
  const payload = Array.isArray(value) && value.length === 1 ? value[0] : value;
  const json = serializeJsonLd(payload, indent);
  return indent ? `<script type="application/ld+json">\n${json}\n</script>` : `<script type="application/ld+json">${json}</script>`;
}
