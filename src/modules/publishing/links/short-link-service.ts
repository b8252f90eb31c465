import type { Config } from '../../../config.js';
import type { Clock } from '../../../shared/clock.js';
import type { Logger } from '../../../shared/logger.js';
import { isChannel } from '../../studio/channels.js';
import type { LinkContext } from '../ports.js';
import { classifyClick, type ClickRequest } from './click-classifier.js';
import type { LinkToShorten, ResolvedShortLink, ShortLinkRepository, ShortLinksOverview } from './link-ports.js';
import { isShortCode, newShortCode } from './short-code.js';
import { readUtm, tagUrl, utmParamsFor } from './utm.js';
import type { VisitorHasher } from './visitor-hasher.js';
import { appBaseUrl } from '../../../shared/http/public-url.js';

/** Clicks written after the redirect; beyond this many still in flight, the redirect waits for its own write. */
const MAX_PENDING_CLICKS = 200;
export const LIST_LIMIT = 200;

export interface ClickInput extends ClickRequest {
  /** The client address (req.ip): hashed with the day's salt, never stored. */
  ip: string;
}

export type Resolution = { status: 'active'; link: ResolvedShortLink; location: string } | { status: 'missing' } | { status: 'inactive' };

/** The Location to send: http(s) only (defence in depth: the schema and the tagger already say so), ASCII-serialised. */
export function redirectLocation(targetUrl: string): string | null {
  if (!/^https?:\/\//i.test(targetUrl)) return null;
  try {
    const url = new URL(targetUrl);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * Tenant short links `/r/<code>`: one per content, channel and original URL (asking again gives the same code),
 * the redirect's lookup, and click counting (bots apart, no personal data: see click-classifier.ts and
 * visitor-hasher.ts).
 */
export class ShortLinkService {
  readonly baseUrl: string;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly deps: {
      shortLinkRepository: ShortLinkRepository;
      visitorHasher: VisitorHasher;
      config: Config;
      clock: Clock;
      logger: Logger;
    },
  ) {
    this.baseUrl = appBaseUrl(deps.config);
  }

  shortUrl(code: string): string {
    return `${this.baseUrl}/r/${code}`;
  }

  /** A link to one of our own short links (any tenant's): wrapping it again would only chain redirects. */
  isShortUrl(url: string): boolean {
    const prefix = `${this.baseUrl}/r/`;
    if (url.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) return false;
    return isShortCode(url.slice(prefix.length).replace(/[?#].*$/s, ''));
  }

  /**
   * The short URL of each given link (keyed by the URL as written) for a content on a channel: every link is
   * tagged with the context's UTM parameters (parameters the author already set are kept), and wrapped.
   */
  async shortUrlsFor(context: LinkContext, urls: string[]): Promise<Map<string, string>> {
    const params = utmParamsFor(context);
    const links: LinkToShorten[] = [...new Set(urls)].map((originalUrl) => {
      const targetUrl = lowercaseScheme(tagUrl(originalUrl, params));
      return { originalUrl, targetUrl, utm: readUtm(targetUrl) };
    });
    const owner = { contentId: context.contentId, channel: isChannel(context.channel) ? context.channel : null };
    const codes = await this.deps.shortLinkRepository.ensureLinks(context.tenantId, owner, links, () => newShortCode());
    return new Map([...codes].map(([url, code]) => [url, this.shortUrl(code)]));
  }

  async resolve(code: string): Promise<Resolution> {
    if (!isShortCode(code)) return { status: 'missing' };
    const link = await this.deps.shortLinkRepository.findByCode(code);
    if (!link) return { status: 'missing' };
    const now = this.deps.clock.now();
    if (link.disabledAt || (link.expiresAt && link.expiresAt <= now)) return { status: 'inactive' };
    const location = redirectLocation(link.targetUrl);
    return location ? { status: 'active', link, location } : { status: 'missing' };
  }

  /**
   * Records a click after the redirect has gone: resolves at once, unless too many writes are already in flight
   * (a slow database), in which case it waits for its own write so the backlog cannot grow without bound. A
   * failed write is logged, never shown to the visitor.
   */
  trackClick(link: ResolvedShortLink, input: ClickInput): Promise<void> {
    const write = this.recordClick(link, input).catch((err: unknown) => {
      this.deps.logger.warn({ err, shortLinkId: link.id }, 'short link click not recorded');
    });
    if (this.pending.size >= MAX_PENDING_CLICKS) return write;
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
    return Promise.resolve();
  }

  /** Resolves when every click write started so far has finished (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  recordClick(link: ResolvedShortLink, input: ClickInput): Promise<void> {
    const facts = classifyClick(input);
    return this.deps.shortLinkRepository.recordClick(link.tenantId, link.id, {
      ...facts,
      clickedAt: this.deps.clock.now(),
      visitorHash: facts.isBot ? null : this.deps.visitorHasher.hash(link.tenantId, input.ip, input.userAgent ?? ''),
    });
  }

  overview(tenantId: string): Promise<ShortLinksOverview> {
    return this.deps.shortLinkRepository.overview(tenantId, LIST_LIMIT);
  }
}

/** `HTTPS://…` → `https://…`: same URL, and the form the schema's check on target_url accepts. */
function lowercaseScheme(url: string): string {
  return url.replace(/^https?:/i, (scheme) => scheme.toLowerCase());
}
