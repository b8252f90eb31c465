import type { DeviceClass } from './click-classifier.js';
import type { UtmParams } from './utm.js';

/** A short link as the redirect needs it (looked up by code, across tenants). */
export interface ResolvedShortLink {
  id: string;
  tenantId: string;
  targetUrl: string;
  expiresAt: Date | null;
  disabledAt: Date | null;
}

/** One link of a content to wrap: the URL as written, and where the short link will send to. */
export interface LinkToShorten {
  originalUrl: string;
  targetUrl: string;
  utm: UtmParams;
}

export interface ShortLinkOwner {
  contentId: string;
  /** Null when the channel is not one the schema knows (the link is still tagged with it). */
  channel: string | null;
}

export interface ClickRow {
  clickedAt: Date;
  isBot: boolean;
  referrerHost: string | null;
  country: string | null;
  deviceClass: DeviceClass;
  visitorHash: string | null;
}

export interface ShortLinkListItem {
  id: string;
  code: string;
  originalUrl: string;
  targetUrl: string;
  channel: string | null;
  contentId: string | null;
  contentTitle: string | null;
  humanClicks: number;
  botClicks: number;
  lastClickedAt: Date | null;
  createdAt: Date;
}

export interface ShortLinksOverview {
  links: ShortLinkListItem[];
  total: number;
  timezone: string;
}

export interface ShortLinkRepository {
  /**
   * The code of each link (keyed by original URL), reusing the content's existing short link for the same URL
   * and channel, else inserting one with a code from `newCode` (a collision draws another). Not found when the
   * content is not the tenant's.
   */
  ensureLinks(tenantId: string, owner: ShortLinkOwner, links: LinkToShorten[], newCode: () => string): Promise<Map<string, string>>;
  /** Platform lookup: codes are unique across tenants. */
  findByCode(code: string): Promise<ResolvedShortLink | null>;
  /** Inserts the click; a human one also bumps the link's counter and last click time. */
  recordClick(tenantId: string, shortLinkId: string, click: ClickRow): Promise<void>;
  /** The tenant's latest short links with their human and bot clicks, how many there are, and its time zone. */
  overview(tenantId: string, limit: number): Promise<ShortLinksOverview>;
}
