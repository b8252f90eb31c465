/**
 * Competitive watch: the shapes shared by polling (fetch, extract, snapshot), change detection and the screens.
 */

export const CHANGE_KINDS = ['new_post', 'price_change', 'product_added', 'product_removed', 'availability_change', 'text_change'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export const SIGNIFICANCE = ['low', 'medium', 'high'] as const;
export type Significance = (typeof SIGNIFICANCE)[number];

export const SELECTOR_FIELDS = ['price', 'product_name', 'availability', 'product_list', 'text'] as const;
export type SelectorField = (typeof SELECTOR_FIELDS)[number];

export type SourceKind = 'rss' | 'page';
export type ExtractMode = 'full_text' | 'selectors';
export type SourceHealth = 'healthy' | 'degraded' | 'unhealthy';

/** What a change says, whatever reads it (detection writes it; alerts, summaries and screens show it). */
export interface ChangeFacts {
  productName: string | null;
  oldPriceCents: number | null;
  newPriceCents: number | null;
  currency: string | null;
  priceChangeBp: number | null;
  oldValue: string | null;
  newValue: string | null;
  title: string | null;
  url: string | null;
}

/** A source as polling and detection see it. */
export interface WatchSource {
  id: string;
  tenantId: string;
  competitorId: string | null;
  kind: SourceKind;
  url: string;
  host: string;
  extractMode: ExtractMode;
  intervalMinutes: number;
  title: string | null;
  health: SourceHealth;
  active: boolean;
}

/**
 * What was extracted from a page (stored as `watch_snapshots.extracted_fields`). Raw strings as found on the page;
 * `price` is also parsed (see `price-parser.ts`) when it could be. A selector that matched nothing is listed in
 * `missing` (the page was redesigned): never read as "the price became empty".
 */
export interface ExtractedFields {
  price?: { raw: string; amountCents: number | null; currency: string | null };
  productName?: string;
  availability?: string;
  /** Product names of a list page, in page order. */
  products?: string[];
  text?: string;
  missing?: SelectorField[];
}

/** One distinct state of a source's content (`watch_snapshots`). */
export interface Snapshot {
  id: string;
  sourceId: string;
  contentHash: string;
  text: string;
  fields: ExtractedFields;
  fetchedAt: Date;
}

/** A feed entry seen for the first time by a poll (`watch_feed_items`, just inserted). */
export interface NewFeedEntry {
  feedItemId: string;
  guid: string;
  url: string | null;
  title: string | null;
  summary: string | null;
  publishedAt: Date | null;
}

/**
 * What a poll hands to change detection once it stored something new: for a page, the previous and the new
 * snapshot (previous null on the first poll: a baseline, no change); for a feed, the entries never seen before
 * (none on the first poll either: the feed's back catalogue is a baseline, not news).
 */
export interface DetectionInput {
  tenantId: string;
  source: WatchSource;
  previous: Snapshot | null;
  current: Snapshot | null;
  newEntries: NewFeedEntry[];
  firstPoll: boolean;
  now: Date;
}

/** The change-detection port the poller calls (implemented by `ChangeDetector`). */
export interface ChangeSink {
  detect(input: DetectionInput): Promise<{ changeIds: string[] }>;
}
