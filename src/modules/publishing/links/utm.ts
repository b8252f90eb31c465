/**
 * UTM tagging, as pure string work: a link is never re-serialised (that would re-encode its path, punycode its
 * host or reorder its query), the UTM parameters are only appended before the fragment.
 *
 * Rules:
 * - only absolute http(s) URLs that the WHATWG parser accepts are tagged; mailto:, tel:, javascript:, relative,
 *   malformed or ambiguous ones (whitespace, backslashes) are returned as written;
 * - existing query parameters keep their order and encoding; a `utm_*` parameter already present (any case,
 *   even empty) is never overwritten nor repeated; the fragment stays last;
 * - tagging is idempotent: once every parameter is present, the URL comes back unchanged.
 *
 * utm_medium per channel: `social` for the social networks (LinkedIn, Facebook, Instagram, X, Google Business
 * Profile), `email` for the newsletter, `sms` for SMS, `blog` for the blog. utm_source is the channel itself
 * (`linkedin`, `newsletter`…), utm_campaign the campaign's `utm_campaign` or the month (`2026-11`), utm_content
 * the content id.
 */
import { findUrls } from '../../studio/channels.js';

export const UTM_KEYS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term'] as const;
export type UtmKey = (typeof UTM_KEYS)[number];
export type UtmParams = Partial<Record<UtmKey, string>>;

const MEDIUM_BY_CHANNEL: Readonly<Record<string, string>> = {
  linkedin: 'social',
  facebook: 'social',
  instagram: 'social',
  x: 'social',
  google_business: 'social',
  newsletter: 'email',
  sms: 'sms',
  blog: 'blog',
};

/** utm_medium of a channel; an unknown channel is its own medium. */
export function utmMediumOf(channel: string): string {
  return MEDIUM_BY_CHANNEL[channel] ?? channel;
}

export interface UtmContext {
  channel: string;
  contentId: string;
  campaign: string;
}

export function utmParamsFor(context: UtmContext): UtmParams {
  return {
    utm_source: context.channel,
    utm_medium: utmMediumOf(context.channel),
    utm_campaign: context.campaign,
    utm_content: context.contentId,
  };
}

/** An absolute http(s) URL the WHATWG parser accepts, with a host, and nothing two parsers could read differently. */
export function isTaggableUrl(url: string): boolean {
  if (!/^https?:\/\/[^/?#]/i.test(url) || /[\s\\<>"]/u.test(url)) return false;
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname.length > 0;
  } catch {
    return false;
  }
}

function decodeName(raw: string): string {
  const spaced = raw.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced).toLowerCase();
  } catch {
    return spaced.toLowerCase();
  }
}

interface UrlParts {
  /** Scheme, authority and path. */
  head: string;
  /** Without the `?`; '' when absent or empty. */
  query: string;
  /** With its `#`; '' when absent. */
  fragment: string;
}

function split(url: string): UrlParts {
  const hashAt = url.indexOf('#');
  const beforeHash = hashAt === -1 ? url : url.slice(0, hashAt);
  const fragment = hashAt === -1 ? '' : url.slice(hashAt);
  const queryAt = beforeHash.indexOf('?');
  return {
    head: queryAt === -1 ? beforeHash : beforeHash.slice(0, queryAt),
    query: queryAt === -1 ? '' : beforeHash.slice(queryAt + 1),
    fragment,
  };
}

/** The UTM parameters present in a URL's query (first occurrence wins, names compared without case). */
export function readUtm(url: string): UtmParams {
  const found: UtmParams = {};
  for (const pair of split(url).query.split('&')) {
    const eq = pair.indexOf('=');
    const name = decodeName(eq === -1 ? pair : pair.slice(0, eq));
    if (!(UTM_KEYS as readonly string[]).includes(name) || found[name as UtmKey] !== undefined) continue;
    const raw = eq === -1 ? '' : pair.slice(eq + 1).replace(/\+/g, ' ');
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      value = raw;
    }
    found[name as UtmKey] = value;
  }
  return found;
}

/** Appends the missing UTM parameters (in UTM_KEYS order, empty values skipped); see the rules above. */
export function tagUrl(url: string, params: UtmParams): string {
  if (!isTaggableUrl(url)) return url;
  const { head, query, fragment } = split(url);
  const present = readUtm(url);
  const additions = UTM_KEYS.filter((key) => params[key] && present[key] === undefined).map(
    (key) => `${key}=${encodeURIComponent(params[key]!)}`,
  );
  if (additions.length === 0) return url;
  const separator = query === '' || query.endsWith('&') ? '' : '&';
  return `${head}?${query}${separator}${additions.join('&')}${fragment}`;
}

export interface LinkMatch {
  url: string;
  start: number;
  end: number;
}

/** Characters that end a sentence after a link and that the studio's URL finder keeps. */
const EXTRA_TRAILING = /[…›”’]+$/u;

/**
 * The taggable links of a text, in order: the studio's URL finder (which already leaves out trailing
 * punctuation — `.`, `,`, `)`, `»`… — and keeps balanced parentheses), restricted to absolute http(s) URLs.
 */
export function findLinks(text: string): LinkMatch[] {
  const links: LinkMatch[] = [];
  for (const match of findUrls(text)) {
    const url = match.url.replace(EXTRA_TRAILING, '');
    if (!/^https?:\/\//i.test(url) || !isTaggableUrl(url)) continue;
    links.push({ url, start: match.start, end: match.start + url.length });
  }
  return links;
}
