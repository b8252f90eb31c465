import zlib from 'node:zlib';
import { FetchRefusedError, type FetchRefusal, type FetchedResource, type UrlFetcher } from '../../shared/url-fetcher.js';
import { HtmlTextExtractor, type HtmlExtraction } from './html-text-extractor.js';

export interface WebsitePage {
  /** The page's final URL (after redirects). */
  url: string;
  title: string;
  text: string;
  lang?: string;
  description?: string;
}

export interface WebsiteReadError {
  url: string;
  /** The fetcher's refusal, or `unreadable` when the page came back but could not be read. */
  reason: FetchRefusal | 'unreadable';
}

export interface WebsiteReading {
  /** The home page first, then the other pages in the order they were chosen. */
  pages: WebsitePage[];
  /** Pages that could not be read; the others are still there. */
  errors: WebsiteReadError[];
  /** Feeds the home page announces (for the watch module). */
  feedLinks: string[];
}

export interface WebsiteReadOptions {
  /** Pages read at most, the home page included (1–20). Default 5. */
  maxPages?: number;
  /** Pages fetched at once. Default 2. */
  concurrency?: number;
}

const HTML_TYPES = ['text/html', 'application/xhtml+xml'];
const SITEMAP_TYPES = ['application/xml', 'text/xml', 'application/x-gzip', 'application/gzip', 'text/plain'];
const MAX_SITEMAP_URLS = 50_000;
const MAX_CHILD_SITEMAPS = 3;

/** Links that are files, not pages. */
const ASSET =
  /\.(?:pdf|jpe?g|png|gif|webp|avif|svg|ico|bmp|tiff?|css|js|mjs|json|xml|rss|atom|txt|zip|gz|rar|7z|tar|mp3|mp4|m4a|wav|ogg|webm|mov|avi|woff2?|ttf|eot|otf|docx?|xlsx?|pptx?|odt|ods|csv|exe|dmg|apk)$/i;
/** Pages worth nothing for a brand: accounts, carts, feeds, admin, search. */
const USELESS_SEGMENT =
  /^(?:wp-admin|wp-login\.php|wp-json|cdn-cgi|login|logout|signin|sign-in|signup|register|connexion|inscription|account|mon-compte|my-account|compte|cart|panier|checkout|commande|feed|rss|search|recherche|tag|tags|author|auteur|page|attachment)$/i;
/** What a client would show first: who they are, what they sell and for how much, how to reach them. */
const PRIORITY: RegExp[] = [
  /^(?:a-propos|apropos|about|about-us|qui-sommes-nous|qui-suis-je|notre-histoire|histoire|presentation|entreprise|societe|company|notre-entreprise|la-societe)$/,
  /^(?:services?|nos-services|prestations?|nos-prestations|offres?|nos-offres|solutions?|produits?|nos-produits|products?|catalogue|boutique|shop|menu|carte|formules?|tarifs?|nos-tarifs|prix|prices?|pricing)$/,
  /^(?:contact|contacts|contactez-nous|nous-contacter|contact-us|acces|plan-d-acces|horaires|infos-pratiques)$/,
  /^(?:equipe|notre-equipe|team|our-team|realisations|references|portfolio|clients|temoignages|avis|testimonials|valeurs|nos-valeurs|engagements|mission|savoir-faire|expertise)$/,
  /^(?:faq|mentions-legales|legal|legal-notice|cgv|conditions-generales-de-vente|impressum)$/,
];
const LOCALE_SEGMENT = /^[a-z]{2}(?:[-_][a-z]{2})?$/i;

/** The host without a leading `www.`: the site key (a stand-in for the registrable domain, no public-suffix list). */
function siteHost(url: URL): string {
  return url.hostname.toLowerCase().replace(/^www\./, '');
}

/** Same site: the same host (ignoring `www.`) or one of its subdomains. */
export function isSameSite(candidate: URL, home: URL): boolean {
  const host = siteHost(candidate);
  const homeHost = siteHost(home);
  return host === homeHost || host.endsWith(`.${homeHost}`);
}

/** Identity of a page for deduplication: site host, path without trailing slash or index file, query. */
export function pageKey(url: URL): string {
  const path = url.pathname.replace(/\/(?:index\.(?:html?|php))?$/i, '').replace(/\/+$/, '');
  return `${siteHost(url)}${path || '/'}${url.search}`;
}

function segments(url: URL): string[] {
  return url.pathname
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
}

/** A same-site page URL worth reading (fragment and tracking parameters removed), or undefined. */
export function candidatePage(href: string, home: URL): URL | undefined {
  let url: URL;
  try {
    url = new URL(href, home);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password) return undefined;
  if (!isSameSite(url, home)) return undefined;
  url.hash = '';
  for (const name of [...url.searchParams.keys()]) {
    if (/^(?:utm_|fbclid$|gclid$|mc_)/i.test(name)) url.searchParams.delete(name);
  }
  if (ASSET.test(url.pathname)) return undefined;
  if (segments(url).some((segment) => USELESS_SEGMENT.test(segment))) return undefined;
  if (pageKey(url) === pageKey(home)) return undefined;
  return url;
}

/** Lower is better: known page names first, then shallow, short paths; query strings last. */
export function pageScore(url: URL): number {
  const parts = segments(url).map((segment) => segment.toLowerCase().replace(/\.(?:html?|php|aspx?)$/, ''));
  const meaningful = parts.filter((segment, index) => !(index === 0 && LOCALE_SEGMENT.test(segment)));
  const last = meaningful[meaningful.length - 1] ?? '';
  let rank = PRIORITY.findIndex((pattern) => pattern.test(last));
  if (rank < 0) rank = meaningful.some((segment) => PRIORITY.some((pattern) => pattern.test(segment))) ? PRIORITY.length : PRIORITY.length + 1;
  const depth = meaningful.length;
  const length = Math.min(meaningful.join('/').length, 99);
  return rank * 10_000 + depth * 1_000 + length * 10 + (url.search ? 5 : 0);
}

/** Unique candidate pages from `hrefs`, best first (stable for equal scores). */
export function rankPages(hrefs: Iterable<string>, home: URL): URL[] {
  const seen = new Set<string>();
  const pages: { url: URL; score: number; order: number }[] = [];
  for (const href of hrefs) {
    const url = candidatePage(href, home);
    if (!url) continue;
    const key = pageKey(url);
    if (seen.has(key)) continue;
    seen.add(key);
    pages.push({ url, score: pageScore(url), order: pages.length });
  }
  return pages.sort((a, b) => a.score - b.score || a.order - b.order).map((page) => page.url);
}

function decodeXmlText(text: string): string {
  return text.replace(/&(?:#x([0-9a-f]+)|#(\d+)|(amp|lt|gt|quot|apos));/gi, (entity, hex: string, dec: string, name: string) => {
    if (hex) return String.fromCodePoint(Math.min(parseInt(hex, 16), 0x10ffff));
    if (dec) return String.fromCodePoint(Math.min(parseInt(dec, 10), 0x10ffff));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[name.toLowerCase()] ?? entity;
  });
}

/** The `<loc>` URLs of a sitemap (or sitemap index), and whether it is an index. Tolerates namespaces and CDATA. */
export function parseSitemap(xml: string): { index: boolean; urls: string[] } {
  const urls: string[] = [];
  const pattern = /<(?:[\w-]+:)?loc\b[^>]*>\s*(?:<!\[CDATA\[)?\s*([^<\]]*?)\s*(?:\]\]>)?\s*<\/(?:[\w-]+:)?loc>/gi;
  for (const match of xml.matchAll(pattern)) {
    if (urls.length >= MAX_SITEMAP_URLS) break;
    const url = decodeXmlText(match[1]).trim();
    if (url) urls.push(url);
  }
  return { index: /<(?:[\w-]+:)?sitemapindex\b/i.test(xml), urls };
}

function sitemapText(resource: FetchedResource): string {
  let body = resource.body;
  if (body[0] === 0x1f && body[1] === 0x8b) body = zlib.gunzipSync(body, { maxOutputLength: 20 * 1024 * 1024 });
  return body.toString('utf8');
}

function refusalOf(error: unknown): WebsiteReadError['reason'] {
  return error instanceof FetchRefusedError ? error.reason : 'unreadable';
}

/** A URL typed by a user: `exemple.fr` means `https://exemple.fr/`. Other schemes are left for the fetcher to refuse. */
export function normaliseSiteUrl(input: string): string {
  const trimmed = input.trim();
  const hasScheme = /^[a-z][a-z0-9+.-]*:/i.test(trimmed) && !/^[^:/]+:\d+(?:\/|$)/.test(trimmed);
  try {
    return new URL(hasScheme ? trimmed : `https://${trimmed.replace(/^\/+/, '')}`).href;
  } catch {
    throw new FetchRefusedError('invalidUrl');
  }
}

/**
 * Reads a business's website for onboarding: the home page, then up to `maxPages − 1` pages of the same site chosen
 * from `/sitemap.xml` (else, or to fill up, from the home page's links), preferring short paths such as /a-propos,
 * /services, /tarifs, /contact. Every request goes through the `UrlFetcher` port (which enforces SSRF, size, time and
 * robots rules). A failing page is reported in `errors`; a failing home page throws its `FetchRefusedError`.
 * Pages that redirect to one already read are dropped silently.
 */
export class WebsiteReader {
  constructor(
    private readonly fetcher: UrlFetcher,
    private readonly html: HtmlTextExtractor = new HtmlTextExtractor(),
  ) {}

  async read(url: string, options: WebsiteReadOptions = {}): Promise<WebsiteReading> {
    const maxPages = Math.max(1, Math.min(20, Math.floor(options.maxPages ?? 5)));
    const concurrency = Math.max(1, options.concurrency ?? 2);

    const homeResource = await this.fetcher.fetch(normaliseSiteUrl(url), { accept: HTML_TYPES });
    const homeUrl = new URL(homeResource.url);
    const home = this.html.extract(homeResource.body, homeResource.url, homeResource.charset);
    const reading: WebsiteReading = { pages: [toPage(homeResource.url, home)], errors: [], feedLinks: home.feedLinks };
    if (maxPages === 1) return reading;

    const chosen: URL[] = [];
    const taken = new Set<string>([pageKey(homeUrl)]);
    const take = (candidates: URL[]) => {
      for (const candidate of candidates) {
        if (chosen.length >= maxPages - 1) return;
        const key = pageKey(candidate);
        if (taken.has(key)) continue;
        taken.add(key);
        chosen.push(candidate);
      }
    };
    take(rankPages(await this.sitemapUrls(homeUrl), homeUrl));
    take(rankPages(home.links.map((link) => link.href), homeUrl));

    const results = await mapLimit(chosen, concurrency, (page) => this.readPage(page.href));
    for (const [index, result] of results.entries()) {
      if ('reason' in result) {
        reading.errors.push({ url: chosen[index].href, reason: result.reason });
        continue;
      }
      const key = pageKey(new URL(result.url));
      if (key !== pageKey(chosen[index]) && taken.has(key)) continue; // redirected to a page already read
      taken.add(key);
      reading.pages.push(result);
    }
    return reading;
  }

  private async readPage(url: string): Promise<WebsitePage | { reason: WebsiteReadError['reason'] }> {
    let resource: FetchedResource;
    try {
      resource = await this.fetcher.fetch(url, { accept: HTML_TYPES });
    } catch (error) {
      return { reason: refusalOf(error) };
    }
    try {
      return toPage(resource.url, this.html.extract(resource.body, resource.url, resource.charset));
    } catch {
      return { reason: 'unreadable' };
    }
  }

  /** Page URLs listed by `/sitemap.xml` (following a sitemap index one level down); empty when there is none. */
  private async sitemapUrls(home: URL): Promise<string[]> {
    const root = await this.fetchSitemap(new URL('/sitemap.xml', home).href);
    if (!root) return [];
    if (!root.index) return root.urls;
    const children = root.urls.filter((child) => candidateSitemap(child, home)).slice(0, MAX_CHILD_SITEMAPS);
    const urls: string[] = [];
    for (const child of children) {
      const sitemap = await this.fetchSitemap(child);
      if (sitemap && !sitemap.index) urls.push(...sitemap.urls);
      if (urls.length >= MAX_SITEMAP_URLS) break;
    }
    return urls;
  }

  private async fetchSitemap(url: string): Promise<{ index: boolean; urls: string[] } | undefined> {
    try {
      const resource = await this.fetcher.fetch(url, { accept: SITEMAP_TYPES });
      return parseSitemap(sitemapText(resource));
    } catch {
      return undefined; // no sitemap, or an unusable one: the home page's links will do
    }
  }
}

function candidateSitemap(href: string, home: URL): boolean {
  try {
    const url = new URL(href, home);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isSameSite(url, home);
  } catch {
    return false;
  }
}

function toPage(url: string, extraction: HtmlExtraction): WebsitePage {
  return {
    url,
    title: extraction.title,
    text: extraction.text,
    ...(extraction.lang ? { lang: extraction.lang } : {}),
    ...(extraction.description ? { description: extraction.description } : {}),
  };
}

/** `fn` over `items`, at most `limit` at a time, results in input order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  });
  await Promise.all(lanes);
  return results;
}
