import { parseHTML } from 'linkedom';
import { decodeHtml } from '../../adapters/extraction/html-decode.js';
import type { FetchedResource, UrlFetcher } from '../../shared/url-fetcher.js';
import { FetchRefusedError } from '../../shared/url-fetcher.js';
import { FeedError, type FeedReader } from './feed-reader.js';

export interface FeedCandidate {
  url: string;
  /** The `title` of the `<link>`, else the feed's own title; null when neither says anything. */
  title: string | null;
  type: 'rss' | 'atom' | 'json' | null;
  /** `declared` by the page's `<link rel="alternate">`, `fallback` found at a usual address, `direct`: the URL itself is a feed. */
  origin: 'declared' | 'fallback' | 'direct';
}

export interface FeedDiscoveryResult {
  /** The page's final URL (after redirects). */
  siteUrl: string;
  feeds: FeedCandidate[];
}

const FEED_TYPES: Record<string, FeedCandidate['type']> = {
  'application/rss+xml': 'rss',
  'application/atom+xml': 'atom',
  'application/feed+json': 'json',
};
/** Usual feed addresses, tried only when the page declares none. */
const FALLBACK_PATHS = ['/feed', '/rss.xml', '/feed.xml', '/atom.xml', '/index.xml'];
const PAGE_ACCEPT = ['text/html', 'application/xhtml+xml', 'application/rss', 'application/atom', 'application/feed+json', 'application/json', 'application/xml', 'text/xml'];
const FEED_ACCEPT = ['text/', 'application/'];
const MAX_CANDIDATES = 20;
const TIMEOUT_MS = 10_000;

/**
 * Finds the feeds of a site: the `<link rel="alternate" type="application/rss+xml | atom+xml | feed+json">` of its
 * page (relative hrefs resolved against the page or its `<base href>`), else the usual addresses (`/feed`,
 * `/rss.xml`…) that really serve a feed. A URL that is itself a feed is returned as it is. Everything goes through
 * the safe fetcher; a page that cannot be fetched throws its `FetchRefusedError`.
 */
export class FeedDiscovery {
  constructor(private readonly deps: { urlFetcher: UrlFetcher; feedReader: FeedReader }) {}

  async discover(siteUrl: string): Promise<FeedDiscoveryResult> {
    const page = await this.deps.urlFetcher.fetch(siteUrl, { accept: PAGE_ACCEPT, timeoutMs: TIMEOUT_MS });
    if (!page.contentType.includes('html')) {
      const direct = await this.asFeed(page);
      return { siteUrl: page.url, feeds: direct ? [{ ...direct, origin: 'direct' }] : [] };
    }
    const declared = declaredFeeds(page);
    if (declared.length) return { siteUrl: page.url, feeds: declared };

    const feeds: FeedCandidate[] = [];
    const seen = new Set<string>();
    for (const path of FALLBACK_PATHS) {
      const url = new URL(path, page.url).href;
      let fetched: FetchedResource;
      try {
        fetched = await this.deps.urlFetcher.fetch(url, { accept: FEED_ACCEPT, timeoutMs: TIMEOUT_MS });
      } catch (err) {
        if (err instanceof FetchRefusedError) continue;
        throw err;
      }
      if (seen.has(fetched.url)) continue; // /feed and /rss.xml often redirect to the same feed
      seen.add(fetched.url);
      const feed = await this.asFeed(fetched);
      if (feed) feeds.push({ ...feed, origin: 'fallback' });
    }
    return { siteUrl: page.url, feeds };
  }

  /** The resource as a feed candidate, or null when it is no readable feed. */
  private async asFeed(resource: FetchedResource): Promise<Omit<FeedCandidate, 'origin'> | null> {
    try {
      const feed = await this.deps.feedReader.read(resource.body, { charset: resource.charset, url: resource.url });
      return { url: resource.url, title: feed.title, type: feed.format };
    } catch (err) {
      if (err instanceof FeedError) return null;
      throw err;
    }
  }
}

function declaredFeeds(page: FetchedResource): FeedCandidate[] {
  const { document } = parseHTML(decodeHtml(page.body, page.charset).html);
  let base = page.url;
  const declaredBase = document.querySelector('base[href]')?.getAttribute('href');
  if (declaredBase) {
    try {
      const resolved = new URL(declaredBase, page.url);
      if (resolved.protocol === 'http:' || resolved.protocol === 'https:') base = resolved.href;
    } catch {
      // an unusable <base> is ignored, as browsers do
    }
  }
  const feeds = new Map<string, FeedCandidate>();
  for (const link of document.querySelectorAll('link[rel][href]')) {
    if (feeds.size >= MAX_CANDIDATES) break;
    const rel = (link.getAttribute('rel') ?? '').toLowerCase().split(/\s+/);
    const mediaType = (link.getAttribute('type') ?? '').toLowerCase().split(';')[0].trim();
    if (!rel.includes('alternate') || !(mediaType in FEED_TYPES)) continue;
    let url: URL;
    try {
      url = new URL((link.getAttribute('href') ?? '').trim(), base);
    } catch {
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
    url.hash = '';
    if (feeds.has(url.href)) continue;
    const title = (link.getAttribute('title') ?? '').replace(/\s+/g, ' ').trim() || null;
    feeds.set(url.href, { url: url.href, title, type: FEED_TYPES[mediaType], origin: 'declared' });
  }
  return [...feeds.values()];
}
